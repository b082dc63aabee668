"""Test-wide fixtures: the test database is created and migrated by the owner role, and the tests then run
as the app role, exactly as the web app and the workers do (so row-level security and grants apply)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import setup_databases, teardown_databases

from catalog.cache import forget_local_generation
from couponali.db import as_owner, grant_app_privileges
from offers import pagecache


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker):
    with django_db_blocker.unblock():
        app_user = connection.settings_dict["USER"]
        with as_owner():
            db_cfg = setup_databases(
                verbosity=request.config.option.verbose,
                interactive=False,
                aliases={"default"},
                serialized_aliases=set(),
            )
            grant_app_privileges(role=app_user)
    yield
    with django_db_blocker.unblock(), as_owner():
        teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with an empty cache/rate-limit store (the test settings use their own Redis db), and
    without the per-process copies kept beside it (the listing generation, the page cache)."""
    cache.clear()
    forget_local_generation()
    pagecache.forget_local()
    yield

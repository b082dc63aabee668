from __future__ import annotations

import pytest

from catalog.cache import forget_local_generation
from offers import clickout


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """The click-out's per-process cache and generation copy start empty in every test (Redis is flushed by the
    root conftest)."""
    clickout.clear_cache()
    forget_local_generation()
    yield
    clickout.clear_cache()
    forget_local_generation()

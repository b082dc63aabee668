"""The API against its own OpenAPI description: schemathesis generates requests for every operation from
/api/schema/ (valid ones, and invalid ones), anonymous and signed in, and sends them through the Django WSGI
app. No answer may be a 5xx, use a status the operation does not document, or have a body or content type that
breaks the schema (the error body included).

The operations are walked here rather than through schemathesis' pytest plugin, whose lazy loader reaches
into a private attribute that this pytest no longer has."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from couponali.wsgi import application

from .conftest import bearer

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Per operation, per mode, per caller: about 35 operations x (4 + 2) x 2 callers, a few hundred requests (fewer
# where an operation has fewer distinct inputs), in well under a minute on an idle machine.
EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 2}


@pytest.fixture
def api_schema(db, catalogue):
    # As Django's test client does: the requests run inside the test's transaction, so the WSGI handler must not
    # close the connection when each request ends.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _walk(schema, headers: dict) -> tuple[int, list[str]]:
    sent, failures = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/health/"):
            continue  # answers 503 by design while no Celery worker runs (as in tests); documented as such
        for mode, examples in EXAMPLES.items():
            calls: list[int] = []

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def run(case):
                calls.append(1)  # noqa: B023 - runs at once, inside this iteration
                case.call_and_validate(checks=CHECKS, headers=headers)

            try:
                run()
            except Unsatisfiable:
                pass  # no invalid request exists for this operation (it takes no input)
            except (Exception, BaseExceptionGroup) as exc:  # collected: one run reports every failing operation
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}")
            sent += len(calls)
    return sent, failures


def test_anonymous_calls_keep_to_the_schema(api_schema):
    sent, failures = _walk(api_schema, headers={})
    assert not failures, "\n\n".join(failures)
    assert sent >= 100


def test_signed_in_calls_keep_to_the_schema(api_schema, owner):
    sent, failures = _walk(api_schema, headers={"Authorization": bearer(owner)["HTTP_AUTHORIZATION"]})
    assert not failures, "\n\n".join(failures)
    assert sent >= 100

"""A real Celery round trip through a worker process and the Redis broker; /healthz reflects the truth."""

from __future__ import annotations

import pytest

from couponali import tasks
from devtools.testing import celery_worker


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_celery_round_trip_through_a_real_worker_and_broker(client):
    with celery_worker():
        # when a task is sent through the broker
        result = tasks.echo.delay("namaste")
        # then a worker process ran it against the test database, as the app role
        payload = result.get(timeout=30)
        assert payload["value"] == "namaste"
        from django.db import connection

        assert payload["db_user"] == connection.settings_dict["USER"]

        # and /healthz sees database, Redis and the worker up
        response = client.get("/healthz")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == "ok"
        assert body["checks"]["celery"]["ok"] is True
        assert body["checks"]["celery"]["detail"]["workers"]


@pytest.mark.django_db
def test_healthz_is_503_when_no_worker_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["celery"]["ok"] is False
    assert "no worker" in body["checks"]["celery"]["detail"]

"""Platform tasks: the worker heartbeat that /healthz reads, and a round-trip probe."""

from __future__ import annotations

import time

from celery import shared_task
from django.core.cache import cache
from django.db import connection

HEARTBEAT_KEY = "celery:heartbeat"


@shared_task(name="couponali.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Beat runs this every minute; /healthz shows when a worker last ran it."""
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)


@shared_task(name="couponali.tasks.echo")
def echo(value: str) -> dict:
    """Round-trip probe: returns what it got plus proof that it ran in a worker with the database."""
    with connection.cursor() as cur:
        cur.execute("SELECT current_user")
        (db_user,) = cur.fetchone()
    return {"value": value, "db_user": db_user}

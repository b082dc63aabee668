"""Health of the database, Redis and the Celery workers, each checked for real (a query, a PING, a ping)."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import connection


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check()
        ok = True
    except Exception as exc:
        detail, ok = f"{type(exc).__name__}: {exc}", False
    result = {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1)}
    if detail:
        result["detail"] = detail
    return result


def _database():
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()
    return None


def _redis():
    # The cache's own Redis client (django-redis): unlike the cache calls, it raises when Redis is down.
    client = cache.client.get_client(write=True)
    if not client.ping():
        raise RuntimeError("PING failed")
    return None


def _celery():
    from couponali.celery import app

    # limit=1: answer as soon as one worker replies instead of waiting out the timeout for more.
    replies = app.control.ping(timeout=1.0, limit=1) or []
    if not replies:
        raise RuntimeError("no worker answered the ping")
    return {"workers": sorted(name for reply in replies for name in reply)}


def status() -> tuple[bool, dict]:
    checks = {"database": _timed(_database), "redis": _timed(_redis), "celery": _timed(_celery)}
    heartbeat = cache.get("celery:heartbeat") if checks["redis"]["ok"] else None
    if heartbeat:
        checks["celery"]["last_beat_seconds_ago"] = round(time.time() - heartbeat, 1)
    return all(c["ok"] for c in checks.values()), checks

"""Redis structures of the offers app: the impression buffer and the "used today" counts.

* Impressions (an offer detail view, an offer card shown in a list) are appended to a Redis list by the page in
  one round trip and written to offer_views in batches by a Celery job (offers.services.impressions_flush).
  A flush first renames the list to a batch key of its own (atomic), so pages keep appending to a fresh list
  while the batch is written; the batch id is recorded in offer_impression_batches in the same transaction as
  its rows, so a batch is written exactly once even when a flush is interrupted and runs again.
* "N used today" per offer is a Redis hash per day (India time), incremented by the counter job from the click
  rows it aggregates, and read by list pages with one HMGET.
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import cast

import redis
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone

USED_TODAY_TTL = 2 * 24 * 3600
# If the flush job stops, the buffer keeps the newest impressions only (dropping the oldest), never grows unbounded.
IMPRESSIONS_MAX = 2_000_000


@functools.cache
def redis_client() -> redis.Redis:
    # The shared options reconnect by themselves after a Redis restart and give up fast while it is down.
    return redis.Redis.from_url(settings.REDIS_URL, **settings.REDIS_CONNECTION_OPTIONS)


@receiver(setting_changed)
def _redis_changed(*, setting: str, **kwargs) -> None:
    if setting in ("REDIS_URL", "REDIS_CONNECTION_OPTIONS"):
        redis_client.cache_clear()


def _key(name: str) -> str:
    # Keyed by database: impressions and counts of offer ids only mean something in the database they came from
    # (two deployments or a benchmark sharing a Redis must not write each other's rows).
    return f"offers:{settings.DATABASES['default']['NAME']}:{name}"


def impressions_key() -> str:
    return _key("impressions")


def _batches_key() -> str:
    return _key("impressions:batches")


# ---------------------------------------------------------------- impressions


def impressions_push(offer_ids: Sequence[int], *, user_id: int | None, ip_address: str | None, user_agent: str) -> None:
    """Buffer one impression per offer id (one Redis round trip). Never raises: a lost impression must not
    break a page."""
    if not offer_ids:
        return
    now = time.time()
    ua = (user_agent or "")[:400]
    items = [json.dumps([int(i), user_id, ip_address or None, ua, now], separators=(",", ":")) for i in offer_ids]
    with contextlib.suppress(redis.RedisError):  # Redis down: the page still renders
        pipe = redis_client().pipeline(transaction=False)
        pipe.rpush(impressions_key(), *items)
        pipe.ltrim(impressions_key(), -IMPRESSIONS_MAX, -1)
        pipe.execute()


_TAKE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('RENAME', KEYS[1], KEYS[2])
    redis.call('SADD', KEYS[3], KEYS[2])
    return 1
end
return 0
"""


def impressions_take_batch() -> None:
    """Move the current buffer to a batch key of its own (atomically, with the batch registered)."""
    r = redis_client()
    r.eval(_TAKE, 3, impressions_key(), _key("impressions:batch:") + uuid.uuid4().hex, _batches_key())


def impressions_pending_batches() -> list[str]:
    # The client is made without decode_responses, so members are bytes; the stubs allow str for other clients.
    members = cast("set[bytes]", redis_client().smembers(_batches_key()))
    return sorted(b.decode() for b in members)


def impressions_read_batch(batch_key: str) -> list[tuple[int, int | None, str | None, str, float]]:
    out = []
    for raw in redis_client().lrange(batch_key, 0, -1):
        try:
            offer_id, user_id, ip, ua, ts = json.loads(raw)
            out.append((int(offer_id), int(user_id) if user_id else None, ip, str(ua), float(ts)))
        except (ValueError, TypeError):
            continue  # a malformed entry is dropped, never blocks the batch
    return out


def impressions_drop_batch(batch_key: str) -> None:
    r = redis_client()
    pipe = r.pipeline()
    pipe.delete(batch_key)
    pipe.srem(_batches_key(), batch_key)
    pipe.execute()


def impressions_buffered() -> int:
    r = redis_client()
    return r.llen(impressions_key()) + sum(r.llen(b) for b in r.smembers(_batches_key()))


# ---------------------------------------------------------------- used today


def _day_key(day: date) -> str:
    return _key(f"used:{day.isoformat()}")


def used_today_add(counts: dict[tuple[int, date], int]) -> None:
    """Add click counts per (offer id, India-time day) to the day hashes."""
    if not counts:
        return
    pipe = redis_client().pipeline()
    days = set()
    for (offer_id, day), n in counts.items():
        pipe.hincrby(_day_key(day), str(offer_id), n)
        days.add(day)
    for day in days:
        pipe.expire(_day_key(day), USED_TODAY_TTL)
    pipe.execute()


def used_today(offer_ids: Iterable[int]) -> dict[int, int]:
    ids = list(offer_ids)
    if not ids:
        return {}
    try:
        values = redis_client().hmget(_day_key(timezone.localdate()), [str(i) for i in ids])
    except redis.RedisError:  # pragma: no cover - Redis down: no counts shown
        return {}
    return {i: int(v) for i, v in zip(ids, values, strict=True) if v}

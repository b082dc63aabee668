"""The listing generation: one token in Redis that changes whenever a shopper-visible row changes.

Cached shopper data (the home page sections, the category tree, the stores A–Z, the click-out's offer→redirect
data) is keyed by, or stamped with, the current generation. A change to an offer, store, category or commission
calls :func:`listing_changed` (after commit), which writes a new random token: every cache keyed by the old one
is missed from then on and simply expires. A random token (not a counter) means that flushing Redis can never
bring an old generation back.

Hot paths (the click-out) read the token through a per-process copy that is at most ``max_age`` seconds old, so
another process's change reaches them within that time; a change made in this process applies at once.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import TypedDict

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "listing:generation"
# How old a per-process copy of the token the shopper pages (their cached data, the page cache, the typeahead)
# may read: a change made in another process reaches them within this time, one made here at once.
PAGE_MAX_AGE = 1.0

_lock = threading.Lock()


class _LocalCopy(TypedDict):
    token: str | None
    read_at: float


_local: _LocalCopy = {"token": None, "read_at": 0.0}


def listing_generation(*, max_age: float = 0.0) -> str:
    """The current generation token. With ``max_age`` > 0 a per-process copy up to that old may be returned."""
    if max_age > 0:
        token, read_at = _local["token"], _local["read_at"]
        if token is not None and time.monotonic() - read_at < max_age:
            return token
    token = cache.get(GENERATION_KEY)
    if token is None:
        fresh = uuid.uuid4().hex
        # add() keeps a token another process wrote first.
        cache.add(GENERATION_KEY, fresh, timeout=None)
        token = cache.get(GENERATION_KEY) or fresh
    with _lock:
        _local["token"], _local["read_at"] = token, time.monotonic()
    return token


def _bump() -> None:
    token = uuid.uuid4().hex
    cache.set(GENERATION_KEY, token, timeout=None)
    with _lock:
        _local["token"], _local["read_at"] = token, time.monotonic()


def listing_changed() -> None:
    """Invalidate every cached listing. Call it from the service, admin action or task that changed an offer,
    a store, a category or a commission; inside a transaction it takes effect when the transaction commits."""
    transaction.on_commit(_bump)


def forget_local_generation() -> None:
    """Drop the per-process copy (tests, and after a fork)."""
    with _lock:
        _local["token"], _local["read_at"] = None, 0.0

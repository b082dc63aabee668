"""The active SEO redirects as a per-process dict, for the middleware's lookup on every request.

The whole table is small (thousands of rows at most) and read on every request, so each process keeps it in
memory: a hit or miss is one dict lookup. A generation token in Redis says which version is current; a change
(cms.services.redirects) writes a new token after commit, and a process checks the token at most every
SEO_REDIRECTS_MAX_AGE seconds and reloads the table from PostgreSQL when it changed. A random token (not a
counter) means a flushed Redis can never bring an old version back.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "seo:redirects:generation"


class Hit(NamedTuple):
    target: str
    status: int
    keep_query: bool


_lock = threading.Lock()
_state: dict = {"token": None, "checked_at": float("-inf"), "table": {}}


def _current_token() -> str:
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)  # add(): keep a token another process wrote
        token = cache.get(GENERATION_KEY)
    return token


def _load() -> dict[str, Hit]:
    from .models import SeoRedirect  # the middleware module is imported before the app registry is ready

    rows = SeoRedirect.objects.filter(is_active=True).values_list(
        "source_path", "target_path", "http_status", "keep_query"
    )
    return {source: Hit(target, status, keep) for source, target, status, keep in rows}


def redirect_table() -> dict[str, Hit]:
    now = time.monotonic()
    if now - _state["checked_at"] < settings.SEO_REDIRECTS_MAX_AGE:
        return _state["table"]
    with _lock:
        if now - _state["checked_at"] < settings.SEO_REDIRECTS_MAX_AGE:
            return _state["table"]
        token = _current_token()
        if token != _state["token"]:
            _state["table"] = _load()
            _state["token"] = token
        _state["checked_at"] = time.monotonic()
        return _state["table"]


def redirect_for(path: str) -> Hit | None:
    return redirect_table().get(path)


def _bump() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    forget_local()


def redirects_changed() -> None:
    """Call after any write to seo_redirects; inside a transaction it takes effect at commit."""
    transaction.on_commit(_bump)


def forget_local() -> None:
    """Make this process re-read the token on its next lookup (after a change here, and in tests)."""
    with _lock:
        _state["checked_at"] = float("-inf")

"""Whole-page cache of the public catalogue pages for shoppers who are not signed in.

A view marked :func:`cached_public_page` (home, stores, a store, categories, a category, an offer, search) is
answered by :class:`offers.middleware.PublicPageCacheMiddleware` from a stored copy of its response when the
request cannot belong to anybody: a GET or HEAD without a session cookie (so nobody is signed in and there are
no flash messages, which live in the session or their own cookie), without ``?ref=`` (the referral cookie is set
on the way out). Nothing personal can be stored either: a response is kept only when it is a 200 that sets no
cookie, used no CSRF token and no CSP nonce, is not ``private``/``no-store``, and the request's user is
anonymous. Each shopper's own pages (signed in: a session cookie) always go down the whole stack.

Keys carry the listing generation (catalog.cache), so a change to an offer, store, category or commission is
seen at once by the process that made it and within ``catalog.cache.PAGE_MAX_AGE`` seconds by the others; entries live
``settings.PAGE_CACHE_TTL`` seconds at most, which bounds how stale the "N used today" counts and an offer that
expired meanwhile can be (the expiry job also bumps the generation). A copy is kept in Redis (shared by every
process) and the most used ones in this process's memory, so that a hit costs no network round trip at all.
Impressions are still counted on a hit: the entry remembers which offers the page shows.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from catalog.cache import PAGE_MAX_AGE, listing_generation

PAGE_CACHE = "offers_page_cache"  # the attribute cached_public_page() sets on a view
LOCAL_ENTRIES = 256
# Request markers that mean the page is somebody's: the session cookie is read from settings at request time.
BYPASS_COOKIES = ("messages",)
BYPASS_PARAMS = ("ref",)
# Headers not replayed from the stored response: the middleware above this one sets them per response.
_SKIP_HEADERS = frozenset({"set-cookie", "content-security-policy", "content-security-policy-report-only"})


def cached_public_page(view):
    """Mark a public view whose anonymous GET responses may be served from the page cache."""
    setattr(view, PAGE_CACHE, True)
    return view


@dataclass(frozen=True)
class Entry:
    content: bytes
    headers: tuple[tuple[str, str], ...]
    offer_ids: tuple[int, ...]
    stored_at: float
    fresh_until: float  # the stored time plus PAGE_CACHE_TTL, or earlier: when the first offer shown expires


_local: OrderedDict[str, Entry] = OrderedDict()
_lock = threading.Lock()


def request_may_use_cache(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or any(name in cookies for name in BYPASS_COOKIES):
        return False
    return not any(name in request.GET for name in BYPASS_PARAMS)


def page_key(request: HttpRequest) -> str:
    """The cache key: scheme, host and full path (query string included) under the listing generation."""
    raw = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.blake2b(raw.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
    return f"offers:page:{listing_generation(max_age=PAGE_MAX_AGE)}:{digest}"


def lookup(key: str) -> Entry | None:
    now = time.time()
    with _lock:
        entry = _local.get(key)
        if entry is not None:
            if now < entry.fresh_until:
                _local.move_to_end(key)
                return entry
            del _local[key]
    entry = cache.get(key)
    if entry is None or now >= entry.fresh_until:
        return None
    _remember(key, entry)
    return entry


def _remember(key: str, entry: Entry) -> None:
    with _lock:
        _local[key] = entry
        _local.move_to_end(key)
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)


def storable(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether a response may be shown to anybody else: see the module's docstring."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or isinstance(getattr(request, "_csp_nonce", None), str):
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if "private" in cache_control or "no-store" in cache_control:
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def store(key: str, request: HttpRequest, response: HttpResponse) -> None:
    now = time.time()
    fresh_until = now + settings.PAGE_CACHE_TTL
    first_expiry = getattr(request, "shown_until", None)
    if first_expiry is not None:
        fresh_until = min(fresh_until, first_expiry.timestamp())
    if fresh_until - now < 1:
        return
    entry = Entry(
        content=response.content,
        headers=tuple((k, v) for k, v in response.headers.items() if k.lower() not in _SKIP_HEADERS),
        offer_ids=tuple(getattr(request, "shown_offer_ids", ())),
        stored_at=now,
        fresh_until=fresh_until,
    )
    cache.set(key, entry, max(1, int(fresh_until - now)))
    _remember(key, entry)


def response_for(entry: Entry) -> HttpResponse:
    response = HttpResponse(entry.content)
    for name, value in entry.headers:
        response[name] = value
    response["X-Page-Cache"] = "hit"
    return response


def forget_local() -> None:
    """Empty this process's copies (tests)."""
    with _lock:
        _local.clear()

"""Whole-page cache of the public catalogue pages for shoppers who are not signed in.

A view marked :func:`cached_public_page` (home, stores, a store, categories, a category, an offer, search) is
answered by :class:`offers.middleware.PublicPageCacheMiddleware` from a stored copy of its response when the
request cannot belong to anybody: a GET or HEAD without a session cookie (so nobody is signed in and there are
no flash messages, which live in the session or their own cookie), without ``?ref=`` (the referral cookie is set
on the way out). Nothing personal can be stored either: a response is kept only when it is a 200 that sets no
cookie, used no CSRF token and no CSP nonce, is not ``private``/``no-store``, and the request's user is
anonymous. Each shopper's own pages (signed in: a session cookie) always go down the whole stack.

Keys carry the listing generation (catalog.cache), so a change to an offer, store, category or commission is
seen at once by the process that made it and within ``catalog.cache.PAGE_MAX_AGE`` seconds by the others; entries are
fresh for ``settings.PAGE_CACHE_TTL`` seconds, which bounds how stale the "N used today" counts and an offer that
expired meanwhile can be (the expiry job also bumps the generation). For ``settings.PAGE_CACHE_STALE`` seconds
more, a copy that is past its TTL still answers while the next copy is rendered by a Celery worker (one request
in the whole site claims it in Redis and queues :func:`render_copy` once its own response has gone out:
:func:`refresh_if_stale`, stale-while-revalidate), so that no shopper waits for a page to be rendered because its
copy grew old, nor for a render that holds their web worker's GIL (the render is the ordinary path of a page that
is not cached, made in the Celery worker by an internal request for nobody). A copy whose first offer ends is
never served past that moment. A copy is kept in Redis (shared by every
process) and the most used ones in this process's memory, so that a hit costs no network round trip at all.
Impressions are still counted on a hit (the entry remembers which offers the page shows), once the response has
been sent.

Signed-in shoppers (and visitors with flash messages) are served the same copy, personalised
(:func:`personalised_response`): the fragments of the page that belong to the visitor (couponali.personal: the
header's account links, the messages, the bottom bar's Account link, the sign-in banner) are rendered again for
the request and replace the copy's. The copy itself was rendered for nobody, so nothing of another shopper can
be in it. When there is no copy yet, :func:`fill` renders one for nobody first (an internal request without
cookies down the same middleware stack), so that a page read only by signed-in shoppers is still rendered once
per generation, not once per request.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import random
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.http import HttpRequest, HttpResponse

from catalog.cache import PAGE_MAX_AGE, listing_generation
from couponali import celery, personal
from couponali.ratelimit import client_ip_address

from . import services

log = logging.getLogger(__name__)

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
    usable_until: float = 0.0  # fresh_until plus PAGE_CACHE_STALE when only the TTL ends it, else fresh_until


def usable_until(entry: Entry) -> float:
    return max(entry.fresh_until, getattr(entry, "usable_until", 0.0))


_local: OrderedDict[str, Entry] = OrderedDict()
_lock = threading.Lock()


# The WSGI environ key that marks the internal request fill() sends: its page is rendered for nobody, and its
# impressions are counted by the request it was made for.
FILL = "couponali.page_cache_fill"
# The task that renders the next copy of a stale page (offers.tasks.render_page_copy; queued by name: the tasks
# module imports this one).
RENDER_TASK = "offers.tasks.render_page_copy"


def request_may_use_copy(request: HttpRequest) -> bool:
    """A GET or HEAD that the stored copy of its page may answer, as it is or personalised."""
    return request.method in ("GET", "HEAD") and not any(name in request.GET for name in BYPASS_PARAMS)


def request_may_use_cache(request: HttpRequest) -> bool:
    """A request that cannot belong to anybody: the stored copy answers it as it is."""
    if not request_may_use_copy(request):
        return False
    cookies = request.COOKIES
    return not (settings.SESSION_COOKIE_NAME in cookies or any(name in cookies for name in BYPASS_COOKIES))


def is_fill(request: HttpRequest) -> bool:
    return bool(request.META.get(FILL))


def page_key(request: HttpRequest) -> str:
    """The cache key: scheme, host and full path (query string included) under the listing generation."""
    raw = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.blake2b(raw.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
    return f"offers:page:{listing_generation(max_age=PAGE_MAX_AGE)}:{digest}"


def lookup(key: str) -> Entry | None:
    """The stored copy of the page, fresh or (see :func:`refresh_if_stale`) stale but still usable.

    This process's copy answers without a round trip while it is fresh. Once it is stale, Redis is asked for a
    newer one (rendered meanwhile by another process) on each lookup until there is one: otherwise every process
    would go on serving its own stale copy and, each time the claim on the refresh is let go, claim and render
    the page again, all through the grace period."""
    now = time.time()
    with _lock:
        local = _local.get(key)
        if local is not None and now < local.fresh_until:
            _local.move_to_end(key)
            return local
    shared = cache.get(key)
    candidates = [e for e in (local, shared) if e is not None and now < usable_until(e)]
    if not candidates:
        with _lock:
            if _local.get(key) is local and local is not None:
                del _local[key]
        return None
    entry = max(candidates, key=lambda e: e.stored_at)
    if entry is not local:
        _remember(key, entry)
    return entry


def refresh_if_stale(entry: Entry, key: str, request: HttpRequest, get_response) -> Callable[[], None] | None:
    """When ``entry`` is past its TTL: what has the next copy rendered (to run once the response has been sent),
    if this request is the one to do it - the first to claim the key in Redis for the next 30 seconds; None
    otherwise, and for a fresh copy.

    The render is queued for a Celery worker (:func:`render_copy`): rendered here, after the response, it would
    still hold this process's GIL for the tens of milliseconds a page takes, and every other request this
    process is serving would wait for it (bench/README.md, "Stale copies rendered by the Celery worker"). When the
    broker cannot be reached the copy is rendered here as before, so that the site never runs on stale copies
    until they are unusable."""
    if time.time() < entry.fresh_until or not cache.add(refresh_claim(key), 1, 30):
        return None

    def refresh() -> None:
        if celery.enqueue(RENDER_TASK, environ=copy_environ(request), key=key):
            return  # the task lets the claim go
        try:
            fill(key, request, get_response)
        except Exception:
            # The visitor has their page already; the next request past the claim tries again.
            log.exception("page cache: rendering the next copy of %s failed", request.path)
        finally:
            cache.delete(refresh_claim(key))

    return refresh


def refresh_claim(key: str) -> str:
    return f"{key}:refresh"


# What makes a request somebody's (who they are, where from, what they came from): never copied into the request
# that renders a page for nobody, nor into a task message. That request comes from this machine.
_PERSONAL_ENVIRON = frozenset(
    {
        "HTTP_COOKIE",
        "HTTP_AUTHORIZATION",
        "HTTP_PROXY_AUTHORIZATION",
        "REMOTE_ADDR",
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_REAL_IP",
        "HTTP_FORWARDED",
        "HTTP_REFERER",
    }
)


def copy_environ(request: HttpRequest) -> dict[str, str]:
    """What is needed to make ``request`` again for nobody (:func:`internal_request`): its WSGI variables that
    are strings (path, query, host, scheme, the proxy's scheme header...), without its cookies, credentials, the
    client's address and referrer. Empty for a request that is not a WSGI one."""
    environ = getattr(request, "environ", None) or {}
    return {name: value for name, value in environ.items() if isinstance(value, str) and name not in _PERSONAL_ENVIRON}


def internal_request(environ: dict[str, str]) -> WSGIRequest:
    """A GET of the page of ``environ`` (from :func:`copy_environ`) for nobody, marked as a fill (:data:`FILL`)."""
    return WSGIRequest(
        {
            **environ,
            "REQUEST_METHOD": "GET",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            FILL: True,
        }
    )


_handler: WSGIHandler | None = None


def render_copy(environ: dict[str, str], key: str = "") -> bool:
    """Render the page of ``environ`` (from :func:`copy_environ`) for nobody and store it, in the process that
    runs it (the task offers.tasks.render_page_copy): the internal request (:func:`internal_request`) goes down
    the whole middleware stack, where PublicPageCacheMiddleware renders it as a page that is not cached rather
    than answering it from the old copy. True when a copy was stored; the claim on the refresh of ``key`` (the
    old copy's) is let go either way."""
    global _handler  # one handler (the loaded middleware chain) per worker process
    try:
        if not environ.get("PATH_INFO"):
            return False
        internal = internal_request(environ)
        try:
            current = cache.get(page_key(internal))
        except DisallowedHost:
            return False
        if current is not None and time.time() < current.fresh_until:
            return False  # rendered already (a claim that expired, a task delivered twice)
        if _handler is None:
            _handler = WSGIHandler()
        _handler.get_response(internal).close()
        return getattr(internal, "page_cache_stored", None) is not None
    finally:
        if key:
            cache.delete(refresh_claim(key))


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


def ttl_of_a_copy() -> float:
    """``PAGE_CACHE_TTL`` shortened by up to a fifth at random (never below a second). Copies made together (a
    warm-up, a burst of traffic) would otherwise all grow stale in the same second, and their next copies would be
    rendered in one burst that the pages served meanwhile wait behind; spread, the renders are spread too."""
    ttl = settings.PAGE_CACHE_TTL
    return max(min(ttl, 1.0), ttl * random.uniform(0.8, 1.0))


def store(key: str, request: HttpRequest, response: HttpResponse) -> Entry | None:
    now = time.time()
    ttl_end = now + ttl_of_a_copy()
    first_expiry = getattr(request, "shown_until", None)
    fresh_until = ttl_end if first_expiry is None else min(ttl_end, first_expiry.timestamp())
    if fresh_until - now < 1:
        return None
    # A copy ended by its TTL may answer a little longer while the next one is rendered; one ended by an offer's
    # expiry may not.
    usable = fresh_until + settings.PAGE_CACHE_STALE if fresh_until >= ttl_end else fresh_until
    entry = Entry(
        content=response.content,
        headers=tuple((k, v) for k, v in response.headers.items() if k.lower() not in _SKIP_HEADERS),
        offer_ids=tuple(getattr(request, "shown_offer_ids", ())),
        stored_at=now,
        fresh_until=fresh_until,
        usable_until=usable,
    )
    cache.set(key, entry, max(1, int(usable - now)))
    _remember(key, entry)
    return entry


def fill(key: str, request: HttpRequest, get_response) -> Entry | None:
    """Render ``request``'s page for nobody (the same URL, without cookies, through ``get_response``) and store it;
    None when the answer may not be shared (an error, a cookie set...) or the request is not a WSGI one."""
    if not isinstance(request, WSGIRequest):
        return None
    internal = internal_request(copy_environ(request))
    response = get_response(internal)
    if not storable(internal, response):
        return None
    return store(key, internal, response)


def impressions_after(entry: Entry, request: HttpRequest) -> Callable[[], None] | None:
    """What counts the impressions of the offers a served copy shows, for the visitor it is served to: a piece
    of the response's ``then``, so that the Redis round trip is made after the page has been sent rather than
    inside its latency (a thread back from I/O waits for its process's GIL again). None when the page shows no
    offer."""
    if not entry.offer_ids:
        return None
    return functools.partial(record_impressions, entry, request)


def record_impressions(entry: Entry, request: HttpRequest) -> None:
    """Count the impressions of the offers a served copy shows, for the visitor it is served to."""
    if not entry.offer_ids:
        return
    user = getattr(request, "user", None)
    services.impressions_record(
        entry.offer_ids,
        user_id=user.pk if user is not None and user.is_authenticated else None,
        ip_address=client_ip_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


class PageResponse(HttpResponse):
    """A response from a stored copy. ``then`` is the work the page does not wait for (counting its
    impressions, record_impressions; rendering the next copy, refresh_if_stale): it runs when the server closes
    the response, i.e. once the response has been sent, and before Django's end-of-request signal. Each piece
    runs even when one before it failed."""

    def __init__(self, content: bytes, *, then: Iterable[Callable[[], None] | None] = ()):
        super().__init__(content)
        self._then = [work for work in then if work is not None]

    def close(self) -> None:
        then, self._then = self._then, []
        try:
            for work in then:
                try:
                    work()
                except Exception:
                    log.exception("page cache: work after the response of %s failed", getattr(work, "__name__", work))
        finally:
            super().close()


def response_for(entry: Entry, *, then: Iterable[Callable[[], None] | None] = ()) -> HttpResponse:
    response = PageResponse(entry.content, then=then)
    for name, value in entry.headers:
        response[name] = value
    response["X-Page-Cache"] = "hit"
    return response


# The stored copy's headers that a personalised answer keeps: the rest (length, Vary, caching) are the stack's.
_PERSONALISED_HEADERS = frozenset({"content-type", "content-language"})


def personalised_response(
    entry: Entry, request: HttpRequest, *, then: Iterable[Callable[[], None] | None] = ()
) -> HttpResponse:
    """The stored copy with the visitor's fragments rendered for ``request`` (couponali.personal)."""
    response = PageResponse(personal.personalise(entry.content, request), then=then)
    for name, value in entry.headers:
        if name.lower() in _PERSONALISED_HEADERS:
            response[name] = value
    response["X-Page-Cache"] = "personalised"
    return response


def forget_local() -> None:
    """Empty this process's copies (tests)."""
    with _lock:
        _local.clear()

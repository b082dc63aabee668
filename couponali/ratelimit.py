"""Sliding-window rate limits in Redis, shared by every app (the `limits` library does the counting).

``limits`` keeps each window in Redis and updates it with a Lua script, so a limit holds under parallel
requests from many processes and nodes. Two strategies:

* ``moving``  - an exact sliding log (MovingWindowRateLimiter): for sign-in, OTP, password reset, where the
  limits are small and must be exact;
* ``sliding`` - a sliding-window counter (SlidingWindowCounterRateLimiter): O(1) per hit, for hot paths
  such as the click-out.

Usage in a view::

    @rate_limited("clickout", "120/minute", strategy="sliding")
    def clickout(request, ...): ...

or in a service: ``limit_hit(scope="otp-send", key=user_id, rate="3/10minutes")`` raising ``RateLimited``.

Limits fail open: with Redis unreachable a hit is let through and a warning logged (throttled, on the
couponali.redis logger), so that an outage of the limit store never stops click-outs, sign-ins or postbacks.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter

log = logging.getLogger("couponali.redis")


class RateLimited(Exception):
    def __init__(self, retry_after: int, scope: str = ""):
        super().__init__(f"Too many attempts; try again in {retry_after} s.")
        self.retry_after = retry_after
        self.scope = scope


@dataclass(frozen=True)
class _Limiters:
    moving: MovingWindowRateLimiter
    sliding: SlidingWindowCounterRateLimiter
    generation: int


_local = threading.local()
# Bumped when the storage settings change (tests): every thread then builds its limiters again.
_generations = itertools.count(1)
_generation = next(_generations)
# Storage schemes that are one plain Redis/Valkey server (sentinel and cluster clients take other options).
_PLAIN_REDIS = {"redis", "rediss", "redis+unix", "valkey", "valkeys", "valkey+unix"}


def _limiters() -> _Limiters:
    """This thread's limiters. Each thread keeps one Redis connection of its own for them (redis-py's
    single-connection client) instead of taking one from a shared pool and checking it on every hit: the
    click-out pays one round trip and nothing more. The connection options (settings.REDIS_CONNECTION_OPTIONS)
    make that connection reconnect by itself after Redis restarts."""
    limiters = getattr(_local, "limiters", None)
    if limiters is None or limiters.generation != _generation:
        url = settings.RATELIMIT_STORAGE_URL
        options = (
            {"single_connection_client": True, **settings.REDIS_CONNECTION_OPTIONS}
            if url.split("://", 1)[0] in _PLAIN_REDIS
            else {}
        )
        storage = storage_from_string(url, key_prefix=settings.RATELIMIT_KEY_PREFIX, wrap_exceptions=True, **options)
        limiters = _Limiters(MovingWindowRateLimiter(storage), SlidingWindowCounterRateLimiter(storage), _generation)
        _local.limiters = limiters
    return limiters


@receiver(setting_changed)
def _storage_changed(*, setting: str, **kwargs) -> None:
    global _generation
    if setting in ("RATELIMIT_STORAGE_URL", "RATELIMIT_KEY_PREFIX", "REDIS_CONNECTION_OPTIONS"):
        _generation = next(_generations)


@functools.cache
def _parse(rate: str) -> RateLimitItem:
    return parse(rate)


def limit_hit(*, scope: str, key: str | int, rate: str, strategy: str = "moving", cost: int = 1) -> None:
    """Count one hit of ``key`` in ``scope``; raise RateLimited (with Retry-After seconds) past ``rate``."""
    item = _parse(rate)
    limiter = getattr(_limiters(), strategy)
    try:
        if limiter.hit(item, scope, str(key), cost=cost):
            return
        stats = limiter.get_window_stats(item, scope, str(key))
    except StorageError as exc:
        log.warning("rate limits are not enforced: the limit store is unreachable (%s)", exc.storage_error)
        return
    raise RateLimited(max(1, math.ceil(stats.reset_time - time.time())), scope)


def limit_clear(*, scope: str, key: str | int, rate: str) -> None:
    """Forget the hits of ``key`` (e.g. after a successful sign-in)."""
    try:
        _limiters().moving.clear(_parse(rate), scope, str(key))
    except StorageError as exc:
        log.warning("rate limits are not enforced: the limit store is unreachable (%s)", exc.storage_error)


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind a proxy, set RATELIMIT_TRUSTED_PROXIES to the number of proxies that
    append to X-Forwarded-For; the address is then taken that many hops from the right."""
    hops = settings.RATELIMIT_TRUSTED_PROXIES
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def too_many_requests(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": str(exc), "retry_after": exc.retry_after}, status=429)
    else:
        html = render_to_string("429.html", {"retry_after": exc.retry_after}, request=request)
        response = HttpResponse(html, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def rate_limited(
    scope: str,
    rate: str,
    *,
    key: Callable[[HttpRequest], str] = client_ip,
    methods: tuple[str, ...] | None = None,
    strategy: str = "moving",
):
    """View decorator: answer 429 with Retry-After once ``key(request)`` exceeds ``rate`` in ``scope``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if methods is None or request.method in methods:
                try:
                    limit_hit(scope=scope, key=key(request), rate=rate, strategy=strategy)
                except RateLimited as exc:
                    return too_many_requests(request, exc)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

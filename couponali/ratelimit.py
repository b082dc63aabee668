"""Sliding-window rate limits in Redis, shared by every app (the `limits` library does the counting).

``limits`` keeps each window in Redis and updates it with a Lua script, so a limit holds under parallel
requests from many processes and nodes. Two strategies:

* ``moving``  - an exact sliding log (MovingWindowRateLimiter): for sign-in, OTP, password reset, where the
  limits are small and must be exact;
* ``sliding`` - a sliding-window counter (SlidingWindowCounterRateLimiter): O(1) per hit, for hot paths
  such as the click-out.

Usage: ``limit_hit(scope="otp-send", key=user_id, rate="3/10minutes")`` counts one hit and raises
``RateLimited`` past the rate; a view answers that with ``too_many_requests(request, exc)`` (429 with
Retry-After, JSON under /api/).

Limits fail open: with Redis unreachable a hit is let through and a warning logged (throttled, on the
couponali.redis logger), so that an outage of the limit store never stops click-outs, sign-ins or postbacks.
The exception is a limit with ``fail_closed=True`` (gift-card code attempts): there an unguarded minute would let
a script try codes, which are money to whoever finds one, so the attempt is refused until the store is back.
"""

from __future__ import annotations

import functools
import ipaddress
import itertools
import logging
import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter
from redis.exceptions import RedisError

from .api_error_format import error_json

log = logging.getLogger("couponali.redis")


class RateLimited(Exception):
    # Read by the API's exception handler (couponali.api_errors): 429, this code, a Retry-After header.
    http_status = 429
    error_code = "rate_limited"

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


FAIL_CLOSED_RETRY_AFTER = 60  # seconds a fail-closed limit asks the client to wait while the store is away


def limit_hit(
    *, scope: str, key: str | int, rate: str, strategy: str = "moving", cost: int = 1, fail_closed: bool = False
) -> None:
    """Count one hit of ``key`` in ``scope``; raise RateLimited (with Retry-After seconds) past ``rate``.
    ``fail_closed``: with the limit store unreachable, refuse (RateLimited) instead of letting the hit through,
    for limits that stand between a guesser and money (gift-card codes)."""
    item = _parse(rate)
    try:
        limiter = getattr(_limiters(), strategy)  # inside: building a thread's limiters connects to the store
        if limiter.hit(item, scope, str(key), cost=cost):
            return
        stats = limiter.get_window_stats(item, scope, str(key))
    except (StorageError, RedisError) as exc:
        if fail_closed:
            log.error("refused %s: the limit store is unreachable (%s)", scope, _reason(exc))
            raise RateLimited(FAIL_CLOSED_RETRY_AFTER, scope) from exc
        log.warning("rate limits are not enforced: the limit store is unreachable (%s)", _reason(exc))
        return
    raise RateLimited(max(1, math.ceil(stats.reset_time - time.time())), scope)


def limit_clear(*, scope: str, key: str | int, rate: str) -> None:
    """Forget the hits of ``key`` (e.g. after a successful sign-in)."""
    try:
        _limiters().moving.clear(_parse(rate), scope, str(key))
    except (StorageError, RedisError) as exc:
        log.warning("rate limits are not enforced: the limit store is unreachable (%s)", _reason(exc))


def _reason(exc: Exception) -> Exception:
    return exc.storage_error if isinstance(exc, StorageError) else exc


def client_ip(request: HttpRequest) -> str:
    """The client's address: the one rule of the site (rate-limit keys, and through :func:`client_ip_address`
    the addresses stored with clicks, impressions and sessions). Behind a proxy, set RATELIMIT_TRUSTED_PROXIES
    to the number of proxies that append to X-Forwarded-For; the address is then taken that many hops from
    the right."""
    hops = settings.RATELIMIT_TRUSTED_PROXIES
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def valid_ip(value: str | None) -> str | None:
    """``value`` as a normalised IP address for an inet column, or None when it is not one."""
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def client_ip_address(request: HttpRequest) -> str | None:
    """The client's address to store (an inet column), or None when the request carries no valid one."""
    return valid_ip(client_ip(request))


def too_many_requests(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = error_json(status=429, code=exc.error_code, message=str(exc))
    else:
        html = render_to_string("429.html", {"retry_after": exc.retry_after}, request=request)
        response = HttpResponse(html, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response

"""The API's throttle: per API key, per signed-in user, else per client address, on the site's Redis limits.

DRF's own throttles keep their history in the cache as a Python list (read, modified, written back: racy across
processes). This one counts in couponali.ratelimit - the ``limits`` sliding windows in Redis that the sign-in,
the click-out and every other limit of the site use - so a limit holds across web nodes, and a client over it is
refused with RateLimited, which couponali.api_errors answers with 429, the one error body and Retry-After.

The key: the API key when the request was authenticated with one (an authentication class that sets
``request.auth`` to an object with ``key_id`` or a model instance with ``pk``), else the user, else the client's
address. The rates are API_RATE_LIMITS (settings): one per kind of caller.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from .ratelimit import client_ip, limit_hit


def throttle_identity(request) -> tuple[str, str]:
    """(kind, key) that a request is counted under: ("key", id), ("user", id) or ("anon", address)."""
    auth = request.auth
    if auth is not None and not isinstance(auth, dict):  # a JWT's claims are a dict; an API key is an object
        key_id = getattr(auth, "key_id", None) or getattr(auth, "pk", None)
        if key_id is not None:
            return "key", str(key_id)
    user = request.user
    if user is not None and user.is_authenticated:
        return "user", str(user.pk)
    return "anon", client_ip(request)


class RedisRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        kind, key = throttle_identity(request)
        limit_hit(scope=f"api-{kind}", key=key, rate=settings.API_RATE_LIMITS[kind], strategy="sliding")
        return True

"""The view a request's path routes to, for the middleware that must know it before Django resolves the path
itself: the page cache (may a stored copy answer?) and the RLS middleware (does the view read a protected
table?). Resolved once per request and shared, instead of once in each of them."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import Resolver404, ResolverMatch, resolve

_MEMO = "_couponali_route"


def request_match(request: HttpRequest) -> ResolverMatch | None:
    """``resolve()`` of the request's path with its URLconf, or None when no route matches. Remembered on the
    request together with the path and URLconf it was resolved for, so a middleware that changed either
    (none does today) gets a fresh answer rather than a stale one."""
    urlconf = getattr(request, "urlconf", None)
    memo = request.__dict__.get(_MEMO)
    if memo is not None and memo[0] == request.path_info and memo[1] == urlconf:
        return memo[2]
    try:
        match: ResolverMatch | None = resolve(request.path_info, urlconf)
    except Resolver404:
        match = None
    request.__dict__[_MEMO] = (request.path_info, urlconf, match)
    return match

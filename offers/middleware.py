"""The click-out's lean path.

The click-out is the site's hottest request and, for a shopper who is not signed in, needs nothing of the
middleware below this one: no session, no user, no messages, no CSRF, no RLS scope (offer_clicks has no
row-level security). So, like WhiteNoise for static files, this middleware answers it itself, right after
SecurityMiddleware (whose headers still apply) and WhiteNoise: GET /go/<offer uuid>/ without a session cookie,
on an allowed host, goes to offers.views.click_out_lean, which answers the click on a live offer with a usable
link (the 302, or the 429 past the rate limit). Everything else (signed-in shoppers, whose clicks carry their user
id; expired, removed or unknown offers; store-level click-outs) continues down the full stack to
offers.views.go_offer / go_store, untouched: the lean path hands a request over before it counts it, so each
click-out meets the rate limit once, in offers.views._click_out, whichever path answers it.
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.exceptions import DisallowedHost

from couponali import routing

from . import pagecache, views

# The same shape as the URL pattern's uuid converter (django.urls.converters.UUIDConverter).
_OFFER_PATH = re.compile(r"/go/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/")


class ClickoutLeanPathMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/go/") and request.method == "GET" and settings.SESSION_COOKIE_NAME not in request.COOKIES:
            match = _OFFER_PATH.fullmatch(path)
            if match:
                response = self._lean(request, match.group(1))
                if response is not None:
                    return response
        return self.get_response(request)

    @staticmethod
    def _lean(request, raw_uuid: str):
        try:
            request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware would check it
            offer_uuid = uuid.UUID(raw_uuid)
        except (DisallowedHost, ValueError):
            return None  # the full path answers (400 / 404)
        return views.click_out_lean(request, offer_uuid)


class PublicPageCacheMiddleware:
    """Answer anonymous GETs of the public catalogue pages from the page cache (offers.pagecache), before
    sessions, authentication, CSRF, the RLS scope and the view; store the responses that may be shared."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not pagecache.request_may_use_copy(request):
            return self.get_response(request)
        match = routing.request_match(request)
        if match is None or not getattr(match.func, pagecache.PAGE_CACHE, False):
            return self.get_response(request)
        try:
            key = pagecache.page_key(request)
        except DisallowedHost:
            return self.get_response(request)
        if not pagecache.request_may_use_cache(request):
            # Somebody's request (a session or messages cookie): PersonalisedPageMiddleware, below sessions and
            # authentication, answers it from the copy with the visitor's fragments filled in.
            entry = pagecache.lookup(key) or pagecache.fill(key, request, self.get_response)
            if entry is not None:
                request.page_cache_entry = entry
                request.page_cache_refresh = lambda: pagecache.refresh_if_stale(entry, key, request, self.get_response)
            return self.get_response(request)
        # A fill from the Celery worker (pagecache.render_copy) renders the next copy of a page: never answered
        # from the old one.
        entry = None if pagecache.is_fill(request) else pagecache.lookup(key)
        if entry is not None:
            return pagecache.response_for(
                entry,
                then=[
                    pagecache.impressions_after(entry, request),
                    pagecache.refresh_if_stale(entry, key, request, self.get_response),
                ],
            )
        response = self.get_response(request)
        if request.method == "GET" and pagecache.storable(request, response):
            request.page_cache_stored = pagecache.store(key, request, response)
        return response


class PersonalisedPageMiddleware:
    """Answer a signed-in shopper's GET of a public catalogue page from the copy PublicPageCacheMiddleware found
    for it (offers.pagecache.personalised_response): last in the stack, so that the session, the user, the
    messages and the CSRF token are known, and instead of the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        entry = getattr(request, "page_cache_entry", None)
        if entry is None or not getattr(view_func, pagecache.PAGE_CACHE, False):
            return None
        return pagecache.personalised_response(
            entry, request, then=[pagecache.impressions_after(entry, request), request.page_cache_refresh()]
        )

"""``Cache-Control: no-store`` on every response that carries money or personal data.

One place, by URL prefix, so that a new wallet page or API endpoint is covered without remembering a decorator:
no browser back-button cache, shared proxy or CDN may keep a balance, a statement (HTML or CSV), KYC details or
an API answer.
"""

from __future__ import annotations

from django.utils.cache import patch_cache_control

# /wallet/ includes the statement and its CSV; /accounts/ the KYC, profile and sessions pages; /referrals/
# shows earnings; /support/ the tickets and claims; /api/ every API answer (the postbacks and docs included);
# /partners/ shows a new API key once.
NO_STORE_PREFIXES = ("/wallet/", "/accounts/", "/referrals/", "/support/", "/api/", "/partners/")


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(NO_STORE_PREFIXES):
            patch_cache_control(response, no_store=True, private=True)
        return response

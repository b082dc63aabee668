"""SEO redirects, answered before routing (and before sessions, authentication and the RLS transaction)."""

from __future__ import annotations

from django.http import HttpResponseRedirect

from .redirect_table import redirect_for


class SeoRedirectMiddleware:
    """An exact match of the request path against the active seo_redirects rows (a per-process dict, see
    cms.redirect_table) answers with the stored status; anything else goes on untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        hit = redirect_for(request.path_info)
        if hit is None:
            return self.get_response(request)
        target = hit.target
        query = request.META.get("QUERY_STRING")
        if hit.keep_query and query:
            target = f"{target}{'&' if '?' in target else '?'}{query}"
        response = HttpResponseRedirect(target)  # refuses schemes other than http(s)/ftp and relative paths
        response.status_code = hit.status
        return response

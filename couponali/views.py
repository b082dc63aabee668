"""Platform views: health check and error pages."""

from __future__ import annotations

from django.contrib.sitemaps import views as sitemap_views
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from couponali import health
from couponali.api_error_format import error_json, is_api_request
from couponali.links import absolute_url


@never_cache
@require_GET
def healthz(request):
    ok, checks = health.status()
    return JsonResponse({"status": "ok" if ok else "degraded", "checks": checks}, status=200 if ok else 503)


def error_404(request, exception=None):
    if is_api_request(request):
        return error_json(status=404, message="No such resource.")
    return render(request, "404.html", status=404)


def error_500(request):
    if is_api_request(request):
        return error_json(status=500, message="Something went wrong on our side; it has been logged.")
    return render(request, "500.html", status=500)


def sitemap_index(request, **kwargs):
    """Django's sitemap index, with the section URLs on SITE_URL: Django builds them on the host the index was
    fetched from (the sections themselves use SITE_URL through offers.sitemaps)."""
    response = sitemap_views.index(request, **kwargs)
    here = f"{request.scheme}://{request.get_host()}"
    for item in response.context_data["sitemaps"]:
        item.location = absolute_url(item.location.removeprefix(here))
    return response

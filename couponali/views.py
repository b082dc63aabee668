"""Platform views: health check, error pages and the web app manifest."""

from __future__ import annotations

from django.contrib.sitemaps import views as sitemap_views
from django.http import JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control, never_cache
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


THEME_COLOR = "#0b6e4f"  # also the theme-color meta of templates/base.html


@require_GET
@cache_control(public=True, max_age=86400)
def web_manifest(request):
    """The web app manifest, so that a phone can add CouponAli to its home screen (icons: devtools/app_icons.py)."""
    icons = [
        {"src": static(f"img/icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
        for size in (192, 512)
    ] + [
        {
            "src": static(f"img/icons/maskable-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "maskable",
        }
        for size in (192, 512)
    ]
    manifest = {
        "id": "/",
        "name": "CouponAli: coupons, cashback and gift cards",
        "short_name": "CouponAli",
        "description": "Verified coupon codes, deals and extra cashback at India's favourite stores.",
        "lang": "en-IN",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": icons,
        "shortcuts": [
            {"name": "Stores", "url": reverse("stores")},
            {"name": "Gift cards", "url": reverse("gift-cards")},
            {"name": "Wallet", "url": reverse("wallet:home")},
        ],
    }
    return JsonResponse(manifest, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})

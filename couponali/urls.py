from csp.constants import SELF
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.views.decorators.cache import cache_page
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from catalog.logo_views import store_logo
from cms.sitemaps import SITEMAPS as CMS_SITEMAPS
from couponali import views
from offers.sitemaps import SITEMAPS

# sitemap.xml is an index of sections (/sitemap-<section>.xml); other apps add their sections to this dict.
sitemaps = {**SITEMAPS, **CMS_SITEMAPS}

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("manifest.webmanifest", views.web_manifest, name="web-manifest"),
    # The analytics dashboard and its CSV export, in the admin (before the admin's own catch-all).
    path("admin/analytics/", include("analytics.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/social/", include("accounts.social_urls")),
    # A partner organisation's admin users: their API keys and webhooks.
    path("partners/", include("partners.urls")),
    # Partner and app API. Each app adds its routes to couponali/api_urls.py.
    path("api/v1/", include("couponali.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's set-up script as a file (?script): no inline script for the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Our ReDoc page: drf-spectacular's without its web-font links (no CDN, and the CSP allows none). ReDoc
    # runs its search index in a worker built from a blob: URL, which only this page's policy allows.
    path(
        "api/redoc/",
        csp_update({"worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html")
        ),
        name="api-redoc",
    ),
    path("wallet/", include("wallet.urls")),
    # CouponAli gift cards into the wallet (/wallet/gift-card/) and the owner's voucher reveal (/vouchers/...).
    path("", include("orders.giftcard_urls")),
    path("referrals/", include("referrals.urls")),
    path("support/", include("cms.urls")),
    # The gift-card store: /gift-cards/, /cart/, /checkout/, /orders/ (orders/urls.py).
    path("", include("orders.urls")),
    path(
        "sitemap.xml",
        cache_page(900)(views.sitemap_index),
        {"sitemaps": sitemaps, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cache_page(900)(sitemap_views.sitemap),
        {"sitemaps": sitemaps},
        name="sitemap-section",
    ),
    path("", include("cms.page_urls")),
    path("media/stores/<str:name>", store_logo, name="store-logo"),
    path("", include("offers.urls")),
]

handler404 = "couponali.views.error_404"
handler500 = "couponali.views.error_500"

if settings.DEBUG:  # pragma: no cover - development only
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

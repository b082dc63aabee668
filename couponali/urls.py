from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.views.decorators.cache import cache_page
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from couponali import views
from offers.sitemaps import SITEMAPS

# sitemap.xml is an index of sections (/sitemap-<section>.xml); other apps add their sections to this dict.
sitemaps = {**SITEMAPS}

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/social/", include("accounts.social_urls")),
    # Partner and app API. Each app adds its routes to couponali/api_urls.py.
    path("api/v1/", include("couponali.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("wallet/", include("wallet.urls")),
    path("referrals/", include("referrals.urls")),
    path("support/", include("cms.urls")),
    # The gift-card store: /gift-cards/, /cart/, /checkout/, /orders/ (orders/urls.py).
    path("", include("orders.urls")),
    path(
        "sitemap.xml",
        cache_page(900)(sitemap_views.index),
        {"sitemaps": sitemaps, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cache_page(900)(sitemap_views.sitemap),
        {"sitemaps": sitemaps},
        name="sitemap-section",
    ),
    path("", include("offers.urls")),
]

handler404 = "couponali.views.error_404"
handler500 = "couponali.views.error_500"

admin.site.site_header = "CouponAli back office"
admin.site.site_title = "CouponAli admin"
admin.site.index_title = "Run the business"

if settings.DEBUG:  # pragma: no cover - development only
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

"""Routes of the REST API under /api/v1/. Each app contributes one include line here."""

from django.urls import include, path

from couponali import api_views

urlpatterns = [
    path("health/", api_views.HealthView.as_view(), name="api-health"),
    path("", include("accounts.api_urls")),
    path("", include("catalog.api_urls")),
    path("", include("offers.api_urls")),
    path("", include("wallet.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("referrals.api_urls")),
    path("", include("cms.api_urls")),
    path("partner/", include("partners.api_urls")),
]

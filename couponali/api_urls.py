"""Routes of the REST API under /api/v1/. Each app contributes one include line here."""

from django.urls import include, path

from couponali import api_views

urlpatterns = [
    path("health/", api_views.HealthView.as_view(), name="api-health"),
    path("auth/", include("accounts.api_urls")),
    path("", include("wallet.api_urls")),
    path("partner/", include("partners.api_urls")),
]

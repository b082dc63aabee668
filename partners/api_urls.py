from django.urls import path

from . import api

urlpatterns = [
    path("offers/", api.OfferListView.as_view(), name="api-partner-offers"),
    path("offers/<uuid:offer_id>/", api.OfferDetailView.as_view(), name="api-partner-offer"),
    path("offers/<uuid:offer_id>/expire/", api.OfferExpireView.as_view(), name="api-partner-offer-expire"),
    path("reports/daily/", api.DailyReportView.as_view(), name="api-partner-report-daily"),
    path("webhooks/", api.WebhookListView.as_view(), name="api-partner-webhooks"),
    path("webhooks/<uuid:endpoint_id>/", api.WebhookDetailView.as_view(), name="api-partner-webhook"),
]

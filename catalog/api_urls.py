from django.urls import path

from . import api

urlpatterns = [
    path("gift-cards/", api.GiftCardListView.as_view(), name="api-gift-cards"),
    path("gift-cards/<slug:slug>/", api.GiftCardDetailView.as_view(), name="api-gift-card"),
]

from django.urls import path

from . import api

urlpatterns = [
    path("categories/", api.CategoryTreeView.as_view(), name="api-categories"),
    path("stores/", api.StoreListView.as_view(), name="api-stores"),
    path("stores/<slug:slug>/", api.StoreDetailView.as_view(), name="api-store"),
    path("offers/", api.OfferListView.as_view(), name="api-offers"),
    path("offers/<uuid:offer_uuid>/", api.OfferDetailView.as_view(), name="api-offer"),
    path("offers/<uuid:offer_uuid>/click/", api.OfferClickView.as_view(), name="api-offer-click"),
    path("search/", api.SearchView.as_view(), name="api-search"),
]

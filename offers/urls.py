from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("stores/", views.stores, name="stores"),
    path("stores/<slug:slug>/", views.store, name="store"),
    path("categories/", views.categories, name="categories"),
    path("categories/<slug:slug>/", views.category, name="category"),
    path("offers/<uuid:offer_uuid>/", views.offer_detail, name="offer"),
    path("search/", views.search, name="search"),
    path("search/suggest/", views.search_suggest, name="search-suggest"),
    path("go/store/<slug:slug>/", views.go_store, name="go-store"),
    path("go/<uuid:offer_uuid>/", views.go_offer, name="go-offer"),
    path("go/store/<slug:slug>/activated/", views.store_activated, name="store-activated"),
    path("go/<uuid:offer_uuid>/activated/", views.activated, name="activated"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
]

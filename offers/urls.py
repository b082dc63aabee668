from django.conf import settings
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
    path("go/store/<slug:slug>/", views.go_store, name="go-store"),
    path("go/<uuid:offer_uuid>/", views.go_offer, name="go-offer"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
]

if settings.BENCH_BASELINE_VIEW:  # benchmark runs only (bench/clickout.py); never set in production
    urlpatterns += [
        path("go/bench-302/", views.bench_redirect, name="bench-302"),
        path("bench-302/", views.bench_redirect, name="bench-302-rls"),
        path("go/bench-orm/<uuid:offer_uuid>/", views.bench_orm_click, name="bench-orm"),
    ]

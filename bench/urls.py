"""The site's URLs plus the click-out benchmark's baselines (bench/views.py), routed only by bench/settings.py."""

from django.urls import include, path

from couponali.urls import handler404, handler500  # noqa: F401 - the site's error pages, as the URLconf's own

from . import views

urlpatterns = [
    # Under the click-out's /go/ prefix: outside the request transaction, like the click-out.
    path("go/bench-302/", views.bare_redirect, name="bench-302"),
    # At an ordinary path: inside the request transaction, like every page.
    path("bench-302/", views.bare_redirect, name="bench-302-rls"),
    path("go/bench-orm/<uuid:offer_uuid>/", views.orm_click, name="bench-orm"),
    path("", include("couponali.urls")),
]

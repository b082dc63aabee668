from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    path("", views.home, name="home"),
    path("keys/<uuid:key_id>/revoke/", views.key_revoke, name="key_revoke"),
]

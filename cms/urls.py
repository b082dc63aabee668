from django.urls import path

from . import views

app_name = "cms"

urlpatterns = [
    path("tickets/", views.tickets, name="tickets"),
    path("missing-cashback/<uuid:click_id>/", views.claim, name="claim"),
]

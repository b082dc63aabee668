from django.urls import path

from . import views

app_name = "cms"

urlpatterns = [
    path("tickets/", views.tickets, name="tickets"),
    path("tickets/new/", views.ticket_new, name="ticket-new"),
    path("tickets/<int:ticket_id>/", views.ticket, name="ticket"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("missing-cashback/<uuid:click_id>/", views.claim, name="claim"),
]

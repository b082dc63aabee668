from django.urls import path

from . import api

urlpatterns = [
    path("support/tickets/", api.TicketListView.as_view(), name="api-tickets"),
    path("support/tickets/<int:ticket_id>/", api.TicketDetailView.as_view(), name="api-ticket"),
    path("support/tickets/<int:ticket_id>/replies/", api.TicketReplyView.as_view(), name="api-ticket-reply"),
]

"""Support tickets in the API (/api/v1/support/tickets/): the shopper's list, a new ticket, the thread and a
reply, through the support desk's services (cms.services) like /support/tickets/. Attachments and missing-cashback
claims stay on the website."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .models import SupportTicket

TAG = "support"
# What a shopper may open here (a missing-cashback claim starts from a click on the website).
OPENABLE = [(v, label) for v, label in SupportTicket.Category.choices if v != SupportTicket.Category.MISSING_CASHBACK]


class TicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupportTicket
        fields = ["id", "subject", "category", "status", "priority", "created_at", "updated_at"]


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    from_staff = serializers.BooleanField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class TicketDetailSerializer(TicketSerializer):
    messages = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "messages"]

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, ticket) -> list[dict]:
        return list(MessageSerializer(selectors.thread_for_customer(ticket=ticket), many=True).data)


class TicketOpenSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=255)
    category = serializers.ChoiceField(choices=OPENABLE)
    body = serializers.CharField(max_length=10000)


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000)


class TicketListView(generics.ListAPIView):
    """The shopper's tickets, most recently updated first; POST opens one."""

    permission_classes = [IsAuthenticated]
    serializer_class = TicketSerializer
    filterset_fields = {"status": ["exact"]}
    ordering = ("-updated_at", "-id")

    def get_queryset(self):
        return selectors.tickets_of_user(user_id=self.request.user.pk)

    @extend_schema(tags=[TAG])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=[TAG], request=TicketOpenSerializer, responses={201: TicketDetailSerializer})
    def post(self, request):
        data = TicketOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.ticket_open(user_id=request.user.pk, **data.validated_data)
        return Response(TicketDetailSerializer(ticket).data, status=status.HTTP_201_CREATED)


def _own_ticket(request, ticket_id: int) -> SupportTicket:
    ticket = selectors.ticket_of_user(user_id=request.user.pk, ticket_id=ticket_id)
    if ticket is None:  # someone else's answers like one that does not exist
        raise NotFound("No such ticket.")
    return ticket


class TicketDetailView(APIView):
    """One of the shopper's tickets with its thread (never the staff's internal notes)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=[TAG], responses=TicketDetailSerializer)
    def get(self, request, ticket_id: int):
        return Response(TicketDetailSerializer(_own_ticket(request, ticket_id)).data)


class TicketReplyView(APIView):
    """The shopper answers on one of their tickets (it opens again)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=[TAG], request=ReplySerializer, responses={201: MessageSerializer})
    def post(self, request, ticket_id: int):
        _own_ticket(request, ticket_id)
        data = ReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.ticket_reply_by_customer(
            user_id=request.user.pk, ticket_id=ticket_id, body=data.validated_data["body"]
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

"""REST API of the wallet: affiliate postbacks, the shopper's wallet, withdrawals (Idempotency-Key)."""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal

from django.conf import settings
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authz import SYSTEM
from couponali import rls
from couponali.idempotency import idempotent_api

from . import selectors, services
from .models import WalletTransaction, Withdrawal
from .networks import NETWORKS, POSTBACK_EXAMPLES, ConversionError, conversion_parse, postback_docs, postback_parameters

SIGNATURE_FIELDS = {"secret", "signature"}


def postback_signature(secret: str, params: dict) -> str:
    """HMAC-SHA256 (hex) of the parameters sorted by name, as ``name=value`` joined by ``&``, without
    ``secret`` and ``signature``: what a signing network sends as ``signature`` or X-Postback-Signature."""
    message = "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in SIGNATURE_FIELDS)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _authenticated(request, network: str, params: dict) -> bool:
    secret = settings.POSTBACK_SECRETS.get(network)
    if not secret:
        return False
    given = request.headers.get("X-Postback-Secret") or params.get("secret") or ""
    if given and hmac.compare_digest(given.encode(), secret.encode()):
        return True
    signature = request.headers.get("X-Postback-Signature") or params.get("signature") or ""
    signature = signature.removeprefix("sha256=")
    return bool(signature) and hmac.compare_digest(signature.encode(), postback_signature(secret, params).encode())


@method_decorator(csrf_exempt, name="dispatch")
class PostbackView(APIView):
    """A network tells us about a conversion. GET (query string) or POST (form or JSON body), authenticated
    by the network's shared secret (`secret` parameter or X-Postback-Secret header) or an HMAC signature
    (`signature` parameter or X-Postback-Signature header, see postback_signature). Repeats and out-of-order
    statuses are harmless. Unknown click ids answer 200 (kept for review) so that the network stops retrying."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    # Networks send bursts from a few addresses and authenticate with their secret: not throttled per address.
    throttle_classes: list = []

    def _handle(self, request, network: str, params: dict):
        spec = NETWORKS.get(network)
        # Refusals in the API's one error format (couponali.api_errors).
        if spec is None or network == "manual":
            raise NotFound("Unknown network.")
        if not _authenticated(request, network, params):
            raise PermissionDenied("Bad or missing secret.")
        try:
            conversion = conversion_parse(spec, params)
        except ConversionError as exc:
            raise ValidationError(str(exc)) from None
        with rls.bypass(reason=f"postback from {network}"):
            # SYSTEM: the network, authenticated by its secret above, reports; no person acts.
            result = services.cashback_record(conversion=conversion, source="postback", actor=SYSTEM)
        return Response({"status": "ok", "outcome": result.outcome, "event": result.event_id, "detail": result.message})

    @extend_schema(
        summary="Affiliate postback (GET)",
        description=postback_docs()
        + "\n\nExamples: "
        + "; ".join(f"`/api/v1/postbacks/{n}/?{q}&secret=…`" for n, q in POSTBACK_EXAMPLES.items()),
        parameters=[
            OpenApiParameter(
                "network", OpenApiTypes.STR, OpenApiParameter.PATH, enum=[n for n in NETWORKS if n != "manual"]
            ),
            OpenApiParameter("secret", OpenApiTypes.STR, description="The network's shared secret (or sign)."),
            OpenApiParameter("signature", OpenApiTypes.STR, description="HMAC-SHA256 of the sorted parameters."),
            *[
                OpenApiParameter(param, OpenApiTypes.STR, description=f"{', '.join(names)}: see the table above.")
                for param, names in postback_parameters().items()
            ],
        ],
        responses={code: OpenApiTypes.OBJECT for code in (200, 400, 403, 404)},
    )
    def get(self, request, network: str):
        return self._handle(request, network, {k: v for k, v in request.query_params.items()})

    @extend_schema(
        summary="Affiliate postback (POST, form or JSON)",
        description="The same parameters as the GET postback, in a form or JSON body.\n\n" + postback_docs(),
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
    )
    def post(self, request, network: str):
        params = {k: v for k, v in request.query_params.items()}
        data = request.data
        if hasattr(data, "dict"):
            data = data.dict()
        if not isinstance(data, dict):
            raise ValidationError("The body must be form fields or a JSON object.")
        params.update({k: "" if v is None else str(v) for k, v in (data or {}).items()})
        return self._handle(request, network, params)


class TransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = WalletTransaction
        fields = [
            "uuid",
            "created_at",
            "type",
            "amount",
            "balance_after",
            "description",
            "reference_type",
            "reference_id",
        ]


class WithdrawalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Withdrawal
        fields = ["uuid", "created_at", "amount", "method", "status", "transaction_reference", "rejection_reason"]


class WithdrawalRequestSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    method = serializers.ChoiceField(choices=Withdrawal.Method.choices)
    details = serializers.DictField(child=serializers.CharField(), required=False, default=dict)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = selectors.payout_method_choices()  # what the payout gateway can pay


class WalletView(APIView):
    @extend_schema(
        summary="The signed-in shopper's wallet",
        responses=inline_serializer(
            "WalletSummary",
            {
                "available": serializers.DecimalField(max_digits=12, decimal_places=2),
                "pending": serializers.DecimalField(max_digits=12, decimal_places=2),
                "lifetime": serializers.DecimalField(max_digits=12, decimal_places=2),
                "debt": serializers.DecimalField(max_digits=12, decimal_places=2),
            },
        ),
    )
    def get(self, request):
        s = selectors.wallet_summary(user=request.user)
        # Money as strings (like the serializers' DecimalFields), never floats.
        return Response(
            {"available": str(s.available), "pending": str(s.pending), "lifetime": str(s.lifetime), "debt": str(s.debt)}
        )


class TransactionListView(generics.ListAPIView):
    serializer_class = TransactionSerializer
    ordering = ("-id",)
    filter_backends: list = []

    def get_queryset(self):
        return selectors.statement(user_id=self.request.user.pk, kind=self.request.query_params.get("type") or None)

    @extend_schema(
        summary="The shopper's statement, newest first",
        parameters=[OpenApiParameter("type", OpenApiTypes.STR, description="credit, debit or a type")],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class WithdrawalListView(generics.ListAPIView):
    serializer_class = WithdrawalSerializer
    ordering = ("-created_at", "-id")
    filter_backends: list = []

    def get_queryset(self):
        return selectors.withdrawals_all_of(user_id=self.request.user.pk)

    @extend_schema(summary="The shopper's withdrawals, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Request a withdrawal (debited at once). Send an Idempotency-Key header to retry safely.",
        request=WithdrawalRequestSerializer,
        responses={201: WithdrawalSerializer, 409: OpenApiTypes.OBJECT, 422: OpenApiTypes.OBJECT},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
    )
    @idempotent_api
    def post(self, request):
        serializer = WithdrawalRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # A refusal (services.WalletError) is answered by the API's exception handler (couponali.api_errors).
        withdrawal = services.withdrawal_request(
            user_id=request.user.pk, amount=data["amount"], method=data["method"], details=data["details"]
        )
        return Response(WithdrawalSerializer(withdrawal).data, status=status.HTTP_201_CREATED)


class TimelineStepSerializer(serializers.Serializer):
    # A field named like Field.label: DRF's metaclass moves it out of the class attributes, the stubs cannot tell.
    label = serializers.CharField()  # type: ignore[assignment]
    at = serializers.DateTimeField(allow_null=True)
    reached = serializers.BooleanField()


class CashbackSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="event.pk")
    store = serializers.CharField()
    status = serializers.CharField(source="event.status")
    order_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, source="event.transaction_amount", allow_null=True
    )
    cashback_amount = serializers.DecimalField(max_digits=10, decimal_places=2, source="event.cashback_amount")
    tracked_at = serializers.DateTimeField(source="event.created_at")
    clicked_at = serializers.DateTimeField(allow_null=True)
    expected_on = serializers.DateField(allow_null=True, help_text="Expected confirmation date of a pending one.")
    rejected_reason = serializers.CharField(source="event.rejected_reason", allow_null=True)
    timeline = serializers.SerializerMethodField()

    @extend_schema_field(TimelineStepSerializer(many=True))
    def get_timeline(self, row) -> list[dict]:
        return [{"label": label, "at": at, "reached": reached} for label, at, reached in row.timeline]


class CashbackListView(generics.ListAPIView):
    """The shopper's cashback, newest first, each with its status timeline (the same rows as /wallet/)."""

    serializer_class = CashbackSerializer
    ordering = ("-created_at", "-id")
    filter_backends: list = []

    def get_queryset(self):
        return selectors.cashback_events_of(user_id=self.request.user.pk)

    @extend_schema(summary="The shopper's cashback events with their timeline")
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = selectors.cashback_rows_for(events=list(page or []))
        return self.get_paginated_response(CashbackSerializer(rows, many=True).data)

"""Gift-card orders in the API (/api/v1/orders/): place (Idempotency-Key), start the payment, list, one order with
its vouchers (masked) and the reveal of one voucher, through the store's services like /checkout/ and /orders/."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from couponali.idempotency import idempotent_api

from . import gateway as gw
from . import selectors
from .models import Order, OrderItem
from .services import checkout, fulfilment, payments
from .vouchers import voucher_rows

TAG = "orders"


class OrderItemSerializer(serializers.ModelSerializer):
    variant_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = OrderItem
        fields = ["id", "variant_id", "product_name", "denomination", "quantity", "unit_price", "total_price"]


class VoucherSerializer(serializers.Serializer):
    item_id = serializers.IntegerField()
    index = serializers.IntegerField()
    product_name = serializers.CharField()
    denomination = serializers.DecimalField(max_digits=10, decimal_places=2)
    masked = serializers.CharField(help_text="The code masked; reveal it with POST .../vouchers/<item>/<index>/reveal/")
    has_pin = serializers.BooleanField()
    expiry = serializers.DateField(allow_null=True)
    status = serializers.CharField()


class OrderSerializer(serializers.ModelSerializer):
    items = OrderItemSerializer(many=True)

    class Meta:
        model = Order
        fields = [
            "order_number",
            "status",
            "payment_status",
            "subtotal",
            "discount_amount",
            "tax_amount",
            "wallet_used",
            "total_amount",
            "created_at",
            "items",
        ]


class OrderDetailSerializer(OrderSerializer):
    vouchers = serializers.SerializerMethodField()

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "vouchers"]

    @extend_schema_field(VoucherSerializer(many=True))
    def get_vouchers(self, order) -> list[dict]:
        return list(VoucherSerializer(voucher_rows(order), many=True).data)


class LineSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=20)


class PlaceSerializer(serializers.Serializer):
    lines = serializers.ListField(child=LineSerializer(), allow_empty=False, max_length=20)
    email = serializers.CharField(required=False, allow_blank=True, default="", max_length=254)
    mobile = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    use_wallet = serializers.BooleanField(required=False, default=False)
    wallet_amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True, default=None, min_value=Decimal("0")
    )
    gift_card_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)


class PlacedSerializer(serializers.Serializer):
    order = OrderSerializer()
    amount_due = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="0: paid in full already.")


class PaymentSerializer(serializers.Serializer):
    gateway = serializers.CharField()
    key_id = serializers.CharField(allow_blank=True, help_text="For the gateway's checkout SDK.")
    gateway_order_id = serializers.CharField()
    amount_paise = serializers.IntegerField()
    fake = serializers.BooleanField(help_text="The offline test gateway (development only).")


class PlainVoucherSerializer(serializers.Serializer):
    code = serializers.CharField()
    pin = serializers.CharField(allow_null=True)
    expiry = serializers.DateField(allow_null=True)


def _own_order(request, order_number: str) -> Order:
    order = selectors.order_of(request.user.pk, order_number)
    if order is None:  # someone else's answers like one that does not exist
        raise NotFound("No such order.")
    return order


class OrderListView(generics.ListAPIView):
    """The shopper's orders, newest first; POST places one."""

    permission_classes = [IsAuthenticated]
    serializer_class = OrderSerializer
    filterset_fields = {"status": ["exact"]}
    ordering = ("-created_at", "-id")

    def get_queryset(self):
        return selectors.orders_of(self.request.user.pk)

    @extend_schema(tags=[TAG])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=[TAG],
        summary="Place an order (reserves stock; the wallet part is taken at once). Send an Idempotency-Key.",
        request=PlaceSerializer,
        responses={201: PlacedSerializer, 409: OpenApiTypes.OBJECT, 422: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
    )
    @idempotent_api
    def post(self, request):
        data = PlaceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        p = data.validated_data
        lines: dict[int, int] = {}
        for line in p["lines"]:
            lines[line["variant_id"]] = lines.get(line["variant_id"], 0) + line["quantity"]
        # Refusals (CheckoutError, SoldOut) are answered by couponali.api_errors from their classes.
        placed = checkout.order_place(
            user=request.user,
            lines=lines,
            email=p["email"],
            mobile=p["mobile"],
            use_wallet=p["use_wallet"],
            wallet_amount=p["wallet_amount"],
            gift_card_code=p["gift_card_code"],
        )
        order = selectors.order_of(request.user.pk, placed.order.order_number)
        body = {"order": OrderSerializer(order).data, "amount_due": placed.amount_due}
        return Response(PlacedSerializer(body).data, status=status.HTTP_201_CREATED)


class OrderDetailView(APIView):
    """One of the shopper's orders with its items and vouchers (masked)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=[TAG], responses=OrderDetailSerializer)
    def get(self, request, order_number: str):
        return Response(OrderDetailSerializer(_own_order(request, order_number)).data)


class OrderPayView(APIView):
    """Start (or resume) the online payment of a pending order: the gateway order for the app's checkout SDK.
    The payment is confirmed by the gateway's webhook, as on the website."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=[TAG], request=None, responses={200: PaymentSerializer, 503: OpenApiTypes.OBJECT})
    def post(self, request, order_number: str):
        order = _own_order(request, order_number)
        started = payments.payment_start(order_id=order.pk, user_id=request.user.pk)
        return Response(
            {
                "gateway": started.payment.gateway or "",
                "key_id": started.key_id or "",
                "gateway_order_id": started.payment.gateway_order_id,
                "amount_paise": gw.to_paise(started.payment.amount),
                "fake": started.fake,
            }
        )


class VoucherRevealView(APIView):
    """The plain code and PIN of one voucher of the shopper's order (each reveal is audited)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=[TAG], request=None, responses={200: PlainVoucherSerializer, 409: OpenApiTypes.OBJECT})
    def post(self, request, order_number: str, item_id: int, index: int):
        order = _own_order(request, order_number)
        if not order.items.filter(pk=item_id).exists():
            raise NotFound("No such voucher.")
        # fulfilment.voucher_reveal checks the buyer itself (PermissionDenied) and audits the reveal.
        voucher = fulfilment.voucher_reveal(order_item_id=item_id, index=index, user=request.user)
        return Response(
            PlainVoucherSerializer({"code": voucher.code, "pin": voucher.pin, "expiry": voucher.expiry}).data
        )

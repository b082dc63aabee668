"""The partner REST API under /api/v1/partner/: a brand's offers and reports, and webhook endpoints.

Every view authenticates with an API key (partners.authentication) and declares the scope it needs
(``required_scope``, checked by partners.permissions.HasScope): no key 401, a wrong/expired/revoked key 401, a
key without the scope 403. Only API keys are accepted here: a shopper's access token or session gets 401. A brand
sees only its own stores: another store's offer answers 404 (whether it exists is not revealed), creating an
offer for a store that is not its own answers 403. The writes go through offers.services (the rules of every
offer, wherever written) and partners.services.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from analytics.selectors import store_daily_figures
from catalog.models import CashbackType
from offers import services as offer_services
from offers.models import Offer

from . import selectors, services
from .authentication import ApiKeyAuthentication
from .models import Scope, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .permissions import HasScope

MAX_REPORT_DAYS = 92


class PartnerView(GenericAPIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasScope]
    required_scope: str = ""

    @property
    def organisation(self):
        return self.request.auth.organisation


# ---------------------------------------------------------------- offers


@extend_schema_serializer(component_name="PartnerOffer")  # the catalogue's public Offer is another shape
class OfferSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    store = serializers.SlugField(source="merchant.slug", read_only=True)
    is_live = serializers.SerializerMethodField()

    class Meta:
        model = Offer
        fields = [
            "id",
            "store",
            "title",
            "description",
            "offer_type",
            "coupon_code",
            "cashback_type",
            "cashback_value",
            "max_cashback",
            "affiliate_url",
            "terms_conditions",
            "starts_at",
            "expires_at",
            "is_live",
            "created_at",
            "updated_at",
        ]

    def get_is_live(self, offer: Offer) -> bool:
        return offer.is_live_at(timezone.now())


class OfferUpdateSerializer(serializers.Serializer):
    """The fields a brand may set; the rules (a code offer needs a code, a percentage is at most 100, the end
    after the start...) are the offers app's, answered as 400 with the fields named."""

    title = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    offer_type = serializers.ChoiceField(choices=Offer.Type.choices, required=False)
    coupon_code = serializers.CharField(max_length=100, required=False, allow_null=True, allow_blank=True)
    cashback_type = serializers.ChoiceField(choices=CashbackType.choices, required=False, allow_null=True)
    cashback_value = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    max_cashback = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    affiliate_url = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    terms_conditions = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    starts_at = serializers.DateTimeField(required=False, allow_null=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class OfferCreateSerializer(OfferUpdateSerializer):
    store = serializers.SlugField(help_text="The slug of one of your stores.")
    title = serializers.CharField(max_length=255)
    offer_type = serializers.ChoiceField(choices=Offer.Type.choices)


def _write(call, **kwargs) -> Offer:
    try:
        return call(**kwargs)
    except offer_services.OfferInvalid as exc:
        raise ValidationError(exc.fields) from exc


class OfferListView(PartnerView):
    required_scope = Scope.OFFERS_WRITE
    serializer_class = OfferSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema: no key, no rows
            return Offer.objects.none()
        offers = selectors.offers_of(self.organisation)
        store = self.request.query_params.get("store")
        return offers.filter(merchant__slug=store) if store else offers

    @extend_schema(
        summary="Your stores' offers and coupon codes (scope offers:write)",
        operation_id="partner_offers_list",
        responses=OfferSerializer(many=True),
        parameters=[OpenApiParameter("store", str, description="Only this store (its slug).")],
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(OfferSerializer(page, many=True).data)

    @extend_schema(
        summary="Create an offer or coupon code for one of your stores (scope offers:write)",
        request=OfferCreateSerializer,
        responses={201: OfferSerializer},
    )
    def post(self, request):
        serializer = OfferCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        merchant = selectors.stores_of(self.organisation).filter(slug=data.pop("store")).first()
        if merchant is None:
            raise PermissionDenied("This is not one of your stores.")
        offer = _write(offer_services.offer_create, actor=request.user, merchant=merchant, data=data)
        return Response(OfferSerializer(offer).data, status=status.HTTP_201_CREATED)


class OwnOfferView(PartnerView):
    required_scope = Scope.OFFERS_WRITE
    serializer_class = OfferSerializer

    def get_object(self):
        offer = selectors.offers_of(self.organisation).filter(uuid=self.kwargs["offer_id"]).first()
        if offer is None:
            raise Http404("No offer of your stores has this id.")
        return offer


class OfferDetailView(OwnOfferView):
    @extend_schema(
        summary="One offer of your stores (scope offers:write); another store's offer is 404",
        operation_id="partner_offers_retrieve",
    )
    def get(self, request, offer_id):
        return Response(OfferSerializer(self.get_object()).data)

    @extend_schema(
        summary="Change an offer of your stores (scope offers:write)",
        request=OfferUpdateSerializer,
        responses={200: OfferSerializer},
    )
    def patch(self, request, offer_id):
        offer = self.get_object()
        serializer = OfferUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = _write(
            offer_services.offer_update, actor=request.user, offer_id=offer.pk, data=dict(serializer.validated_data)
        )
        return Response(OfferSerializer(offer).data)


class OfferExpireView(OwnOfferView):
    @extend_schema(summary="End an offer of your stores now (scope offers:write)", request=None)
    def post(self, request, offer_id):
        offer = self.get_object()
        offer = offer_services.offer_expire(actor=request.user, offer_id=offer.pk)
        return Response(OfferSerializer(offer).data)


# ---------------------------------------------------------------- reports


class StoreDaySerializer(serializers.Serializer):
    store = serializers.SlugField()
    day = serializers.DateField()
    views = serializers.IntegerField()
    clicks = serializers.IntegerField()
    conversions = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    pending_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    rejected_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    reversed_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    commission_amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class ReportQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    store = serializers.SlugField(required=False)

    def validate(self, attrs):
        end = attrs.get("end") or timezone.localdate()
        start = attrs.get("start") or end - timedelta(days=29)
        if start > end:
            raise ValidationError({"start": ["start is after end."]})
        if (end - start).days >= MAX_REPORT_DAYS:
            raise ValidationError({"start": [f"Ask for at most {MAX_REPORT_DAYS} days at a time."]})
        return {**attrs, "start": start, "end": end}


class DailyReportView(PartnerView):
    queryset = Offer.objects.none()  # for the schema generator only: the report reads the analytics selectors
    required_scope = Scope.REPORTS_READ
    serializer_class = StoreDaySerializer
    pagination_class = None

    @extend_schema(
        summary="Clicks, conversions and cashback of your stores per day (scope reports:read)",
        description="Days are India time. Views, clicks, conversions and confirmed conversions come from the "
        "analytics views (refreshed every 15 minutes); cashback amounts are live. Default: the last 30 days; "
        f"at most {MAX_REPORT_DAYS} days per request.",
        parameters=[
            OpenApiParameter("start", date, description="First day (YYYY-MM-DD)."),
            OpenApiParameter("end", date, description="Last day (YYYY-MM-DD), included."),
            OpenApiParameter("store", str, description="Only this store (its slug)."),
        ],
        responses=StoreDaySerializer(many=True),
    )
    def get(self, request):
        query = ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        stores = selectors.stores_of(self.organisation)
        if params.get("store"):
            stores = stores.filter(slug=params["store"])
            if not stores.exists():
                raise Http404("No store of yours has this slug.")
        figures = store_daily_figures(
            stores=dict(stores.values_list("pk", "slug")), start=params["start"], end=params["end"]
        )
        return Response(StoreDaySerializer(figures, many=True).data)


# ---------------------------------------------------------------- webhooks


class WebhookEndpointSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "is_active", "created_at"]
        read_only_fields = ["is_active", "created_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="The signing secret; shown only in this answer.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    event = serializers.CharField(read_only=True, help_text="One of: " + ", ".join(WebhookEvent.values))

    class Meta:
        model = WebhookDelivery
        fields = ["id", "event", "status", "attempts", "next_attempt_at", "delivered_at", "created_at", "payload"]


class WebhookListView(PartnerView):
    queryset = WebhookEndpoint.objects.none()  # for the schema generator; rows come from selectors.webhooks_of
    required_scope = Scope.WEBHOOKS_MANAGE
    serializer_class = WebhookEndpointSerializer

    @extend_schema(
        summary="Your webhook endpoints (scope webhooks:manage)",
        operation_id="partner_webhooks_list",
        responses=WebhookEndpointSerializer(many=True),
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.webhooks_of(self.organisation))
        return self.get_paginated_response(WebhookEndpointSerializer(page, many=True).data)

    @extend_schema(
        summary="Register an HTTPS endpoint for events (scope webhooks:manage)",
        description="Events: " + ", ".join(WebhookEvent.values) + ". The answer holds the signing secret, once.",
        request=WebhookEndpointSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
    )
    def post(self, request):
        serializer = WebhookEndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = services.webhook_endpoint_create(
            actor=request.user,
            organisation=self.organisation,
            url=serializer.validated_data["url"],
            events=serializer.validated_data["events"],
        )
        endpoint.secret = secret
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(PartnerView):
    queryset = WebhookEndpoint.objects.none()  # for the schema generator; rows come from selectors.webhooks_of
    required_scope = Scope.WEBHOOKS_MANAGE
    serializer_class = WebhookDeliverySerializer

    def get_object(self):
        endpoint = selectors.webhooks_of(self.organisation).filter(uuid=self.kwargs["endpoint_id"]).first()
        if endpoint is None:
            raise Http404("No webhook endpoint of yours has this id.")
        return endpoint

    @extend_schema(
        summary="The endpoint's deliveries, newest first (scope webhooks:manage)",
        operation_id="partner_webhook_deliveries_list",
        responses=WebhookDeliverySerializer(many=True),
    )
    def get(self, request, endpoint_id):
        page = self.paginate_queryset(self.get_object().deliveries.order_by("-created_at"))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(summary="Delete a webhook endpoint (scope webhooks:manage)", responses={204: None})
    def delete(self, request, endpoint_id):
        services.webhook_endpoint_delete(actor=request.user, endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

"""Gift cards in the API (/api/v1/gift-cards/): the same listing and product reads as /gift-cards/
(catalog.gift_card_selectors). Buying one is the orders API."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import gift_card_selectors as selectors

TAG = "gift cards"
MAX_PAGE = 400


class GiftCardSerializer(serializers.Serializer):
    slug = serializers.CharField(source="product.slug")
    name = serializers.CharField(source="product.name")
    brand = serializers.CharField(source="product.merchant.slug", allow_null=True, default=None)
    category = serializers.CharField(source="product.category.slug", allow_null=True, default=None)
    image_url = serializers.CharField(source="product.image_url", allow_null=True)
    from_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    best_saving_percent = serializers.IntegerField(source="best_saving")
    denominations = serializers.ListField(child=serializers.DecimalField(max_digits=10, decimal_places=2))


class GiftCardListSerializer(serializers.Serializer):
    results = GiftCardSerializer(many=True)
    page = serializers.IntegerField()
    has_next = serializers.BooleanField()


class VariantSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="variant.pk", help_text="What an order line names.")
    denomination = serializers.DecimalField(max_digits=10, decimal_places=2, source="variant.denomination")
    selling_price = serializers.DecimalField(max_digits=10, decimal_places=2, source="variant.selling_price")
    saving = serializers.DecimalField(max_digits=10, decimal_places=2)
    saving_percent = serializers.IntegerField()
    available = serializers.IntegerField(allow_null=True, help_text="In stock; null = unlimited.")


class GiftCardDetailSerializer(serializers.Serializer):
    slug = serializers.CharField(source="product.slug")
    name = serializers.CharField(source="product.name")
    brand = serializers.CharField(source="product.merchant.slug", allow_null=True, default=None)
    description = serializers.CharField(source="product.description", allow_null=True)
    terms_conditions = serializers.CharField(source="product.terms_conditions", allow_null=True)
    validity_days = serializers.IntegerField(source="product.validity_days", allow_null=True)
    best_saving_percent = serializers.IntegerField(source="best_saving")
    variants = VariantSerializer(many=True, source="denominations")


class ListParams(serializers.Serializer):
    category = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    brand = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=MAX_PAGE)


class GiftCardListView(APIView):
    """Gift cards on sale, as /gift-cards/ lists them (featured, bestsellers, then by name); 24 a page."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=[TAG],
        operation_id="gift_cards_list",
        responses=GiftCardListSerializer,
        parameters=[
            OpenApiParameter("category", OpenApiTypes.STR, description="A category's slug."),
            OpenApiParameter("brand", OpenApiTypes.STR, description="A store's slug."),
            OpenApiParameter("page", OpenApiTypes.INT, description=f"1 to {MAX_PAGE}."),
        ],
    )
    def get(self, request):
        params = ListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        listing = selectors.gift_card_listing(category_slug=p["category"], brand_slug=p["brand"], page=p["page"])
        return Response(
            {
                "results": GiftCardSerializer(listing.cards, many=True).data,
                "page": listing.page,
                "has_next": listing.has_next,
            }
        )


class GiftCardDetailView(APIView):
    """A gift card with its denominations (variants), prices and stock."""

    permission_classes = [AllowAny]

    @extend_schema(tags=[TAG], responses=GiftCardDetailSerializer)
    def get(self, request, slug: str):
        page = selectors.gift_card_page(slug)
        if page is None:
            raise NotFound("No such gift card.")
        return Response(GiftCardDetailSerializer(page).data)

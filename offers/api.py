"""The public catalogue of the API (/api/v1/): categories, stores, offers, search, and the app's click-out.

Thin views over the pages' selectors (offers.selectors, catalog.selectors: the live-offer rule, the cashback rule,
the site search) and the click-out of /go/ (offers.clickout_request). Like the site, an offer's coupon code is
never in a listing or an offer's details: the app gets it in the click-out's answer, with the tracked link.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import django_filters
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Merchant
from catalog.selectors import (
    CashbackRate,
    CategoryNode,
    category_tree,
    merchant_listed_by_slug,
    merchants_listed,
)

from . import clickout, selectors
from .clickout_request import click_write, clickout_limit_hit
from .models import Offer

TAG = "catalogue"


class Gone(APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This offer has expired or was removed."
    default_code = "gone"


class LinkUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "This offer has no usable link right now; try again later."
    default_code = "unavailable"


# ---------------------------------------------------------------- serializers


class RateSerializer(serializers.Serializer):
    """A cashback rate (catalog.selectors.CashbackRate): ``value`` percent (capped at ``cap`` rupees) or flat
    ``value`` rupees; ``display`` is the line the site shows."""

    type = serializers.CharField(allow_null=True, help_text="percentage, fixed, or null for none")
    value = serializers.DecimalField(max_digits=12, decimal_places=2)
    cap = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    display = serializers.CharField()


def _rate(rate: CashbackRate) -> dict:
    return {"type": rate.type, "value": rate.value, "cap": rate.cap, "display": rate.display}


class CategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    description = serializers.CharField(allow_blank=True)
    icon_url = serializers.CharField(allow_blank=True)
    is_featured = serializers.BooleanField()
    children = serializers.ListField(
        child=serializers.DictField(), help_text="Sub-categories, each with the same fields (and children)."
    )


def _node(node: CategoryNode) -> dict:
    return {
        "id": node.id,
        "name": node.name,
        "slug": node.slug,
        "parent_id": node.parent_id,
        "description": node.description,
        "icon_url": node.icon_url,
        "is_featured": node.is_featured,
        "children": [_node(c) for c in node.children],
    }


class StoreCardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    logo_url = serializers.CharField(allow_blank=True)
    cashback = serializers.CharField(help_text="The store's best rate, as the site shows it ('' for none).")


class StoreSerializer(serializers.ModelSerializer):
    cashback = serializers.SerializerMethodField()

    class Meta:
        model = Merchant
        fields = ["id", "uuid", "name", "slug", "description", "logo_url", "website_url", "is_featured", "cashback"]

    def get_cashback(self, merchant) -> str:
        return _book(self.context, merchant).headline(merchant)


def _book(context: Mapping[str, Any], merchant: Merchant) -> selectors.RateBook:
    # The views put the page's RateBook in the context (two queries a page); one store's otherwise.
    book = context.get("book")
    return book if book is not None else selectors.rate_book([merchant.pk])


class CategoryRateSerializer(serializers.Serializer):
    category_name = serializers.CharField(help_text="The category, the offer's title, or 'Everything else'.")
    category_slug = serializers.CharField(allow_null=True, help_text="null: an offer's own rule or everything else")
    offer_uuid = serializers.UUIDField(
        allow_null=True, help_text="The offer (/offers/{uuid}/) whose own rule this row is; null for the others."
    )
    rate = RateSerializer()


class StoreDetailSerializer(StoreSerializer):
    validation_days = serializers.IntegerField(help_text="Days the store takes to confirm a purchase.")
    rates = serializers.SerializerMethodField()

    class Meta(StoreSerializer.Meta):
        fields = [*StoreSerializer.Meta.fields, "validation_days", "rates"]

    @extend_schema_field(CategoryRateSerializer(many=True))
    def get_rates(self, merchant) -> list[dict]:
        data = [
            {
                "category_name": r.category_name,
                "category_slug": r.category_slug,
                "offer_uuid": r.offer_uuid,
                "rate": _rate(r.rate),
            }
            for r in _book(self.context, merchant).table(merchant)
        ]
        return list(CategoryRateSerializer(data, many=True).data)


class OfferSerializer(serializers.Serializer):
    """An offer card (offers.selectors.OfferCard) without its coupon code."""

    uuid = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    type = serializers.CharField(source="offer_type", help_text="code, deal or sale")
    has_code = serializers.BooleanField(help_text="A coupon code comes with the click-out's answer.")
    is_verified = serializers.BooleanField()
    is_exclusive = serializers.BooleanField()
    is_featured = serializers.BooleanField()
    expires_at = serializers.DateTimeField(allow_null=True)
    cashback = serializers.CharField(help_text="The cashback the site advertises for this offer ('' for none).")
    used_today = serializers.IntegerField()
    store = StoreCardSerializer()


class OfferDetailSerializer(OfferSerializer):
    starts_at = serializers.DateTimeField(allow_null=True)
    terms_conditions = serializers.CharField(allow_blank=True)
    category = serializers.CharField(allow_null=True, help_text="The category's slug")


class ClickSerializer(serializers.Serializer):
    click_id = serializers.UUIDField(help_text="Our id of this click; the store's purchase is matched to it.")
    url = serializers.URLField(help_text="The tracked link: open it in the browser (not a web view).")
    coupon_code = serializers.CharField(allow_null=True, help_text="The code to use at the store, if any.")


class SearchSerializer(serializers.Serializer):
    query = serializers.CharField(allow_blank=True)
    corrected = serializers.CharField(allow_blank=True, help_text="The query with unknown words corrected.")
    stores = StoreCardSerializer(many=True)
    categories = serializers.ListField(child=serializers.DictField())
    offers = OfferSerializer(many=True)
    page = serializers.IntegerField()
    has_next = serializers.BooleanField()


# ---------------------------------------------------------------- filters


class OfferFilter(django_filters.FilterSet):
    store = django_filters.CharFilter(method="filter_store", help_text="A store's slug.")
    category = django_filters.CharFilter(method="filter_category", help_text="A category's slug (sub-categories too).")
    type = django_filters.ChoiceFilter(field_name="offer_type", choices=Offer.Type.choices)
    featured = django_filters.BooleanFilter(field_name="is_featured")
    exclusive = django_filters.BooleanFilter(field_name="is_exclusive")
    live = django_filters.BooleanFilter(
        method="filter_live",
        help_text="true (the default): offers live now. false: also offers not live now (not started yet, or "
        "expired) of the listed stores.",
    )

    class Meta:
        model = Offer
        fields: list[str] = []

    def filter_store(self, queryset, name, value):
        return queryset.filter(merchant__slug=value)

    def filter_category(self, queryset, name, value):
        node = selectors.category_listed_by_slug(slug=value)
        return queryset.filter(category_id__in=node.descendant_ids()) if node else queryset.none()

    def filter_live(self, queryset, name, value):
        return queryset  # see filter_queryset: live is also the default when the parameter is absent

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("live") is not False:
            queryset = queryset.live(timezone.now())  # the live-offer rule (OfferQuerySet.live)
        return queryset


# ---------------------------------------------------------------- views


class CategoryTreeView(APIView):
    """The listed categories as a tree, in display order (the site's category menu)."""

    permission_classes = [AllowAny]

    @extend_schema(tags=[TAG], operation_id="categories_tree", responses=CategorySerializer(many=True))
    def get(self, request):
        return Response([_node(n) for n in category_tree().roots])


class StoreListView(generics.ListAPIView):
    """The listed stores (active), by name; ``featured`` and ``ordering`` (name, priority) optional."""

    permission_classes = [AllowAny]
    serializer_class = StoreSerializer
    filterset_fields = {"is_featured": ["exact"]}
    ordering_fields = ["name", "priority"]
    ordering = ("name",)

    def get_queryset(self):
        return merchants_listed()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        page = getattr(self, "_page_rows", None)
        if page is not None:
            context["book"] = selectors.rate_book(m.pk for m in page)
        return context

    def paginate_queryset(self, queryset):
        self._page_rows = super().paginate_queryset(queryset)
        return self._page_rows

    @extend_schema(tags=[TAG])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class StoreDetailView(APIView):
    """A listed store with its cashback rates per category (the store page's table). Its offers: /offers/?store=."""

    permission_classes = [AllowAny]

    @extend_schema(tags=[TAG], responses=StoreDetailSerializer)
    def get(self, request, slug: str):
        merchant = merchant_listed_by_slug(slug)
        if merchant is None:
            raise NotFound("No such store.")
        context = {"book": selectors.rate_book([merchant.pk])}
        return Response(StoreDetailSerializer(merchant, context=context).data)


class OfferListView(generics.ListAPIView):
    """Offers of the listed stores, newest first: live now unless ``live=false``; filter by store, category,
    type, featured, exclusive. For full-text search use /search/ (the site's search, ranked)."""

    permission_classes = [AllowAny]
    serializer_class = OfferSerializer
    filterset_class = OfferFilter
    # By id (newest first): unique, so the cursor never walks an offset; created_at is not (a feed import
    # inserts thousands of offers in one transaction, with one now()).
    ordering_fields = ["id"]
    ordering = ("-id",)

    def get_queryset(self):
        return selectors.offers_of_listed_stores().select_related("merchant")

    @extend_schema(
        tags=[TAG],
        examples=[
            OpenApiExample(
                "A page of offers",
                value={
                    "next": "https://couponali.in/api/v1/offers/?cursor=cD0yMDI2LTEy",
                    "previous": None,
                    "results": [
                        {
                            "uuid": "3f1c2a4e-8b7d-4e21-9a55-0c6f1d2e3b4a",
                            "title": "Flat 20% off on shoes",
                            "description": "On orders above ₹999.",
                            "type": "code",
                            "has_code": True,
                            "is_verified": True,
                            "is_exclusive": False,
                            "is_featured": True,
                            "expires_at": "2026-12-31T18:29:59Z",
                            "cashback": "Up to 7% cashback",
                            "used_today": 42,
                            "store": {
                                "id": 7,
                                "name": "Myntra",
                                "slug": "myntra",
                                "logo_url": "",
                                "cashback": "Up to 7% cashback",
                            },
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        cards = selectors.with_usage(cards=selectors.offer_cards(offers=page or []))
        return self.get_paginated_response(OfferSerializer(cards, many=True).data)


class OfferDetailView(APIView):
    """One offer (without its coupon code: POST .../click/ gives it with the tracked link)."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=[TAG],
        responses={200: OfferDetailSerializer, 410: OpenApiResponse(description="Expired or removed.")},
    )
    def get(self, request, offer_uuid):
        offer = selectors.offer_for_page(offer_uuid=offer_uuid)
        if offer is None:
            raise NotFound("No such offer.")
        if not offer.is_live_at(timezone.now()):
            raise Gone()
        card = selectors.with_usage(cards=selectors.offer_cards(offers=[offer]))[0]
        data = OfferSerializer(card).data
        data.update(
            starts_at=serializers.DateTimeField().to_representation(offer.starts_at) if offer.starts_at else None,
            terms_conditions=offer.terms_conditions or "",
            category=offer.category.slug if offer.category_id and offer.category else None,
        )
        return Response(data)


class OfferClickView(APIView):
    """The app's click-out: records the click exactly like /go/<uuid>/ (same rate limit per address, same row)
    and answers the tracked link to open, the click id, and the coupon code if the offer has one."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=[TAG],
        request=None,
        responses={
            201: ClickSerializer,
            410: OpenApiResponse(description="Expired or removed."),
            503: OpenApiResponse(description="The offer has no usable link right now."),
        },
        examples=[
            OpenApiExample(
                "A click",
                value={
                    "click_id": "9b2f0c1e-5d4a-4f3b-8e7d-6a5c4b3a2f10",
                    "url": "https://track.example-network.com/c?aff=ca&sub=9b2f0c1e-5d4a-4f3b-8e7d-6a5c4b3a2f10",
                    "coupon_code": "SHOES20",
                },
                response_only=True,
                status_codes=["201"],
            )
        ],
    )
    def post(self, request, offer_uuid):
        clickout_limit_hit(request)  # RateLimited: 429 with Retry-After (couponali.api_errors)
        target = clickout.target_for_offer(offer_uuid)
        offer = selectors.offer_for_page(offer_uuid=offer_uuid) if target is not None else None
        if target is None or offer is None:  # unknown, or the hidden store-visit offer
            raise NotFound("No such offer.")
        if not target.is_live(timezone.now()):
            raise Gone()
        user_id = request.user.pk if request.user.is_authenticated else None
        written = click_write(request, target, user_id=user_id)
        if written is None:
            raise LinkUnavailable()
        code = offer.coupon_code if offer.offer_type == Offer.Type.CODE and offer.coupon_code else None
        return Response(
            {"click_id": written.click_id, "url": written.url, "coupon_code": code}, status=status.HTTP_201_CREATED
        )


class SearchView(APIView):
    """The site's search (/search/): offers by full-text match, stores and categories by name (typo tolerant),
    ranked; 24 offers a page, numbered pages (a ranked list has no stable cursor)."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=[TAG],
        operation_id="search",
        responses=SearchSerializer,
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="What to look for (up to 100 characters)."),
            OpenApiParameter("category", OpenApiTypes.STR, description="A category's slug."),
            OpenApiParameter("store", OpenApiTypes.STR, description="A store's slug."),
            OpenApiParameter("type", OpenApiTypes.STR, enum=Offer.Type.values),
            OpenApiParameter("page", OpenApiTypes.INT, description=f"1 to {selectors.MAX_PAGE}."),
        ],
    )
    def get(self, request):
        params = SearchParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        results = selectors.search(
            raw_query=p["q"],
            category_slug=p["category"],
            store_slug=p["store"],
            offer_type=p["type"],
            page=p["page"],
        )
        data = {
            "query": results.query,
            "corrected": results.corrected,
            "stores": StoreCardSerializer(results.stores, many=True).data,
            "categories": [{"id": c.id, "name": c.name, "slug": c.slug} for c in results.categories],
            "offers": OfferSerializer(selectors.with_usage(cards=results.offers), many=True).data,
            "page": results.page,
            "has_next": results.has_next,
        }
        return Response(data)


class SearchParams(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    category = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    store = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    type = serializers.ChoiceField(choices=Offer.Type.choices, required=False, allow_blank=True, default="")
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=selectors.MAX_PAGE)

"""Partner reads: the stores bound to an organisation, their offers, keys, webhooks and deliveries."""

from __future__ import annotations

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from catalog.models import Merchant
from offers.models import Offer
from offers.services import MANAGE_STORE_OFFERS

from .models import ApiKey, PartnerOrganisation, WebhookDelivery, WebhookEndpoint


def stores_of(organisation: PartnerOrganisation) -> QuerySet[Merchant]:
    """The stores a brand is bound to (object permission on its service user; no global permission counts)."""
    return get_objects_for_user(
        organisation.service_user, MANAGE_STORE_OFFERS, klass=Merchant, accept_global_perms=False, with_superuser=False
    )


def offers_of(organisation: PartnerOrganisation) -> QuerySet[Offer]:
    """Every offer (live, future or ended; not deleted) of the organisation's stores."""
    return (
        Offer.objects.filter(merchant__in=stores_of(organisation), is_store_visit=False)
        .select_related("merchant")
        .defer("search_vector")
        .order_by("-created_at", "-id")
    )


def keys_of(organisation: PartnerOrganisation) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(organisation=organisation).order_by("-created_at")


def webhooks_of(organisation: PartnerOrganisation) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(organisation=organisation).order_by("-created_at")


def deliveries_of(organisation: PartnerOrganisation, *, limit: int = 50) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(endpoint__organisation=organisation)
        .select_related("endpoint")
        .order_by("-created_at")[:limit]
    )

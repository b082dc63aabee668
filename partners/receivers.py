"""Subscribers of couponali.events: record the webhook deliveries that a change of a brand's store calls for.

They run inside the sender's transaction, after its work is done; they only write delivery rows (sent after
commit by partners.tasks). When no endpoint listens to an event at all, they cost one indexed EXISTS query.
"""

from __future__ import annotations

from django.db.models import F
from django.dispatch import receiver

from couponali import events
from offers.models import Offer
from wallet.models import CashbackEvent

from . import services
from .models import WebhookEvent

OFFER_FIELDS = ("uuid", "title", "offer_type", "coupon_code", "cashback_type", "cashback_value", "max_cashback")
CASHBACK_FIELDS = (
    "id",
    "status",
    "network",
    "affiliate_transaction_id",
    "transaction_amount",
    "commission_amount",
    "cashback_amount",
    "reported_at",
)


@receiver(events.offer_changed, dispatch_uid="partners.offer_changed")
def offer_changed(sender, offer_id: int, merchant_id: int, change: str, **kwargs):
    if not services.anyone_subscribes(WebhookEvent.OFFER_CHANGED):
        return
    row = (
        Offer.all_objects.filter(pk=offer_id)
        .annotate(store=F("merchant__slug"))
        .values(*OFFER_FIELDS, "store", "starts_at", "expires_at")
        .first()
    )
    if row is not None:
        row["change"] = change
        services.webhook_deliveries_record(event=WebhookEvent.OFFER_CHANGED, items={merchant_id: [row]})


def _cashback_items(event_ids: list[int]) -> dict[int, list[dict]]:
    items: dict[int, list[dict]] = {}
    rows = (
        CashbackEvent.objects.filter(pk__in=event_ids)
        .annotate(store=F("merchant__slug"))
        .values(*CASHBACK_FIELDS, "store", "merchant_id")
    )
    for row in rows:
        items.setdefault(row.pop("merchant_id"), []).append(row)
    return items


@receiver(events.conversion_recorded, dispatch_uid="partners.conversion_recorded")
def conversion_recorded(sender, event_id: int, merchant_id: int, **kwargs):
    if services.anyone_subscribes(WebhookEvent.CONVERSION_RECORDED):
        services.webhook_deliveries_record(event=WebhookEvent.CONVERSION_RECORDED, items=_cashback_items([event_id]))


@receiver(events.cashback_status_changed, dispatch_uid="partners.cashback_status_changed")
def cashback_status_changed(sender, event_ids: list[int], status: str, **kwargs):
    if event_ids and services.anyone_subscribes(WebhookEvent.CASHBACK_STATUS_CHANGED):
        services.webhook_deliveries_record(
            event=WebhookEvent.CASHBACK_STATUS_CHANGED, items=_cashback_items(list(event_ids))
        )

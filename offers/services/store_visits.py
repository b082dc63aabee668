"""Store-visit offers: the hidden offer a store-level click-out (/go/store/<slug>/) is recorded against."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from catalog.models import Merchant
from offers.models import Offer

STORE_VISIT_NETWORK = "couponali"


def offer_store_visit_ensure(*, merchant_id: int) -> Offer:
    """The store's hidden "store visit" offer, which store-level click-outs are recorded against
    (offer_clicks.offer_id is NOT NULL). Created on first use; concurrent callers get the same row (the
    (network, network_offer_id) pair is unique). It has no cashback rule of its own, so the store's commission or
    default applies; it is never listed."""
    key = f"store-visit:{merchant_id}"
    existing = Offer.all_objects.filter(network=STORE_VISIT_NETWORK, network_offer_id=key).first()
    if existing is not None:
        return existing
    merchant = Merchant.objects.get(pk=merchant_id)
    try:
        with transaction.atomic():
            return Offer.objects.create(
                merchant=merchant,
                title=f"Visit {merchant.name}"[:255],
                description="Store-level click-out (not listed).",
                offer_type=Offer.Type.DEAL,
                is_store_visit=True,
                network=STORE_VISIT_NETWORK,
                network_offer_id=key,
            )
    except IntegrityError:
        return Offer.all_objects.get(network=STORE_VISIT_NETWORK, network_offer_id=key)

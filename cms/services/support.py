"""Writes for the support desk: a missing-cashback claim becomes a support ticket linked to the click."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.services import audit_log, notify

from ..models import SupportTicket

CLAIM_WINDOW_DAYS = 120  # clicks older than this cannot be claimed (the networks' own limit)


class ClaimRefused(Exception):
    """The claim cannot be opened; the message says why."""


def missing_cashback_claim_create(
    *,
    user_id: int,
    click_id,
    order_reference: str,
    order_amount: Decimal,
    order_date: dt.date,
    description: str = "",
    attachment=None,
) -> SupportTicket:
    """Open a missing-cashback claim for one of the user's own clicks (the click gives the store)."""
    from offers.models import OfferClick

    click = (
        OfferClick.objects.filter(click_id=click_id, user_id=user_id)
        .select_related("offer__merchant")
        .order_by("created_at")
        .first()
    )
    if click is None:
        raise ClaimRefused("We could not find this store visit in your history.")
    now = timezone.now()
    if click.created_at < now - dt.timedelta(days=CLAIM_WINDOW_DAYS):
        raise ClaimRefused(f"Claims are possible for {CLAIM_WINDOW_DAYS} days after the store visit.")
    clicked_on = timezone.localtime(click.created_at).date()
    if order_date < clicked_on or order_date > timezone.localdate():
        raise ClaimRefused(f"The order date must be between your visit ({clicked_on:%d %b %Y}) and today.")
    order_reference = (order_reference or "").strip()
    if not order_reference:
        raise ClaimRefused("Enter the store's order id.")
    if order_amount is None or order_amount <= 0:
        raise ClaimRefused("Enter the order amount.")
    merchant = click.merchant or click.offer.merchant
    try:
        with transaction.atomic():
            ticket = SupportTicket.objects.create(
                user_id=user_id,
                kind=SupportTicket.Kind.MISSING_CASHBACK,
                subject=f"Missing cashback: {merchant.name} order {order_reference}"[:255],
                description=description or "",
                click_id=click.click_id,
                merchant=merchant,
                order_reference=order_reference,
                order_amount=order_amount,
                order_date=order_date,
                attachment=attachment,
            )
            audit_log(
                actor_id=user_id,
                action="support.missing_cashback_claim",
                entity_type="support_ticket",
                entity_id=ticket.pk,
                metadata={"click_id": str(click.click_id), "order": order_reference},
            )
    except IntegrityError:
        raise ClaimRefused("You have already reported this order; we are looking into it.") from None
    notify(
        user_id=user_id,
        title="Claim received",
        body=f"We received your missing-cashback claim for {merchant.name} order {order_reference}.",
    )
    return ticket

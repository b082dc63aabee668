"""Reads for offers: what a shopper may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Offer


def offers_live(*, now=None) -> QuerySet[Offer]:
    """Listed offers: not deleted, started, not expired, of an active, not deleted store."""
    now = now or timezone.now()
    return (
        Offer.objects.filter(merchant__is_active=True, merchant__deleted_at__isnull=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    )

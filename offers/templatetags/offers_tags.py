"""Template filters of the shopper site."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from django import template
from django.utils import timezone

from catalog.cache import PAGE_MAX_AGE, listing_generation
from couponali.templatetags.money import dmy, inr

register = template.Library()


@register.filter
def ends_in(expires_at: datetime | None, now: datetime | None = None) -> str:
    """ "Ends today", "Ends tomorrow", "Ends in 3 days", "Valid till 31 Dec 2026", "Ongoing" or "Expired"."""
    if expires_at is None:
        return "Ongoing"
    now = now or timezone.now()
    if expires_at <= now:
        return "Expired"
    remaining = expires_at - now
    if remaining.total_seconds() < 3600:
        minutes = max(1, int(remaining.total_seconds() // 60))
        return f"Ends in {minutes} minute{'s' if minutes != 1 else ''}"
    days = (timezone.localtime(expires_at).date() - timezone.localtime(now).date()).days
    if days <= 0:
        return "Ends today"
    if days == 1:
        return "Ends tomorrow"
    if days < 8:
        return f"Ends in {days} days"
    return f"Valid till {dmy(expires_at)}"


# The one ₹ filter (couponali/templatetags/money.py), so that shopper templates need not load two libraries.
register.filter("inr", inr)


@register.filter
def initials(name: str) -> str:
    words = [w for w in (name or "").replace(".", " ").split() if w[:1].isalnum()]
    return ("".join(w[0] for w in words[:2]) or "?").upper()


@register.filter
def cards_cache_key(cards: Iterable) -> str:
    """What a cached offer grid (templates/offers/_offer_grid.html) shows besides the viewer: the listing
    generation (every offer, store and rate) and each card's id and "used today" count."""
    raw = listing_generation(max_age=PAGE_MAX_AGE) + "|" + ",".join(f"{c.id}:{c.used_today}" for c in cards)
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()

"""Writes for the catalogue."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from .cache import listing_changed
from .models import Merchant


def _free_slug(name: str) -> str:
    base = (slugify(name) or "store")[:240]
    slug, n = base, 1
    while Merchant.all_objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def merchant_get_or_create_for_feed(*, name: str, network: str) -> tuple[Merchant, bool]:
    """The store a feed line names (matched by name or slug, deleted stores included so that a feed never
    resurrects one); a store not seen before is created INACTIVE, so its offers stay unlisted until staff review
    it. Safe under concurrent imports (the slug is unique)."""
    name = name.strip()
    existing = (
        Merchant.all_objects.filter(name__iexact=name).order_by("deleted_at", "pk").first()
        or Merchant.all_objects.filter(slug=slugify(name)).first()
    )
    if existing is not None:
        return existing, False
    for _attempt in range(3):
        try:
            with transaction.atomic():
                merchant = Merchant.objects.create(
                    name=name[:255],
                    slug=_free_slug(name),
                    affiliate_network=network[:50],
                    is_active=False,
                    description=f"Imported from the {network} feed; awaiting review.",
                )
        except IntegrityError:  # another import took the slug first: look again
            found = Merchant.all_objects.filter(name__iexact=name).first()
            if found is not None:
                return found, False
            continue
        listing_changed()
        return merchant, True
    raise RuntimeError(f"could not create a store for {name!r}")

"""Offers (coupons, deals, sales), click-outs and impressions (seed tables 7, 8, 26)."""

from __future__ import annotations

import uuid

from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models import Q

from catalog.models import CashbackType, Category, Merchant
from couponali.models import CreatedAtField, MoneyField, SoftDeleteModel, TimeStampedModel, UuidField, counter, flag


class Offer(SoftDeleteModel, TimeStampedModel):
    class Type(models.TextChoices):
        CODE = "code", "Coupon code"
        DEAL = "deal", "Deal"
        SALE = "sale", "Sale"

    uuid = UuidField()
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="offers", db_index=False)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="offers", db_index=False
    )
    title = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    offer_type = models.CharField(max_length=20, choices=Type.choices)
    coupon_code = models.CharField(max_length=100, null=True, blank=True)
    cashback_type = models.CharField(
        max_length=20,
        choices=CashbackType.choices,
        null=True,
        blank=True,
        help_text="Empty = the store's default cashback.",
    )
    cashback_value = MoneyField()
    max_cashback = MoneyField(help_text="Cap for percentage cashback.")
    affiliate_url = models.TextField(null=True, blank=True)
    terms_conditions = models.TextField(null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    is_exclusive = flag(False)
    is_verified = flag(False)
    is_featured = flag(False)
    views_count = counter()
    clicks_count = counter()
    conversion_count = counter()
    # Not in the seed: the affiliate network's own id for this offer, the key of feed imports.
    network = models.CharField(max_length=50, null=True, blank=True)
    network_offer_id = models.CharField(max_length=120, null=True, blank=True)

    class Meta:
        db_table = "offers"
        indexes = [
            models.Index(fields=["merchant"], name="idx_offers_merchant", condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["category"], name="idx_offers_category", condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["expires_at"], name="idx_offers_expiry", condition=Q(deleted_at__isnull=True)),
            models.Index(
                fields=["is_verified", "starts_at", "expires_at"],
                name="idx_offers_active",
                condition=Q(deleted_at__isnull=True),
            ),
            # "Active offers" (seed §32): now() cannot appear in an index predicate (not immutable), so the
            # partial index keeps the not-deleted rows ordered by expiry per store; the live filter
            # (started, not expired) is a range scan on it.
            models.Index(
                fields=["merchant", "expires_at", "starts_at"],
                name="idx_offers_live",
                condition=Q(deleted_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "network_offer_id"],
                name="offers_network_offer_uniq",
                condition=Q(network_offer_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OfferClick(models.Model):
    """One click-out. The table is range-partitioned by month on created_at (migration 0001), so its primary
    key is (id, created_at) in the database and click_id is unique per (click_id, created_at); uniqueness of
    click_id alone is the application's job (uuid4, checked where clicks are looked up)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="clicks", db_index=False)
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="offer_clicks", db_index=False
    )
    merchant = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    click_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(null=True, blank=True)
    referrer_url = models.TextField(null=True, blank=True)
    device_type = models.CharField(max_length=20, null=True, blank=True)
    created_at = CreatedAtField()

    class Meta:
        db_table = "offer_clicks"

    def __str__(self) -> str:
        return str(self.click_id)


class OfferView(models.Model):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="views", db_index=False)
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(null=True, blank=True)
    created_at = CreatedAtField()

    class Meta:
        db_table = "offer_views"
        indexes = [models.Index(fields=["offer"], name="idx_offer_views_offer")]

    def __str__(self) -> str:
        return f"view of {self.offer_id}"

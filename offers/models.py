"""Offers (coupons, deals, sales), click-outs and impressions (seed tables 7, 8, 26)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from django.contrib.postgres.functions import RandomUUID
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Q
from guardian.models import UserObjectPermission

from catalog.models import CashbackType, Category, Merchant
from couponali.models import (
    AllObjectsManager,
    CreatedAtField,
    LiveManager,
    MoneyField,
    SoftDeleteModel,
    SoftDeleteQuerySet,
    TimeStampedModel,
    UuidField,
    counter,
    flag,
)

# The live-offer rule, in its three forms. One rule: an offer is live when it is not deleted, has started (or has
# no start), has not expired (or has no end), and its store is active and not deleted. Hidden store-visit offers
# are live (their click-out redirects) but never listed. The ORM form is OfferQuerySet.live, the Python form
# offer_live_at (Offer.is_live_at and the click-out's cached target use it), and the SQL form LISTED_OFFER_SQL
# for set-based jobs that stay in SQL; offers/tests/test_live_rule.py ties the three together.


def offer_live_at(
    now: datetime, *, deleted: bool, store_listed: bool, starts_at: datetime | None, expires_at: datetime | None
) -> bool:
    """The live-offer rule on plain values (``deleted``: the offer or its store; ``store_listed``: active and not
    deleted)."""
    return (
        not deleted
        and store_listed
        and (starts_at is None or starts_at <= now)
        and (expires_at is None or expires_at > now)
    )


# `offers o JOIN merchants m ON m.id = o.merchant_id`: the listed offers (live, not a store-visit offer) at the
# statement's now().
LISTED_OFFER_SQL = (
    "o.deleted_at IS NULL AND NOT o.is_store_visit AND m.deleted_at IS NULL AND m.is_active"
    " AND (o.starts_at IS NULL OR o.starts_at <= now()) AND (o.expires_at IS NULL OR o.expires_at > now())"
)


class OfferQuerySet(SoftDeleteQuerySet):
    def live(self, now: datetime) -> OfferQuerySet:
        """Live offers at ``now`` (see offer_live_at). Served by idx_offers_live (per store, by expiry, not
        deleted)."""
        return self.filter(
            Q(starts_at__isnull=True) | Q(starts_at__lte=now),
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            deleted_at__isnull=True,
            merchant__is_active=True,
            merchant__deleted_at__isnull=True,
        )

    def listed(self, now: datetime) -> OfferQuerySet:
        """What shoppers see: the live offers without the hidden store-visit ones."""
        return self.live(now).filter(is_store_visit=False)


# django-stubs cannot type a custom manager's from_queryset() (not as a class base, nor as a named base): the two
# managers below are untyped for the checker and work the same at run time.
class OfferManager(LiveManager.from_queryset(OfferQuerySet)):  # type: ignore[misc]
    """Offer.objects: deleted offers are invisible (LiveManager), plus live()/listed()."""


class AllOffersManager(AllObjectsManager.from_queryset(OfferQuerySet)):  # type: ignore[misc]
    """Offer.all_objects: every row, plus live()/listed()."""


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
    # Not in the seed: the hidden per-store offer that store-level click-outs (/go/store/<slug>/) are recorded
    # against, because offer_clicks.offer_id is NOT NULL. Never listed (OfferQuerySet.listed).
    is_store_visit = flag(False)
    # Not in the seed: full-text search document (generated by PostgreSQL, GIN-indexed). The store name is not
    # in it (a generated column cannot read another table): search matches stores by name separately.
    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config="english")
        + SearchVector("coupon_code", weight="A", config="simple")
        + SearchVector("description", weight="B", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects: ClassVar[OfferManager] = OfferManager()
    all_objects: ClassVar[AllOffersManager] = AllOffersManager()

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
            GinIndex(fields=["search_vector"], name="idx_offers_search"),
            # Listing order of the home, category and browse pages (featured first, then ending soonest): an
            # index scan in this order stops after a page of live rows instead of sorting every match.
            models.Index(
                F("is_featured").desc(),
                F("expires_at").asc(nulls_last=True),
                F("id"),
                name="idx_offers_browse",
                condition=Q(deleted_at__isnull=True, is_store_visit=False),
            ),
            # Home page "exclusives" by expiry.
            models.Index(
                fields=["expires_at"],
                name="idx_offers_exclusive",
                condition=Q(deleted_at__isnull=True, is_exclusive=models.Value(True)),
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

    def is_live_at(self, now: datetime) -> bool:
        """The live-offer rule for this row (its merchant is read: fetch it with the offer)."""
        merchant = self.merchant
        return offer_live_at(
            now,
            deleted=self.deleted_at is not None,
            store_listed=merchant.is_active and merchant.deleted_at is None,
            starts_at=self.starts_at,
            expires_at=self.expires_at,
        )


class OfferClick(models.Model):
    """One click-out. The table is range-partitioned by month on created_at (migration 0001), so its primary
    key is (id, created_at) in the database and click_id is unique per (click_id, created_at); uniqueness of
    click_id alone is the application's job (uuid4, checked where clicks are looked up)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="clicks", db_index=False)
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="offer_clicks", db_index=False
    )
    # Denormalised from the offer for store reports and cashback matching. Not a foreign key on purpose: the
    # check would take a KEY SHARE lock on the store's row for every click, and every click of a store hits the
    # same row (the offer_id key, which the seed requires, already ties the click to a real offer).
    merchant = models.ForeignKey(
        Merchant,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    click_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(null=True, blank=True)
    referrer_url = models.TextField(null=True, blank=True)
    device_type = models.CharField(max_length=20, null=True, blank=True)
    # The cashback rate advertised at click time (catalog.selectors.cashback_rate_for, resolved by the click-out
    # from the data it already holds): the wallet honours it when the sale is confirmed, even if the offer, the
    # commission or the store default changed in between. Not in the seed (extra columns).
    cashback_type = models.CharField(max_length=20, null=True, blank=True)
    cashback_value = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    cashback_cap = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    cashback_source = models.CharField(max_length=20, null=True, blank=True)
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


class CounterWatermark(models.Model):
    """How far the counter job has aggregated a stream (offer_clicks, offer_views): rows created before
    ``position`` are counted. Updated in the same transaction as the counters, so a job that runs twice (or two
    at once: the row is locked) never counts a row twice."""

    name = models.CharField(max_length=50, primary_key=True)
    position = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "offer_counter_watermarks"

    def __str__(self) -> str:
        return f"{self.name} @ {self.position:%Y-%m-%d %H:%M:%S}"


class ImpressionBatch(models.Model):
    """A batch of buffered impressions written to offer_views, recorded in the same transaction so that a
    batch taken from Redis is written exactly once even when the flush job is interrupted and runs again."""

    batch_id = models.CharField(max_length=64, unique=True)
    rows = models.IntegerField()
    created_at = CreatedAtField()

    class Meta:
        db_table = "offer_impression_batches"

    def __str__(self) -> str:
        return f"{self.batch_id} ({self.rows})"


class SearchWord(models.Model):
    """The words of live offer titles and descriptions with how many offers use them: search corrects a query
    word it does not know to the most similar known word (pg_trgm), so "sneekers" finds sneakers. Rebuilt by
    offers.services.search_words_refresh (beat job, and after feed imports)."""

    word = models.CharField(max_length=100, primary_key=True)
    ndoc = models.IntegerField()

    class Meta:
        db_table = "offer_search_words"
        indexes = [GinIndex(OpClass("word", name="gin_trgm_ops"), name="idx_offer_search_words_trgm")]

    def __str__(self) -> str:
        return self.word


class StoreGrant(UserObjectPermission):
    """A store granted to a merchant manager: django-guardian's object grant of ``catalog.change_merchant`` on
    one store (``guardian_userobjectpermission``), seen in the admin as its own list. Written only through
    ``offers.services.store_grant`` / ``store_revoke`` (permission changes: checked and audited). It lives
    here, not in catalog, because the grant checks staff (accounts) and stores (catalog), and offers is the
    lowest layer above both."""

    class Meta:
        proxy = True
        verbose_name = "store grant"

    def __str__(self) -> str:
        return f"store {self.object_pk} for {self.user}"

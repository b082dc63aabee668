"""Feed import: offers created or updated from an affiliate network's feed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction

from catalog.cache import listing_changed
from catalog.models import Category, Merchant
from catalog.services import merchant_get_or_create_for_feed
from couponali import events
from couponali.audit import AuditAction, audit_log
from offers.feeds import FeedOffer, FeedRowError, parse_feed_row
from offers.models import Offer


@dataclass
class FeedLineError:
    number: int
    reason: str


@dataclass
class ImportReport:
    label: str = "line"
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[FeedLineError] = field(default_factory=list)
    stores_created: list[str] = field(default_factory=list)
    unknown_categories: set[str] = field(default_factory=set)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged


_FEED_FIELDS = (
    "merchant_id",
    "category_id",
    "title",
    "description",
    "offer_type",
    "coupon_code",
    "cashback_type",
    "cashback_value",
    "max_cashback",
    "affiliate_url",
    "terms_conditions",
    "starts_at",
    "expires_at",
)


class _Lookups:
    def __init__(self, network: str, report: ImportReport):
        self.network = network
        self.report = report
        self.merchants: dict[str, Merchant] = {}
        self.categories: dict[str, Category] = {}
        for c in Category.objects.all():
            self.categories.setdefault(c.slug.lower(), c)
            self.categories.setdefault(c.name.lower(), c)

    def merchant(self, name: str) -> Merchant:
        key = name.strip().lower()
        if key not in self.merchants:
            merchant, created = merchant_get_or_create_for_feed(name=name, network=self.network)
            if created:
                self.report.stores_created.append(merchant.name)
            self.merchants[key] = merchant
        return self.merchants[key]

    def category(self, name: str | None) -> Category | None:
        if not name:
            return None
        found = self.categories.get(name.strip().lower())
        if found is None:
            self.report.unknown_categories.add(name)
        return found


def _upsert(item: FeedOffer, network: str, lookups: _Lookups) -> str:
    merchant = lookups.merchant(item.merchant)
    category = lookups.category(item.category)
    values = {
        "merchant_id": merchant.pk,
        "category_id": category.pk if category else None,
        "title": item.title,
        "description": item.description,
        "offer_type": item.offer_type,
        "coupon_code": item.coupon_code,
        "cashback_type": item.cashback_type,
        "cashback_value": item.cashback_value,
        "max_cashback": item.max_cashback,
        "affiliate_url": item.affiliate_url,
        "terms_conditions": item.terms_conditions,
        "starts_at": item.starts_at,
        "expires_at": item.expires_at,
    }
    # Deleted offers are matched too: a feed updates them but never brings one back.
    offer = (
        Offer.all_objects.select_for_update()
        .defer("search_vector")
        .filter(network=network, network_offer_id=item.network_offer_id)
        .first()
    )
    if offer is None:
        offer = Offer.objects.create(network=network, network_offer_id=item.network_offer_id, **values)
        events.offer_changed.send(sender=Offer, offer_id=offer.pk, merchant_id=offer.merchant_id, change="created")
        return "created"
    changed = [name for name, value in values.items() if getattr(offer, name) != value]
    if not changed:
        return "unchanged"
    for name in changed:
        setattr(offer, name, values[name])
    offer.save(update_fields=[*changed, "updated_at"])
    events.offer_changed.send(sender=Offer, offer_id=offer.pk, merchant_id=offer.merchant_id, change="updated")
    return "updated"


def offers_import_feed(
    *,
    rows: Iterable[tuple[int, dict]],
    network: str,
    label: str = "line",
    source: str = "",
    on_row: Callable[[], None] | None = None,
) -> ImportReport:
    """Create or update offers from validated feed lines, keyed by (network, the network's offer id); safe to run
    twice. A bad line is reported with its number and every reason and changes nothing (validation comes first;
    each good line is written in a savepoint of its own, so a database refusal skips just that line). Stores not
    seen before are created inactive. One audit row per run; listings are invalidated on commit."""
    network = network.strip().lower()
    report = ImportReport(label=label)
    with transaction.atomic():
        lookups = _Lookups(network, report)
        for number, raw in rows:
            try:
                item = parse_feed_row(raw)
            except FeedRowError as exc:
                report.errors.append(FeedLineError(number, str(exc)))
            else:
                try:
                    with transaction.atomic():
                        outcome = _upsert(item, network, lookups)
                except DatabaseError as exc:
                    lookups.merchants.clear()  # a store created in the rolled-back savepoint is gone again
                    report.errors.append(FeedLineError(number, f"refused by the database: {exc}".strip()[:300]))
                else:
                    setattr(report, outcome, getattr(report, outcome) + 1)
            if on_row is not None:
                on_row()
        audit_log(
            actor_id=None,
            action=AuditAction.OFFERS_IMPORT_FEED,
            entity_type="offer_feed",
            metadata={
                "network": network,
                "source": source,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "bad_lines": [e.number for e in report.errors],
                "stores_created": report.stores_created,
            },
        )
        if report.created or report.updated:
            listing_changed()
    return report

"""Reads for the catalogue: stores, the category tree, and the cashback rule.

The cashback rule lives in ONE place, :func:`cashback_rate_for`: the offer's own rule, else the store's commission
for the category (walking up the category tree, then a store-wide commission), else the store's default. Pages use
it for the "Up to 7% cashback" line; the wallet uses the same rate's :meth:`CashbackRate.amount_for` to compute what
a purchase earns.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from uuid import UUID

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone
from guardian.models import UserObjectPermission

from couponali.money import PAISA, format_inr

from .cache import PAGE_MAX_AGE, listing_generation
from .models import CashbackType, Category, Merchant, MerchantCommission

HUNDRED = Decimal("100")
CACHE_TTL = 600  # seconds; the generation key makes stale entries unreachable long before this

# ---------------------------------------------------------------- number formatting


def format_number(value: Decimal | int | float) -> str:
    """7.00 -> "7", 6.50 -> "6.5", 5.39 -> "5.39" (no float maths)."""
    d = Decimal(str(value)).quantize(PAISA)
    text = f"{d:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---------------------------------------------------------------- the cashback rule


@dataclass(frozen=True)
class CashbackRate:
    """What a shopper earns: ``value`` percent of the order (capped at ``cap``) or a flat ``value`` in rupees.

    ``source`` says which rule produced it: "offer", "commission", "merchant" or "none".
    """

    type: str | None
    value: Decimal = Decimal("0")
    cap: Decimal | None = None
    source: str = "none"

    def __bool__(self) -> bool:
        return self.type is not None and self.value > 0

    @property
    def is_percentage(self) -> bool:
        return self.type == CashbackType.PERCENTAGE

    @property
    def display(self) -> str:
        """The card line: "Up to 7% cashback", "Up to 7% cashback (max ₹500)", "Flat ₹150 cashback", or ""."""
        if not self:
            return ""
        if self.is_percentage:
            line = f"Up to {format_number(self.value)}% cashback"
            return f"{line} (max {format_inr(self.cap)})" if self.cap else line
        return f"Flat {format_inr(self.value)} cashback"

    def amount_for(self, order_amount: Decimal | None) -> Decimal:
        """Cashback on an order of ``order_amount`` rupees, rounded DOWN to the paisa (never pay more than the
        rate), capped by ``cap`` for percentages; a flat rate is paid in full on any qualifying order, including
        one whose amount the network did not report (None)."""
        if not self:
            return Decimal("0.00")
        if order_amount is None:
            return Decimal("0.00") if self.is_percentage else self.value.quantize(PAISA)
        if order_amount <= 0:
            return Decimal("0.00")
        if self.is_percentage:
            amount = (Decimal(order_amount) * self.value / HUNDRED).quantize(PAISA, rounding=ROUND_DOWN)
            return min(amount, self.cap) if self.cap is not None else amount
        return self.value.quantize(PAISA)


NO_CASHBACK = CashbackRate(type=None)


def _commission_valid(c: MerchantCommission, today: date) -> bool:
    return (c.valid_from is None or c.valid_from <= today) and (c.valid_until is None or c.valid_until >= today)


def commission_share(c: MerchantCommission) -> tuple[Decimal, bool]:
    """The percentage of a commission passed on to the shopper, and whether it is the site default: the row's
    cashback_percentage, else CASHBACK_DEFAULT_SHARE_PERCENT (an empty share once passed the whole commission
    on, which gave away the site's margin)."""
    if c.cashback_percentage is not None:
        return c.cashback_percentage, False
    return Decimal(settings.CASHBACK_DEFAULT_SHARE_PERCENT), True


def _commission_rate(c: MerchantCommission) -> CashbackRate:
    """The shopper's share of a commission (:func:`commission_share`)."""
    share, _default = commission_share(c)
    value = (c.commission_value * share / HUNDRED).quantize(PAISA, rounding=ROUND_DOWN)
    return CashbackRate(type=c.commission_type, value=value, cap=None, source="commission")


def _pick(commissions: list[MerchantCommission]) -> MerchantCommission:
    # Several valid rows for one category: the most recent (latest valid_from, then the newest row) wins.
    return max(commissions, key=lambda c: (c.valid_from or date.min, c.pk or 0))


def offer_own_rate(offer) -> CashbackRate:
    """Step 1 of :func:`cashback_rate_for`: an offer's own rule (``cashback_type`` and ``cashback_value``;
    ``max_cashback`` caps a percentage), or NO_CASHBACK (type None) when it has none; a rule of ₹0 or 0% is a
    rule (the offer pays nothing) though the rate is falsy. ``offer`` may be any object with those
    three attributes (a values() row wrapped in a namespace)."""
    if offer.cashback_type and offer.cashback_value is not None:
        cap = offer.max_cashback if offer.cashback_type == CashbackType.PERCENTAGE else None
        return CashbackRate(type=offer.cashback_type, value=offer.cashback_value, cap=cap, source="offer")
    return NO_CASHBACK


def cashback_rate_for(
    merchant: Merchant,
    category: Category | int | None = None,
    offer=None,
    *,
    commissions: Iterable[MerchantCommission] | None = None,
    parents: Mapping[int, int | None] | None = None,
    today: date | None = None,
) -> CashbackRate:
    """The cashback rate for a purchase at ``merchant`` in ``category`` through ``offer`` (all optional but the
    merchant). In order:

    1. the offer's own rule (``offer.cashback_type`` and ``cashback_value``; ``max_cashback`` caps a percentage);
    2. the store's commission for the category, else for its parent, grandparent..., else a store-wide commission
       (category empty); only commissions valid today count, and the shopper gets ``cashback_percentage`` percent
       of the commission (CASHBACK_DEFAULT_SHARE_PERCENT when empty, :func:`commission_share`);
    3. the store's default cashback;
    4. no cashback.

    ``category`` defaults to the offer's category. ``commissions`` (the merchant's rows) and ``parents``
    (category id -> parent id) may be passed preloaded to avoid queries on list pages; otherwise
    ``merchant.commissions`` (prefetched or one query) and the cached category tree are used.
    """
    if offer is not None and (own := offer_own_rate(offer)).type is not None:
        return own  # even a zero rule: an offer that pays no cashback says so for itself

    if category is None and offer is not None:
        category = offer.category_id
    category_id = category.pk if isinstance(category, Category) else category
    today = today or timezone.localdate()
    rows = list(merchant.commissions.all() if commissions is None else commissions)
    valid = [c for c in rows if _commission_valid(c, today)]
    if valid:
        by_category: dict[int | None, list[MerchantCommission]] = defaultdict(list)
        for c in valid:
            by_category[c.category_id].append(c)
        if category_id is not None:
            parents = category_parents() if parents is None else parents
            seen: set[int] = set()
            current: int | None = category_id
            while current is not None and current not in seen:
                seen.add(current)
                if current in by_category:
                    return _commission_rate(_pick(by_category[current]))
                current = parents.get(current)
        if None in by_category:
            return _commission_rate(_pick(by_category[None]))

    if merchant.default_cashback_type and merchant.default_cashback_value is not None:
        return CashbackRate(
            type=merchant.default_cashback_type, value=merchant.default_cashback_value, source="merchant"
        )
    return NO_CASHBACK


@dataclass(frozen=True)
class OfferRate:
    """A live offer's own cashback rule (its ``cashback_type``, ``cashback_value`` and ``max_cashback``, which
    :func:`cashback_rate_for` puts first), with what the store page needs to name and link it."""

    title: str
    uuid: UUID
    rate: CashbackRate


OFFER_RATE_ROWS = 5  # the store table names at most this many offers with a rule of their own (the best first)


def _best_first(rate: CashbackRate) -> tuple[bool, Decimal]:
    # Percentages before flat amounts (the headline prefers them), each highest first.
    return (not rate.is_percentage, -rate.value)


def merchant_headline_rate(
    merchant: Merchant,
    *,
    commissions: Iterable[MerchantCommission] | None = None,
    today: date | None = None,
    offer_rates: Iterable[OfferRate] = (),
) -> CashbackRate:
    """The best rate a store offers, for its "Up to 9% cashback" wherever the store is shown (cards, the store
    page's header, typeahead, the API): the best row of its rates table (:func:`merchant_rates_by_category` with
    the same arguments, so the two never disagree), preferring percentages when it has any. Pass its live offers'
    own rules as ``offer_rates`` so that no offer card promises more than the headline."""
    rows = merchant_rates_by_category(merchant, commissions=commissions, today=today, offer_rates=offer_rates)
    if not rows:
        return NO_CASHBACK
    return min((row.rate for row in rows), key=_best_first)


@dataclass(frozen=True)
class CategoryRate:
    """A row of a store's rates table: a category (``category_slug``), an offer with its own rule
    (``offer_uuid``), or everything else (neither)."""

    category_name: str
    category_slug: str | None
    rate: CashbackRate
    offer_uuid: UUID | None = None


def merchant_rates_by_category(
    merchant: Merchant,
    *,
    commissions: Iterable[MerchantCommission] | None = None,
    today: date | None = None,
    offer_rates: Iterable[OfferRate] = (),
) -> list[CategoryRate]:
    """The store page's table: one row per category the store has a commission for today, one per distinct rule
    of ``offer_rates`` (named by its first offer; at most OFFER_RATE_ROWS, the best first, so that the headline's
    rate is always in the table), then "Everything else" (a store-wide commission or the store default).
    ``commissions`` should come with their categories (commissions_by_merchant does that); otherwise one query."""
    today = today or timezone.localdate()
    rows = list(merchant.commissions.select_related("category") if commissions is None else commissions)
    valid = [c for c in rows if _commission_valid(c, today)]
    out: list[CategoryRate] = []
    seen: set[int] = set()
    for c in sorted(valid, key=lambda c: c.category.name if c.category else ""):
        category = c.category
        if category is None or category.pk in seen or category.deleted_at is not None:
            continue
        seen.add(category.pk)
        rate = cashback_rate_for(merchant, category.pk, commissions=valid, parents={}, today=today)
        if rate:
            out.append(CategoryRate(category.name, category.slug, rate))
    by_rule: dict[tuple, OfferRate] = {}
    for o in offer_rates:
        if o.rate:
            by_rule.setdefault((o.rate.type, o.rate.value, o.rate.cap), o)
    for o in sorted(by_rule.values(), key=lambda o: _best_first(o.rate))[:OFFER_RATE_ROWS]:
        out.append(CategoryRate(o.title, None, o.rate, offer_uuid=o.uuid))
    fallback = cashback_rate_for(merchant, None, commissions=valid, parents={}, today=today)
    if fallback:
        out.append(CategoryRate("Everything else" if out else "All purchases", None, fallback))
    return out


def commissions_by_merchant(merchant_ids: Iterable[int]) -> dict[int, list[MerchantCommission]]:
    """Every commission row of these stores, grouped by store: one query for a whole list page."""
    ids = {i for i in merchant_ids if i is not None}
    out: dict[int, list[MerchantCommission]] = {i: [] for i in ids}
    if ids:
        for c in MerchantCommission.objects.filter(merchant_id__in=ids).select_related("category"):
            out[c.merchant_id].append(c)
    return out


# ---------------------------------------------------------------- categories


@dataclass
class CategoryNode:
    id: int
    name: str
    slug: str
    parent_id: int | None
    description: str
    icon_url: str
    is_featured: bool
    seo_title: str
    seo_description: str
    children: list[CategoryNode] = field(default_factory=list)

    def descendant_ids(self) -> list[int]:
        out = [self.id]
        for child in self.children:
            out.extend(child.descendant_ids())
        return out


@dataclass
class CategoryTree:
    roots: list[CategoryNode]
    by_id: dict[int, CategoryNode]
    by_slug: dict[str, CategoryNode]

    def parents(self) -> dict[int, int | None]:
        return {i: n.parent_id for i, n in self.by_id.items()}

    def ancestors(self, node: CategoryNode) -> list[CategoryNode]:
        out: list[CategoryNode] = []
        seen = {node.id}
        current = self.by_id.get(node.parent_id) if node.parent_id else None
        while current is not None and current.id not in seen:
            out.insert(0, current)
            seen.add(current.id)
            current = self.by_id.get(current.parent_id) if current.parent_id else None
        return out


def categories_listed() -> QuerySet[Category]:
    """Categories shoppers see: active, not deleted, for offers (or both)."""
    return Category.objects.filter(is_active=True, type__in=[Category.Type.OFFER, Category.Type.BOTH])


def _build_tree() -> CategoryTree:
    nodes = [
        CategoryNode(
            id=c.pk,
            name=c.name,
            slug=c.slug,
            parent_id=c.parent_id,
            description=c.description or "",
            icon_url=c.icon_url or "",
            is_featured=c.is_featured,
            seo_title=c.seo_title or "",
            seo_description=c.seo_description or "",
        )
        for c in categories_listed().order_by("display_order", "name")
    ]
    by_id = {n.id: n for n in nodes}
    roots = []
    for n in nodes:
        parent = by_id.get(n.parent_id) if n.parent_id else None
        if parent is not None and parent is not n:
            parent.children.append(n)
        else:
            roots.append(n)
    return CategoryTree(roots=roots, by_id=by_id, by_slug={n.slug: n for n in nodes})


_tree_memo: dict[str, tuple[CategoryTree, float]] = {}


def category_tree() -> CategoryTree:
    """The listed categories as a tree (children in display order). Cached in Redis per listing generation (a
    miss is one query) and kept per process for the current generation, so pages that ask several times read it
    once."""
    generation = listing_generation(max_age=PAGE_MAX_AGE)
    memo = _tree_memo.get(generation)
    if memo is not None and time.monotonic() - memo[1] < CACHE_TTL:
        return memo[0]
    key = f"catalog:tree:{generation}"
    tree = cache.get(key)
    if tree is None:
        tree = _build_tree()
        cache.set(key, tree, CACHE_TTL)
    _tree_memo.clear()
    _tree_memo[generation] = (tree, time.monotonic())
    return tree


def category_parents() -> dict[int, int | None]:
    return category_tree().parents()


# ---------------------------------------------------------------- stores


def merchants_listed() -> QuerySet[Merchant]:
    """Stores shoppers see: active and not deleted."""
    return Merchant.objects.filter(is_active=True)


def merchant_listed_by_slug(slug: str) -> Merchant | None:
    return merchants_listed().filter(slug=slug).first()


# ---------------------------------------------------------------- store grants (merchant managers)

STORE_GRANT_CODENAME = "change_merchant"
"""The object permission (django-guardian) that makes a store a merchant manager's: they edit that store, its
offers and its commissions. Held store-wide (a role's ``catalog.change_merchant``), it covers every store."""


def store_ids_granted_to(user) -> frozenset[int]:
    """The ids of the stores granted to this staff member by object grants; read once per user object (a
    request's user), so that an admin page asking for every row and button pays one query."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active or not user.is_staff:
        return frozenset()
    cached = getattr(user, "store_grant_ids", None)
    if cached is None:
        rows = UserObjectPermission.objects.filter(
            user_id=user.pk,
            content_type=ContentType.objects.get_for_model(Merchant),
            permission__codename=STORE_GRANT_CODENAME,
        ).values_list("object_pk", flat=True)
        cached = frozenset(int(pk) for pk in rows)
        user.store_grant_ids = cached
    return cached

"""The click-out's read side: where an offer or a store sends the shopper, cached in-process.

The click-out is the hottest path of the site, so it never reads the database for the offer: the redirect data of
an offer (its store's tracking template, affiliate id, URLs and the offer's validity) is kept in a per-process
dictionary stamped with the listing generation (catalog.cache). A change to an offer or store bumps the
generation; every process sees it within ``CLICKOUT_GENERATION_MAX_AGE`` seconds (its own changes at once) and
reloads. Entries also age out after ``CLICKOUT_CACHE_SECONDS``. Validity (started, not expired, store active,
not deleted) is checked against the clock on every click, so an offer stops redirecting the second it expires.

The redirect goes only to a URL stored for that offer or store: nothing from the request is ever used to build
it (no open redirect), and a stored URL that is not an absolute http(s) URL is refused.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.utils import timezone

from catalog.cache import listing_generation
from catalog.logos import logo_url_for
from catalog.models import Merchant, MerchantCommission
from catalog.networks import link_click_param
from catalog.selectors import NO_CASHBACK, CashbackRate, cashback_rate_for

from .models import Offer, offer_live_at


@dataclass(frozen=True)
class ClickTarget:
    offer_id: int
    offer_uuid: str
    title: str
    merchant_id: int
    merchant_name: str
    category_id: int | None
    starts_at: datetime | None
    expires_at: datetime | None
    deleted: bool
    merchant_active: bool
    # The tracking URL with everything but the click id and the user id filled in and checked (None: no usable
    # stored URL); per click only two str.replace() calls remain.
    url_pattern: str | None
    # The cashback rate the site advertises for this offer today (catalog.selectors.cashback_rate_for), written
    # on each click so that the wallet can honour it later.
    rate: CashbackRate = NO_CASHBACK
    # What the "Cashback activated" page shows (offers.views.activated), so that it renders without a query.
    merchant_slug: str = ""
    logo: str = ""
    coupon_code: str = ""

    def is_live(self, now: datetime) -> bool:
        return offer_live_at(
            now,
            deleted=self.deleted,
            store_listed=self.merchant_active,
            starts_at=self.starts_at,
            expires_at=self.expires_at,
        )

    def url_for(self, *, click_id: str, user_id: int | None) -> str | None:
        return fill_url_pattern(self.url_pattern, click_id=click_id, user_id=user_id)


_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
# Stand-ins for the per-click values while a pattern is built and checked: letters and digits only, so the
# check holds for the filled URL too (a click id is a UUID, a user id digits).
_CLICK = "ca0click0id0ca"
_USER = "ca0user0id0ca"


def is_safe_external_url(url: str) -> bool:
    """An absolute http(s) URL with a host, and no whitespace, control character or backslash a browser could
    read differently."""
    if not url or _UNSAFE_CHARS.search(url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(host)


def add_query_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, value))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def build_url_pattern(
    *, template: str, affiliate_url: str, website_url: str, affiliate_id: str, network: str
) -> str | None:
    """The store's tracking URL with the placeholders {affiliate_id} and {url} (the offer's affiliate URL, else
    the store's website) filled in URL-encoded, {click_id} and {user_id} left for fill_url_pattern; without a
    template, the offer's affiliate URL (else the website) with the click id as the network's sub-id parameter.
    None when there is no usable stored URL (not an absolute http(s) URL)."""
    destination = affiliate_url or website_url
    if template:
        url = (
            template.replace("{affiliate_id}", quote(affiliate_id, safe=""))
            .replace("{url}", quote(destination, safe=""))
            .replace("{click_id}", _CLICK)
            .replace("{user_id}", _USER)
        )
    elif destination and is_safe_external_url(destination):
        url = add_query_param(destination, link_click_param(network), _CLICK)
    else:
        return None
    return url if is_safe_external_url(url) else None


def fill_url_pattern(pattern: str | None, *, click_id: str, user_id: int | None) -> str | None:
    if pattern is None:
        return None
    return pattern.replace(_CLICK, quote(click_id, safe="")).replace(_USER, "" if user_id is None else str(user_id))


# ---------------------------------------------------------------- the cache

_MISSING = object()
_lock = threading.Lock()
_entries: dict[tuple[str, str], tuple[object, str, float]] = {}


def _cached(key: tuple[str, str], load):
    # The date is part of the stamp: commissions are valid per day, so the advertised rate may change at midnight.
    generation = f"{listing_generation(max_age=settings.CLICKOUT_GENERATION_MAX_AGE)}:{timezone.localdate()}"
    now = time.monotonic()
    hit = _entries.get(key)
    if hit is not None and hit[1] == generation and now - hit[2] < settings.CLICKOUT_CACHE_SECONDS:
        return hit[0]
    value = load()
    with _lock:
        if len(_entries) >= settings.CLICKOUT_CACHE_MAX_ENTRIES:
            _entries.clear()
        _entries[key] = (value, generation, now)
    return value


def clear_cache() -> None:
    with _lock:
        _entries.clear()


_FIELDS = (
    "id",
    "uuid",
    "title",
    "merchant_id",
    "category_id",
    "starts_at",
    "expires_at",
    "deleted_at",
    "affiliate_url",
    "merchant__name",
    "merchant__is_active",
    "merchant__deleted_at",
    "merchant__tracking_url_template",
    "merchant__affiliate_id",
    "merchant__affiliate_network",
    "merchant__website_url",
    "merchant__default_cashback_type",
    "merchant__default_cashback_value",
    "cashback_type",
    "cashback_value",
    "max_cashback",
    "coupon_code",
    "merchant__slug",
    "merchant__logo",
    "merchant__logo_url",
)


def _advertised_rate(row: dict) -> CashbackRate:
    """The same rule as every offer card shows: the offer's, else the store's commission for the category (or a
    parent), else the store's default."""
    # An unsaved stand-in: the rule reads only these two fields (the commissions are passed in).
    merchant = Merchant(
        default_cashback_type=row["merchant__default_cashback_type"],
        default_cashback_value=row["merchant__default_cashback_value"],
    )
    offer = SimpleNamespace(
        cashback_type=row["cashback_type"],
        cashback_value=row["cashback_value"],
        max_cashback=row["max_cashback"],
        category_id=row["category_id"],
    )
    commissions = MerchantCommission.objects.filter(merchant_id=row["merchant_id"])
    return cashback_rate_for(merchant, offer=offer, commissions=commissions)


def _target(row: dict) -> ClickTarget:
    return ClickTarget(
        rate=_advertised_rate(row),
        url_pattern=build_url_pattern(
            template=(row["merchant__tracking_url_template"] or "").strip(),
            affiliate_url=(row["affiliate_url"] or "").strip(),
            website_url=(row["merchant__website_url"] or "").strip(),
            affiliate_id=row["merchant__affiliate_id"] or "",
            network=row["merchant__affiliate_network"] or "",
        ),
        offer_id=row["id"],
        offer_uuid=str(row["uuid"]),
        title=row["title"],
        merchant_id=row["merchant_id"],
        merchant_name=row["merchant__name"],
        category_id=row["category_id"],
        starts_at=row["starts_at"],
        expires_at=row["expires_at"],
        deleted=row["deleted_at"] is not None or row["merchant__deleted_at"] is not None,
        merchant_active=bool(row["merchant__is_active"]),
        merchant_slug=row["merchant__slug"],
        logo=logo_url_for(row["merchant__logo"], row["merchant__logo_url"]),
        coupon_code=row["coupon_code"] or "",
    )


def target_for_offer(offer_uuid) -> ClickTarget | None:
    """Redirect data of an offer (deleted and expired ones included: the view shows them the friendly page)."""

    def load():
        row = Offer.all_objects.filter(uuid=offer_uuid).values(*_FIELDS).first()
        return _target(row) if row else None

    return _cached(("offer", str(offer_uuid)), load)


def target_for_store(slug: str) -> ClickTarget | object | None:
    """Redirect data of a store's hidden store-visit offer; ``MISSING_VISIT_OFFER`` when the store exists but has
    no store-visit offer yet (the view asks offers.services to create it), None when there is no such store."""

    def load():
        row = (
            Offer.all_objects.filter(merchant__slug=slug, is_store_visit=True, merchant__deleted_at=None)
            .order_by("id")
            .values(*_FIELDS)
            .first()
        )
        if row:
            return _target(row)
        merchant = Merchant.objects.filter(slug=slug).values("id").first()
        return MISSING_VISIT_OFFER if merchant else None

    return _cached(("store", slug), load)


def forget_store(slug: str) -> None:
    with _lock:
        _entries.pop(("store", slug), None)


MISSING_VISIT_OFFER = _MISSING

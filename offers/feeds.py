"""Affiliate-network offer feeds (CSV or JSON): reading and validating lines, before offers.services imports them.

A CSV feed has a header line; a line is numbered as a text editor numbers it (header = line 1). A JSON feed is a
list of objects, numbered from 1 ("item 4"). Columns/keys: network_offer_id, merchant, title, description,
offer_type (code/deal/sale), coupon_code, cashback_type (percentage/fixed), cashback_value, max_cashback,
affiliate_url, category, terms_conditions, starts_at, expires_at (YYYY-MM-DD, or ISO 8601 with an offset; a date
alone starts at 00:00 and ends at 23:59:59 India time).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from catalog.models import CashbackType
from couponali.money import is_whole_paise

from .clickout import is_safe_external_url
from .models import Offer

FORMATS = ("csv", "json")
MAX_MONEY = Decimal("99999999.99")


class FeedFormatError(Exception):
    """The file as a whole cannot be read (missing, not CSV/JSON, wrong shape)."""


class FeedRowError(Exception):
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class FeedOffer:
    network_offer_id: str
    merchant: str
    title: str
    description: str | None
    offer_type: str
    coupon_code: str | None
    cashback_type: str | None
    cashback_value: Decimal | None
    max_cashback: Decimal | None
    affiliate_url: str | None
    category: str | None
    terms_conditions: str | None
    starts_at: datetime | None
    expires_at: datetime | None


def detect_format(path: Path, explicit: str | None) -> str:
    fmt = (explicit or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise FeedFormatError(
            f"cannot tell the format of {path.name!r}: name it .csv or .json, or pass --format csv|json"
        )
    return fmt


def read_feed(path: Path, fmt: str) -> tuple[str, list[tuple[int, dict]]]:
    """(label, [(number, raw mapping)]): label is "line" for CSV and "item" for JSON."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise FeedFormatError(f"file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedFormatError(f"cannot read {path}: {exc}") from exc
    if fmt == "json":
        return "item", _read_json(text)
    return "line", _read_csv(text)


def _read_json(text: str) -> list[tuple[int, dict]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedFormatError(f"not valid JSON: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("offers"), list):
        data = data["offers"]
    if not isinstance(data, list):
        raise FeedFormatError("a JSON feed must be a list of offer objects")
    return [(n, item if isinstance(item, dict) else {"__invalid__": True}) for n, item in enumerate(data, start=1)]


def _read_csv(text: str) -> list[tuple[int, dict]]:
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration as exc:
        raise FeedFormatError("the CSV file is empty") from exc
    except csv.Error as exc:
        raise FeedFormatError(f"not valid CSV: {exc}") from exc
    if "network_offer_id" not in header:
        raise FeedFormatError("the CSV header has no network_offer_id column")
    rows: list[tuple[int, dict]] = []
    previous_end = reader.line_num
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rows.append((previous_end + 1, {"__error__": f"not valid CSV ({exc})"}))
            previous_end = reader.line_num
            continue
        start = previous_end + 1
        previous_end = reader.line_num
        if not values or all(not v.strip() for v in values):
            continue
        raw = dict(zip(header, values, strict=False))
        if len(values) > len(header):
            raw["__error__"] = f"{len(values)} fields but the header has {len(header)}"
        rows.append((start, raw))
    return rows


# ---------------------------------------------------------------- validation


def _text(raw: dict, key: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    return str(value).strip()


def _money(raw: dict, key: str, reasons: list[str]) -> Decimal | None:
    text = _text(raw, key)
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        reasons.append(f"{key} {text!r} is not a number")
        return None
    if not value.is_finite():
        reasons.append(f"{key} {text!r} is not a number")
        return None
    if value < 0:
        reasons.append(f"{key} must not be negative ({text})")
        return None
    if value > MAX_MONEY or not is_whole_paise(value):
        reasons.append(f"{key} {text!r} must have at most 8 digits and 2 decimals")
        return None
    return value


def _when(raw: dict, key: str, reasons: list[str], *, end: bool) -> datetime | None:
    text = _text(raw, key)
    if not text:
        return None
    tz = timezone.get_default_timezone()
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        moment = day = None
    if moment is not None:
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment, tz)
    if day is not None:
        return _day_bound(day, end=end, tz=tz)
    reasons.append(f"{key} {text!r} is not a date (YYYY-MM-DD or ISO 8601)")
    return None


def _day_bound(day: date, *, end: bool, tz) -> datetime:
    if end:
        return timezone.make_aware(datetime.combine(day, time.min) + timedelta(days=1, microseconds=-1), tz)
    return timezone.make_aware(datetime.combine(day, time.min), tz)


def _limited(raw: dict, key: str, limit: int, reasons: list[str], *, required: bool = False) -> str:
    value = _text(raw, key)
    if required and not value:
        reasons.append(f"{key} is missing")
    elif len(value) > limit:
        reasons.append(f"{key} is longer than {limit} characters")
    return value


def _cashback(raw: dict, reasons: list[str]) -> tuple[str, Decimal | None, Decimal | None]:
    """The line's cashback type, value and cap; what is wrong with them goes to ``reasons``."""
    cashback_type = _text(raw, "cashback_type").lower()
    if cashback_type and cashback_type not in CashbackType.values:
        reasons.append(f"cashback_type {cashback_type!r} is not one of {', '.join(CashbackType.values)}")
    cashback_value = _money(raw, "cashback_value", reasons)
    max_cashback = _money(raw, "max_cashback", reasons)
    if cashback_type and cashback_value is None and not _text(raw, "cashback_value"):
        reasons.append("cashback_value is missing for the cashback_type")
    if cashback_value is not None and not cashback_type:
        reasons.append("cashback_type is missing for the cashback_value")
    if cashback_type == CashbackType.PERCENTAGE and cashback_value is not None and cashback_value > 100:
        reasons.append(f"a percentage cashback_value cannot exceed 100 ({cashback_value})")
    return cashback_type, cashback_value, max_cashback


@dataclass(frozen=True)
class OfferFields:
    """The validated fields of one offer, whoever wrote them (a feed line, a brand partner, staff)."""

    title: str
    description: str | None
    offer_type: str
    coupon_code: str | None
    cashback_type: str | None
    cashback_value: Decimal | None
    max_cashback: Decimal | None
    affiliate_url: str | None
    terms_conditions: str | None
    starts_at: datetime | None
    expires_at: datetime | None


def _offer_fields(raw: dict, reasons: list[str]) -> OfferFields:
    """The offer rules, the one home of them: a feed line and the offer services (brand API, staff) both check an
    offer here. Every problem is appended to ``reasons`` as "<field> ..." text."""
    title = _limited(raw, "title", 255, reasons, required=True)
    offer_type = _text(raw, "offer_type").lower()
    if not offer_type:
        reasons.append("offer_type is missing")
    elif offer_type not in Offer.Type.values:
        reasons.append(f"offer_type {offer_type!r} is not one of {', '.join(Offer.Type.values)}")
    coupon_code = _limited(raw, "coupon_code", 100, reasons)
    if offer_type == Offer.Type.CODE and not coupon_code:
        reasons.append("coupon_code is missing for a code offer")
    cashback_type, cashback_value, max_cashback = _cashback(raw, reasons)
    affiliate_url = _text(raw, "affiliate_url")
    if affiliate_url and not is_safe_external_url(affiliate_url):
        reasons.append(f"affiliate_url {affiliate_url[:80]!r} is not an http(s) URL")
    starts_at = _when(raw, "starts_at", reasons, end=False)
    expires_at = _when(raw, "expires_at", reasons, end=True)
    if starts_at and expires_at and expires_at <= starts_at:
        reasons.append("expires_at is before starts_at")
    return OfferFields(
        title=title,
        description=_text(raw, "description") or None,
        offer_type=offer_type,
        coupon_code=coupon_code or None,
        cashback_type=cashback_type or None,
        cashback_value=cashback_value,
        max_cashback=max_cashback,
        affiliate_url=affiliate_url or None,
        terms_conditions=_text(raw, "terms_conditions") or None,
        starts_at=starts_at,
        expires_at=expires_at,
    )


def parse_offer_fields(raw: dict) -> OfferFields:
    """Validated offer fields from a mapping of texts (or values), or FeedRowError with every reason."""
    reasons: list[str] = []
    fields = _offer_fields(raw, reasons)
    if reasons:
        raise FeedRowError(reasons)
    return fields


def parse_feed_row(raw: dict) -> FeedOffer:
    """A validated feed line, or FeedRowError with every reason it is bad."""
    if raw.get("__invalid__"):
        raise FeedRowError(["not an object"])
    reasons: list[str] = []
    if raw.get("__error__"):
        reasons.append(raw["__error__"])
    network_offer_id = _limited(raw, "network_offer_id", 120, reasons, required=True)
    merchant = _limited(raw, "merchant", 255, reasons, required=True)
    fields = _offer_fields(raw, reasons)
    category = _limited(raw, "category", 100, reasons)
    if reasons:
        raise FeedRowError(reasons)
    return FeedOffer(
        network_offer_id=network_offer_id,
        merchant=merchant,
        title=fields.title,
        description=fields.description,
        offer_type=fields.offer_type,
        coupon_code=fields.coupon_code,
        cashback_type=fields.cashback_type,
        cashback_value=fields.cashback_value,
        max_cashback=fields.max_cashback,
        affiliate_url=fields.affiliate_url,
        category=category or None,
        terms_conditions=fields.terms_conditions,
        starts_at=fields.starts_at,
        expires_at=fields.expires_at,
    )

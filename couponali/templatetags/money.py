"""The one template library for amounts, counts, times and dates on every page, e-mail and admin screen.

``{{ amount|inr }}`` -> "₹1,23,456.78" (lakh grouping, :func:`couponali.money.format_inr`, the one Python
function; empty for None), ``{{ count|lakh }}`` -> "1,23,456" (a whole count, the same grouping),
``{{ moment|ist }}`` -> "4 Dec 2026, 3:05 pm IST" (India's clock, labelled), and ``{{ moment|dmy }}`` ->
"4 Dec 2026" (a date or a datetime, in IST).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone

from couponali.money import format_indian_number, format_inr

register = template.Library()


@register.filter
def inr(value) -> str:
    """Rupees with lakh grouping; "" for None or for something that is not a number (never a 500)."""
    if value is None or value == "":
        return ""
    try:
        return format_inr(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return ""


@register.filter
def lakh(value) -> str:
    """A whole count with lakh grouping ("1,23,456"); "" for something that is not a whole number."""
    try:
        return format_indian_number(int(value))
    except (TypeError, ValueError):
        return ""


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


@register.filter
def ist(value) -> str:
    """A moment on India's clock, labelled: "4 Dec 2026, 3:05 pm IST"."""
    if not isinstance(value, datetime):
        return ""
    moment = _local(value)
    hour = moment.hour % 12 or 12
    meridiem = "am" if moment.hour < 12 else "pm"
    return f"{moment.day} {moment:%b %Y}, {hour}:{moment:%M} {meridiem} IST"


@register.filter
def dmy(value) -> str:
    """A date as "4 Dec 2026" (a datetime is taken on India's clock first)."""
    if isinstance(value, str) and value:
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value  # not a date: shown as it came (a supplier's free-text expiry)
    if isinstance(value, datetime):
        value = _local(value).date()
    if not isinstance(value, date):
        return ""
    return f"{value.day} {value:%b %Y}"

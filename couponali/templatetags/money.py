"""{{ amount|inr }}: rupees with Indian digit grouping (couponali.money.format_inr), for every template, the
admin's included. The shopper site's offers_tags registers the same function."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from couponali.money import format_inr

register = template.Library()


@register.filter
def inr(value) -> str:
    """ "" for None (and for anything that is not a number, rather than an error on the page)."""
    if value is None or value == "":
        return ""
    try:
        return format_inr(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return ""

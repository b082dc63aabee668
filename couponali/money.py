"""Money amounts: rupees as ``Decimal`` with two decimals (the seed's DECIMAL(n, 2)). The one home of the
quantum and of the rounding rules; rounding is always explicit.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

PAISA = Decimal("0.01")
"""The smallest amount: one paisa."""


def quantize_paise(value: Decimal | int | str, *, rounding: str = ROUND_HALF_UP) -> Decimal:
    """``value`` rounded to the paisa (half up unless told otherwise: say which rounding a rule needs)."""
    return Decimal(value).quantize(PAISA, rounding=rounding)


def is_whole_paise(value: Decimal) -> bool:
    """Whether ``value`` has no fraction of a paisa (an amount to accept as it is, not to round)."""
    return value == value.quantize(PAISA)


def cashback_amount_floor(value: Decimal | int | str) -> Decimal:
    """Round down to the paisa: what the shopper (or a referrer) earns never rounds up in their favour."""
    return quantize_paise(value, rounding=ROUND_DOWN)


def _lakh_grouped(digits: str) -> str:
    # "12345678" -> "1,23,45,678": the last three digits, then pairs.
    head, tail = digits[:-3], digits[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return ",".join([*groups, tail]) if groups else tail


def format_indian_number(value: int) -> str:
    """A whole count with Indian digit grouping: 1234567 -> "12,34,567" (shoppers, clicks, orders)."""
    n = int(value)
    return ("-" if n < 0 else "") + _lakh_grouped(str(abs(n)))


def format_inr(value: Decimal | int) -> str:
    """Rupees with Indian digit grouping: 150 -> "₹150", 150000 -> "₹1,50,000", 99.5 -> "₹99.50"."""
    d = Decimal(str(value)).quantize(PAISA)
    sign = "-" if d < 0 else ""
    whole, _, paise = f"{abs(d):f}".partition(".")
    return f"{sign}₹{_lakh_grouped(whole)}" + (f".{paise}" if paise and paise != "00" else "")

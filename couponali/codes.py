"""Human-readable random codes (referral codes, CouponAli gift cards, locally issued vouchers).

One alphabet for every code a person reads aloud or types from a screenshot: no 0/O, 1/I/L, so nothing is
ambiguous. Random characters come from ``secrets`` (a CSPRNG), never ``random``.
"""

from __future__ import annotations

import re
import secrets

UNAMBIGUOUS_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

_SEPARATORS = re.compile(r"[\s\-]+")


def random_code(length: int) -> str:
    return "".join(secrets.choice(UNAMBIGUOUS_ALPHABET) for _ in range(length))


def normalise_code(value: str | None) -> str:
    """What a person typed, as stored: upper case, without the spaces and dashes of the grouped form."""
    return _SEPARATORS.sub("", value or "").upper()


def group_code(code: str, *, size: int = 4) -> str:
    """'CAK7M2Q9XHR4' -> 'CAK7-M2Q9-XHR4', easier to read and type."""
    return "-".join(code[i : i + size] for i in range(0, len(code), size))

"""Format checks for Indian identifiers: mobile numbers, PAN, IFSC, UPI ids, PIN codes, bank accounts."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MOBILE_RE = re.compile(r"^[6-9]\d{9}$")
PAN_RE = re.compile(r"^[A-Z]{5}\d{4}[A-Z]$")
IFSC_RE = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
UPI_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,255}@[A-Za-z][A-Za-z0-9]{1,63}$")
PINCODE_RE = re.compile(r"^[1-9]\d{5}$")
ACCOUNT_RE = re.compile(r"^\d{9,18}$")


def normalise_mobile(value: str) -> str:
    """'+91 98765-43210', '098765 43210' and '9876543210' all become '9876543210' (digits only, the country
    code and trunk prefix dropped; :func:`clean_mobile` then checks what is left)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 12 and digits.startswith("91"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    return digits


def clean_mobile(value: str) -> str:
    """An Indian mobile number as 10 digits starting 6-9; +91, 91 and 0 prefixes, spaces and dashes allowed."""
    raw = (value or "").strip()
    if re.search(r"[^\d\s()+-]", raw):
        raise ValidationError("Enter a 10-digit Indian mobile number.", code="invalid_mobile")
    digits = normalise_mobile(raw)
    if not MOBILE_RE.match(digits):
        raise ValidationError(
            "Enter a 10-digit Indian mobile number starting with 6, 7, 8 or 9.", code="invalid_mobile"
        )
    return digits


def clean_email(value: str) -> str:
    email = (value or "").strip().lower()
    validate_email(email)
    return email


def clean_identifier(value: str) -> tuple[str, str]:
    """('email', 'priya@example.in') or ('mobile', '9876543210') from what a person typed."""
    raw = (value or "").strip()
    if not raw:
        raise ValidationError("Enter your e-mail address or mobile number.", code="required")
    if "@" in raw:
        try:
            return "email", clean_email(raw)
        except ValidationError:
            raise ValidationError("Enter a valid e-mail address.", code="invalid_email") from None
    return "mobile", clean_mobile(raw)


def clean_pan(value: str) -> str:
    pan = (value or "").strip().upper()
    if not PAN_RE.match(pan):
        raise ValidationError("A PAN has 5 letters, 4 digits and a letter, like ABCDE1234F.", code="invalid_pan")
    return pan


def clean_ifsc(value: str) -> str:
    ifsc = (value or "").strip().upper()
    if not IFSC_RE.match(ifsc):
        raise ValidationError(
            "An IFSC has 4 letters, a zero and 6 letters or digits, like HDFC0001234.", code="invalid_ifsc"
        )
    return ifsc


def clean_upi(value: str) -> str:
    upi = (value or "").strip()
    if not UPI_RE.match(upi):
        raise ValidationError(
            "Enter a valid UPI id, like name@bank (for example priya.s@okhdfcbank).", code="invalid_upi"
        )
    return upi.lower()


def clean_account_number(value: str) -> str:
    number = re.sub(r"[\s-]", "", value or "")
    if not ACCOUNT_RE.match(number):
        raise ValidationError("A bank account number has 9 to 18 digits.", code="invalid_account")
    return number


def clean_pincode(value: str) -> str:
    pin = (value or "").strip()
    if not PINCODE_RE.match(pin):
        raise ValidationError("A PIN code has 6 digits and does not start with 0.", code="invalid_pincode")
    return pin

"""The one masking rule: which values are secret and how they are shown (the audit log, the admin, KYC pages).

A value is judged by its *name* (a model field or a metadata key) and by its *shape*:

* secrets - passwords, tokens, key hashes, encrypted values, OTPs and PINs, voucher codes and PINs, payout
  destinations - are never shown, only ``HIDDEN``;
* identifiers - PAN, Aadhaar, bank account numbers, UPI ids, gift-card codes - keep their tail
  (``XXXXXX234F``, ``prXXXXXX@okhdfcbank``), enough for staff to tell two apart and nothing more;
* any string that looks like ciphertext (a Fernet token) is hidden whatever its name.

Kept in the kernel because the audit log (couponali.audit) applies it to every row it writes; accounts.crypto
re-exports the masks for the KYC pages.
"""

from __future__ import annotations

import re
from typing import Any

HIDDEN = "[hidden]"

_SECRET_NAME = re.compile(
    r"(password|passwd|secret|token|(^|_)hash$|^hash|encrypted|cipher|api_key|private_key|signing_key|session_key"
    r"|(^|_)otp($|_)|(^|_)pin$|voucher_codes|destination_details)",
    re.IGNORECASE,
)
_UPI_NAME = re.compile(r"(^|_)(upi|vpa)(_|$)", re.IGNORECASE)
_TAIL_NAME = re.compile(r"(^|_)(pan|pan_number|aadhaar|aadhaar_number|account_number|card_number)$", re.IGNORECASE)
# Fields whose bare name says nothing ("code") but whose value is a bearer secret, as ``table.column``.
_TAIL_COLUMNS = frozenset({"gift_cards.code"})
# Fernet tokens are url-safe base64 of a version byte 0x80 and a timestamp: they start with "gAAAAA".
_CIPHERTEXT = re.compile(r"^gAAAAA[A-Za-z0-9_\-]{40,}={0,2}$")


def mask_tail(value: str | None, *, visible: int = 4) -> str:
    """'ABCDE1234F' -> 'XXXXXX234F'; '001234567890' -> 'XXXXXXXX7890'. Length is kept, the tail shown."""
    if not value:
        return ""
    visible = min(visible, max(len(value) - 2, 0))
    return "X" * (len(value) - visible) + value[len(value) - visible :]


def mask_upi(value: str | None) -> str:
    """'priya.sharma@okhdfcbank' -> 'prXXXXXXXXXX@okhdfcbank': the handle is hidden, the bank shown."""
    if not value:
        return ""
    name, _, bank = value.partition("@")
    shown = name[:2] if len(name) > 4 else name[:1]
    return shown + "X" * (len(name) - len(shown)) + "@" + bank


def masked(field: str, plaintext: str | None) -> str:
    """A KYC value as every page shows it."""
    return mask_upi(plaintext) if field == "upi_id" else mask_tail(plaintext)


def secrecy(name: str, *, table: str | None = None) -> str | None:
    """How the value named ``name`` (of ``table``, when known) is shown: "hidden", "upi", "tail" or None (as is)."""
    if _SECRET_NAME.search(name):
        return "hidden"
    if _UPI_NAME.search(name):
        return "upi"
    if _TAIL_NAME.search(name) or (table and f"{table}.{name}" in _TAIL_COLUMNS):
        return "tail"
    return None


def _apply(kind: str | None, value: Any) -> Any:
    if value is None or value == "" or isinstance(value, bool):  # "no value" and yes/no reveal nothing
        return value
    if isinstance(value, dict):
        return {k: _apply(kind or secrecy(str(k)), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_apply(kind, v) for v in value]
    if kind == "hidden":
        return HIDDEN
    text = value if isinstance(value, str) else None
    if text is not None and _CIPHERTEXT.match(text):
        return HIDDEN
    if kind == "upi":
        return mask_upi(str(value))
    if kind == "tail":
        return mask_tail(str(value))
    return value


def mask_value(name: str, value: Any, *, table: str | None = None) -> Any:
    """``value`` as it may be recorded or shown under the name ``name`` (containers are masked key by key)."""
    return _apply(secrecy(name, table=table), value)


def mask_metadata(data: dict | None) -> dict:
    """Every value of an audit row's metadata, masked by its key, at any depth. Idempotent."""
    if not data:
        return {}
    return _apply(None, data)

"""The one home of the voucher format kept in ``order_items.voucher_codes`` (seed: "array of {code, pin, expiry,
status}") and of how a voucher is shown.

Each entry: ``{"code": <Fernet token>, "pin": <Fernet token or null>, "tail": "last 4 of the code",
"expiry": "YYYY-MM-DD" or null, "status": "active" | "void", "supplier": "local", "supplier_ref": ...}``.
Code and PIN are encrypted with the KYC keyring (accounts.crypto, MultiFernet under KYC_ENCRYPTION_KEYS, so
`rotate_kyc_keys`'s key rotation story applies); only the tail is kept in clear, for the masked display.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accounts import crypto

from .suppliers import IssuedVoucher

ACTIVE = "active"
VOID = "void"


def voucher_entry(voucher: IssuedVoucher, *, supplier: str) -> dict:
    return {
        "code": crypto.encrypt(voucher.code),
        "pin": crypto.encrypt(voucher.pin),
        "tail": voucher.code[-4:],
        "expiry": voucher.expiry.isoformat() if voucher.expiry else None,
        "status": ACTIVE,
        "supplier": supplier,
        "supplier_ref": voucher.supplier_ref,
    }


@dataclass(frozen=True)
class PlainVoucher:
    code: str
    pin: str | None
    expiry: dt.date | None


def voucher_plain(entry: dict) -> PlainVoucher:
    """Decrypt one entry. Only the services call this (reveal to the owner, delivery), and they audit it."""
    return PlainVoucher(
        code=crypto.decrypt(entry["code"]) or "",
        pin=crypto.decrypt(entry.get("pin")),
        expiry=dt.date.fromisoformat(entry["expiry"]) if entry.get("expiry") else None,
    )


def masked_code(entry: dict) -> str:
    return f"XXXX-XXXX-{entry.get('tail') or ''}"


@dataclass(frozen=True)
class VoucherRow:
    item_id: int
    index: int
    product_name: str
    denomination: object
    masked: str
    has_pin: bool
    expiry: dt.date | None
    status: str

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE


def voucher_rows(order) -> list[VoucherRow]:
    """The order's vouchers, masked, in item order (the items prefetched by orders.selectors.order_of, or one
    query)."""
    rows: list[VoucherRow] = []
    for item in sorted(order.items.all(), key=lambda i: i.pk):
        for index, entry in enumerate(item.voucher_codes or []):
            rows.append(
                VoucherRow(
                    item_id=item.pk,
                    index=index,
                    product_name=item.product_name or "",
                    denomination=item.denomination or item.unit_price,
                    masked=masked_code(entry),
                    has_pin=bool(entry.get("pin")),
                    expiry=dt.date.fromisoformat(entry["expiry"]) if entry.get("expiry") else None,
                    status=entry.get("status", ACTIVE),
                )
            )
    return rows

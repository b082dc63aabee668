"""Where the vouchers of a paid order come from: a pluggable supplier backend, like Django's e-mail backends.

``settings.GIFTCARD_SUPPLIER_BACKEND`` names the class:

* LocalVoucherSupplier - generates codes and PINs here (the default: `make run` and tests need no supplier);
* HttpVoucherSupplier  - a brand/aggregator's JSON API (GIFTCARD_SUPPLIER_URL, GIFTCARD_SUPPLIER_API_KEY).

A backend is asked for one order line at a time with a reference that stays the same on every retry of that
line (``<order uuid>:<item id>``): a real supplier uses it as its idempotency key, so a retry after a timeout
gets the vouchers of the first call back instead of a second set. Errors: SupplierUnavailable (worth retrying:
network, timeouts, 5xx, 429) and SupplierRejected (retrying will not help: the supplier said no).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from couponali.codes import random_code


@dataclass(frozen=True)
class IssueRequest:
    reference: str
    sku: str
    denomination: Decimal
    quantity: int
    validity_days: int | None


@dataclass(frozen=True)
class IssuedVoucher:
    code: str
    pin: str | None
    expiry: dt.date | None
    supplier_ref: str | None = None


class SupplierError(Exception):
    pass


class SupplierUnavailable(SupplierError):
    """The supplier could not be reached or failed on its side; the same request may succeed later."""


class SupplierRejected(SupplierError):
    """The supplier refused the request (unknown product, out of stock, bad credentials); staff must look."""


class VoucherSupplier:
    name = "base"

    def issue(self, request: IssueRequest) -> list[IssuedVoucher]:  # pragma: no cover - interface
        raise NotImplementedError


def _expiry(validity_days: int | None) -> dt.date | None:
    return timezone.localdate() + dt.timedelta(days=validity_days) if validity_days else None


class LocalVoucherSupplier(VoucherSupplier):
    """Codes of 16 characters from the unambiguous alphabet and 6-digit PINs, from ``secrets``."""

    name = "local"

    def issue(self, request: IssueRequest) -> list[IssuedVoucher]:
        expiry = _expiry(request.validity_days)
        return [
            IssuedVoucher(code=random_code(16), pin=f"{secrets.randbelow(10**6):06d}", expiry=expiry)
            for _ in range(request.quantity)
        ]


class HttpVoucherSupplier(VoucherSupplier):
    """POST {GIFTCARD_SUPPLIER_URL}/orders with a bearer key and an Idempotency-Key header; the answer lists
    the vouchers: {"vouchers": [{"code": ..., "pin": ..., "expiry": "YYYY-MM-DD", "id": ...}, ...]}."""

    name = "http"

    def issue(self, request: IssueRequest) -> list[IssuedVoucher]:
        if not settings.GIFTCARD_SUPPLIER_URL:
            raise SupplierRejected("GIFTCARD_SUPPLIER_URL is not set.")
        try:
            response = requests.post(
                settings.GIFTCARD_SUPPLIER_URL.rstrip("/") + "/orders",
                json={
                    "reference": request.reference,
                    "sku": request.sku,
                    "denomination": str(request.denomination),
                    "quantity": request.quantity,
                },
                headers={
                    "Authorization": f"Bearer {settings.GIFTCARD_SUPPLIER_API_KEY}",
                    "Idempotency-Key": request.reference,
                },
                timeout=(settings.GIFTCARD_SUPPLIER_CONNECT_TIMEOUT, settings.GIFTCARD_SUPPLIER_READ_TIMEOUT),
            )
        except requests.RequestException as exc:
            raise SupplierUnavailable(f"Supplier unreachable: {exc.__class__.__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise SupplierUnavailable(f"Supplier answered {response.status_code}")
        if response.status_code >= 400:
            raise SupplierRejected(f"Supplier refused the order ({response.status_code}): {response.text[:200]}")
        try:
            rows = response.json()["vouchers"]
            vouchers = [
                IssuedVoucher(
                    code=str(row["code"]),
                    pin=str(row["pin"]) if row.get("pin") else None,
                    expiry=dt.date.fromisoformat(row["expiry"]) if row.get("expiry") else None,
                    supplier_ref=str(row["id"]) if row.get("id") is not None else None,
                )
                for row in rows
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise SupplierUnavailable(f"Supplier sent an answer we cannot read: {exc}") from exc
        if len(vouchers) != request.quantity or any(not v.code for v in vouchers):
            raise SupplierRejected(f"Supplier sent {len(vouchers)} vouchers for {request.quantity}.")
        return vouchers


def voucher_supplier() -> VoucherSupplier:
    return import_string(settings.GIFTCARD_SUPPLIER_BACKEND)()

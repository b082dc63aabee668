"""Razorpay, through the official SDK, and the local stand-in that plays its part without keys.

Only this module talks to the gateway. Signatures are always checked by the SDK's utility
(``verify_payment_signature``, ``verify_webhook_signature``), with the real key secret or, in fake mode, the
local fake secret: the fake checkout page signs exactly as Razorpay does, so the same code path verifies both.
Amounts cross this boundary in paise (integers).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from decimal import Decimal

import razorpay
import requests
from django.conf import settings
from razorpay.errors import BadRequestError, GatewayError, ServerError, SignatureVerificationError

NAME = "razorpay"
# Razorpay Checkout (the pay page with real keys): the script it is loaded from, and the payment window it opens
# in a frame. orders.views allows exactly these two origins, on that page only (Content-Security-Policy).
CHECKOUT_SCRIPT_ORIGIN = "https://checkout.razorpay.com"
CHECKOUT_SCRIPT_URL = f"{CHECKOUT_SCRIPT_ORIGIN}/v1/checkout.js"
CHECKOUT_FRAME_ORIGIN = "https://api.razorpay.com"


class PaymentGatewayError(Exception):
    """The gateway refused or could not be reached; the message is safe to show staff."""

    http_status = 503  # the API's answer (couponali.api_errors)
    error_code = "payment_gateway_unavailable"


class PaymentGatewayUnavailable(PaymentGatewayError):
    """No keys and no fake checkout allowed: online payment is switched off here."""


def to_paise(amount: Decimal) -> int:
    paise = amount * 100
    if paise != paise.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of paise")
    return int(paise)


def from_paise(paise: int) -> Decimal:
    return (Decimal(paise) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class GatewayRefund:
    id: str
    status: str  # Razorpay: pending / processed / failed
    amount_paise: int
    receipt: str | None


class RazorpayGateway:
    """The real API. Each call is one HTTP request through the SDK (requests underneath)."""

    fake = False

    def __init__(self, *, key_id: str, key_secret: str, webhook_secret: str):
        self.key_id = key_id
        self.webhook_secret = webhook_secret
        self.client = razorpay.Client(auth=(key_id, key_secret))
        self.timeout = (settings.RAZORPAY_CONNECT_TIMEOUT, settings.RAZORPAY_READ_TIMEOUT)

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, timeout=self.timeout, **kwargs)
        except (BadRequestError, GatewayError, ServerError) as exc:
            raise PaymentGatewayError(f"Razorpay refused: {exc}") from exc
        except requests.RequestException as exc:
            raise PaymentGatewayError(f"Razorpay could not be reached: {exc.__class__.__name__}") from exc

    def order_create(self, *, amount_paise: int, receipt: str, notes: dict) -> str:
        data = {"amount": amount_paise, "currency": "INR", "receipt": receipt, "notes": notes}
        return self._call(self.client.order.create, data)["id"]

    def refund_create(self, *, payment_id: str, amount_paise: int, receipt: str) -> GatewayRefund:
        data = {"amount": amount_paise, "receipt": receipt, "notes": {"receipt": receipt}}
        return _refund(self._call(self.client.payment.refund, payment_id, data))

    def refunds_of(self, *, payment_id: str) -> list[GatewayRefund]:
        return [_refund(r) for r in self._call(self.client.payment.fetch_multiple_refund, payment_id).get("items", [])]

    # ---- signatures: the SDK decides

    def payment_signature_ok(self, *, order_id: str, payment_id: str, signature: str) -> bool:
        params = {"razorpay_order_id": order_id, "razorpay_payment_id": payment_id, "razorpay_signature": signature}
        try:
            return bool(self.client.utility.verify_payment_signature(params))
        except (SignatureVerificationError, TypeError):  # TypeError: a non-ASCII signature cannot be compared
            return False

    def webhook_signature_ok(self, *, body: bytes, signature: str) -> bool:
        if not self.webhook_secret:
            return False
        try:
            text = body.decode("utf-8")
            return bool(self.client.utility.verify_webhook_signature(text, signature, self.webhook_secret))
        except (SignatureVerificationError, TypeError, UnicodeDecodeError):
            return False


def _refund(data: dict) -> GatewayRefund:
    return GatewayRefund(
        id=data["id"],
        status=data.get("status", "pending"),
        amount_paise=int(data.get("amount", 0)),
        receipt=data.get("receipt") or (data.get("notes") or {}).get("receipt"),
    )


class FakeRazorpayGateway(RazorpayGateway):
    """No keys (``make run``, offline demos): orders and refunds get local ids, and the fake checkout page
    (orders/views.py) signs payments with the fake secret as Razorpay signs them. Never used when keys are set,
    and only where RAZORPAY_FAKE_CHECKOUT allows it."""

    fake = True
    _refunds: dict[str, list[GatewayRefund]] = {}

    def __init__(self):
        super().__init__(
            key_id="rzp_test_fake",
            key_secret=settings.RAZORPAY_FAKE_SECRET,
            webhook_secret=settings.RAZORPAY_FAKE_SECRET,
        )

    def order_create(self, *, amount_paise: int, receipt: str, notes: dict) -> str:
        return f"order_fake{secrets.token_hex(7)}"

    def refund_create(self, *, payment_id: str, amount_paise: int, receipt: str) -> GatewayRefund:
        refund = GatewayRefund(
            id=f"rfnd_fake{secrets.token_hex(7)}", status="processed", amount_paise=amount_paise, receipt=receipt
        )
        self._refunds.setdefault(payment_id, []).append(refund)
        return refund

    def refunds_of(self, *, payment_id: str) -> list[GatewayRefund]:
        return list(self._refunds.get(payment_id, []))

    def sign_payment(self, *, order_id: str, payment_id: str) -> str:
        """What Razorpay Checkout hands the browser: HMAC-SHA256 of "order_id|payment_id" under the key secret."""
        key = settings.RAZORPAY_FAKE_SECRET.encode()
        return hmac.new(key, f"{order_id}|{payment_id}".encode(), hashlib.sha256).hexdigest()


def online_payment_available() -> bool:
    return bool(
        (settings.RAZORPAY_KEY_ID and settings.RAZORPAY_KEY_SECRET)
        or (settings.RAZORPAY_FAKE_CHECKOUT and settings.RAZORPAY_FAKE_SECRET)
    )


def get_gateway() -> RazorpayGateway:
    if settings.RAZORPAY_KEY_ID and settings.RAZORPAY_KEY_SECRET:
        return RazorpayGateway(
            key_id=settings.RAZORPAY_KEY_ID,
            key_secret=settings.RAZORPAY_KEY_SECRET,
            webhook_secret=settings.RAZORPAY_WEBHOOK_SECRET,
        )
    if settings.RAZORPAY_FAKE_CHECKOUT and settings.RAZORPAY_FAKE_SECRET:
        return FakeRazorpayGateway()
    raise PaymentGatewayUnavailable("Online payment is not available right now; pay fully with your wallet.")

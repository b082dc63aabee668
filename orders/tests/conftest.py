"""Fixtures of the store tests: gift cards with stock, shoppers with money in the wallet, Razorpay faked at
its HTTP boundary (responses) with test keys, and a recorder standing in for the fulfilment job."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from decimal import Decimal

import pytest
import responses
from celery import current_app, shared_task

from accounts.factories import UserFactory, grant_permissions
from catalog.factories import ProductFactory, ProductVariantFactory
from couponali import rls
from orders.factories import OrderFactory, OrderItemFactory, PaymentFactory
from orders.models import Order, Payment
from wallet import services as wallet_services
from wallet.models import WalletTransaction

# Non-transactional tests read wallet_transactions (row-level security) with the bypass on, as the wallet's do.
from wallet.tests.conftest import _see_all_rows  # noqa: F401

KEY_ID = "rzp_test_1DP5mmOlF5G5ag"
KEY_SECRET = "test-key-secret-a8f3c2"
WEBHOOK_SECRET = "test-webhook-secret-71b9"
API = "https://api.razorpay.com/v1"

FULFILMENTS: list[int] = []


@shared_task(name="orders.tests.fulfil_recorder")
def fulfil_recorder(order_id: int) -> None:
    FULFILMENTS.append(order_id)


@pytest.fixture
def fulfilments(monkeypatch):
    """orders.fulfil_order (written by the fulfilment part of the store) replaced by a recorder of its calls."""
    FULFILMENTS.clear()
    monkeypatch.setitem(current_app.tasks, "orders.fulfil_order", fulfil_recorder)
    yield FULFILMENTS


@pytest.fixture
def razorpay_keys(settings):
    settings.RAZORPAY_KEY_ID = KEY_ID
    settings.RAZORPAY_KEY_SECRET = KEY_SECRET
    settings.RAZORPAY_WEBHOOK_SECRET = WEBHOOK_SECRET
    return settings


class FakeRazorpay:
    """Razorpay's HTTP API as the tests need it: orders, refunds (with receipts) and their listing."""

    def __init__(self, mock: responses.RequestsMock):
        self.mock = mock
        self.orders: list[dict] = []
        self.refunds: dict[str, list[dict]] = {}
        self.refund_failures = 0
        mock.add_callback(responses.POST, f"{API}/orders", callback=self._order)
        mock.add_callback(responses.POST, re.compile(rf"{API}/payments/(\w+)/refund$"), callback=self._refund)
        mock.add_callback(responses.GET, re.compile(rf"{API}/payments/(\w+)/refunds.*"), callback=self._refunds)

    def _order(self, request):
        body = json.loads(request.body)
        order = {"id": f"order_T{len(self.orders) + 1:011d}", "entity": "order", "status": "created", **body}
        self.orders.append(order)
        return 200, {}, json.dumps(order)

    def _refund(self, request):
        if self.refund_failures:
            self.refund_failures -= 1
            return 502, {}, json.dumps({"error": {"code": "SERVER_ERROR", "description": "try later"}})
        payment_id = request.url.split("/payments/")[1].split("/")[0]
        body = json.loads(request.body)
        refund = {
            "id": f"rfnd_T{sum(map(len, self.refunds.values())) + 1:011d}",
            "entity": "refund",
            "payment_id": payment_id,
            "amount": body["amount"],
            "receipt": body.get("receipt"),
            "status": "processed",
        }
        self.refunds.setdefault(payment_id, []).append(refund)
        return 200, {}, json.dumps(refund)

    def _refunds(self, request):
        payment_id = request.url.split("/payments/")[1].split("/")[0]
        items = self.refunds.get(payment_id, [])
        return 200, {}, json.dumps({"entity": "collection", "count": len(items), "items": items})


@pytest.fixture
def razorpay(razorpay_keys):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeRazorpay(mock)


def sign(message: str, secret: str = KEY_SECRET) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def checkout_signature(order_id: str, payment_id: str) -> str:
    return sign(f"{order_id}|{payment_id}")


def webhook(event: str, *, order_id: str, payment_id: str, amount_paise: int = 0, refund: dict | None = None) -> bytes:
    payment = {
        "id": payment_id,
        "entity": "payment",
        "order_id": order_id,
        "amount": amount_paise,
        "status": "captured",
    }
    if event == "payment.failed":
        payment |= {"status": "failed", "error_description": "Card declined"}
    payload: dict = {"payment": {"entity": payment}}
    if event == "order.paid":
        payload["order"] = {"entity": {"id": order_id, "status": "paid"}}
    if refund is not None:
        payload = {"refund": {"entity": refund}}
    return json.dumps({"entity": "event", "event": event, "payload": payload}).encode()


def fund(user, amount: str) -> None:
    with rls.bypass(reason="test money"):
        wallet_services.wallet_post(
            user_id=user.pk, amount=Decimal(amount), type=WalletTransaction.Type.ADMIN_CREDIT, description="test money"
        )


@pytest.fixture
def shopper(db):
    return UserFactory()


@pytest.fixture
def card(db):
    """An Amazon-style e-gift card: ₹500 for ₹485 (unlimited) and ₹1000 for ₹960 (unlimited)."""
    product = ProductFactory(name="Amazon Pay e-gift card", slug="amazon-pay", is_featured=True)
    return {
        "product": product,
        "v500": ProductVariantFactory(product=product, denomination=Decimal("500"), selling_price=Decimal("485")),
        "v1000": ProductVariantFactory(product=product, denomination=Decimal("1000"), selling_price=Decimal("960")),
    }


@pytest.fixture
def limited(db):
    """A variant with 5 units of stock."""
    product = ProductFactory(name="Croma gift card", slug="croma")
    return ProductVariantFactory(
        product=product, denomination=Decimal("1000"), selling_price=Decimal("950"), stock_quantity=5
    )


def staff_with(*codenames: str):
    """An active staff member (not a superuser) holding only these orders.* permissions."""
    return grant_permissions(UserFactory.create(is_staff=True), *(f"orders.{c}" for c in codenames))


def paid_order(
    *,
    user,
    quantity: int = 2,
    lines: int = 1,
    mobile: str | None = "9876543210",
    status: str = Order.Status.PAID,
    payment_status: str = Order.PaymentStatus.COMPLETED,
) -> Order:
    """An order made directly in a state (₹500 cards), paid through the gateway so that reconcile agrees."""
    total = Decimal("500.00") * quantity * lines
    order = OrderFactory.create(
        user=user,
        status=status,
        payment_status=payment_status,
        delivery_mobile=mobile,
        subtotal=total,
        total_amount=total,
    )
    for i in range(lines):
        product = ProductFactory(name=f"Amazon Pay gift card {i}", validity_days=365)
        variant = ProductVariantFactory(product=product, denomination=Decimal("500.00"))
        OrderItemFactory(
            order=order,
            product=product,
            variant=variant,
            quantity=quantity,
            unit_price=Decimal("500.00"),
            total_price=Decimal("500.00") * quantity,
        )
    if payment_status == Order.PaymentStatus.COMPLETED:
        PaymentFactory(order=order, amount=total, status=Payment.Status.SUCCESS, gateway_payment_id=f"pay_{order.pk}")
    return order

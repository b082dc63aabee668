"""Placing orders: totals, tax, wallet part, limits, delivery details, order numbers, cancel and abandon."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from celery import current_app
from django.utils import timezone

from accounts.factories import UserFactory
from catalog.models import Inventory
from couponali.models import AuditLog
from orders.factories import GiftCardFactory
from orders.models import Order, Payment
from orders.services import checkout
from wallet.models import WalletTransaction

from .conftest import fund

pytestmark = pytest.mark.django_db
T = WalletTransaction.Type


def test_wallet_pays_part_and_the_rest_is_due(shopper, card):
    # given ₹300 in the wallet
    fund(shopper, "300")
    # when two ₹500 cards (₹485 each) are bought using the whole wallet
    placed = checkout.order_place(user=shopper, lines={card["v500"].pk: 2}, email="priya@example.in", use_wallet=True)
    order = placed.order
    # then
    assert re.fullmatch(r"ORD-\d{4}-\d{6}", order.order_number)
    assert (order.subtotal, order.wallet_used, order.total_amount) == (Decimal("970"), Decimal("300"), Decimal("970"))
    assert placed.amount_due == Decimal("670.00")
    assert order.status == Order.Status.PENDING
    posting = WalletTransaction.objects.get(reference_type="order", reference_id=order.pk)
    assert (posting.type, posting.amount) == (T.ORDER_PAYMENT, Decimal("-300.00"))
    shopper.refresh_from_db()
    assert shopper.wallet_balance == 0
    wallet_payment = Payment.objects.get(order=order)
    assert (wallet_payment.payment_method, wallet_payment.amount, wallet_payment.status) == ("wallet", 300, "success")
    item = order.items.get()
    assert (item.quantity, item.unit_price, item.total_price, item.denomination) == (2, 485, 970, 500)
    assert AuditLog.objects.filter(action="order.placed", entity_id=order.pk).count() == 1


def test_a_partial_wallet_amount(shopper, card):
    fund(shopper, "1000")
    placed = checkout.order_place(
        user=shopper, lines={card["v500"].pk: 1}, email="a@b.in", use_wallet=True, wallet_amount=Decimal("100.50")
    )
    assert placed.order.wallet_used == Decimal("100.50") and placed.amount_due == Decimal("384.50")


def test_wallet_pays_all_then_the_order_is_paid_and_fulfilment_queued_once(
    shopper, card, fulfilments, django_capture_on_commit_callbacks
):
    fund(shopper, "2000")
    with django_capture_on_commit_callbacks(execute=True):
        placed = checkout.order_place(user=shopper, lines={card["v1000"].pk: 1}, email="a@b.in", use_wallet=True)
    order = Order.objects.get(pk=placed.order.pk)
    assert placed.amount_due == 0
    assert (order.status, order.payment_status, order.wallet_used) == ("paid", "completed", Decimal("960"))
    shopper.refresh_from_db()
    assert shopper.wallet_balance == Decimal("1040.00")
    assert fulfilments == [order.pk]


def test_order_numbers_come_from_the_sequence(shopper, card):
    numbers = [
        checkout.order_place(user=shopper, lines={card["v500"].pk: 1}, email="a@b.in").order.order_number
        for _ in range(3)
    ]
    seq = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert seq == [seq[0], seq[0] + 1, seq[0] + 2]
    assert all(n.startswith(f"ORD-{timezone.localtime().year}-") for n in numbers)


def test_tax_is_computed_in_one_place(settings, shopper, card):
    settings.ORDER_TAX_RATE_PERCENT = Decimal("18")
    order = checkout.order_place(user=shopper, lines={card["v500"].pk: 1}, email="a@b.in").order
    assert (order.tax_amount, order.total_amount) == (Decimal("87.30"), Decimal("572.30"))
    assert checkout.tax_for(Decimal("485")) == order.tax_amount


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lines": {}}, "Your cart is empty."),
        ({"lines": "too many"}, "At most 10 gift cards per order"),
        ({"email": "not-an-email"}, "valid e-mail"),
        ({"email": "", "mobile": ""}, "e-mail address or a mobile number"),
        ({"mobile": "12345"}, "10-digit Indian mobile"),
        ({"use_wallet": True, "wallet_amount": Decimal("50")}, "Your wallet has ₹0"),
        ({"use_wallet": True, "wallet_amount": Decimal("1.234")}, "in rupees"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(shopper, card, kwargs, message):
    args = {"user": shopper, "lines": {card["v500"].pk: 1}, "email": "a@b.in", **kwargs}
    if args["lines"] == "too many":
        args["lines"] = {card["v500"].pk: 6, card["v1000"].pk: 5}
    with pytest.raises(checkout.CheckoutError, match=re.escape(message)):
        checkout.order_place(**args)
    assert Order.objects.count() == 0 and WalletTransaction.objects.filter(type=T.ORDER_PAYMENT).count() == 0


def test_physical_cards_need_an_indian_address(shopper, card):
    card["product"].card_type = "physical"
    card["product"].save()
    lines = {card["v500"].pk: 1}
    address = {"name": "Priya", "line1": "12 MG Road", "city": "Bengaluru", "state": "Karnataka", "pincode": "060001"}
    with pytest.raises(checkout.CheckoutError, match="PIN code"):
        checkout.order_place(user=shopper, lines=lines, email="a@b.in", address=address)
    with pytest.raises(checkout.CheckoutError, match="state"):
        checkout.order_place(user=shopper, lines=lines, email="a@b.in", address=address | {"state": "Atlantis"})
    order = checkout.order_place(
        user=shopper, lines=lines, email="a@b.in", address=address | {"pincode": "560001"}
    ).order
    assert order.delivery_address["state"] == "Karnataka" and order.delivery_address["pincode"] == "560001"


def test_unavailable_cards_are_refused(shopper, card):
    card["v500"].is_available = False
    card["v500"].save()
    with pytest.raises(checkout.CheckoutError, match="no longer available"):
        checkout.order_place(user=shopper, lines={card["v500"].pk: 1}, email="a@b.in")


def test_a_couponali_gift_card_code_is_a_discount_and_comes_back_on_cancel(shopper, card):
    gift = GiftCardFactory(user=shopper, initial_value=Decimal("600.00"), remaining_value=Decimal("600.00"))
    fund(shopper, "1000")
    lines = {card["v500"].pk: 2}  # ₹970
    order = checkout.order_place(
        user=shopper, lines=lines, email="a@b.in", gift_card_code=gift.code.lower(), use_wallet=True
    ).order
    order.refresh_from_db()
    assert (order.discount_amount, order.total_amount, order.wallet_used) == (600, 370, 370)
    gift.refresh_from_db()
    assert gift.remaining_value == 0
    assert order.status == "paid"  # the wallet paid the rest
    with pytest.raises(checkout.CheckoutError, match=r"(?i)gift card"):
        checkout.order_place(user=shopper, lines=lines, email="a@b.in", gift_card_code="NOPE-NOPE-NOPE")
    assert Order.objects.count() == 1
    # an unpaid order with a card applied gives the card its value back when cancelled
    gift2 = GiftCardFactory(user=shopper, initial_value=Decimal("100.00"), remaining_value=Decimal("100.00"))
    pending = checkout.order_place(user=shopper, lines=lines, email="a@b.in", gift_card_code=gift2.code).order
    gift2.refresh_from_db()
    assert gift2.remaining_value == 0 and pending.total_amount == Decimal("870.00")
    checkout.order_cancel(order_id=pending.pk, actor=shopper)
    gift2.refresh_from_db()
    assert gift2.remaining_value == Decimal("100.00")


def test_cancel_releases_stock_and_returns_the_wallet_part(shopper, limited):
    fund(shopper, "500")
    order = checkout.order_place(user=shopper, lines={limited.pk: 2}, email="a@b.in", use_wallet=True).order
    inv = Inventory.objects.get(variant=limited)
    assert (inv.quantity, inv.reserved) == (5, 2)
    checkout.order_cancel(order_id=order.pk, actor=shopper)
    order.refresh_from_db()
    inv.refresh_from_db()
    shopper.refresh_from_db()
    assert order.status == "cancelled" and order.cancelled_at is not None
    assert (inv.quantity, inv.reserved, inv.sold) == (5, 0, 0)
    assert shopper.wallet_balance == Decimal("500.00")
    back = WalletTransaction.objects.get(type=T.ORDER_REFUND, reference_type="order", reference_id=order.pk)
    assert back.amount == Decimal("500.00")
    with pytest.raises(checkout.CheckoutError, match="cannot be cancelled"):
        checkout.order_cancel(order_id=order.pk, actor=shopper)
    assert WalletTransaction.objects.filter(type=T.ORDER_REFUND).count() == 1


def test_someone_else_cannot_cancel(shopper, card):
    order = checkout.order_place(user=shopper, lines={card["v500"].pk: 1}, email="a@b.in").order
    with pytest.raises(checkout.CheckoutError, match="cannot cancel"):
        checkout.order_cancel(order_id=order.pk, actor=UserFactory())
    order.refresh_from_db()
    assert order.status == "pending"


def test_abandoned_checkouts_are_released_after_the_configured_age(settings, shopper, limited):
    settings.ORDER_ABANDON_AFTER_MINUTES = 30
    fund(shopper, "100")
    old = checkout.order_place(user=shopper, lines={limited.pk: 1}, email="a@b.in", use_wallet=True).order
    fresh = checkout.order_place(user=shopper, lines={limited.pk: 1}, email="a@b.in").order
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(minutes=31))
    assert checkout.orders_release_abandoned() == 1
    assert checkout.orders_release_abandoned() == 0  # safe to run twice
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == ("cancelled", "pending")
    assert Inventory.objects.get(variant=limited).reserved == 1
    shopper.refresh_from_db()
    assert shopper.wallet_balance == Decimal("100.00")


def test_the_beat_job_closes_abandoned_orders_by_name(settings, shopper, limited):
    assert settings.CELERY_BEAT_SCHEDULE["orders-release-abandoned"]["task"] == "orders.release_abandoned"
    order = checkout.order_place(user=shopper, lines={limited.pk: 2}, email="a@b.in").order
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - dt.timedelta(hours=2))
    assert current_app.signature("orders.release_abandoned").delay().get() == 1
    order.refresh_from_db()
    assert order.status == "cancelled" and Inventory.objects.get(variant=limited).reserved == 0


def test_without_a_gateway_only_orders_the_wallet_covers_are_taken(settings, shopper, card):
    settings.RAZORPAY_FAKE_CHECKOUT = False
    fund(shopper, "500")
    with pytest.raises(checkout.CheckoutError, match="Online payment is not available"):
        checkout.order_place(user=shopper, lines={card["v500"].pk: 2}, email="a@b.in", use_wallet=True)
    shopper.refresh_from_db()
    assert shopper.wallet_balance == Decimal("500.00") and not Order.objects.exists()
    order = checkout.order_place(user=shopper, lines={card["v500"].pk: 1}, email="a@b.in", use_wallet=True).order
    assert order.status == "paid"

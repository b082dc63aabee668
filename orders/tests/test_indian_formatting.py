"""The store's amounts, times and dates read the Indian way wherever a person sees them (couponali.money.format_inr
and the money template library): the order and gift-card admin pages, the vouchers' SMS and the rows' names."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import sms
from accounts.factories import UserFactory
from couponali.audit import AuditAction
from couponali.models import AuditLog
from orders import suppliers, tasks
from orders.factories import (
    GiftCardFactory,
    GiftCardRedemptionFactory,
    OrderFactory,
    OrderRefundFactory,
    PaymentFactory,
)
from orders.models import GiftCard, GiftCardRedemption, OrderRefund

from .conftest import paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser():
    browser = Client()
    browser.force_login(UserFactory(is_staff=True, is_superuser=True))
    return browser


def test_order_admin_page_shows_amounts_with_lakh_grouping_and_its_timeline_in_ist(admin_browser):
    order = OrderFactory(subtotal=Decimal("123456.78"), total_amount=Decimal("123456.78"))
    PaymentFactory(order=order, amount=Decimal("100000.00"), status="success")
    OrderRefundFactory(order=order, amount=Decimal("23456.78"), wallet_amount=Decimal("23456.78"))
    placed = timezone.now().astimezone(dt.UTC).replace(hour=9, minute=35, second=0, microsecond=0)
    AuditLog.objects.create(action=AuditAction.ORDER_PLACED, entity_type="order", entity_id=order.pk, created_at=placed)

    html = admin_browser.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    # the order's read-only amounts and those of its payment and refund inlines
    assert html.count("₹1,23,456.78") >= 2 and "₹1,00,000" in html and "₹23,456.78" in html
    assert "123456.78" not in html and "100000.00" not in html
    # 09:35 UTC is 3:05 pm in India, labelled
    assert "3:05 pm IST · Order placed" in html and "09:35" not in html


def test_gift_card_view_only_page_and_its_redemptions_group_lakhs(admin_browser):
    card = GiftCardFactory(initial_value=Decimal("150000.00"), remaining_value=Decimal("125000.50"))
    GiftCardRedemptionFactory(gift_card=card, amount=Decimal("24999.50"))

    html = admin_browser.get(reverse("admin:orders_giftcard_change", args=[card.pk])).content.decode()

    assert "₹1,50,000" in html and "₹1,25,000.50" in html and "₹24,999.50" in html
    assert "150000.00" not in html and "24999.50" not in html


def test_voucher_sms_gives_the_expiry_as_a_short_date(monkeypatch, django_capture_on_commit_callbacks):
    sms.outbox.clear()
    monkeypatch.setattr(suppliers, "_expiry", lambda days: dt.date(2027, 3, 5))
    order = paid_order(user=UserFactory(), quantity=1)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.fulfil_order.delay(order.pk)

    (message,) = sms.outbox
    assert "₹500 code" in message.body and "valid till 5 Mar 2027." in message.body
    sms.outbox.clear()


def test_rows_are_named_with_indian_amounts():
    assert str(OrderRefund(amount=Decimal("123456.78"), order_id=9)) == "refund ₹1,23,456.78 of order 9"
    redemption = GiftCardRedemption(
        amount=Decimal("100000"), gift_card=GiftCard(code="CAK7M2Q9XHR48TWN"), kind="redeem", status="applied"
    )
    assert str(redemption) == "₹1,00,000 of gift card …8TWN (redeem, applied)"

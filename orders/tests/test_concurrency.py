"""Races with real threads on the real database: two redemptions of one card credit once; parallel checkouts
never take more than a card holds; two workers fulfilling one order issue one set of vouchers, sent once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connections

from accounts.factories import UserFactory
from accounts.models import AuditLog
from couponali import rls
from couponali.celery import app as celery_app
from devtools.testing import celery_worker
from orders import tasks
from orders.factories import GiftCardFactory, OrderFactory
from orders.models import GiftCard, GiftCardRedemption, Order, OrderItem
from orders.services import fulfilment, gift_cards
from wallet.models import WalletTransaction

from .conftest import paid_order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _race(n: int, call, errors=(gift_cards.GiftCardError,)):
    start = threading.Barrier(n)

    def run(i):
        try:
            start.wait()
            with rls.bypass(reason="test"):
                return call(i)
        except errors as exc:
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_two_parallel_redemptions_of_one_card_credit_once():
    card = GiftCardFactory(user=None, initial_value=Decimal("500.00"), remaining_value=Decimal("500.00"))
    users = [UserFactory(), UserFactory()]

    results = _race(2, lambda i: gift_cards.gift_card_redeem(code=card.code, user_id=users[i].pk))

    credited = [r for r in results if isinstance(r, GiftCardRedemption)]
    refused = [r for r in results if isinstance(r, gift_cards.GiftCardError)]
    assert len(credited) == 1 and len(refused) == 1
    with rls.bypass(reason="test"):
        postings = list(WalletTransaction.objects.filter(reference_type="gift_card", reference_id=card.pk))
    assert [p.amount for p in postings] == [Decimal("500.00")]
    assert GiftCard.objects.get(pk=card.pk).remaining_value == Decimal("0.00")


def test_parallel_checkouts_never_take_more_than_the_card_holds():
    card = GiftCardFactory(user=None, initial_value=Decimal("1000.00"), remaining_value=Decimal("1000.00"))
    shopper = UserFactory()
    orders = [OrderFactory(user=shopper) for _ in range(6)]

    results = _race(
        6,
        lambda i: gift_cards.gift_card_apply(
            code=card.code, user_id=shopper.pk, amount=Decimal("300.00"), order_id=orders[i].pk
        ),
    )

    taken = sorted(r for r in results if isinstance(r, Decimal))
    assert sum(taken) == Decimal("1000.00")
    assert taken == [Decimal("100.00"), *[Decimal("300.00")] * 3]
    assert GiftCard.objects.get(pk=card.pk).remaining_value == Decimal("0.00")


def test_two_workers_fulfilling_one_order_at_once_issue_one_set_sent_once():
    order = paid_order(user=UserFactory(), lines=3, mobile=None)

    results = _race(4, lambda i: fulfilment.order_fulfil(order_id=order.pk), errors=())

    assert sum(r.fulfilled for r in results) >= 1
    assert sum(r.issued_items for r in results) == 3  # each line issued by exactly one of the runs
    items = OrderItem.objects.filter(order=order)
    assert all(len(i.voucher_codes) == 2 for i in items)
    order.refresh_from_db()
    assert (order.status, order.fulfillment_status) == ("fulfilled", "sent")
    assert len(mail.outbox) == 1
    with rls.bypass(reason="test"):
        assert AuditLog.objects.filter(action="order.fulfilled", entity_id=order.pk).count() == 1


def test_a_paid_order_queued_by_task_name_is_fulfilled_and_sent_by_a_real_worker():
    order = paid_order(user=UserFactory(), quantity=2)

    with celery_worker():
        # as the checkout queues it: by name, after its transaction committed
        celery_app.signature(tasks.FULFIL_ORDER, kwargs={"order_id": order.pk}).delay()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            order.refresh_from_db()
            if order.fulfillment_status == Order.FulfillmentStatus.SENT:
                break
            time.sleep(0.2)

    assert (order.status, order.fulfillment_status) == ("fulfilled", "sent")
    assert len(order.items.get().voucher_codes) == 2
    with rls.bypass(reason="test"):
        assert AuditLog.objects.filter(action="order.vouchers_sent", entity_id=order.pk).count() == 1

"""Stock: reserve, consume, release; digital cards are unlimited; never oversold, also under concurrency
(real threads against the real database)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from accounts.factories import UserFactory
from catalog import stock
from catalog.models import Inventory
from couponali import rls
from orders.models import Order
from orders.services import checkout
from wallet.models import WalletBalance, WalletTransaction

from .conftest import fund


@pytest.mark.django_db
def test_digital_cards_are_unlimited(shopper, card):
    checkout.order_place(user=shopper, lines={card["v500"].pk: 10}, email="a@b.in")
    assert not Inventory.objects.exists()
    assert stock.stock_available(variant_ids=[card["v500"].pk]) == {card["v500"].pk: None}


@pytest.mark.django_db
def test_reserve_all_or_nothing_with_a_clear_message(shopper, limited, card):
    checkout.order_place(user=shopper, lines={limited.pk: 4}, email="a@b.in")
    with pytest.raises(stock.SoldOut, match=r"Only 1 of Croma gift card ₹1,000 left; you asked for 2"):
        checkout.order_place(user=shopper, lines={limited.pk: 2, card["v500"].pk: 1}, email="a@b.in")
    checkout.order_place(user=shopper, lines={limited.pk: 1}, email="a@b.in")
    with pytest.raises(stock.SoldOut, match="sold out"):
        checkout.order_place(user=shopper, lines={limited.pk: 1}, email="a@b.in")
    assert Order.objects.count() == 2
    inv = Inventory.objects.get(variant=limited)
    assert (inv.quantity, inv.reserved) == (5, 5)
    assert stock.stock_available(variant_ids=[limited.pk]) == {limited.pk: 0}


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_twenty_parallel_checkouts_for_the_last_five_units(limited):
    # given 20 shoppers with ₹2000 each, all paying partly with the wallet, and 5 units left
    shoppers = [UserFactory() for _ in range(20)]
    for s in shoppers:
        fund(s, "2000")
    barrier = threading.Barrier(20)
    results: dict[int, tuple[int, str]] = {}

    def buy(user):
        try:
            client = Client()
            client.force_login(user)
            client.post(reverse("cart-add"), {"variant": limited.pk, "quantity": 1})
            connections.close_all()  # back to the pool: 20 threads share a pool of 16 connections
            barrier.wait()
            response = client.post(
                reverse("checkout"), {"email": user.email, "use_wallet": "1", "wallet_amount": "200"}
            )
            results[user.pk] = (response.status_code, response.content.decode())
        finally:
            connections.close_all()

    # when all 20 check out at the same moment
    threads = [threading.Thread(target=buy, args=(s,)) for s in shoppers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then exactly 5 orders hold stock, the other 15 are told it is sold out and lost nothing
    won = [uid for uid, (code, _) in results.items() if code == 302]
    lost = [uid for uid, (code, _) in results.items() if code == 409]
    assert (len(won), len(lost)) == (5, 15)
    assert all("Croma gift card ₹1,000 is sold out." in results[uid][1] for uid in lost), results[lost[0]][1][-3000:]
    assert set(Order.objects.values_list("user_id", flat=True)) == set(won)
    inv = Inventory.objects.get(variant=limited)
    assert (inv.quantity, inv.reserved, inv.sold) == (5, 5, 0)
    balances = dict(WalletBalance.objects.values_list("user_id", "balance"))
    with rls.bypass(reason="test"):
        payments = WalletTransaction.objects.filter(type="order_payment").count()
    assert all(balances[uid] == Decimal("1800.00") for uid in won)
    assert all(balances[uid] == Decimal("2000.00") for uid in lost)
    assert payments == 5

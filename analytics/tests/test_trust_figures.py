"""The home page: a hero with rotating featured offers, "How it works" in three steps, and trust figures computed
from our own data (analytics.selectors.trust_figures, cached)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache

from accounts.authz import SYSTEM
from accounts.factories import UserFactory
from analytics.selectors import TRUST_CACHE_KEY, trust_figures
from catalog.factories import MerchantFactory
from couponali import rls
from offers.factories import OfferFactory
from wallet.factories import CashbackEventFactory
from wallet.services import cashback_confirm


@pytest.mark.django_db
def test_home_shows_hero_slides_three_steps_and_our_own_figures(client, django_assert_max_num_queries):
    cache.delete(TRUST_CACHE_KEY)
    store = MerchantFactory(name="Myntra", is_featured=True)
    MerchantFactory(is_active=False)  # not listed: not counted
    for n in range(5):
        OfferFactory(merchant=store, title=f"Featured deal {n}", is_featured=True)
    shoppers = [UserFactory(), UserFactory()]
    UserFactory(is_staff=True)  # staff are not shoppers
    for user, amount in ((shoppers[0], "123000.50"), (shoppers[1], "456.28")):
        event = CashbackEventFactory(user=user, merchant=store, cashback_amount=Decimal(amount))
        with rls.bypass(reason="test set-up"):  # as the postback job's own scope would
            cashback_confirm(event_id=event.pk, actor=SYSTEM)
    CashbackEventFactory(user=shoppers[1], merchant=store, cashback_amount=Decimal("999"))  # pending: not paid yet

    page = client.get("/").content.decode()

    assert page.count('class="hero-slide"') == 4 and page.count(" hidden>") >= 3  # one shown, the rest rotate
    assert 'src="/static/js/hero.js' in page and "<script>" not in page  # our own file: CSP allows no inline script
    assert "Pick an offer" in page and "Shop as usual" in page and "Get cashback" in page
    assert "<dt>2</dt><dd>shoppers</dd>" in page
    assert "<dt>₹1,23,456</dt><dd>cashback paid</dd>" in page  # whole rupees, rounded down
    assert "<dt>1</dt><dd>stores</dd>" in page

    # cached: a second home page reads the figures from Redis, and a new shopper shows up only later
    UserFactory()
    with django_assert_max_num_queries(30):
        again = client.get("/").content.decode()
    assert "<dt>2</dt><dd>shoppers</dd>" in again
    assert trust_figures().shoppers == 2
    cache.delete(TRUST_CACHE_KEY)
    assert trust_figures().shoppers == 3

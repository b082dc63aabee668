"""The store page's header, its rates table and every offer card come from the one cashback rule
(catalog.selectors.cashback_rate_for) and never contradict: each card's line is a row of the table or the
offer's own rule, and the header's "Up to" is the best of them."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.factories import CategoryFactory, MerchantCommissionFactory, MerchantFactory
from offers.factories import OfferFactory


def _texts(html: str, pattern: str) -> list[str]:
    return [re.sub(r"\s+", " ", t).strip() for t in re.findall(pattern, html, flags=re.S)]


def _percent(line: str) -> Decimal:
    match = re.search(r"([\d.]+)%", line)
    return Decimal(match.group(1)) if match else Decimal("0")


@pytest.mark.django_db
def test_header_rates_table_and_offer_cards_agree(client):
    # given a 5% store that pays 7.5% on fashion and 3% on footwear, and an offer with its own ₹150 rule
    store = MerchantFactory(name="Ajio", default_cashback_value=Decimal("5.00"), tracking_hours=24, validation_days=45)
    fashion = CategoryFactory(name="Fashion")
    footwear = CategoryFactory(name="Footwear", parent=fashion)
    MerchantCommissionFactory(
        merchant=store, category=fashion, commission_value=Decimal("15.00"), cashback_percentage=50
    )
    MerchantCommissionFactory(
        merchant=store, category=footwear, commission_value=Decimal("6.00"), cashback_percentage=50
    )
    inherit = {"cashback_type": None, "cashback_value": None, "max_cashback": None}
    OfferFactory(merchant=store, category=fashion, title="Kurtas from ₹499", **inherit)
    OfferFactory(merchant=store, category=footwear, title="Sneakers sale", **inherit)
    OfferFactory(merchant=store, category=None, title="Sitewide sale", **inherit)
    OfferFactory(
        merchant=store,
        category=fashion,
        title="₹150 off for new users",
        cashback_type="fixed",
        cashback_value=Decimal("150.00"),
        max_cashback=None,
    )

    # when the page is rendered
    html = client.get(reverse("store", args=[store.slug])).content.decode()

    # then the three say the same thing
    header = _texts(html, r'class="cashback store-headline">(.*?)</p>')
    table = _texts(html, r'<td class="cashback">(.*?)</td>')
    cards = _texts(html, r'<article class="card offer-card.*?<p class="cashback">(.*?)</p>')
    assert header == ["Up to 7.5% cashback"]
    assert table == ["Up to 7.5% cashback", "Up to 3% cashback", "Up to 5% cashback"]
    assert sorted(cards) == sorted(
        ["Up to 7.5% cashback", "Up to 3% cashback", "Up to 5% cashback", "Flat ₹150 cashback"]
    )
    own_rules = {"Flat ₹150 cashback"}
    assert all(card in table or card in own_rules for card in cards)
    assert all(_percent(card) <= _percent(header[0]) for card in cards)
    # and the page says how fast this store tracks and confirms
    assert "Tracks in 24 hours" in html and "Confirmed in about 45 days" in html


@pytest.mark.django_db
def test_an_offer_with_a_higher_own_rule_raises_the_header(client):
    store = MerchantFactory(default_cashback_value=Decimal("5.00"))
    OfferFactory(
        merchant=store, cashback_type="percentage", cashback_value=Decimal("10.00"), max_cashback=Decimal("500")
    )

    html = client.get(reverse("store", args=[store.slug])).content.decode()

    assert _texts(html, r'class="cashback store-headline">(.*?)</p>') == ["Up to 10% cashback (max ₹500)"]
    assert _texts(html, r'<td class="cashback">(.*?)</td>') == ["Up to 5% cashback"]

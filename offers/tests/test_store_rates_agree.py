"""The store page's header, its rates table and every offer card come from the one cashback rule
(catalog.selectors.cashback_rate_for) and never contradict: each card's line is a row of the table (an offer with
a rule of its own has a row naming it), and the header's "Up to" is the best of them; everywhere else the store is
shown (the A-Z list, home, search, typeahead, the API) says the same "Up to"."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

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
    assert table == ["Up to 7.5% cashback", "Up to 3% cashback", "Flat ₹150 cashback", "Up to 5% cashback"]
    assert sorted(cards) == sorted(
        ["Up to 7.5% cashback", "Up to 3% cashback", "Up to 5% cashback", "Flat ₹150 cashback"]
    )
    assert all(card in table for card in cards)
    assert all(_percent(card) <= _percent(header[0]) for card in cards)
    # the offer's own rule is named and linked in the table
    assert re.search(r'<a href="/offers/[0-9a-f-]{36}/">₹150 off for new users</a> <span[^>]*>\(this offer\)', html)
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
    # the table has the offer's row, so the header's rate is in it
    assert _texts(html, r'<td class="cashback">(.*?)</td>') == ["Up to 10% cashback (max ₹500)", "Up to 5% cashback"]


@pytest.mark.django_db
def test_every_place_that_shows_a_store_says_the_same_up_to_as_its_page(client):
    # given a featured 5% store whose live offer has its own 10% rule, and an expired offer with 20%
    store = MerchantFactory(name="Zivame", default_cashback_value=Decimal("5.00"), is_featured=True)
    own = {"cashback_type": "percentage", "cashback_value": Decimal("10.00"), "max_cashback": None}
    OfferFactory(merchant=store, title="Lingerie sale", **own)
    expired = {**own, "cashback_value": Decimal("20.00")}
    OfferFactory(merchant=store, title="Old sale", expires_at=timezone.now() - timedelta(days=1), **expired)
    expected = "Up to 10% cashback"

    # then the store page, the A-Z list, home, search, typeahead and the API all say 10%, never 5% or 20%
    page = client.get(reverse("store", args=[store.slug])).content.decode()
    assert _texts(page, r'class="cashback store-headline">(.*?)</p>') == [expected]

    def card_line(html: str) -> list[str]:
        return _texts(html, rf'href="/stores/{store.slug}/">.*?<span class="cashback small">(.*?)</span>')

    assert card_line(client.get(reverse("stores")).content.decode()) == [expected]
    assert card_line(client.get(reverse("home")).content.decode()) == [expected]
    assert card_line(client.get(reverse("search"), {"q": "Zivame"}).content.decode()) == [expected]
    suggestions = client.get(reverse("search-suggest"), {"q": "ziv"}).json()
    assert [s["detail"] for s in suggestions["suggestions"] if s["kind"] == "store"] == [expected]
    api = client.get(f"/api/v1/stores/{store.slug}/").json()
    assert api["cashback"] == expected
    assert [r["rate"]["display"] for r in api["rates"]] == [expected, "Up to 5% cashback"]
    assert api["rates"][0]["offer_uuid"] and api["rates"][0]["category_name"] == "Lingerie sale"
    listed = client.get("/api/v1/stores/").json()
    assert [s["cashback"] for s in listed["results"] if s["slug"] == store.slug] == [expected]

"""The "Cashback activated" interstitial (GET /go/<offer>/activated/, /go/store/<slug>/activated/).

A signed-out shopper gets a prompt: sign in to earn cashback, or continue without it (the plain tracked
click-out). A signed-in shopper goes through the tracked click-out with ?land=1 (one click row, as always), which
lands on the page with the click id in the fragment: store logo, rate, tracking id, "paste your code at
checkout". The page renders from the click-out's cache without a query, and the coupon code is in no page's
source before the click."""

from __future__ import annotations

import uuid
from decimal import Decimal
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from accounts.factories import UserFactory
from catalog.factories import MerchantFactory
from offers import clickout
from offers.factories import OfferFactory
from offers.models import OfferClick
from offers.views import CLICK_SLOT


@pytest.fixture
def offer(db):
    clickout.clear_cache()
    store = MerchantFactory(
        name="Myntra",
        slug="myntra",
        tracking_url_template="https://track.example.net/click?aff={affiliate_id}&sub={click_id}&uid={user_id}",
    )
    return OfferFactory(
        merchant=store,
        title="Flat 20% off",
        coupon_code="MYNTRA20",
        cashback_type="percentage",
        cashback_value=Decimal("7.50"),
        max_cashback=None,
    )


def test_the_code_is_not_in_any_page_source_before_the_click(client, offer):
    store_page = client.get(reverse("store", args=["myntra"])).content.decode()
    offer_page = client.get(reverse("offer", args=[offer.uuid])).content.decode()
    home = client.get("/").content.decode()
    prompt = client.get(reverse("activated", args=[offer.uuid])).content.decode()

    for page in (store_page, offer_page, home, prompt):
        assert "MYNTRA20" not in page
    assert f'data-clickout="/go/{offer.uuid}/activated/"' in store_page
    # the click: the page the shopper stays on shows the code
    assert "MYNTRA20" in client.get(reverse("offer", args=[offer.uuid]) + "?reveal=1").content.decode()


def test_a_signed_out_shopper_is_asked_to_sign_in_or_continue_without_cashback(
    client, offer, django_assert_num_queries
):
    url = reverse("activated", args=[offer.uuid])
    client.get(url)  # the click-out's cache is warm, as it is on a busy site

    with django_assert_num_queries(0):
        response = client.get(url)

    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert "Sign in to earn cashback" in page and "Up to 7.5% cashback at Myntra" in page
    assert f'href="/accounts/login/?next=/go/{offer.uuid}/activated/"' in page
    assert f'href="/go/{offer.uuid}/" rel="nofollow">Continue without cashback</a>' in page
    assert "Cashback activated" not in page and OfferClick.objects.count() == 0
    # continuing without cashback is the plain click-out: one anonymous click, straight to the store
    go = client.get(f"/go/{offer.uuid}/")
    assert go.status_code == 302 and go["Location"].startswith("https://track.example.net/")
    assert OfferClick.objects.get().user_id is None


def test_a_signed_in_shopper_lands_on_cashback_activated_with_the_tracking_id(client, offer):
    shopper = UserFactory()
    client.force_login(shopper)

    first = client.get(reverse("activated", args=[offer.uuid]))
    assert first.status_code == 302 and first["Location"] == f"/go/{offer.uuid}/?land=1"
    go = client.get(first["Location"])
    assert go.status_code == 302
    landing = urlsplit(go["Location"])
    assert (landing.path, landing.query) == (f"/go/{offer.uuid}/activated/", "done=1")
    click = OfferClick.objects.get()
    assert landing.fragment == str(click.click_id) and click.user_id == shopper.pk

    page = unescape(client.get(f"{landing.path}?{landing.query}").content.decode())

    assert "Cashback activated" in page and "Up to 7.5% cashback" in page
    assert "Paste your code at checkout" in page and '<code class="coupon-code">MYNTRA20</code>' in page
    assert "js-tracking-id" in page and 'src="/static/js/activated.js' in page
    # the store's link, with this shopper's id, waits for the click id from the fragment
    assert f'data-pattern="https://track.example.net/click?aff=ca-1001&sub={CLICK_SLOT}&uid={shopper.pk}"' in page
    assert OfferClick.objects.count() == 1  # the page itself records nothing


def test_store_level_click_out_has_the_page_too(client, offer):
    shopper = UserFactory()
    client.force_login(shopper)
    page = client.get(reverse("store", args=["myntra"])).content.decode()
    assert 'href="/go/store/myntra/activated/"' in page

    first = client.get("/go/store/myntra/activated/")
    assert first.status_code == 302 and first["Location"] == "/go/store/myntra/?land=1"
    go = client.get(first["Location"])
    landing = urlsplit(go["Location"])
    assert landing.path == "/go/store/myntra/activated/" and uuid.UUID(landing.fragment)
    done = client.get(f"{landing.path}?{landing.query}").content.decode()
    assert "Cashback activated" in done and "MYNTRA20" not in done  # a store visit has no code


def test_unknown_and_expired_offers(client, offer):
    assert client.get(f"/go/{uuid.uuid4()}/activated/").status_code == 404
    assert client.get("/go/store/nope/activated/").status_code == 404
    offer.delete()
    clickout.clear_cache()
    gone = client.get(reverse("activated", args=[offer.uuid]))
    assert gone.status_code == 302 and gone["Location"] == f"/go/{offer.uuid}/"  # which explains, with a 410

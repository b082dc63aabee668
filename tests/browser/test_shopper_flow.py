"""End to end in Chromium: home -> search a store with a typo -> store page -> "Get code" reveals the code
while the click-out opens in a new tab (a 302 to the tracking URL carrying the click id, recorded)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import sync_playwright

from catalog.factories import CategoryFactory, MerchantFactory
from offers.factories import OfferFactory
from offers.models import OfferClick
from tests.browser import chromium


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_search_with_a_typo_then_get_code_reveals_it_and_tracks_the_click(live_server):
    electronics = CategoryFactory(name="Electronics", slug="electronics")
    flipkart = MerchantFactory(
        name="Flipkart",
        slug="flipkart",
        is_featured=True,
        tracking_url_template="https://track.example.net/click?aff={affiliate_id}&sub={click_id}&url={url}",
    )
    offer = OfferFactory(
        merchant=flipkart, category=electronics, title="Extra ₹500 off on mobiles", coupon_code="FLIP500"
    )

    go_responses = []
    with sync_playwright() as p:
        browser = chromium.launch(p, unresolvable_hosts=("track.example.net",))
        context = browser.new_context()
        context.on("response", lambda r: go_responses.append(r) if "/go/" in r.url else None)
        page = context.new_page()

        page.goto(f"{live_server.url}/")
        assert page.title().startswith("CouponAli")
        page.fill("#nav-search", "flipcart")
        page.press("#nav-search", "Enter")
        page.wait_for_url("**/search/?q=flipcart")
        page.click('section[aria-labelledby="res-stores"] a.store-card[href="/stores/flipkart/"]')
        page.wait_for_url("**/stores/flipkart/")
        assert "Flipkart coupons and offers" in page.inner_text("h1")

        card = page.locator(f'article[data-offer="{offer.uuid}"]')
        assert "FLIP500" not in page.content()  # not in the page before the click
        with context.expect_page() as new_tab_info:
            card.locator("a.js-get-code").click()
        new_tab = new_tab_info.value
        new_tab.wait_for_load_state()

        # the page the shopper stayed on goes on to the code
        page.wait_for_url(f"**/offers/{offer.uuid}/?reveal=1")
        code = page.locator(".code-box .coupon-code")
        assert code.is_visible() and code.inner_text() == "FLIP500"
        # the new tab asks a signed-out shopper to sign in, or to continue without cashback
        assert "Sign in to earn cashback" in new_tab.inner_text("h1")
        new_tab.get_by_role("link", name="Continue without cashback").click()
        new_tab.wait_for_load_state()
        # which is the click-out: a 302 to the tracking URL with the click id
        [go] = [r for r in go_responses if urlsplit(r.url).path == f"/go/{offer.uuid}/"]
        assert go.status == 302
        location = go.headers["location"]
        assert location.startswith("https://track.example.net/click?")
        click_id = parse_qs(urlsplit(location).query)["sub"][0]
        assert go.request.redirected_to.url == location  # the new tab followed it to the store's tracker
        browser.close()

    click = OfferClick.objects.get(click_id=click_id)
    assert click.offer_id == offer.pk and click.merchant_id == flipkart.pk and click.user_id is None

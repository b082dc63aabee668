"""The shopper pages in Chromium at a phone's size (390×844) and a laptop's (1366×900), on the demo data:

- axe-core (axe-playwright-python, which bundles it) finds no critical or serious violation on home, a store, an
  offer, search, sign-in, sign-up, the wallet and its statement, visits and claims, withdraw and the gift-card
  pages;
- screenshots of home, a store, an offer, search and the wallet are written to var/screenshots/ (git-ignored;
  README "Screenshots");
- the layout: a laptop has the main links and the search field in the header; a phone has a one-row header whose
  search icon opens the search field, the bottom bar, a store's first offer on the first screen, home rows that
  scroll sideways, tables that become cards and the amount keyboard.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect, sync_playwright

from offers.models import Offer
from tests.browser import chromium

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
BLOCKING = {"critical", "serious"}
SHOT_PAGES = {"home", "store", "offer", "search", "wallet"}


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    offer = Offer.objects.filter(merchant__slug="flipkart", offer_type="code").order_by("id").first()
    assert offer is not None
    return live_server.url, offer


@pytest.fixture
def browser(demo):
    """Chromium, started after the data is in: Django refuses database calls while Playwright's loop runs."""
    with sync_playwright() as p:
        browser = chromium.launch(p, unresolvable_hosts=("track.example.net",))
        yield browser
        browser.close()


def _new_context(browser, **options):
    """A browser context that does not fetch the web app manifest: Chromium fetches it in the background at a
    moment of its own, and a request still running when the test's database is flushed can deadlock the flush.
    (couponali/tests/test_web_app.py tests the manifest.)"""
    context = browser.new_context(**options)
    context.route("**/manifest.webmanifest", lambda route: route.abort())
    return context


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail or mobile number").fill(settings.DEMO_SHOPPER_EMAIL)
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("details.account-menu")).to_be_visible()


def _blocking_violations(axe: Axe, page, name: str) -> list[str]:
    found = []
    response = axe.run(page).response
    assert response["testEngine"]["name"] == "axe-core" and response["passes"], name  # axe did run its rules
    for violation in response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [", ".join(map(str, node["target"])) for node in violation["nodes"][:5]]
            found.append(f"{name}: {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_shopper_pages_have_no_serious_accessibility_violations_and_are_photographed(browser, demo, viewport):
    base, offer = demo
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = f"{viewport['width']}x{viewport['height']}"
    anonymous = [
        ("home", "/"),
        ("store", "/stores/flipkart/"),
        ("offer", f"/offers/{offer.uuid}/"),
        ("search", "/search/?q=shoes"),
        ("sign-in", "/accounts/login/"),
        ("sign-up", "/accounts/signup/"),
        ("gift-cards", "/gift-cards/"),
        ("help", "/help/"),
    ]
    signed_in = [
        ("wallet", "/wallet/"),
        ("statement", "/wallet/statement/"),
        ("visits", "/wallet/clicks/"),
        ("claims", "/support/tickets/"),
        ("withdraw", "/wallet/withdraw/"),
        ("gift-card-redeem", "/wallet/gift-card/"),
        ("cart", "/cart/"),
    ]
    axe = Axe()
    violations: list[str] = []
    context = _new_context(browser, viewport=viewport, device_scale_factor=1)
    try:
        page = context.new_page()
        page.set_default_timeout(45_000)

        def visit(name: str, path: str) -> None:
            response = page.goto(base + path)
            assert response is not None and response.status == 200, (name, path)
            violations.extend(_blocking_violations(axe, page, f"{name} {size}"))
            if name in SHOT_PAGES:
                page.screenshot(path=SCREENSHOTS / f"{name}-{size}.png")
                page.screenshot(path=SCREENSHOTS / f"{name}-{size}-full.png", full_page=True)

        for name, path in anonymous:
            visit(name, path)
        # a phone has the bottom bar and the search icon, a laptop the main links and the search field
        page.goto(f"{base}/")
        phone = viewport == PHONE
        assert page.get_by_role("navigation", name="Shortcuts").is_visible() is phone
        assert page.locator(".search-toggle").is_visible() is phone
        assert page.locator("#nav-search").is_visible() is not phone
        assert page.get_by_role("navigation", name="Main").is_visible() is not phone
        # a gift card's own page: the first one the list links to
        page.goto(f"{base}/gift-cards/")
        visit("gift-card", page.locator("a[href^='/gift-cards/']").first.get_attribute("href"))
        _sign_in(page, base)
        for name, path in signed_in:
            visit(name, path)
    finally:
        context.close()

    assert violations == []
    for name in SHOT_PAGES:
        assert (SCREENSHOTS / f"{name}-{size}.png").stat().st_size > 1000


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_site_is_laid_out_for_one_thumb(browser, demo):
    base, _offer = demo
    context = _new_context(browser, viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.set_default_timeout(45_000)
        page.goto(f"{base}/")

        # one-row header: the search field hides behind an icon that opens it
        header = page.locator(".site-header")
        assert header.bounding_box()["height"] <= 64
        search = page.locator("#nav-search")
        expect(search).to_be_hidden()
        toggle = header.locator(".search-toggle")
        expect(toggle).to_have_attribute("role", "button")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        toggle.click()
        expect(search).to_be_visible()
        expect(search).to_be_focused()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        search.fill("flipkart")
        search.press("Enter")
        page.wait_for_url("**/search/?q=flipkart")

        # the bottom bar: five places, always on screen
        bar = page.get_by_role("navigation", name="Shortcuts")
        expect(bar).to_be_visible()
        assert bar.get_by_role("link").all_inner_texts() == ["Home", "Stores", "Gift cards", "Refer", "Account"]
        box = bar.bounding_box()
        assert box["y"] + box["height"] == pytest.approx(PHONE["height"], abs=1)

        # home: the offer rows scroll sideways instead of making the page long
        page.goto(f"{base}/")
        row = page.locator(".carousel[aria-labelledby=top-offers]")
        assert row.evaluate("el => el.scrollWidth > el.clientWidth + 100")
        assert row.evaluate("el => el.getBoundingClientRect().height") < 400

        # a store: its first offer, button included, is on the first screen above the bottom bar
        page.goto(f"{base}/stores/flipkart/")
        first_button = page.locator(".store-offers .offer-card").first.locator(".offer-action .button")
        button_box = first_button.bounding_box()
        assert button_box["y"] + button_box["height"] <= PHONE["height"] - box["height"]
        expect(page.locator("a[aria-current=page]", has_text="Stores")).to_be_visible()

        # search: the form takes two rows and the stores scroll sideways, so the first offer is on the first screen
        page.goto(f"{base}/search/?q=shoes")
        form_box = page.locator("form.search-filters").bounding_box()
        assert form_box["height"] < 140
        stores_row = page.locator(".carousel[aria-labelledby=res-stores]")
        assert stores_row.evaluate("el => getComputedStyle(el).display") == "grid"
        first_title = page.locator("section[aria-labelledby=res-offers] .offer-card .offer-title").first
        assert first_title.bounding_box()["y"] < PHONE["height"] - box["height"]

        # stores A-Z: a compact row per store (the logo beside the name), not a tall tile
        page.goto(f"{base}/stores/")
        card = page.locator(".stores-letter .store-card").first
        logo, name = card.locator(".store-logo").bounding_box(), card.locator(".store-name").bounding_box()
        assert name["x"] > logo["x"] + logo["width"] and card.bounding_box()["height"] < 100

        # signed in: the wallet's tables are cards whose cells say what they are
        _sign_in(page, base)
        page.goto(f"{base}/wallet/")
        table = page.locator("table.is-cards").first
        assert table.evaluate("el => getComputedStyle(el).display") == "block"
        assert table.locator("tbody td[data-label='Status']").count() >= 1
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # and so are the claims (the demo shopper has a missing-cashback claim and a question)
        page.goto(f"{base}/support/tickets/")
        claims = page.locator("table.is-cards").first
        assert claims.evaluate("el => getComputedStyle(el).display") == "block"
        expect(claims.locator("td[data-label='Subject']").filter(has_text="Missing cashback: Ajio")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # the amount keyboard
        page.goto(f"{base}/wallet/withdraw/")
        expect(page.get_by_label("Amount (₹)")).to_have_attribute("inputmode", "decimal")
    finally:
        context.close()

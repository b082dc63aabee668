"""A gift card's page and the list in Chromium at a phone's size, on the demo data: every picture loads (the
brand store's logo), the values are a compact grid of chips worked with the keyboard, the chosen one's price line
follows the choice by CSS alone (also with JavaScript off), the chips post to the cart, and axe finds no serious
violation."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect, sync_playwright

from catalog.models import Product
from tests.browser import chromium

PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    product = Product.objects.get(merchant__slug="myntra")  # ₹500 to ₹3,000 at 3% off
    return live_server.url, product.slug


def _pictures_load(page) -> None:
    images = page.locator("main img")
    assert images.count() > 0
    broken = page.evaluate(
        """async () => {
            const images = [...document.querySelectorAll("main img")];
            images.forEach((i) => { i.loading = "eager"; });  // the lazy ones below the fold too
            await Promise.all(images.map((i) => i.decode().catch(() => null)));
            return images.filter((i) => !i.naturalWidth).map((i) => i.src);
        }"""
    )
    assert broken == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_values_are_a_compact_keyboard_chip_grid_that_posts_to_the_cart(demo):
    base, slug = demo
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = chromium.launch(p)
        try:
            context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
            context.route("**/manifest.webmanifest", lambda route: route.abort())
            page = context.new_page()
            page.set_default_timeout(30_000)
            errors = chromium.watch_errors(page)

            # the list: each card has its brand's logo, and every picture loads
            page.goto(f"{base}/gift-cards/")
            expect(page.locator(".gift-card-card").first.locator(".gift-card-logo")).to_be_visible()
            _pictures_load(page)

            page.goto(f"{base}/gift-cards/{slug}/")
            page.wait_for_load_state("load")
            _pictures_load(page)
            page.screenshot(path=SCREENSHOTS / "gift-card-390x844.png", full_page=True)
            picker = page.get_by_role("group", name="Choose a value")
            radios = picker.get_by_role("radio")
            expect(radios).to_have_count(4)
            # compact: four values in two rows of chips with the price line, not a stack of tall cards
            assert picker.bounding_box()["height"] < 220
            expect(radios.first).to_be_checked()
            summary = page.locator(".value-chip-summary:visible")
            expect(summary).to_have_count(1)
            expect(summary).to_have_text("You pay ₹485 · you save ₹15 (3%)")

            # the keyboard: arrows move the choice, the chosen chip shows a focus ring, the line follows
            radios.first.focus()
            page.keyboard.press("ArrowRight")
            expect(radios.nth(1)).to_be_checked()
            expect(radios.nth(1)).to_be_focused()
            face = page.locator(".value-chip").nth(1).locator(".value-chip-face")
            assert face.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
            expect(summary).to_have_text("You pay ₹970 · you save ₹30 (3%)")

            violations = [
                f"{v['id']} ({v['impact']}): {v['help']}"
                for v in Axe().run(page).response["violations"]
                if v["impact"] in {"critical", "serious"}
            ]
            assert violations == []

            page.get_by_role("button", name="Add to cart").click()
            expect(page.locator("main")).to_contain_text("₹970")
            assert errors == []
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_javascript_a_chip_click_changes_the_price_line_and_the_cart_gets_that_value(demo):
    base, slug = demo
    with sync_playwright() as p:
        browser = chromium.launch(p)
        try:
            context = browser.new_context(viewport=PHONE, java_script_enabled=False)
            context.route("**/manifest.webmanifest", lambda route: route.abort())
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"{base}/gift-cards/{slug}/")
            page.locator(".value-chip", has_text="₹2,000").click()
            expect(page.locator(".value-chip-summary:visible")).to_have_text("You pay ₹1,940 · you save ₹60 (3%)")
            page.get_by_label("Quantity").fill("2")
            page.get_by_role("button", name="Add to cart").click()
            expect(page.locator("main")).to_contain_text("₹3,880")
        finally:
            browser.close()

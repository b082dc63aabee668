"""The typeahead under the search box in Chromium: suggestions from the JSON endpoint, an ARIA combobox that the
keyboard alone can use (Down, Enter, Escape), and the plain form submit when nothing is chosen."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from catalog.factories import CategoryFactory, MerchantFactory
from offers.factories import OfferFactory
from tests.browser import chromium


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_typeahead_suggests_and_the_keyboard_chooses(live_server):
    food = CategoryFactory(name="Food & Dining", slug="food", search_keywords="pizza, biryani")
    swiggy = MerchantFactory(name="Swiggy", slug="swiggy", search_keywords="pizza, food delivery", priority=9)
    OfferFactory(merchant=swiggy, category=food, title="Buy 1 Get 1 on medium pizzas")

    with sync_playwright() as p:
        browser = chromium.launch(p)
        page = browser.new_page()
        page.goto(f"{live_server.url}/")
        box = page.locator("#nav-search")
        assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "false"
        listbox_id = box.get_attribute("aria-controls")

        # typing shows stores, categories and offers in a listbox
        box.press_sequentially("piz", delay=30)
        options = page.locator(f"#{listbox_id} [role=option]")
        options.first.wait_for()
        assert box.get_attribute("aria-expanded") == "true"
        texts = options.all_inner_texts()
        assert texts[0].startswith("Swiggy") and "Store" in texts[0]
        assert any(t.startswith("Food & Dining") for t in texts)
        assert any(t.startswith("Buy 1 Get 1 on medium pizzas") for t in texts)

        # Down highlights the first suggestion (aria-activedescendant), Escape closes the list
        box.press("ArrowDown")
        first_id = options.first.get_attribute("id")
        assert box.get_attribute("aria-activedescendant") == first_id
        assert options.first.get_attribute("aria-selected") == "true"
        box.press("Escape")
        assert box.get_attribute("aria-expanded") == "false" and page.locator(f"#{listbox_id}").is_hidden()

        # Down opens it again and Enter goes to the highlighted store
        box.press("ArrowDown")
        box.press("Enter")
        page.wait_for_url("**/stores/swiggy/")

        # with nothing highlighted, Enter still submits the search form
        page.locator("#nav-search").fill("pizza")
        page.locator("#nav-search").press("Enter")
        page.wait_for_url("**/search/?q=pizza")
        browser.close()

"""The admin's store filter in a real browser (issue 12): the store id box becomes Django's select2 autocomplete;
typing part of a store's name and picking it narrows the list, clearing it shows every store again; no script
error and no CSP violation on the way."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import sync_playwright

from accounts.factories import UserFactory, grant_role
from catalog.factories import MerchantFactory
from tests.browser import chromium
from wallet.factories import CashbackEventFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_finance_picks_a_store_by_typing_and_the_list_narrows_to_it(live_server):
    myntra, ajio = MerchantFactory(name="Myntra"), MerchantFactory(name="Ajio")
    CashbackEventFactory(merchant=myntra, affiliate_transaction_id="MYN-0001")
    CashbackEventFactory(merchant=ajio, affiliate_transaction_id="AJI-0001")
    finance = UserFactory(email="farah@couponali.in", is_staff=True, email_verified_at=timezone.now())
    grant_role(finance, "finance", departments=("finance",))
    base = live_server.url

    with sync_playwright() as p:
        browser = chromium.launch(p)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            errors = chromium.watch_errors(page)
            chromium.admin_sign_in(page, base, "farah@couponali.in")

            page.goto(f"{base}/admin/wallet/cashbackevent/?status__exact=pending")
            # the id box made way for the autocomplete
            assert page.locator(".store-filter-id").is_hidden()
            page.click("#changelist-filter .select2-selection")
            page.fill(".select2-search__field", "Myn")
            page.click(".select2-results__option >> text=Myntra")
            page.wait_for_url(re.compile(rf"store={myntra.pk}"))
            rows = page.locator("#result_list").inner_text()
            assert "MYN-0001" in rows and "AJI-0001" not in rows
            assert "status__exact=pending" in page.url  # the list's other filter is kept
            assert page.locator(".store-filter-chosen").inner_text().strip() == "Myntra"

            # clearing the box goes back to every store
            page.click("#changelist-filter .select2-selection__clear")
            page.wait_for_url(re.compile(r"^(?!.*store=).*status__exact=pending"))
            rows = page.locator("#result_list").inner_text()
            assert "MYN-0001" in rows and "AJI-0001" in rows
            assert errors == []
        finally:
            browser.close()

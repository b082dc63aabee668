"""End to end in Chromium: a shopper redeems a CouponAli gift card from the wallet page, then reveals a voucher
of a fulfilled order on its order page, under the site's strict Content-Security-Policy (the reveal is static
JavaScript)."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from accounts.factories import UserFactory
from couponali.codes import group_code
from orders.factories import GiftCardFactory
from orders.models import GiftCard, Order
from orders.services import fulfilment
from orders.tests.conftest import paid_order
from orders.vouchers import voucher_plain
from tests.browser import chromium

PASSWORD = "correct horse battery"  # accounts.factories.UserFactory's


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_redeem_a_gift_card_then_reveal_a_voucher_under_a_strict_csp(live_server):
    # given a shopper with a ₹750 CouponAli gift card and a fulfilled order of one voucher
    shopper = UserFactory(email="meera@example.in", full_name="Meera Iyer", email_verified_at=timezone.now())
    card = GiftCardFactory(user=None, initial_value=Decimal("750.00"), remaining_value=Decimal("750.00"))
    order = paid_order(user=shopper, quantity=1, mobile=None)
    fulfilment.order_fulfil(order_id=order.pk)
    voucher = voucher_plain(order.items.get().voucher_codes[0])
    csp_violations: list[str] = []

    with sync_playwright() as p:
        browser = chromium.launch(p)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(15_000)
            page.on("console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None)
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("E-mail or mobile number").fill("meera@example.in")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Hi, Meera")).to_be_visible()

            # the wallet page leads to the redeem page; a wrong code is refused, the right one credits
            page.goto(f"{live_server.url}/wallet/")
            page.get_by_role("link", name="Redeem a CouponAli gift card").click()
            page.get_by_label("Gift card code").fill("CA22-2222-2222")
            page.get_by_role("button", name="Add to my wallet").click()
            expect(page.get_by_text("We don't know this gift card code")).to_be_visible()
            page.get_by_label("Gift card code").fill(group_code(card.code).lower())
            page.get_by_role("button", name="Add to my wallet").click()
            expect(page.get_by_text("₹750 from your gift card is now in your wallet")).to_be_visible()
            expect(page.locator(".wallet-cards .amount").first).to_have_text("₹750")

            # the order page shows the voucher masked; "Show code" reveals it in place, without a reload
            page.goto(f"{live_server.url}/orders/{order.order_number}/")
            row = page.locator("[data-voucher]")
            expect(row.locator("[data-voucher-code]")).to_have_text(f"XXXX-XXXX-{voucher.code[-4:]}")
            page.get_by_role("button", name="Show code").click()
            expect(row.locator("[data-voucher-code]")).to_have_text(voucher.code)
            expect(row.locator("[data-voucher-pin]")).to_have_text(voucher.pin)
            expect(page.get_by_role("button", name="Show code")).to_have_count(0)
            assert page.url.endswith(f"/orders/{order.order_number}/")
        finally:
            browser.close()

    assert csp_violations == []
    assert GiftCard.objects.get(pk=card.pk).remaining_value == Decimal("0.00")
    assert Order.objects.get(pk=order.pk).status == "fulfilled"
    out = StringIO()
    call_command("reconcile_wallets", stdout=out)  # raises CommandError on any break
    assert "checks pass" in out.getvalue()

"""End to end in Chromium: a shopper picks a gift card, pays part with the wallet and the rest on the (fake,
offline) Razorpay checkout, and finds the vouchers on the order page (fulfilment runs eagerly in tests, with the
local voucher supplier), masked, and reveals one; staff refund the order in the admin; wallet, order and
statement agree, and the vouchers show void.

The database is only used before and after the browser session (Playwright's sync API runs an event loop in
this thread; the app runs in the live server's threads)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from accounts.factories import UserFactory
from catalog.factories import MerchantFactory, ProductFactory, ProductVariantFactory
from couponali import rls
from orders.models import Order
from orders.tests.conftest import fund
from orders.vouchers import voucher_plain
from tests.browser import chromium
from wallet.reconcile import wallet_reconcile

PASSWORD = "correct horse battery"


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_buy_with_wallet_and_gateway_see_the_vouchers_then_staff_refund(live_server):
    # given a ₹500 Amazon card sold for ₹485, a shopper with ₹300 in the wallet, and staff
    amazon = MerchantFactory(name="Amazon", slug="amazon")
    product = ProductFactory(name="Amazon Pay e-gift card", slug="amazon-pay", merchant=amazon, is_featured=True)
    ProductVariantFactory(product=product, denomination=Decimal("500"), selling_price=Decimal("485"))
    now = timezone.now()
    shopper = UserFactory(
        email="priya@example.in", full_name="Priya Sharma", email_verified_at=now, mobile_verified_at=now
    )
    fund(shopper, "300")
    UserFactory(email="ops@couponali.in", is_staff=True, is_superuser=True, email_verified_at=now)

    with sync_playwright() as p:
        browser = chromium.launch(p)
        try:
            page = browser.new_context().new_page()
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("E-mail or mobile number").fill("priya@example.in")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Hi, Priya")).to_be_visible()

            # pick the card: 2 × ₹500, the "% off" badge on the listing
            page.goto(f"{live_server.url}/gift-cards/")
            expect(page.locator("main")).to_contain_text("3% off")
            page.get_by_role("link", name="Amazon Pay e-gift card").click()
            page.get_by_label("Quantity").fill("2")
            page.get_by_role("button", name="Add to cart").click()
            expect(page.locator("main")).to_contain_text("₹970")
            page.get_by_role("link", name="Checkout").click()

            # pay ₹300 with the wallet and the rest, ₹670, on the gateway
            page.get_by_label("Use my wallet balance").check()
            page.get_by_role("button", name="Place order").click()
            expect(page.locator("main")).to_contain_text("To pay now: ₹670")
            page.get_by_role("link", name="Pay ₹670").click()
            page.get_by_role("button", name="Pay ₹670 (succeeds)").click()
            # paid and fulfilled at once: the two vouchers are on the order page, masked, each with its reveal
            expect(page.locator("#order-status")).to_have_text("Fulfilled")
            expect(page.locator("main")).to_contain_text("Payment received")
            vouchers = page.locator("[data-voucher]")
            expect(vouchers).to_have_count(2)
            expect(vouchers.first.locator("[data-voucher-code]")).to_contain_text("XXXX-XXXX-")
            vouchers.first.get_by_role("button", name="Show code").click()
            expect(vouchers.first.get_by_role("button", name="Show code")).to_have_count(0)
            revealed = vouchers.first.locator("[data-voucher-code]").inner_text()
            order_url = page.url

            # staff refund the whole order from the admin, through the confirmation page
            admin = browser.new_context().new_page()
            admin.goto(f"{live_server.url}/admin/login/")
            admin.fill("#id_username", "ops@couponali.in")
            admin.fill("#id_password", PASSWORD)
            admin.click("input[type=submit]")
            admin.goto(f"{live_server.url}/admin/orders/order/")
            admin.get_by_role("link", name=order_url.rstrip("/").rsplit("/", 1)[1]).click()
            admin.get_by_role("link", name="Refund…").click()
            expect(admin.locator("#content-main")).to_contain_text("Still refundable: ₹970")
            admin.fill("input[name=reason]", "Bought by mistake")
            admin.locator("input[name=items]").check()  # the card handed back (a full refund voids all anyway)
            admin.click("input[type=submit]")
            # the money confirmation page: the shopper and the amount, then "Yes"
            expect(admin.locator(".money-confirmation")).to_contain_text("₹970")
            admin.click(".money-confirmation input[type=submit]")
            expect(admin.locator("ul.messagelist")).to_contain_text("Refunded ₹970")

            # the shopper sees the refund on the order and the ₹300 back in the wallet statement
            page.goto(order_url)
            expect(page.locator("#order-status")).to_have_text("Refunded")
            expect(page.locator("main")).to_contain_text("Refund issued")
            # and the vouchers show void: no reveal any more
            expect(vouchers).to_have_count(2)
            expect(page.locator("[data-voucher].voucher-void")).to_have_count(2)
            expect(vouchers.first).to_contain_text("Cancelled (refunded)")
            expect(page.get_by_role("button", name="Show code")).to_have_count(0)
            page.goto(f"{live_server.url}/wallet/statement/")
            statement = page.locator("main")
            expect(statement).to_contain_text("Refund of order")
            expect(statement).to_contain_text("Gift cards, order")
            page.goto(f"{live_server.url}/wallet/")
            expect(page.locator("main")).to_contain_text("₹300")
        finally:
            browser.close()

    order = Order.objects.get(user=shopper)
    assert (order.status, order.payment_status, order.wallet_used) == ("refunded", "refunded", Decimal("300.00"))
    item = order.items.get()
    assert [v["status"] for v in item.voucher_codes] == ["void", "void"] and item.fulfillment_status == "void"
    assert revealed == voucher_plain(item.voucher_codes[0]).code  # the reveal showed the real code
    shopper.refresh_from_db()
    assert shopper.wallet_balance == Decimal("300.00")
    with rls.bypass(reason="test"):
        problems, _ = wallet_reconcile()
    assert problems == []

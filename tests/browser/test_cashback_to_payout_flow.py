"""End to end in Chromium, with a real Celery worker on the real broker: a shopper clicks out, the network
reports the sale by a signed postback, the pending cashback shows on the wallet page, staff confirm it in the
admin, the balance becomes available, the shopper requests a withdrawal, finance approves it, the worker pays it
through the (fake) payout gateway, and the statement shows it.

The database is only used before and after the browser session: Playwright's sync API runs an event loop in
this thread (the app itself runs in the live server's threads and in the worker process)."""

from __future__ import annotations

import time
import urllib.request
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from accounts import crypto
from accounts.factories import DepartmentFactory, UserDepartmentFactory, UserFactory, UserKYCFactory
from catalog.factories import CategoryFactory, MerchantFactory
from couponali import rls
from devtools.testing import celery_worker
from offers.factories import OfferFactory
from tests.browser import chromium
from wallet.api import postback_signature
from wallet.models import CashbackEvent, Payout, Withdrawal
from wallet.reconcile import wallet_reconcile

PASSWORD = "correct horse battery"
SECRET = "test-admitad-secret"  # couponali/settings/test.py POSTBACK_SECRETS


def _postback(base_url: str, params: dict) -> int:
    signed = {**params, "signature": postback_signature(SECRET, params)}
    url = f"{base_url}/api/v1/postbacks/admitad/?{urlencode(signed)}"
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - the live server's http URL
        return r.status


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_click_postback_confirm_withdraw_approve_pay(live_server):
    # given a store with a ₹400 flat-cashback deal, a shopper with verified KYC, and a finance staff member
    fashion = CategoryFactory(name="Fashion", slug="fashion")
    myntra = MerchantFactory(
        name="Myntra",
        slug="myntra",
        affiliate_network="admitad",
        tracking_url_template="https://track.admitad.example/g?aff={affiliate_id}&subid={click_id}&ulp={url}",
    )
    offer = OfferFactory(
        merchant=myntra,
        category=fashion,
        title="Myntra end of season sale",
        offer_type="deal",
        coupon_code=None,
        cashback_type="fixed",
        cashback_value=Decimal("400.00"),
        max_cashback=None,
    )
    now = timezone.now()
    shopper = UserFactory(
        email="priya@example.in",
        full_name="Priya Sharma",
        email_verified_at=now,
        mobile_verified_at=now,
        is_verified=True,
    )
    with rls.bypass(reason="test set-up"):
        UserKYCFactory(user=shopper, status="verified", upi_id=crypto.encrypt("priya@okhdfcbank"))
    staff = UserFactory(email="finance@couponali.in", is_staff=True, is_superuser=True, email_verified_at=now)
    UserDepartmentFactory(user=staff, department=DepartmentFactory(slug="finance", name="Finance"))

    go_responses = []
    with celery_worker(), sync_playwright() as p:
        browser = chromium.launch(p, unresolvable_hosts=("track.admitad.example",))
        try:
            shop = browser.new_context()
            shop.on("response", lambda r: go_responses.append(r) if "/go/" in r.url else None)
            page = shop.new_page()

            # the shopper signs in and clicks out to the store from the store page
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("E-mail or mobile number").fill("priya@example.in")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Hi, Priya")).to_be_visible()
            page.goto(f"{live_server.url}/stores/myntra/")
            card = page.locator(f'article[data-offer="{offer.uuid}"]')
            with shop.expect_page() as new_tab:
                card.get_by_role("link", name="Activate deal").click()
            tab = new_tab.value
            tab.wait_for_load_state()
            # through the tracked click-out to "Cashback activated", with the click id as the tracking id
            [go] = [r for r in go_responses if urlsplit(r.url).path == f"/go/{offer.uuid}/"]
            assert go.status == 302
            click_id = urlsplit(go.headers["location"]).fragment
            expect(tab.get_by_role("heading", name="Cashback activated")).to_be_visible()
            expect(tab.locator(".js-tracking-id")).to_have_text(click_id)
            assert parse_qs(urlsplit(tab.locator("a.js-continue").get_attribute("href")).query)["subid"] == [click_id]

            # the network reports the sale with a signed postback: pending cashback on the wallet page
            sale = {
                "subid": click_id,
                "order_id": "AD-77120",
                "order_sum": "2499.00",
                "payment_sum": "449.82",
                "currency": "INR",
                "status": "pending",
                "action_id": "9912",
            }
            assert _postback(live_server.url, sale) == 200
            page.goto(f"{live_server.url}/wallet/")
            pending = page.locator("main")
            expect(pending).to_contain_text("Myntra")
            expect(pending).to_contain_text("₹400")
            expect(pending).to_contain_text("Pending")

            # staff confirm it in the admin
            admin = browser.new_context().new_page()
            admin.goto(f"{live_server.url}/admin/login/")
            admin.fill("#id_username", "finance@couponali.in")
            admin.fill("#id_password", PASSWORD)
            admin.click("input[type=submit]")
            admin.goto(f"{live_server.url}/admin/wallet/cashbackevent/")
            admin.check("input[name=_selected_action]")
            admin.select_option("select[name=action]", "confirm_selected")
            admin.click("button[name=index]")
            # the confirmation page names the shopper and the amount before anything moves
            expect(admin.locator(".money-confirmation")).to_contain_text("₹400")
            admin.click(".money-confirmation input[type=submit]")
            expect(admin.locator("ul.messagelist")).to_contain_text("Confirmed")

            # the balance is available; the shopper withdraws ₹300 to UPI
            page.goto(f"{live_server.url}/wallet/")
            expect(page.locator("main")).to_contain_text("₹400")
            page.goto(f"{live_server.url}/wallet/withdraw/")
            page.get_by_label("Amount (₹)").fill("300")
            page.get_by_label("UPI", exact=True).check()
            page.get_by_label("UPI id").fill("priya@okhdfcbank")
            page.get_by_role("button", name="Request withdrawal").click()
            expect(page.locator("main")).to_contain_text("300")

            # finance approves it; the worker pays it through the payout gateway
            admin.goto(f"{live_server.url}/admin/wallet/withdrawal/")
            admin.check("input[name=_selected_action]")
            admin.select_option("select[name=action]", "approve_selected")
            admin.click("button[name=index]")
            # the confirmation page: the amount and the UPI id masked
            expect(admin.locator(".money-confirmation")).to_contain_text("₹300")
            expect(admin.locator(".money-confirmation")).to_contain_text("prXXX@okhdfcbank")
            admin.click(".money-confirmation input[type=submit]")
            expect(admin.locator("ul.messagelist")).to_contain_text("Approved")
            # and the withdrawal's History opens the audit log at its rows: the approval, pending -> approved
            admin.locator("#result_list tbody th a").first.click()
            admin.get_by_role("link", name="History").click()
            expect(admin.locator("h1")).to_contain_text("History of withdrawal #")
            approval = admin.locator("#result_list tr", has_text="withdrawal.approved")
            expect(approval).to_contain_text("finance@couponali.in")
            expect(approval).to_contain_text("status: pending → approved")

            # the worker pays it: the wallet page shows the withdrawal completed
            deadline = time.monotonic() + 30
            while True:
                page.goto(f"{live_server.url}/wallet/")
                withdrawals = page.locator("main").inner_text()
                if "Completed" in withdrawals or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert "Completed" in withdrawals
            # and the statement shows the cashback credit and the withdrawal debit, ending at ₹100
            page.goto(f"{live_server.url}/wallet/statement/")
            statement = page.locator("main")
            expect(statement).to_contain_text("Cashback")
            expect(statement).to_contain_text("Myntra")
            expect(statement).to_contain_text("Withdrawal")
            expect(statement).to_contain_text("₹100")
        finally:
            browser.close()

    with rls.bypass(reason="test checks"):
        event = CashbackEvent.objects.get(click_id=click_id)
        assert event.status == "paid" and event.cashback_amount == Decimal("400.00") and event.paid_at
        withdrawal = Withdrawal.objects.get(user=shopper)
        assert withdrawal.status == "completed" and withdrawal.transaction_reference
        assert withdrawal.processed_by_admin_id == staff.pk
        payout = Payout.objects.get(user=shopper)
        assert payout.amount == Decimal("300.00") and payout.reference == withdrawal.transaction_reference
        shopper.refresh_from_db()
        assert shopper.wallet_balance == Decimal("100.00")
        problems, _stats = wallet_reconcile()
        assert problems == []

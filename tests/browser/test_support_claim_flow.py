"""End to end in Chromium: a shopper files a missing-cashback claim with an invoice, an agent of the support
department replies and approves it in the admin, and the shopper sees the reply and the pending cashback.

The database is only used before and after the browser session (Playwright's sync API runs an event loop in
this thread; the app runs in the live server's threads)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from accounts.factories import DepartmentFactory, UserDepartmentFactory, UserFactory, grant_permissions
from catalog.factories import MerchantFactory
from cms.models import SupportTicket, SupportTicketAttachment
from cms.testing import pdf_bytes
from couponali import rls
from offers.factories import OfferClickFactory, OfferFactory
from tests.browser import chromium

PASSWORD = "correct horse battery"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_claim_with_invoice_agent_replies_and_approves_shopper_sees_reply_and_pending_cashback(live_server, tmp_path):
    # given a shopper's store visit that never tracked, and a support agent (staff, not a superuser)
    now = timezone.now()
    shopper = UserFactory(email="priya@example.in", full_name="Priya Sharma", email_verified_at=now)
    store = MerchantFactory(name="Myntra", slug="myntra")
    offer = OfferFactory(merchant=store, cashback_type="fixed", cashback_value=Decimal("150.00"), max_cashback=None)
    click = OfferClickFactory(offer=offer, merchant=store, user=shopper, click_id=uuid.uuid4())
    agent = UserFactory(email="agent@couponali.in", full_name="Sunil Support", is_staff=True, email_verified_at=now)
    grant_permissions(
        agent,
        "cms.view_supportticket",
        "cms.change_supportticket",
        "cms.answer_supportticket",
        "wallet.record_cashbackevent",
    )
    UserDepartmentFactory(user=agent, department=DepartmentFactory(slug="support", name="Customer support"))
    invoice = tmp_path / "myntra-invoice.pdf"
    invoice.write_bytes(pdf_bytes())

    with sync_playwright() as p:
        browser = chromium.launch(p)
        try:
            page = browser.new_context().new_page()
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("E-mail or mobile number").fill("priya@example.in")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Hi, Priya")).to_be_visible()

            # the shopper claims the visit with the invoice attached
            page.goto(f"{live_server.url}/wallet/clicks/")
            page.get_by_role("link", name="Cashback missing?").click()
            page.get_by_label("Store order id").fill("MYN-99812")
            page.get_by_label("Order amount (₹)").fill("2499")
            page.get_by_label("Order date").fill(timezone.localdate().isoformat())
            page.get_by_label("Invoice").set_input_files(str(invoice))
            page.get_by_role("button", name="Send claim").click()
            expect(page.locator("h1")).to_contain_text("Missing cashback: Myntra order MYN-99812")
            expect(page.get_by_role("link", name="myntra-invoice.pdf")).to_be_visible()

            # the agent finds it in the support queue, replies and approves it
            admin = browser.new_context().new_page()
            admin.goto(f"{live_server.url}/admin/login/")
            admin.fill("#id_username", "agent@couponali.in")
            admin.fill("#id_password", PASSWORD)
            admin.click("input[type=submit]")
            admin.goto(f"{live_server.url}/admin/cms/supportticket/")
            admin.locator("#result_list tbody tr").filter(has_text="MYN-99812").locator("th a").click()
            expect(admin.locator("#claim-facts")).to_contain_text(str(click.click_id))
            expect(admin.locator("#claim-facts")).to_contain_text("no conversion reported")
            admin.fill("textarea[name=body]", "Thanks Priya, we found your order and are adding the cashback.")
            admin.click("button[name=send]")
            expect(admin.locator("ul.messagelist")).to_contain_text("Reply sent")
            admin.fill("input[name=sale_amount]", "2499.00")
            admin.click("button[name=approve]")
            expect(admin.locator("ul.messagelist")).to_contain_text("Cashback event created")
            expect(admin.locator("#ticket-status")).to_have_text("Resolved")

            # the shopper sees the reply on the ticket and the pending cashback in the wallet
            page.goto(f"{live_server.url}/support/tickets/")
            page.get_by_role("link", name="Missing cashback: Myntra order MYN-99812").click()
            thread = page.locator("ol.thread")
            expect(thread).to_contain_text("we found your order and are adding the cashback")
            expect(thread).to_contain_text("₹150 cashback")
            page.goto(f"{live_server.url}/wallet/")
            wallet = page.locator("main")
            expect(wallet).to_contain_text("Myntra")
            expect(wallet).to_contain_text("₹150")
            expect(wallet).to_contain_text("Pending")
        finally:
            browser.close()

    with rls.bypass(reason="test checks"):
        ticket = SupportTicket.objects.get(user=shopper)
        assert ticket.status == "resolved" and ticket.cashback_event_id and ticket.assigned_to == agent
        assert SupportTicketAttachment.objects.get(message__ticket=ticket).content_type == "application/pdf"

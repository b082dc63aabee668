"""The admin's long lists fit a 1366 px laptop screen (issue 12): each money and queue list, with rows whose
values are as long as real ones (e-mails, network order ids, hold reasons), opens without a horizontal scroll."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import sync_playwright

from accounts.factories import UserFactory
from cms.factories import SupportTicketFactory
from couponali import rls
from couponali.audit import AuditAction, audit_log
from offers.factories import OfferClickFactory, OfferFactory
from orders.factories import OrderFactory
from tests.browser import chromium
from wallet.factories import (
    CashbackEventFactory,
    UnmatchedConversionFactory,
    WalletTransactionFactory,
    WithdrawalFactory,
)

LISTS = [
    "wallet/cashbackevent",
    "wallet/withdrawal",
    "wallet/wallettransaction",
    "wallet/unmatchedconversion",
    "offers/offerclick",
    "offers/offer",
    "accounts/user",
    "couponali/auditlog",
    "orders/order",
    "cms/supportticket",
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_long_lists_fit_1366_px(live_server):
    shopper = UserFactory(email="priyanka.venkataraman.2026@example-mail.co.in", full_name="Priyanka Venkataraman")
    offer = OfferFactory(title="Flat 40% off on Levi's jeans and jackets for men and women, plus 7.5% cashback")
    CashbackEventFactory(
        user=shopper,
        merchant=offer.merchant,
        offer=offer,
        affiliate_transaction_id="ADMITAD-7761-0042-99871234-IN",
        transaction_amount=Decimal("124999.00"),
        cashback_amount=Decimal("9374.93"),
        held_reason="velocity: 6 conversions within an hour",
    )
    WithdrawalFactory(user=shopper, amount=Decimal("125000.00"))
    with rls.bypass(reason="test setup"):
        WalletTransactionFactory(user=shopper, description="Cashback confirmed for your Levi's order ADMITAD-7761-0042")
    UnmatchedConversionFactory()
    OfferClickFactory(offer=offer, user=shopper)
    OrderFactory(user=shopper)
    with rls.bypass(reason="test setup"):
        SupportTicketFactory(user=shopper, subject="Cashback for my Levi's order of 4 Dec has not been tracked yet")
    admin = UserFactory(email="root@couponali.in", is_staff=True, is_superuser=True, email_verified_at=timezone.now())
    audit_log(actor_id=admin.pk, action=AuditAction.ADMIN_CHANGE, entity_type="merchant", entity_id=1, metadata={})
    base = live_server.url

    with sync_playwright() as p:
        browser = chromium.launch(p)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            chromium.admin_sign_in(page, base, "root@couponali.in")
            too_wide = {}
            for name in LISTS:
                response = page.goto(f"{base}/admin/{name}/")
                assert response is not None and response.status == 200, name
                assert page.locator("#result_list tbody tr").count() >= 1, f"{name}: no rows to measure"
                # neither the page nor the table's own scroll box (Django wraps the table in .results) scrolls
                width = page.evaluate(
                    "Math.max(document.documentElement.scrollWidth, ...[...document.querySelectorAll("
                    "'#changelist .results')].map(e => e.scrollWidth - e.clientWidth + 1366))"
                )
                if width > 1366:
                    too_wide[name] = width
            assert too_wide == {}
        finally:
            browser.close()

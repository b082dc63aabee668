"""Staff roles in a real browser (issue 12): a content editor has no way to withdrawals (no link, 403 on the
typed URL); a finance user approves a withdrawal from the admin list and the audit log page shows it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import sync_playwright

from accounts import crypto
from accounts.factories import UserFactory, UserKYCFactory, grant_role
from couponali import rls
from couponali.models import AuditLog
from tests.browser import chromium
from wallet import services as wallet
from wallet.models import WalletTransaction, Withdrawal


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_content_editor_has_no_way_to_the_withdrawals(live_server):
    editor = UserFactory(email="esha@couponali.in", is_staff=True, email_verified_at=timezone.now())
    grant_role(editor, "content-editor", departments=("content",))
    base = live_server.url
    with sync_playwright() as p:
        browser = chromium.launch(p)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            chromium.admin_sign_in(page, base, "esha@couponali.in")
            # the index offers their own work and nothing of the money
            assert page.locator('a[href="/admin/cms/cmspage/"]').count() >= 1
            assert page.locator('a[href="/admin/wallet/withdrawal/"]').count() == 0
            assert page.locator('a[href^="/admin/wallet/"]').count() == 0
            # and the typed URL is refused
            response = page.goto(f"{base}/admin/wallet/withdrawal/")
            assert response is not None and response.status == 403
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_finance_user_approves_a_withdrawal_and_the_audit_log_shows_it(live_server):
    # given a shopper's pending withdrawal and a finance user (the finance role, in the finance department)
    shopper = UserFactory(email="priya@example.in")
    with rls.bypass(reason="test setup"):
        UserKYCFactory(user=shopper, status="verified", upi_id=crypto.encrypt("priya@okhdfcbank"))
        wallet.wallet_post(
            user_id=shopper.pk, amount=Decimal("1000"), type=WalletTransaction.Type.ADMIN_CREDIT, description="seed"
        )
        withdrawal = wallet.withdrawal_request(
            user_id=shopper.pk, amount=Decimal("400"), method="upi", details={"vpa": "priya@okhdfcbank"}
        )
    finance = UserFactory(email="farah@couponali.in", is_staff=True, email_verified_at=timezone.now())
    grant_role(finance, "finance", departments=("finance",))
    base = live_server.url

    with sync_playwright() as p:
        browser = chromium.launch(p)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            chromium.admin_sign_in(page, base, "farah@couponali.in")
            page.click('a[href="/admin/wallet/withdrawal/"]')
            page.check(f'input[name="_selected_action"][value="{withdrawal.pk}"]')
            page.select_option('select[name="action"]', "approve_selected")
            page.click('button[name="index"]')
            page.wait_for_load_state()
            if page.locator("#result_list").count() == 0:
                # a confirmation page (amounts and shoppers) before anything moves: confirm it
                page.locator("#content form [type=submit]").first.click()
                page.wait_for_load_state()
            assert page.locator(".messagelist .success").count() == 1, page.content()[:3000]

            # the audit log page lists the approval under the finance user's name
            page.goto(f"{base}/admin/couponali/auditlog/?q=withdrawal")
            rows = page.locator("#result_list tbody tr")
            texts = [rows.nth(i).inner_text() for i in range(rows.count())]
        finally:
            browser.close()
    # (the database is read outside Playwright's event loop)
    # approved, and then paid by the payout job the approval queues (Celery runs eagerly in the tests)
    assert Withdrawal.objects.get(pk=withdrawal.pk).status in ("approved", "processing", "completed")
    assert AuditLog.objects.filter(action="withdrawal.approved", actor_user=finance, entity_id=withdrawal.pk).exists()
    approved = [t for t in texts if "approved" in t.lower() and "farah@couponali.in" in t]
    assert approved, texts

"""The wallet works with row-level security on: the real policies (couponali migrations 0002/0003: owner,
staff with the table's view permission, or an audited bypass; enabled and FORCED) guard wallet_transactions,
support_tickets and user_kyc, and the money flows run through HTTP, tasks and commands in transactional
tests (no test-wide bypass, see conftest)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.factories import UserFactory, UserKYCFactory
from cms.models import SupportTicket
from couponali import rls
from wallet import services, tasks
from wallet.models import WalletTransaction, Withdrawal
from wallet.testing import pending_events_create

from .conftest import make_click, make_finance_staff

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
TABLES = ("wallet_transactions", "support_tickets", "user_kyc")


@pytest.fixture
def policies():
    """The tables the flows touch are under the real policies, enabled and forced (the migrations' own)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, count(p.polname) FROM pg_class c "
            "LEFT JOIN pg_policy p ON p.polrelid = c.oid WHERE c.relname = ANY(%s) GROUP BY 1, 2, 3",
            [list(TABLES)],
        )
        flags = {name: (enabled, forced, count > 0) for name, enabled, forced, count in cur.fetchall()}
    assert flags == {table: (True, True, True) for table in TABLES}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def visible_postings() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM wallet_transactions")
        return cur.fetchone()[0]


def test_money_flows_with_row_level_security_on(policies, settings):
    settings.WALLET_MIN_WITHDRAWAL = Decimal("10")
    with rls.bypass(reason="test setup"):
        shopper, other = UserFactory(), UserFactory()
        UserKYCFactory(user=shopper, status="verified")
        finance = make_finance_staff(is_superuser=True)
        click = make_click(user=shopper)
        services.wallet_post(
            user_id=other.pk,
            amount=Decimal("999"),
            type=WalletTransaction.Type.ADMIN_CREDIT,
            description="other user's money",
        )

    # an affiliate postback (anonymous request) credits through an audited bypass
    response = Client().get(
        f"/api/v1/postbacks/cuelinks/?sub_id={click.click_id}&transaction_id=CL-RLS&sale_amount=5000"
        "&commission=300&status=validated&secret=test-cl-secret"
    )
    assert response.status_code == 200 and response.json()["outcome"] == "confirmed", response.content

    # with nobody set, the policy hides every posting (the policies are really on)
    with rls.scope(user_id=None):
        assert visible_postings() == 0

    shop = client_for(shopper)
    page = shop.get("/wallet/statement/").content.decode()
    assert "₹300" in page and "other user" not in page
    csv_rows = shop.get("/wallet/statement.csv").content.decode().strip().splitlines()
    assert len(csv_rows) == 2  # header + the shopper's one posting

    # the shopper withdraws in their own scope; finance rejects in staff scope (money posted back)
    created = shop.post(
        "/api/v1/wallet/withdrawals/",
        {"amount": "100", "method": "upi", "details": {"vpa": "priya@okaxis"}},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="rls-1",
    )
    assert created.status_code == 201, created.content
    with rls.bypass(reason="test"):
        withdrawal = Withdrawal.objects.get(user=shopper)
    staff = client_for(finance)
    staff.post(
        "/admin/wallet/withdrawal/",
        {"action": "reject_selected", "_selected_action": [withdrawal.pk], "confirmed": "yes", "reason": "test"},
    )
    # a second one is approved and paid by the payout job (a task: bypass)
    shop.post(
        "/api/v1/wallet/withdrawals/",
        {"amount": "50", "method": "upi", "details": {"vpa": "priya@okaxis"}},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="rls-2",
    )
    with rls.bypass(reason="test"):
        second = Withdrawal.objects.get(user=shopper, status="pending")
    staff.post(
        "/admin/wallet/withdrawal/", {"action": "approve_selected", "_selected_action": [second.pk], "confirmed": "yes"}
    )
    tasks.process_payouts()
    with rls.bypass(reason="test"):
        assert set(Withdrawal.objects.filter(user=shopper).values_list("status", flat=True)) == {
            "rejected",
            "completed",
        }
    assert "₹250" in shop.get("/wallet/").content.decode()

    # a missing-cashback claim is the shopper's own support ticket
    other_click = make_click(user=shopper)
    claimed = shop.post(
        f"/support/missing-cashback/{other_click.click_id}/",
        {"order_reference": "ORD-1", "order_amount": "999", "order_date": timezone.localdate().isoformat()},
    )
    assert claimed.status_code == 302
    with rls.scope(user_id=shopper.pk):
        assert SupportTicket.objects.count() == 1
    with rls.scope(user_id=other.pk):
        assert SupportTicket.objects.count() == 0

    # the set-based auto-confirm job and the reconciliation command run across users under bypass
    with rls.bypass(reason="test"):
        pending_events_create(users=20, per_user=3)
    assert tasks.auto_confirm_cashback(batch_size=25) == 60
    out = io.StringIO()
    call_command("reconcile_wallets", stdout=out)
    assert "checks pass" in out.getvalue()

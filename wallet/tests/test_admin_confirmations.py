"""Money actions in the admin show a confirmation page first (issue 12): each shopper and amount in ₹ with
Indian grouping; Cancel changes nothing; the confirmed POST runs the service once. Withdrawal destinations
are shown masked, never as the stored JSON. Retrying an unmatched conversion shows the shopper its click
resolves to and the cashback the retry would record (the recording's own rules), before recording it."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.authz import SYSTEM, PermissionRefused
from accounts.factories import UserFactory, grant_permissions
from couponali.models import AuditLog
from wallet import services
from wallet.models import CashbackEvent, UnmatchedConversion, WalletTransaction, Withdrawal
from wallet.networks import NETWORKS, conversion_parse

from .conftest import make_click

T = WalletTransaction.Type
pytestmark = pytest.mark.django_db


def money_state() -> tuple:
    """Everything a money action could change, read with raw SQL."""
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), coalesce(sum(amount), 0) FROM wallet_transactions")
        ledger = cur.fetchone()
        cur.execute("SELECT id, status FROM cashback_events ORDER BY id")
        events = cur.fetchall()
        cur.execute("SELECT id, status FROM withdrawals ORDER BY id")
        withdrawals = cur.fetchall()
        cur.execute("SELECT count(*) FROM audit_logs")
        audits = cur.fetchone()
    return ledger, events, withdrawals, audits


def record(click, txn: str, status: str = "pending", sale: str = "1000"):
    conversion = conversion_parse(
        NETWORKS["cuelinks"],
        {
            "sub_id": str(click.click_id),
            "transaction_id": txn,
            "sale_amount": sale,
            "commission": str(Decimal(sale) / 10),
            "status": status,
        },
    )
    return services.cashback_record(conversion=conversion, source="test", actor=SYSTEM).event_id


def cancel_url(html: str) -> str:
    match = re.search(r'<a href="([^"]+)" class="button cancel-link">', html)
    assert match, "no Cancel link on the page"
    return match.group(1)


@pytest.mark.parametrize(
    ("action", "status", "target", "reason"),
    [
        ("confirm_selected", "pending", "paid", False),
        ("reject_selected", "pending", "rejected", True),
        ("reverse_selected", "validated", "reversed", True),
    ],
)
def test_cashback_actions_confirm_first_then_move_money_once(
    client, finance, shopper, store, action, status, target, reason
):
    event_id = record(make_click(user=shopper, merchant=store), "CB-7", status=status)
    amount = CashbackEvent.objects.get(pk=event_id).cashback_amount
    client.force_login(finance)
    changelist = reverse("admin:wallet_cashbackevent_changelist")
    before = money_state()

    # the action chosen on the changelist shows the confirmation page: the shopper and the amount
    page = client.post(changelist, {"action": action, "_selected_action": [event_id], "index": "0"})
    html = page.content.decode()
    assert page.status_code == 200
    assert shopper.email in html
    assert f"data-amount>₹{amount:f}".replace(".00", "") in html
    assert 'name="confirmed" value="yes"' in html
    assert ('name="reason"' in html) is reason
    assert money_state() == before

    # Cancel is a link back to the list: following it changes nothing
    assert client.get(cancel_url(html)).status_code == 200
    assert money_state() == before

    # the confirmed POST runs the service, once; posting it again moves nothing more
    data = {"action": action, "_selected_action": [event_id], "confirmed": "yes", "reason": "Order returned"}
    assert client.post(changelist, data).status_code == 302
    assert CashbackEvent.objects.get(pk=event_id).status == target
    after_first = money_state()
    client.post(changelist, data)
    assert money_state()[:3] == after_first[:3]


def test_a_reason_is_required_on_the_confirmation_page(client, finance, shopper, store):
    event_id = record(make_click(user=shopper, merchant=store), "CB-8")
    client.force_login(finance)
    before = money_state()

    page = client.post(
        reverse("admin:wallet_cashbackevent_changelist"),
        {"action": "reject_selected", "_selected_action": [event_id], "confirmed": "yes", "reason": ""},
    )

    assert page.status_code == 200 and "This field is required" in page.content.decode()
    assert money_state() == before


def test_withdrawal_approval_lists_amount_with_indian_grouping_and_the_masked_destination(client, finance, shopper):
    services.wallet_post(user_id=shopper.pk, amount=Decimal("250000"), type=T.ADMIN_CREDIT, description="seed")
    w = services.withdrawal_request(
        user_id=shopper.pk, amount=Decimal("150000"), method="upi", details={"vpa": "priyasharma@okaxis"}
    )
    client.force_login(finance)
    changelist = reverse("admin:wallet_withdrawal_changelist")
    before = money_state()

    page = client.post(changelist, {"action": "approve_selected", "_selected_action": [w.pk], "index": "0"})

    html = page.content.decode()
    assert "₹1,50,000" in html
    assert shopper.email in html
    assert "prXXXXXXXXX@okaxis" in html  # masked by accounts.crypto.mask_upi
    assert "priyasharma@okaxis" not in html
    assert "vpa_encrypted" not in html
    assert money_state() == before
    assert client.post(changelist, {"action": "approve_selected", "_selected_action": [w.pk], "confirmed": "yes"})
    assert Withdrawal.objects.get(pk=w.pk).first_approver_id == finance.pk  # large: the first of two approvals
    assert AuditLog.objects.filter(actor_user=finance, action=AuditLog.Action.WITHDRAWAL_FIRST_APPROVAL).count() == 1


def test_withdrawal_pages_show_the_destination_masked_never_the_stored_json(client, finance, shopper):
    services.wallet_post(user_id=shopper.pk, amount=Decimal("1000"), type=T.ADMIN_CREDIT, description="seed")
    w = services.withdrawal_request(
        user_id=shopper.pk, amount=Decimal("500"), method="upi", details={"vpa": "asha@okaxis"}
    )
    stored = Withdrawal.objects.get(pk=w.pk).destination_details["vpa_encrypted"]
    client.force_login(finance)

    for url in (
        reverse("admin:wallet_withdrawal_changelist"),
        reverse("admin:wallet_withdrawal_change", args=[w.pk]),
    ):
        html = client.get(url).content.decode()
        assert "aXXX@okaxis" in html, url
        assert stored not in html and "vpa_encrypted" not in html and "asha@okaxis" not in html, url
    # the list shows the amount in rupees with Indian grouping
    assert "₹500" in client.get(reverse("admin:wallet_withdrawal_changelist")).content.decode()


def test_manual_adjustment_shows_the_shopper_and_amount_before_posting(client, finance, shopper):
    finance.is_superuser = True
    finance.save()
    client.force_login(finance)
    url = reverse("admin:wallet_wallettransaction_adjust")
    data = {"user_id": shopper.pk, "amount": "125000.50", "reason": "Goodwill"}
    before = money_state()

    page = client.post(url, data)

    html = page.content.decode()
    assert page.status_code == 200 and "₹1,25,000.50" in html and shopper.email in html
    assert money_state() == before
    assert client.get(cancel_url(html)).status_code == 200
    assert money_state() == before
    assert client.post(url, {**data, "confirmed": "yes"}).status_code == 302
    assert WalletTransaction.objects.filter(user=shopper, type=T.ADMIN_CREDIT, amount=Decimal("125000.50")).count() == 1


def test_an_unknown_user_is_refused_on_the_form_not_confirmed(client, finance):
    finance.is_superuser = True
    finance.save()
    client.force_login(finance)
    before = money_state()

    page = client.post(
        reverse("admin:wallet_wallettransaction_adjust"), {"user_id": 999999, "amount": "5", "reason": "x"}
    )

    assert page.status_code == 200 and "There is no user with this id." in page.content.decode()
    assert money_state() == before


def test_money_columns_use_indian_grouping_in_the_ledger(client, finance, shopper):
    services.wallet_post(user_id=shopper.pk, amount=Decimal("1234567.5"), type=T.ADMIN_CREDIT, description="seed")
    client.force_login(finance)

    html = client.get(reverse("admin:wallet_wallettransaction_changelist")).content.decode()

    assert "₹12,34,567.50" in html


# ---------------------------------------------------------------- retrying an unmatched conversion


def unmatched(click_id, txn: str, sale: str, status: str = "pending") -> UnmatchedConversion:
    """A conversion reported for a click we did not know (yet): kept for review."""
    record_click = {
        "sub_id": str(click_id),
        "transaction_id": txn,
        "sale_amount": sale,
        "commission": str(Decimal(sale) / 10),
        "status": status,
    }
    result = services.cashback_record(
        conversion=conversion_parse(NETWORKS["cuelinks"], record_click), source="test", actor=SYSTEM
    )
    assert result.outcome == "unmatched"
    return UnmatchedConversion.objects.get(affiliate_transaction_id=txn)


def unmatched_state() -> list:
    with connection.cursor() as cur:
        cur.execute("SELECT id, status FROM unmatched_conversions ORDER BY id")
        return cur.fetchall()


def test_retrying_a_match_shows_the_shopper_and_the_cashback_first_then_records_it_once(
    client, finance, shopper, store
):
    # given a ₹12,50,000 sale reported for a click that turns up later (10% cashback, no cap), and a second
    # report whose click is still unknown
    found, lost = uuid.uuid4(), uuid.uuid4()
    row = unmatched(found, "CL-R1", "1250000")
    stray = unmatched(lost, "CL-R2", "800")
    make_click(user=shopper, merchant=store, click_id=found, cashback_value=Decimal("10.00"), max_cashback=None)
    client.force_login(finance)
    changelist = reverse("admin:wallet_unmatchedconversion_changelist")
    data = {"action": "retry_selected", "_selected_action": [row.pk, stray.pk]}
    before = money_state(), unmatched_state()

    # when the action is chosen on the changelist
    page = client.post(changelist, {**data, "index": "0"})

    # then the confirmation page names the shopper and the cashback (Indian grouping), and the row that would
    # still not match; nothing is recorded
    html = page.content.decode()
    assert page.status_code == 200
    assert shopper.email in html
    assert "data-amount>₹1,25,000<" in html
    assert "would not match: no click with this id" in html
    assert 'name="confirmed" value="yes"' in html
    assert (money_state(), unmatched_state()) == before
    assert client.get(cancel_url(html)).status_code == 200
    assert (money_state(), unmatched_state()) == before

    # when confirmed: the retry records the cashback shown (the same rule), audited; the stray stays open
    assert client.post(changelist, {**data, "confirmed": "yes"}).status_code == 302
    row.refresh_from_db()
    stray.refresh_from_db()
    assert (row.status, stray.status) == ("matched", "open")
    event = CashbackEvent.objects.get(pk=row.matched_event_id)
    assert (event.user_id, event.status, event.cashback_amount) == (shopper.pk, "pending", Decimal("125000.00"))
    assert AuditLog.objects.filter(
        actor_user=finance, action=AuditLog.Action.CASHBACK_TRACKED, entity_id=event.pk
    ).exists()


def test_the_retry_preview_is_what_the_retry_records(finance, shopper, store):
    # an approved report is credited at once; the preview says so with the amount the recording then credits
    click_id = uuid.uuid4()
    row = unmatched(click_id, "CL-R3", "2000", status="validated")
    make_click(user=shopper, merchant=store, click_id=click_id)
    preview = services.unmatched_retry_preview(unmatched_id=row.pk, actor=finance)
    assert preview.shopper == shopper and "credited to the wallet" in preview.what
    assert UnmatchedConversion.objects.get(pk=row.pk).status == "open" and not CashbackEvent.objects.exists()

    result = services.unmatched_retry(unmatched_id=row.pk, actor=finance)

    assert result.outcome == "confirmed"
    credited = WalletTransaction.objects.get(user=shopper, type=T.CASHBACK_EARNED).amount
    assert credited == preview.amount == Decimal("120.00")  # 6% of ₹2,000 (the offer's rule)


def test_retrying_without_the_permission_shows_no_page_and_records_nothing(shopper, store):
    click_id = uuid.uuid4()
    row = unmatched(click_id, "CL-R4", "1000")
    make_click(user=shopper, merchant=store, click_id=click_id)
    # can open the list and record conversions, may not retry
    viewer = grant_permissions(
        UserFactory(is_staff=True), "wallet.view_unmatchedconversion", "wallet.record_cashbackevent"
    )
    client = Client()
    client.force_login(viewer)
    changelist = reverse("admin:wallet_unmatchedconversion_changelist")
    assert 'value="retry_selected"' not in client.get(changelist).content.decode()
    before = money_state(), unmatched_state()

    for extra in ({"index": "0"}, {"confirmed": "yes"}):
        response = client.post(changelist, {"action": "retry_selected", "_selected_action": [row.pk], **extra})
        assert response.status_code == 403
        assert shopper.email not in response.content.decode()

    assert (money_state(), unmatched_state()) == before
    with pytest.raises(PermissionRefused):
        services.unmatched_retry_preview(unmatched_id=row.pk, actor=viewer)

"""Staff cannot move money without the permission (issue 9): every money page and admin action over HTTP.

For each page and action: a staff user who may open the screen but lacks the action's permission, and a
bare staff account with no permission and no department, get 403 on a hand-made POST, and nothing changes
(balances, statuses, ledger rows, audit rows). With the permission (and the finance department where the
service asks for it) the same POST works and writes an audit row naming them. The services refuse an
unprivileged actor whoever calls them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from accounts.authz import SYSTEM, PermissionRefused, actor_require
from accounts.factories import UserFactory, grant_permissions, revoke_permissions
from couponali.models import AuditLog
from wallet import services
from wallet.gateways import FakePayoutGateway
from wallet.models import CashbackEvent, UnmatchedConversion, WalletTransaction, Withdrawal
from wallet.networks import NETWORKS, conversion_parse

from .conftest import make_click, make_finance_staff

T = WalletTransaction.Type
ADMIN = "/admin/wallet"


def record(click, txn, status="pending", sale="1000"):
    return services.cashback_record(
        conversion=conversion_parse(
            NETWORKS["cuelinks"],
            {
                "sub_id": str(click.click_id),
                "transaction_id": txn,
                "sale_amount": sale,
                # the store pays 10%; the offers pass on 6% (within the commission cap)
                "commission": str(Decimal(sale) / 10),
                "status": status,
            },
        ),
        source="test",
        actor=SYSTEM,
    )


def money_state() -> dict:
    """Everything a money action could change, read with raw SQL (the test's transaction sees every row)."""
    queries = {
        "postings": "SELECT count(*), coalesce(sum(amount), 0) FROM wallet_transactions",
        "balances": "SELECT coalesce(sum(balance), 0), coalesce(sum(debt), 0) FROM wallet_balances",
        "users": "SELECT coalesce(sum(wallet_balance), 0), coalesce(sum(pending_cashback), 0) FROM users",
        "events": "SELECT coalesce(array_agg(status || ':' || id ORDER BY id), '{}') FROM cashback_events",
        "withdrawals": "SELECT coalesce(array_agg(status || ':' || coalesce(first_approver_id, 0) ORDER BY id), "
        "'{}') FROM withdrawals",
        "unmatched": "SELECT coalesce(array_agg(status ORDER BY id), '{}') FROM unmatched_conversions",
        "audit": "SELECT count(*) FROM audit_logs",
    }
    state = {}
    with connection.cursor() as cur:
        for name, sql in queries.items():
            cur.execute(sql)
            state[name] = cur.fetchone()
    return state


@dataclass
class Case:
    """One money screen: how to set it up, the request that acts, the permissions it needs."""

    name: str
    perms: tuple[str, ...]  # what the acting staff needs, besides viewing the screen
    view: str  # the view permission that opens the screen
    finance: bool  # the service also asks for the finance department
    audit_action: str  # the audit row a successful action writes
    after_commit: bool = False  # the work is a job queued after the request's commit


def _setup(case: Case, shopper, store) -> tuple[str, dict, Callable[[], bool]]:
    """Rows for the case; returns (url, POST data, check-after-success)."""
    if case.name == "record":
        click = make_click(user=shopper, merchant=store)
        data: dict[str, object] = {
            "network": "manual",
            "click_id": str(click.click_id),
            "transaction_id": "STAFF-1",
            "sale_amount": "1000",
            "commission": "",
            "status": "pending",
        }
        return (
            f"{ADMIN}/cashbackevent/record/",
            data,
            lambda: CashbackEvent.objects.filter(affiliate_transaction_id="STAFF-1", status="pending").exists(),
        )
    if case.name in ("confirm", "reject_cashback", "reverse"):
        click = make_click(user=shopper, merchant=store)
        event_id = record(click, "CB-1", status="validated" if case.name == "reverse" else "pending").event_id
        action = {"confirm": "confirm_selected", "reject_cashback": "reject_selected", "reverse": "reverse_selected"}
        data = {
            "action": action[case.name],
            "_selected_action": [event_id],
            "confirmed": "yes",
            "reason": "order returned",
        }
        target = {"confirm": "paid", "reject_cashback": "rejected", "reverse": "reversed"}[case.name]
        return (
            f"{ADMIN}/cashbackevent/",
            data,
            lambda: CashbackEvent.objects.get(pk=event_id).status == target,
        )
    if case.name in ("retry", "dismiss"):
        missing = uuid.uuid4()
        record_click = {"sub_id": str(missing), "transaction_id": "CL-U", "sale_amount": "1000", "status": "pending"}
        services.cashback_record(
            conversion=conversion_parse(NETWORKS["cuelinks"], record_click), source="test", actor=SYSTEM
        )
        make_click(user=shopper, merchant=store, click_id=missing)  # the click turns up later
        row = UnmatchedConversion.objects.get()
        data = {"action": f"{case.name}_selected", "_selected_action": [row.pk]}
        if case.name == "retry":  # a retry records a cashback: the POST of its confirmation page
            data["confirmed"] = "yes"
        target = "matched" if case.name == "retry" else "dismissed"
        return (
            f"{ADMIN}/unmatchedconversion/",
            data,
            lambda: UnmatchedConversion.objects.get(pk=row.pk).status == target,
        )
    if case.name == "adjust":
        data = {"user_id": shopper.pk, "amount": "150.00", "reason": "goodwill for a late refund", "confirmed": "yes"}
        return (
            f"{ADMIN}/wallettransaction/adjust/",
            data,
            lambda: WalletTransaction.objects.filter(user=shopper, type=T.ADMIN_CREDIT, amount=150).exists(),
        )
    services.wallet_post(user_id=shopper.pk, amount=Decimal("1000"), type=T.ADMIN_CREDIT, description="seed")
    w = services.withdrawal_request(user_id=shopper.pk, amount=Decimal("400"), method="upi", details={"vpa": "asha@ok"})
    if case.name == "approve":
        data = {"action": "approve_selected", "_selected_action": [w.pk], "confirmed": "yes"}
        return f"{ADMIN}/withdrawal/", data, lambda: Withdrawal.objects.get(pk=w.pk).status == "approved"
    if case.name == "reject_withdrawal":
        data = {
            "action": "reject_selected",
            "_selected_action": [w.pk],
            "confirmed": "yes",
            "reason": "KYC name mismatch",
        }
        return f"{ADMIN}/withdrawal/", data, lambda: Withdrawal.objects.get(pk=w.pk).status == "rejected"
    assert case.name == "pay"
    services.withdrawal_approve(withdrawal_id=w.pk, actor=make_finance_staff())
    FakePayoutGateway.reset()
    FakePayoutGateway.plan("timeout_unsent")  # the request is lost: the withdrawal waits in 'processing'
    services.withdrawal_pay(withdrawal_id=w.pk, gateway=FakePayoutGateway(), actor=SYSTEM)
    assert Withdrawal.objects.get(pk=w.pk).status == "processing"
    data = {"action": "reconcile_selected", "_selected_action": [w.pk]}
    return f"{ADMIN}/withdrawal/", data, lambda: Withdrawal.objects.get(pk=w.pk).status == "completed"


CASES = [
    Case("record", ("wallet.record_cashbackevent",), "wallet.view_cashbackevent", False, "cashback.tracked"),
    Case("confirm", ("wallet.confirm_cashbackevent",), "wallet.view_cashbackevent", False, "cashback.confirmed"),
    Case("reject_cashback", ("wallet.reject_cashbackevent",), "wallet.view_cashbackevent", False, "cashback.rejected"),
    Case("reverse", ("wallet.reverse_cashbackevent",), "wallet.view_cashbackevent", False, "cashback.reversed"),
    Case(
        "retry",
        ("wallet.retry_unmatchedconversion", "wallet.record_cashbackevent"),
        "wallet.view_unmatchedconversion",
        False,
        "cashback.tracked",
    ),
    Case(
        "dismiss",
        ("wallet.dismiss_unmatchedconversion",),
        "wallet.view_unmatchedconversion",
        False,
        "cashback.unmatched_dismissed",
    ),
    Case("adjust", ("wallet.adjust_wallettransaction",), "wallet.view_wallettransaction", True, "wallet.adjust"),
    Case("approve", ("wallet.approve_withdrawal",), "wallet.view_withdrawal", True, "withdrawal.approved"),
    Case("reject_withdrawal", ("wallet.reject_withdrawal",), "wallet.view_withdrawal", True, "withdrawal.rejected"),
    Case("pay", ("wallet.pay_withdrawal",), "wallet.view_withdrawal", True, "withdrawal.reconcile_queued", True),
]


def _staff(*perms: str, finance: bool = False):
    user: Any = make_finance_staff() if finance else UserFactory(is_staff=True)
    if finance:  # make_finance_staff grants the whole finance set: start from none but the department
        user = revoke_permissions(user)
    return grant_permissions(user, *perms)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_without_the_permission_a_forged_post_gets_403_and_changes_nothing(case, shopper, store):
    url, data, _done = _setup(case, shopper, store)
    before = money_state()
    refused = {
        # no permission and no department at all
        "bare staff": UserFactory(is_staff=True),
        # can open the screen, is in finance, holds everything but the action's own permission
        "viewer": _staff(case.view, *case.perms[1:], finance=case.finance),
    }
    if case.finance:
        # holds the permission but is not in the finance department
        refused["outside finance"] = _staff(case.view, *case.perms)
    for who, user in refused.items():
        response = _client(user).post(url, data)
        assert response.status_code == 403, (who, response.status_code)
        if url.endswith("/record/") or url.endswith("/adjust/"):
            assert _client(user).get(url).status_code == 403, who
        assert money_state() == before, who


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_with_the_permission_it_works_and_writes_an_audit_row(case, shopper, store, django_capture_on_commit_callbacks):
    url, data, done = _setup(case, shopper, store)
    staff = _staff(case.view, *case.perms, finance=case.finance)
    client = _client(staff)
    if case.name in ("record", "adjust"):
        assert client.get(url).status_code == 200
    else:  # the action is offered to them
        assert f'value="{data["action"]}"' in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=case.after_commit):
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert done()
    assert AuditLog.objects.filter(actor_user=staff, action=case.audit_action).exists()


@pytest.mark.django_db
def test_buttons_and_actions_are_hidden_without_the_permission(shopper):
    viewer = _staff("wallet.view_cashbackevent", "wallet.view_wallettransaction", "wallet.view_withdrawal")
    client = _client(viewer)
    events = client.get(f"{ADMIN}/cashbackevent/").content.decode()
    assert "Record a conversion" not in events and "confirm_selected" not in events
    assert "Manual adjustment" not in client.get(f"{ADMIN}/wallettransaction/").content.decode()
    assert "approve_selected" not in client.get(f"{ADMIN}/withdrawal/").content.decode()
    # a status needing more than the record permission is not offered, and refused if posted anyway
    recorder = _staff("wallet.view_cashbackevent", "wallet.record_cashbackevent")
    client = _client(recorder)
    page = client.get(f"{ADMIN}/cashbackevent/record/").content.decode()
    assert 'value="pending"' in page and 'value="confirmed"' not in page
    click = make_click(user=shopper)
    before = money_state()
    forged = {"network": "manual", "click_id": str(click.click_id), "transaction_id": "X-1", "sale_amount": "900"}
    assert client.post(f"{ADMIN}/cashbackevent/record/", {**forged, "status": "confirmed"}).status_code == 403
    assert money_state() == before


@pytest.mark.django_db
def test_the_ledger_needs_the_view_permission(client, shopper):
    services.wallet_post(user_id=shopper.pk, amount=Decimal("10"), type=T.ADMIN_CREDIT, description="x")
    client.force_login(UserFactory(is_staff=True))
    assert client.get(f"{ADMIN}/wallettransaction/").status_code == 403
    client.force_login(_staff("wallet.view_wallettransaction"))
    assert client.get(f"{ADMIN}/wallettransaction/").status_code == 200


# ---------------------------------------------------------------- the services themselves


@pytest.mark.django_db
def test_services_refuse_an_unprivileged_actor_whoever_calls_them(shopper, store):
    click = make_click(user=shopper, merchant=store)
    pending = record(click, "S-1").event_id
    paid = record(make_click(user=shopper, merchant=store), "S-2", status="validated").event_id
    services.wallet_post(user_id=shopper.pk, amount=Decimal("1000"), type=T.ADMIN_CREDIT, description="seed")
    w = services.withdrawal_request(user_id=shopper.pk, amount=Decimal("300"), method="upi", details={"vpa": "asha@ok"})
    unmatched = services.cashback_record(
        conversion=conversion_parse(
            NETWORKS["cuelinks"],
            {"sub_id": str(uuid.uuid4()), "transaction_id": "U-1", "sale_amount": "10", "status": "pending"},
        ),
        source="test",
        actor=SYSTEM,
    )
    assert unmatched.outcome == "unmatched"
    row = UnmatchedConversion.objects.get()
    conversion = conversion_parse(
        NETWORKS["manual"],
        {"click_id": str(click.click_id), "transaction_id": "S-3", "sale_amount": "500", "status": "pending"},
    )
    calls = {
        "record": lambda a: services.cashback_record(conversion=conversion, source="staff", actor=a),
        "confirm": lambda a: services.cashback_confirm(event_id=pending, actor=a),
        "reject": lambda a: services.cashback_reject(event_id=pending, reason="no", actor=a),
        "reverse": lambda a: services.cashback_reverse(event_id=paid, reason="no", actor=a),
        "retry": lambda a: services.unmatched_retry(unmatched_id=row.pk, actor=a),
        "dismiss": lambda a: services.unmatched_dismiss(unmatched_id=row.pk, actor=a),
        "adjust": lambda a: services.wallet_adjust(user_id=shopper.pk, amount=Decimal("5"), reason="x", actor=a),
        "approve": lambda a: services.withdrawal_approve(withdrawal_id=w.pk, actor=a),
        "reject_w": lambda a: services.withdrawal_reject(withdrawal_id=w.pk, reason="x", actor=a),
        "pay": lambda a: services.withdrawal_pay(withdrawal_id=w.pk, gateway=FakePayoutGateway(), actor=a),
    }
    shopper_actor, staff_actor = shopper, UserFactory(is_staff=True)
    superuser_outside_finance = UserFactory(is_staff=True, is_superuser=True)
    before = money_state()
    for name, call in calls.items():
        for actor in (None, shopper_actor, staff_actor):
            with pytest.raises(PermissionRefused):
                call(actor)
        if name in ("adjust", "approve", "reject_w", "pay"):
            with pytest.raises(PermissionRefused, match="finance"):
                call(superuser_outside_finance)
        assert money_state() == before, name


@pytest.mark.django_db
def test_the_system_actor_is_explicit_and_a_missing_actor_is_refused():
    assert actor_require(SYSTEM, "wallet.confirm_cashbackevent", department="finance") is None
    with pytest.raises(PermissionRefused):
        actor_require(None, "wallet.confirm_cashbackevent")
    with pytest.raises(TypeError):
        services.cashback_confirm(event_id=1)  # actor is a required keyword: it cannot be forgotten
    inactive = grant_permissions(UserFactory(is_staff=True, is_active=False), "wallet.confirm_cashbackevent")
    with pytest.raises(PermissionRefused):
        actor_require(inactive, "wallet.confirm_cashbackevent")

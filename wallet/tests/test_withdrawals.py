"""Withdrawals: KYC, minimum, debit at request, Idempotency-Key, finance approvals (two above the limit),
rejection posts the money back, and payouts through the gateway that never pay twice."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests
import responses
from celery.signals import task_prerun
from django.db import connection
from django.test import override_settings

from accounts.authz import SYSTEM, PermissionRefused
from accounts.factories import UserFactory, UserKYCFactory, grant_permissions
from accounts.models import Notification
from couponali.models import AuditLog, IdempotencyKey
from wallet import selectors, services, tasks
from wallet.gateways import FakePayoutGateway, RazorpayXGateway
from wallet.models import Payout, WalletBalance, WalletTransaction, Withdrawal
from wallet.reconcile import wallet_reconcile

T = WalletTransaction.Type
URL = "/api/v1/wallet/withdrawals/"


def fund(user, amount):
    services.wallet_post(user_id=user.pk, amount=Decimal(amount), type=T.ADMIN_CREDIT)


def balance(user):
    return WalletBalance.objects.get(user=user).balance


def assert_reconciled():
    problems, _ = wallet_reconcile()
    assert problems == []


@pytest.fixture(autouse=True)
def _fresh_fake_gateway():
    FakePayoutGateway.reset()
    yield
    FakePayoutGateway.reset()


@pytest.mark.django_db
def test_a_withdrawal_is_debited_at_request_time(shopper):
    fund(shopper, "1000")
    withdrawal = services.withdrawal_request(
        user_id=shopper.pk, amount=Decimal("400"), method="upi", details={"vpa": "priya@okicici"}
    )
    assert withdrawal.status == "pending" and withdrawal.approvals_required == 1
    assert balance(shopper) == Decimal("600.00")
    posting = WalletTransaction.objects.get(reference_type="withdrawal", reference_id=withdrawal.pk)
    assert (posting.type, posting.amount) == (T.WITHDRAWAL, Decimal("-400.00"))
    assert Notification.objects.filter(user=shopper, title="Withdrawal requested").exists()
    assert_reconciled()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "amount,method,details,error",
    [
        ("249.99", "upi", {"vpa": "asha@okicici"}, "minimum withdrawal is ₹250"),
        ("1000.01", "upi", {"vpa": "asha@okicici"}, "available balance is ₹1,000"),
        ("300", "upi", {"vpa": "not-a-vpa"}, "valid UPI id"),
        ("300", "mobile_recharge", {"mobile": "12345", "operator": "jio"}, "10-digit"),
        ("300", "gift_voucher", {"brand": "nonesuch"}, "gift voucher brand"),
        ("300", "cash", {}, "Choose how to receive"),
    ],
)
def test_bad_withdrawal_requests_are_refused_and_change_nothing(shopper, amount, method, details, error):
    fund(shopper, "1000")
    with pytest.raises(services.WalletError, match=error):
        services.withdrawal_request(user_id=shopper.pk, amount=Decimal(amount), method=method, details=details)
    assert Withdrawal.objects.count() == 0 and balance(shopper) == Decimal("1000.00")


@pytest.mark.django_db
def test_withdrawals_need_verified_kyc():
    user = UserFactory()
    UserKYCFactory(user=user, status="pending")
    fund(user, "1000")
    with pytest.raises(services.NotAllowed, match="KYC"):
        services.withdrawal_request(
            user_id=user.pk, amount=Decimal("300"), method="upi", details={"vpa": "asha@okaxis"}
        )
    assert balance(user) == Decimal("1000.00")


@pytest.mark.django_db
def test_api_idempotency_key_replays_the_first_answer_and_refuses_a_different_body(client, shopper):
    fund(shopper, "1000")
    client.force_login(shopper)
    body = {"amount": "300.00", "method": "upi", "details": {"vpa": "priya@okhdfcbank"}}
    first = client.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    # the same request again (a retry after a lost answer): the same answer, no second debit
    again = client.post(URL, json.dumps(body, indent=2), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Withdrawal.objects.count() == 1 and balance(shopper) == Decimal("700.00")
    # the same key with another body is refused
    other = client.post(URL, {**body, "amount": "301.00"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422
    # a refusal is replayed too (it is the first answer for that key)
    poor = {**body, "amount": "5000"}
    assert client.post(URL, poor, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 409
    fund(shopper, "10000")
    assert client.post(URL, poor, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 409
    # keys are per user
    other_user = UserFactory()
    UserKYCFactory(user=other_user, status="verified")
    fund(other_user, "500")
    client.force_login(other_user)
    assert client.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    assert IdempotencyKey.objects.count() == 3
    assert_reconciled()


@pytest.mark.django_db
def test_api_answers_cleanly(client, shopper):
    # not signed in: 401 with a WWW-Authenticate challenge (bearer tokens are the API's first scheme)
    response = client.post(URL, {}, content_type="application/json")
    assert response.status_code == 401 and "WWW-Authenticate" in response
    client.force_login(shopper)
    fund(shopper, "100")
    response = client.post(
        URL, {"amount": "300", "method": "upi", "details": {"vpa": "asha@okaxis"}}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "insufficient_balance"
    assert client.post(URL, {"amount": "x"}, content_type="application/json").status_code == 400
    summary = client.get("/api/v1/wallet/").json()
    assert summary["available"] == "100.00"
    assert len(client.get("/api/v1/wallet/transactions/").json()["results"]) == 1  # a cursor page


@pytest.mark.django_db
def test_only_finance_approves_and_large_amounts_need_two_different_approvers(shopper, finance, finance2):
    fund(shopper, "20000")
    small = services.withdrawal_request(
        user_id=shopper.pk, amount=Decimal("500"), method="upi", details={"vpa": "asha@okaxis"}
    )
    large = services.withdrawal_request(
        user_id=shopper.pk, amount=Decimal("15000"), method="upi", details={"vpa": "asha@okaxis"}
    )
    assert large.approvals_required == 2
    outsider = UserFactory(is_staff=True, is_superuser=True)
    with pytest.raises(PermissionRefused, match="finance"):
        services.withdrawal_approve(withdrawal_id=small.pk, actor=outsider)
    services.withdrawal_approve(withdrawal_id=small.pk, actor=finance)
    small.refresh_from_db()
    # with the fake gateway (eager Celery in tests) the payout happened when the approval committed? not here:
    # the test's transaction never commits, so the job has not run: it is approved
    assert small.status == "approved"
    # large: first approval keeps it pending; the same person cannot approve twice; a second person can
    services.withdrawal_approve(withdrawal_id=large.pk, actor=finance)
    large.refresh_from_db()
    assert large.status == "pending" and large.first_approver_id == finance.pk
    with pytest.raises(services.NotAllowed, match="second approver"):
        services.withdrawal_approve(withdrawal_id=large.pk, actor=finance)
    services.withdrawal_approve(withdrawal_id=large.pk, actor=finance2)
    large.refresh_from_db()
    assert large.status == "approved" and large.processed_by_admin_id == finance2.pk


@pytest.mark.django_db
def test_rejection_posts_the_money_back_once(shopper, finance):
    fund(shopper, "1000")
    w = services.withdrawal_request(
        user_id=shopper.pk, amount=Decimal("600"), method="upi", details={"vpa": "asha@okaxis"}
    )
    with pytest.raises(services.WalletError, match="reason"):
        services.withdrawal_reject(withdrawal_id=w.pk, actor=finance, reason=" ")
    services.withdrawal_reject(withdrawal_id=w.pk, actor=finance, reason="Name does not match KYC")
    with pytest.raises(services.IllegalTransition):
        services.withdrawal_reject(withdrawal_id=w.pk, actor=finance, reason="again")
    assert balance(shopper) == Decimal("1000.00")
    assert WalletTransaction.objects.filter(reference_id=w.pk, type=T.WITHDRAWAL_REVERSED).count() == 1
    assert_reconciled()


def _approved(shopper, finance, amount="500", method="upi", details=None):
    fund(shopper, amount)
    w = services.withdrawal_request(
        user_id=shopper.pk, amount=Decimal(amount), method=method, details=details or {"vpa": "priya@okhdfcbank"}
    )
    services.withdrawal_approve(withdrawal_id=w.pk, actor=finance)
    return w


@pytest.mark.django_db
def test_payout_success_writes_the_payout_and_the_utr(shopper, finance):
    w = _approved(shopper, finance)
    services.withdrawal_pay(withdrawal_id=w.pk, gateway=FakePayoutGateway(), actor=SYSTEM)
    w.refresh_from_db()
    assert w.status == "completed" and w.transaction_reference.startswith("FAKEUTR")
    payout = Payout.objects.get()
    assert (payout.withdrawal_id, payout.amount, payout.reference) == (w.pk, w.amount, w.transaction_reference)
    # a second run changes nothing and pays nothing more
    services.withdrawal_pay(withdrawal_id=w.pk, gateway=FakePayoutGateway(), actor=SYSTEM)
    services.withdrawal_payout_reconcile(withdrawal_id=w.pk, gateway=FakePayoutGateway(), actor=SYSTEM)
    assert Payout.objects.count() == 1 and FakePayoutGateway.money_sent_count(str(w.uuid)) == 1
    assert Notification.objects.filter(user=shopper, title="Withdrawal paid").exists()
    assert_reconciled()


@pytest.mark.django_db
def test_a_failed_payout_returns_the_money(shopper, finance):
    w = _approved(shopper, finance)
    FakePayoutGateway.plan("fail")
    services.withdrawal_pay(withdrawal_id=w.pk, gateway=FakePayoutGateway(), actor=SYSTEM)
    w.refresh_from_db()
    assert w.status == "failed" and "declined" in w.rejection_reason
    assert balance(shopper) == Decimal("500.00") and Payout.objects.count() == 0
    assert_reconciled()


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", ["timeout", "timeout_unsent", "pending"])
def test_a_timeout_is_reconciled_and_never_paid_twice(shopper, finance, outcome):
    w = _approved(shopper, finance)
    FakePayoutGateway.plan(outcome)
    services.withdrawal_pay(withdrawal_id=w.pk, gateway=FakePayoutGateway(), actor=SYSTEM)
    w.refresh_from_db()
    # the answer was lost (or the bank is still working): the withdrawal waits in processing
    assert w.status == "processing" and Payout.objects.count() == 0
    # a second payout run does not send it again
    services.withdrawal_pay(withdrawal_id=w.pk, gateway=FakePayoutGateway(), actor=SYSTEM)
    # the reconciler asks the gateway (and re-sends with the same key only if it never arrived)
    services.withdrawal_payout_reconcile(withdrawal_id=w.pk, gateway=FakePayoutGateway(), actor=SYSTEM)
    w.refresh_from_db()
    assert w.status == "completed"
    assert Payout.objects.filter(withdrawal=w).count() == 1
    assert FakePayoutGateway.money_sent_count(str(w.uuid)) == 1
    assert_reconciled()


@pytest.mark.django_db
def test_the_payout_job_runs_through_celery_tasks(shopper, finance, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        w = _approved(shopper, finance)
    w.refresh_from_db()
    # the approval queued wallet.pay_withdrawal after commit; eager Celery ran it
    assert w.status == "completed"
    # the minute job finds nothing left to do
    tasks.process_payouts()
    assert Payout.objects.count() == 1


RAZORPAYX = "https://rpx.test/v1"


@override_settings(
    RAZORPAYX_BASE_URL=RAZORPAYX,
    RAZORPAYX_KEY_ID="rzp_test_key",
    RAZORPAYX_KEY_SECRET="s3cret",
    RAZORPAYX_ACCOUNT_NUMBER="7878780080316316",
)
@pytest.mark.django_db
@responses.activate
def test_razorpayx_gateway_pays_once_with_the_idempotency_header(shopper, finance):
    w = _approved(shopper, finance, amount="1234.50")
    responses.post(
        f"{RAZORPAYX}/payouts",
        json={"id": "pout_1", "entity": "payout", "status": "processing", "utr": None, "amount": 123450},
    )
    responses.get(
        f"{RAZORPAYX}/payouts/pout_1", json={"id": "pout_1", "status": "processed", "utr": "HDFCN00000000001"}
    )
    gateway = RazorpayXGateway()
    services.withdrawal_pay(withdrawal_id=w.pk, gateway=gateway, actor=SYSTEM)
    w.refresh_from_db()
    assert (w.status, w.gateway_payout_id) == ("processing", "pout_1")
    sent = responses.calls[0].request
    assert sent.headers["X-Payout-Idempotency"] == str(w.uuid)
    assert sent.headers["Authorization"].startswith("Basic ")
    body = json.loads(sent.body)
    assert body["amount"] == 123450 and body["mode"] == "UPI" and body["currency"] == "INR"
    assert body["fund_account"]["vpa"]["address"] == "priya@okhdfcbank"
    assert body["account_number"] == "7878780080316316"
    # the status query (GET by id) completes it; no second POST
    services.withdrawal_payout_reconcile(withdrawal_id=w.pk, gateway=gateway, actor=SYSTEM)
    w.refresh_from_db()
    assert w.status == "completed" and w.transaction_reference == "HDFCN00000000001"
    assert [c.request.method for c in responses.calls] == ["POST", "GET"]
    assert_reconciled()


@override_settings(
    RAZORPAYX_BASE_URL=RAZORPAYX, RAZORPAYX_KEY_ID="k", RAZORPAYX_KEY_SECRET="s", RAZORPAYX_ACCOUNT_NUMBER="1"
)
@pytest.mark.django_db
@responses.activate
def test_razorpayx_timeout_is_reconciled_by_repeating_the_idempotent_request(shopper, finance):
    w = _approved(shopper, finance, amount="800", method="bank")
    responses.post(f"{RAZORPAYX}/payouts", body=requests.ReadTimeout("read timed out"))
    responses.post(f"{RAZORPAYX}/payouts", json={"id": "pout_9", "status": "processed", "utr": "UTR9"})
    gateway = RazorpayXGateway()
    services.withdrawal_pay(withdrawal_id=w.pk, gateway=gateway, actor=SYSTEM)
    w.refresh_from_db()
    assert w.status == "processing" and w.gateway_status == "timeout"
    services.withdrawal_payout_reconcile(withdrawal_id=w.pk, gateway=gateway, actor=SYSTEM)
    w.refresh_from_db()
    assert w.status == "completed" and w.transaction_reference == "UTR9"
    keys = {c.request.headers["X-Payout-Idempotency"] for c in responses.calls}
    bodies = {c.request.body for c in responses.calls}
    assert keys == {str(w.uuid)} and len(bodies) == 1  # the same key and the same body both times
    body = json.loads(responses.calls[0].request.body)
    assert body["mode"] == "IMPS" and body["fund_account"]["bank_account"]["ifsc"] == "HDFC0001234"
    # the encrypted KYC account number is decrypted for the gateway request only
    assert body["fund_account"]["bank_account"]["account_number"] == "123456789012"
    assert "123456789012" not in json.dumps(w.destination_details)


@pytest.mark.django_db
def test_a_typed_upi_id_is_stored_encrypted_and_paid_decrypted(shopper, finance):
    w = _approved(shopper, finance, amount="300", method="upi")
    with connection.cursor() as cur:
        cur.execute("SELECT destination_details::text FROM withdrawals WHERE id = %s", [w.pk])
        (raw,) = cur.fetchone()
    assert "priya@okhdfcbank" not in raw and "prXXX@okhdfcbank" in raw  # only the masked form is readable
    assert selectors.payout_request_for(withdrawal=w).destination["vpa"] == "priya@okhdfcbank"


@override_settings(
    RAZORPAYX_BASE_URL=RAZORPAYX, RAZORPAYX_KEY_ID="k", RAZORPAYX_KEY_SECRET="s", RAZORPAYX_ACCOUNT_NUMBER="1"
)
@pytest.mark.django_db
@responses.activate
def test_razorpayx_refusal_fails_the_withdrawal_and_returns_the_money(shopper, finance):
    w = _approved(shopper, finance)
    responses.post(
        f"{RAZORPAYX}/payouts", status=400, json={"error": {"code": "BAD_REQUEST_ERROR", "description": "Invalid VPA"}}
    )
    services.withdrawal_pay(withdrawal_id=w.pk, gateway=RazorpayXGateway(), actor=SYSTEM)
    w.refresh_from_db()
    assert w.status == "failed" and w.rejection_reason == "Invalid VPA"
    assert balance(shopper) == Decimal("500.00")
    assert_reconciled()


# ---------------------------------------------------------------- methods the gateway can pay

RAZORPAYX_GATEWAY = "wallet.gateways.RazorpayXGateway"


@pytest.mark.django_db
def test_shoppers_are_offered_only_what_the_payout_gateway_can_pay(client, shopper):
    client.force_login(shopper)
    with override_settings(PAYOUT_GATEWAY=RAZORPAYX_GATEWAY):
        page = client.get("/wallet/withdraw/").content.decode()
    assert 'value="bank"' in page and 'value="upi"' in page
    assert 'value="gift_voucher"' not in page and 'value="mobile_recharge"' not in page
    assert 'name="brand"' not in page and 'name="operator"' not in page  # the fields of those methods too
    # the fake gateway (development) pays all four
    page = client.get("/wallet/withdraw/").content.decode()
    assert all(f'value="{m}"' in page for m in ("bank", "upi", "gift_voucher", "mobile_recharge"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method,details",
    [("gift_voucher", {"brand": "amazon"}), ("mobile_recharge", {"mobile": "9876543210", "operator": "jio"})],
)
def test_a_forged_request_for_a_method_the_gateway_cannot_pay_is_refused_and_changes_nothing(
    client, shopper, method, details
):
    fund(shopper, "1000")
    client.force_login(shopper)
    with override_settings(PAYOUT_GATEWAY=RAZORPAYX_GATEWAY):
        # the service itself
        with pytest.raises(services.WalletError, match="Choose how to receive the money: Bank transfer or UPI"):
            services.withdrawal_request(user_id=shopper.pk, amount=Decimal("300"), method=method, details=details)
        # the API
        api = client.post(
            URL,
            {"amount": "300", "method": method, "details": details},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"forged-{method}",
        )
        # the page's form, posted by hand
        form = client.post("/wallet/withdraw/", {"amount": "300", "method": method, **details, "idempotency_key": "k1"})
    assert api.status_code == 400
    assert api.json()["error"]["fields"] == {"method": [f'"{method}" is not a valid choice.']}
    assert form.status_code == 400 and "Select a valid choice" in form.content.decode()
    assert Withdrawal.objects.count() == 0 and balance(shopper) == Decimal("1000.00")
    assert_reconciled()


# ---------------------------------------------------------------- staff asking the gateway now


@pytest.fixture
def tasks_run():
    """The Celery tasks that start running (eager in tests), as (name, kwargs)."""
    ran: list[tuple[str, dict]] = []

    def record(sender=None, kwargs=None, **_):
        ran.append((sender.name, dict(kwargs or {})))

    task_prerun.connect(record, weak=False)
    yield ran
    task_prerun.disconnect(record)


@override_settings(
    PAYOUT_GATEWAY=RAZORPAYX_GATEWAY,
    RAZORPAYX_BASE_URL=RAZORPAYX,
    RAZORPAYX_KEY_ID="k",
    RAZORPAYX_KEY_SECRET="s",
    RAZORPAYX_ACCOUNT_NUMBER="1",
)
@pytest.mark.django_db
@responses.activate
def test_asking_the_gateway_from_the_admin_queues_the_job_after_commit(
    client, shopper, finance, django_capture_on_commit_callbacks, tasks_run
):
    # given a payout the bank has queued: the withdrawal waits in 'processing'
    w = _approved(shopper, finance, amount="1234.50")
    responses.post(f"{RAZORPAYX}/payouts", json={"id": "pout_1", "status": "queued", "utr": None})
    responses.get(f"{RAZORPAYX}/payouts/pout_1", json={"id": "pout_1", "status": "processed", "utr": "UTR1"})
    services.withdrawal_pay(withdrawal_id=w.pk, gateway=RazorpayXGateway(), actor=SYSTEM)
    assert Withdrawal.objects.get(pk=w.pk).status == "processing" and len(responses.calls) == 1
    client.force_login(finance)
    changelist = "/admin/wallet/withdrawal/"

    # when finance asks the gateway now
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            changelist, {"action": "reconcile_selected", "_selected_action": [w.pk], "index": "0"}, follow=True
        )

    # then the request only queued the job (no call to the gateway, nothing recorded yet) and audited the ask
    assert response.status_code == 200 and "Queued 1" in response.content.decode()
    assert len(responses.calls) == 1 and Withdrawal.objects.get(pk=w.pk).status == "processing"
    assert AuditLog.objects.filter(
        actor_user=finance, action=AuditLog.Action.WITHDRAWAL_RECONCILE_QUEUED, entity_id=w.pk
    ).exists()
    assert len(queued) == 1 and tasks_run == []

    # once the request commits, the job runs as that staff member: it asks the gateway and records the answer
    for callback in queued:
        callback()
    assert tasks_run == [("wallet.reconcile_payout", {"withdrawal_id": w.pk, "actor_id": finance.pk})]
    assert [c.request.method for c in responses.calls] == ["POST", "GET"]
    w.refresh_from_db()
    assert (w.status, w.transaction_reference) == ("completed", "UTR1")
    assert AuditLog.objects.filter(actor_user=finance, action=AuditLog.Action.RLS_BYPASS).exists()
    assert_reconciled()


@pytest.mark.django_db
def test_asking_the_gateway_needs_the_permission_in_the_admin_and_again_in_the_job(
    client, shopper, finance, django_capture_on_commit_callbacks
):
    w = _approved(shopper, finance)
    FakePayoutGateway.plan("timeout_unsent")
    services.withdrawal_pay(withdrawal_id=w.pk, gateway=FakePayoutGateway(), actor=SYSTEM)
    assert Withdrawal.objects.get(pk=w.pk).status == "processing"
    # a staff member who can see withdrawals but may not pay: no action, a forged POST gets 403, nothing queued
    viewer = grant_permissions(UserFactory(is_staff=True), "wallet.view_withdrawal")
    client.force_login(viewer)
    assert 'value="reconcile_selected"' not in client.get("/admin/wallet/withdrawal/").content.decode()
    with django_capture_on_commit_callbacks() as queued:
        forged = client.post("/admin/wallet/withdrawal/", {"action": "reconcile_selected", "_selected_action": [w.pk]})
    assert forged.status_code == 403 and queued == []
    with pytest.raises(PermissionRefused):
        services.withdrawal_payout_reconcile_queue(withdrawal_ids=[w.pk], actor=viewer)
    # the job checks the actor again when it runs: without the permission (withdrawn meanwhile) it does nothing
    tasks.reconcile_payout(w.pk, actor_id=viewer.pk)
    assert Withdrawal.objects.get(pk=w.pk).status == "processing" and FakePayoutGateway.sent(str(w.uuid)) is None
    assert not AuditLog.objects.filter(action=AuditLog.Action.WITHDRAWAL_RECONCILE_QUEUED).exists()
    # the payout job (SYSTEM) still reconciles it
    tasks.reconcile_payout(w.pk)
    assert Withdrawal.objects.get(pk=w.pk).status == "completed"

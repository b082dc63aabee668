"""Money under concurrency, with real threads and processes against the real PostgreSQL: whatever the order,
timing or repetition, no paisa is lost, invented or counted twice."""

from __future__ import annotations

import io
import os
import random
import signal
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client

from accounts.factories import UserFactory, UserKYCFactory
from catalog.factories import MerchantFactory
from couponali import rls
from devtools.testing import celery_worker
from wallet import services, tasks
from wallet.models import CashbackEvent, WalletBalance, WalletTransaction, Withdrawal
from wallet.reconcile import wallet_reconcile
from wallet.testing import pending_events_create

from .conftest import make_click, make_finance_staff

T = WalletTransaction.Type
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def in_thread(fn):
    """Run fn in a worker thread with its own database connection, returned to the pool afterwards."""

    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    return run


def logged_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_reconciled():
    with rls.bypass(reason="test"):
        problems, _ = wallet_reconcile()
    assert problems == []
    out = io.StringIO()
    call_command("reconcile_wallets", stdout=out)  # exits non-zero (raises CommandError) on any break
    assert "All" in out.getvalue() and "checks pass" in out.getvalue()


def test_50_concurrent_withdrawals_of_30_from_100(settings):
    settings.WALLET_MIN_WITHDRAWAL = Decimal("10.00")
    with rls.bypass(reason="test setup"):
        user = UserFactory()
        UserKYCFactory(user=user, status="verified")
        services.wallet_post(user_id=user.pk, amount=Decimal("100.00"), type=T.ADMIN_CREDIT)
    session_cookie = logged_in_client(user).cookies
    start = threading.Barrier(50)

    @in_thread
    def withdraw(i):
        client = Client()
        client.cookies = session_cookie
        start.wait()
        return client.post(
            "/api/v1/wallet/withdrawals/",
            {"amount": "30.00", "method": "upi", "details": {"vpa": "priya@okhdfcbank"}},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"w-{i}",
        )

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(withdraw, range(50)))
    statuses = sorted(r.status_code for r in responses)
    # exactly three succeed; every other one gets a clean 409 saying why
    assert statuses.count(201) == 3
    assert statuses.count(409) == 47, statuses
    assert all(r.json()["error"]["code"] == "insufficient_balance" for r in responses if r.status_code == 409)
    with rls.bypass(reason="test"):
        assert WalletBalance.objects.get(user=user).balance == Decimal("10.00")
        assert Withdrawal.objects.filter(user=user).count() == 3
        assert WalletTransaction.objects.filter(user=user, type=T.WITHDRAWAL).count() == 3
    assert_reconciled()


def _random_operation(rng, client, *, users, cookies, finance, book, failures) -> None:
    """One of: a finance credit (40%), a finance debit (25%), a shopper's withdrawal through the API (25%), a
    finance rejection of a pending withdrawal (10%); what it moved is booked."""
    user = rng.choice(users)
    amount = Decimal(rng.randint(1, 50000)) / 100
    roll = rng.random()
    if roll < 0.40:
        with rls.scope(user_id=finance.pk, tables=rls.tables_visible_to(finance)):
            services.wallet_post(user_id=user.pk, amount=amount, type=T.ADMIN_CREDIT)
        book(user.pk, amount)
    elif roll < 0.65:
        with rls.scope(user_id=finance.pk, tables=rls.tables_visible_to(finance)):
            services.wallet_post(user_id=user.pk, amount=-amount, type=T.ADMIN_DEBIT)
        book(user.pk, -amount)
    elif roll < 0.90:
        client.cookies = cookies[user.pk]
        response = client.post(
            "/api/v1/wallet/withdrawals/",
            {"amount": str(amount), "method": "upi", "details": {"vpa": "xena@okaxis"}},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
        if response.status_code == 201:
            book(user.pk, -amount)
        elif response.status_code != 409:
            failures.append(f"withdrawal answered {response.status_code}: {response.content[:200]}")
    else:
        with rls.scope(user_id=finance.pk, tables=rls.tables_visible_to(finance)):
            pending = list(Withdrawal.objects.filter(user=user, status="pending").values_list("id", "amount")[:1])
            if pending:
                services.withdrawal_reject(withdrawal_id=pending[0][0], actor=finance, reason="test")
                book(user.pk, pending[0][1])


def test_16_workers_posting_2000_random_credits_and_debits_over_10_wallets(settings):
    settings.WALLET_MIN_WITHDRAWAL = Decimal("1.00")
    with rls.bypass(reason="test setup"):
        users = [UserFactory() for _ in range(10)]
        for u in users:
            UserKYCFactory(user=u, status="verified")
        finance = make_finance_staff()
    cookies = {u.pk: logged_in_client(u).cookies for u in users}
    expected: dict[int, Decimal] = defaultdict(Decimal)
    lock = threading.Lock()
    failures: list[str] = []
    ops_per_worker = 125  # 16 × 125 = 2,000 operations

    def book(user_id, amount):
        with lock:
            expected[user_id] += amount

    @in_thread
    def worker(seed):
        rng = random.Random(seed)
        client = Client()
        for _ in range(ops_per_worker):
            try:
                _random_operation(
                    rng, client, users=users, cookies=cookies, finance=finance, book=book, failures=failures
                )
            except services.InsufficientBalance:
                pass  # a clean refusal: nothing moved
            except services.IllegalTransition:
                pass  # another worker rejected that withdrawal first: nothing moved
            except Exception as exc:
                failures.append(repr(exc))

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(worker, range(16)))
    assert failures == []
    # every wallet holds exactly what the successful operations say, and every invariant holds
    with rls.bypass(reason="test"):
        for u in users:
            assert WalletBalance.objects.get(user=u).balance == expected[u.pk]
        assert WalletTransaction.objects.count() > 1000
    assert_reconciled()


def test_the_same_postback_five_times_in_parallel_and_statuses_out_of_order():
    user = UserFactory()
    click = make_click(user=user, merchant=MerchantFactory(affiliate_network="admitad"))
    base = (
        f"/api/v1/postbacks/admitad/?subid={click.click_id}&order_id=AD-PAR&order_sum=2499.00"
        "&payment_sum=149.94&currency=INR&secret=test-admitad-secret"
    )
    start = threading.Barrier(5)

    @in_thread
    def send(url):
        start.wait()
        return Client().get(url)

    with ThreadPoolExecutor(max_workers=5) as pool:
        first = list(pool.map(send, [base + "&status=pending"] * 5))
    assert [r.status_code for r in first] == [200] * 5
    assert sorted(r.json()["outcome"] for r in first) == ["created"] + ["unchanged"] * 4
    # then "approved" and a late "pending" race each other, several times each
    start = threading.Barrier(6)
    with ThreadPoolExecutor(max_workers=6) as pool:
        mixed = list(pool.map(send, [base + "&status=approved", base + "&status=pending"] * 3))
    assert all(r.status_code == 200 for r in mixed)
    assert [r.json()["outcome"] for r in mixed].count("confirmed") == 1
    event = CashbackEvent.objects.get()
    assert event.status == "paid"
    with rls.bypass(reason="test"):
        credits = WalletTransaction.objects.filter(reference_type="cashback_event", reference_id=event.pk)
        assert [c.amount for c in credits] == [Decimal("149.94")]
    assert_reconciled()


def test_approved_first_in_parallel_with_pending_creates_one_event():
    user = UserFactory()
    click = make_click(user=user, cashback_value=Decimal("3.50"))  # the whole commission
    base = (
        f"/api/v1/postbacks/cuelinks/?sub_id={click.click_id}&transaction_id=CL-PAR&sale_amount=3499"
        "&commission=122.46&secret=test-cl-secret"
    )
    start = threading.Barrier(8)

    @in_thread
    def send(url):
        start.wait()
        return Client().get(url)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, [base + "&status=validated", base + "&status=pending"] * 4))
    assert all(r.status_code == 200 for r in results)
    assert CashbackEvent.objects.count() == 1
    assert CashbackEvent.objects.get().status == "paid"
    with rls.bypass(reason="test"):
        assert WalletTransaction.objects.filter(type=T.CASHBACK_EARNED).count() == 1
    assert_reconciled()


def test_a_worker_killed_in_the_middle_of_the_confirmation_job_credits_exactly_once_after_restart():
    # given many due pending events, so that the job needs many batches
    fixture = pending_events_create(users=2000, per_user=8)
    total = fixture["events"]
    assert_reconciled()

    def paid() -> int:
        return CashbackEvent.objects.filter(network="bulk", status="paid").count()

    # when a worker runs the job in small batches and is killed (SIGKILL, no goodbye) halfway
    with celery_worker() as worker:
        tasks.auto_confirm_cashback.delay(batch_size=200)
        deadline = time.monotonic() + 120
        while paid() < 400 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    done_before = paid()
    assert 0 < done_before < total, f"the kill should land mid-job ({done_before} of {total} confirmed)"
    # the ledger is consistent at the kill: the interrupted batch rolled back as a whole
    with rls.bypass(reason="test"):
        assert WalletTransaction.objects.filter(type=T.CASHBACK_EARNED).count() == done_before
    assert_reconciled()

    # then another worker runs the job again (beat sends it every hour): it confirms only what is left
    with celery_worker():
        result = tasks.auto_confirm_cashback.delay(batch_size=200)
        confirmed_now = result.get(timeout=300)
    assert confirmed_now == total - done_before
    assert paid() == total
    # exactly one credit per event, and one notification each
    with rls.bypass(reason="test"), connection.cursor() as cur:
        assert WalletTransaction.objects.filter(type=T.CASHBACK_EARNED).count() == total
        cur.execute(
            "SELECT count(*) FROM (SELECT reference_id FROM wallet_transactions WHERE type = 'cashback_earned' "
            "GROUP BY reference_id HAVING count(*) > 1) d"
        )
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(*) FROM notifications WHERE title = 'Cashback confirmed'")
        assert cur.fetchone()[0] == total
    assert_reconciled()


def test_the_same_transaction_id_for_two_shoppers_clicks_in_parallel_credits_nobody_twice():
    a, b = UserFactory(), UserFactory()
    clicks = [make_click(user=a), make_click(user=b)] * 3
    start = threading.Barrier(len(clicks))

    @in_thread
    def send(click):
        start.wait()
        return Client().get(
            f"/api/v1/postbacks/cuelinks/?sub_id={click.click_id}&transaction_id=CL-CLASH&sale_amount=1000"
            "&commission=100&status=validated&secret=test-cl-secret"
        )

    with ThreadPoolExecutor(max_workers=len(clicks)) as pool:
        results = list(pool.map(send, clicks))
    assert all(r.status_code == 200 for r in results), [r.content for r in results]
    outcomes = [r.json()["outcome"] for r in results]
    assert outcomes.count("confirmed") == 1
    assert set(outcomes) <= {"confirmed", "unchanged", "ignored", "unmatched"}
    event = CashbackEvent.objects.get()
    with rls.bypass(reason="test"):
        assert WalletTransaction.objects.filter(type=T.CASHBACK_EARNED).count() == 1
        assert WalletTransaction.objects.get(type=T.CASHBACK_EARNED).user_id == event.user_id
    assert_reconciled()

"""The auto-confirm job's work: pending cashback whose store's validation period has passed is confirmed and
credited. Set-based in SQL for users without a debt (cashback_auto_confirm_batch); one by one through
cashback_confirm for users who owe a debt (their credit first pays it back). Both paths leave the same rows
for an event: the batch uses the per-event path's builders for the posting's description, the notification
(through accounts' notify_many) and the audit row (wallet/tests/test_confirm_paths.py compares them)."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from accounts import authz
from accounts.services import notify_many
from couponali import events
from couponali.audit import AuditAction, audit_log_many
from couponali.celery import enqueue_on_commit
from couponali.task_names import Referrals
from wallet.models import CashbackEvent

from .cashback import (
    CASHBACK_EARNED_DESCRIPTION,
    cashback_confirm,
    cashback_confirmed_audit,
    cashback_confirmed_notice,
)
from .errors import IllegalTransition

AUTO_CONFIRM_LOCK = 0x5741_4C4C  # pg advisory lock key: one auto-confirm batch at a time ("WALL")
AUTO = "auto"  # the source of an automatic confirmation, in its audit row
SETTLED_CHUNK = 1000  # users per referrals.cashback_settled task


def _due_event_ids(cur, *, now: dt.datetime, limit: int, with_debt: bool) -> list[int]:
    cur.execute(
        """
        SELECT e.id FROM cashback_events e
        JOIN merchants m ON m.id = e.merchant_id
        LEFT JOIN wallet_balances b ON b.user_id = e.user_id
        WHERE e.status = 'pending' AND e.held_reason IS NULL
          AND e.created_at <= %(now)s - make_interval(days => m.validation_days)
          AND (coalesce(b.debt, 0) > 0) = %(with_debt)s
        ORDER BY e.created_at, e.id
        LIMIT %(limit)s
        """,
        {"now": now, "limit": limit, "with_debt": with_debt},
    )
    return [r[0] for r in cur.fetchall()]


def _lock_due(cur, *, ids: list[int]) -> list[int]:
    """The lock order of wallet.locks in SQL: wallets (ascending user id), then the events (ascending id),
    re-checked inside the locks (still pending and not held, owner still debt-free). Returns the locked ids."""
    cur.execute(
        """
        INSERT INTO wallet_balances (user_id, balance, debt, updated_at)
        SELECT DISTINCT user_id, 0, 0, now() FROM cashback_events WHERE id = ANY(%(ids)s)
        ON CONFLICT (user_id) DO NOTHING
        """,
        {"ids": ids},
    )
    cur.execute(
        """
        SELECT b.user_id FROM wallet_balances b
        WHERE b.user_id IN (SELECT user_id FROM cashback_events WHERE id = ANY(%(ids)s))
        ORDER BY b.user_id FOR UPDATE
        """,
        {"ids": ids},
    )
    cur.execute(
        """
        SELECT e.id FROM cashback_events e JOIN wallet_balances b ON b.user_id = e.user_id
        WHERE e.id = ANY(%(ids)s) AND e.status = 'pending' AND e.held_reason IS NULL AND b.debt = 0
        ORDER BY e.id FOR UPDATE OF e
        """,
        {"ids": ids},
    )
    return [r[0] for r in cur.fetchall()]


def _credit(cur, *, ids: list[int], now: dt.datetime) -> list[tuple]:
    """Post the credits, move both snapshots and mark the events paid; returns (event id, user id, amount,
    store, referred) per event, ascending id."""
    params = {"ids": ids, "now": now, "description": CASHBACK_EARNED_DESCRIPTION}
    # Postings: per user, in event order, each starting where the previous ended. Rows are inserted in
    # the SELECT's order, so ids follow the chain; the wallet_tx_chain trigger verifies exactly that.
    cur.execute(
        """
        INSERT INTO wallet_transactions (uuid, user_id, amount, type, reference_type, reference_id,
                                         balance_before, balance_after, description, created_at)
        SELECT gen_random_uuid(), x.user_id, x.amount, 'cashback_earned', 'cashback_event', x.id,
               x.balance + x.running - x.amount, x.balance + x.running, format(%(description)s::text, x.store),
               %(now)s
        FROM (
            SELECT e.id, e.user_id, e.cashback_amount AS amount, b.balance, m.name AS store,
                   sum(e.cashback_amount) OVER (PARTITION BY e.user_id ORDER BY e.id) AS running
            FROM cashback_events e
            JOIN wallet_balances b ON b.user_id = e.user_id
            JOIN merchants m ON m.id = e.merchant_id
            WHERE e.id = ANY(%(ids)s) AND e.cashback_amount > 0
        ) x
        ORDER BY x.user_id, x.id
        """,
        params,
    )
    # Snapshots from the per-user sums, in one statement: wallet_balances first, then users from it.
    cur.execute(
        """
        WITH totals AS (
            SELECT user_id, sum(cashback_amount) AS total FROM cashback_events
            WHERE id = ANY(%(ids)s) GROUP BY user_id
        ), balances AS (
            UPDATE wallet_balances b SET balance = b.balance + t.total
            FROM totals t WHERE b.user_id = t.user_id
            RETURNING b.user_id, b.balance
        )
        UPDATE users u SET wallet_balance = b.balance,
                           pending_cashback = u.pending_cashback - t.total,
                           lifetime_earnings = u.lifetime_earnings + t.total
        FROM totals t JOIN balances b ON b.user_id = t.user_id
        WHERE u.id = t.user_id
        """,
        params,
    )
    cur.execute(
        """
        WITH paid AS (
            UPDATE cashback_events SET status = 'paid', confirmed_at = %(now)s, paid_at = %(now)s
            WHERE id = ANY(%(ids)s)
            RETURNING id, user_id, merchant_id, cashback_amount
        )
        SELECT p.id, p.user_id, p.cashback_amount, m.name, u.referred_by_user_id IS NOT NULL
        FROM paid p JOIN merchants m ON m.id = p.merchant_id JOIN users u ON u.id = p.user_id
        ORDER BY p.id
        """,
        params,
    )
    return cur.fetchall()


def cashback_auto_confirm_batch(*, batch_size: int = 5000, now: dt.datetime | None = None) -> int:
    """Confirm up to ``batch_size`` pending events whose store's validation period has passed, set-based,
    in ONE transaction, with the same invariants and rows as cashback_confirm (the DB triggers check them too):

    lock wallets (ascending user id) → lock and re-check events (ascending id) → INSERT the postings with
    balance_before/after chained per user by a window sum → UPDATE wallet_balances and users from the sums →
    mark the events paid → the notifications and audit rows of every event (written set-based through
    accounts' notify_many and audit_log_many, streamed by COPY) → referral bonuses queued after commit.

    Users who owe a debt are left to cashback_auto_confirm_singles (their credit first pays the debt back).
    Returns how many events were confirmed (0 when nothing is due or another batch holds the job lock).
    Must run inside rls.bypass (it touches many users' postings)."""
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(%s)", [AUTO_CONFIRM_LOCK])
        if not cur.fetchone()[0]:
            return 0
        ids = _due_event_ids(cur, now=now, limit=batch_size, with_debt=False)
        if not ids:
            return 0
        locked = _lock_due(cur, ids=ids)
        if not locked:
            return 0
        confirmed = _credit(cur, ids=locked, now=now)
        notify_many(
            notices=[
                cashback_confirmed_notice(user_id=user_id, amount=amount, store=store)
                for _id, user_id, amount, store, _referred in confirmed
            ]
        )
        audit_log_many(
            actor_id=None,
            action=AuditAction.CASHBACK_CONFIRMED,
            entity_type="cashback_event",
            entries=[
                (event_id, cashback_confirmed_audit(amount=amount, source=AUTO, released_hold=None))
                for event_id, _user_id, amount, _store, _referred in confirmed
            ],
        )
        events.cashback_status_changed.send(
            sender=CashbackEvent, event_ids=[row[0] for row in confirmed], status=CashbackEvent.Status.PAID
        )
        referred = sorted({user_id for _id, user_id, _amount, _store, is_referred in confirmed if is_referred})
        for start in range(0, len(referred), SETTLED_CHUNK):
            enqueue_on_commit(Referrals.CASHBACK_SETTLED, user_ids=referred[start : start + SETTLED_CHUNK])
    return len(locked)


def cashback_auto_confirm_singles(*, limit: int = 500, now: dt.datetime | None = None) -> int:
    """Due events of users who owe a debt: one by one, so that each credit first pays the debt back."""
    now = now or timezone.now()
    with connection.cursor() as cur:
        ids = _due_event_ids(cur, now=now, limit=limit, with_debt=True)
    done = 0
    for event_id in ids:
        try:
            cashback_confirm(event_id=event_id, actor=authz.SYSTEM, source=AUTO)
            done += 1
        except IllegalTransition:
            continue  # confirmed by someone else meanwhile
    return done

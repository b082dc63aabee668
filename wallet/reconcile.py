"""Checks of every wallet invariant, for `manage.py reconcile_wallets` and its nightly beat job.

Each check is one SQL query returning the rows that break it (none when all is well). Other apps add their
own checks through settings.WALLET_RECONCILE_CHECKS (the referrals app adds total_earned), so the wallet
never imports them. Run inside rls.bypass: the checks read every user's postings.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string

from couponali.money import format_inr


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    sql: str
    # formats one offending row as a line of the report; "{1:inr}" shows column 1 as rupees (format_inr)
    line: str


CHECKS: list[Check] = [
    Check(
        "snapshot",
        "wallet_balances.balance = sum of the user's postings",
        """
        SELECT coalesce(b.user_id, t.user_id), coalesce(b.balance, 0), coalesce(t.total, 0)
        FROM wallet_balances b
        FULL JOIN (SELECT user_id, sum(amount) AS total FROM wallet_transactions GROUP BY user_id) t
          ON t.user_id = b.user_id
        WHERE coalesce(b.balance, 0) <> coalesce(t.total, 0)
        """,
        "user {0}: balance {1:inr} but postings sum to {2:inr}",
    ),
    Check(
        "chain",
        "each posting's balance_before = the previous posting's balance_after (0 for the first)",
        """
        SELECT id, user_id, balance_before, prev FROM (
            SELECT id, user_id, balance_before, balance_after, amount,
                   lag(balance_after, 1, 0::numeric) OVER (PARTITION BY user_id ORDER BY id) AS prev
            FROM wallet_transactions
        ) x
        WHERE balance_before <> prev OR balance_after <> balance_before + amount OR balance_after < 0
        """,
        "posting {0} of user {1} starts at {2:inr}, the previous ended at {3:inr}",
    ),
    Check(
        "users_columns",
        "users.wallet_balance = wallet_balances.balance",
        """
        SELECT u.id, u.wallet_balance, coalesce(b.balance, 0)
        FROM users u LEFT JOIN wallet_balances b ON b.user_id = u.id
        WHERE u.wallet_balance <> coalesce(b.balance, 0)
        """,
        "user {0}: users.wallet_balance {1:inr} but wallet_balances says {2:inr}",
    ),
    Check(
        "pending_cashback",
        "users.pending_cashback = sum of the user's pending cashback events",
        """
        SELECT u.id, u.pending_cashback, coalesce(p.total, 0)
        FROM users u LEFT JOIN (
            SELECT user_id, sum(cashback_amount) AS total FROM cashback_events WHERE status = 'pending'
            GROUP BY user_id
        ) p ON p.user_id = u.id
        WHERE u.pending_cashback <> coalesce(p.total, 0)
        """,
        "user {0}: pending_cashback {1:inr} but pending events sum to {2:inr}",
    ),
    Check(
        "one_credit_per_event",
        "every credited cashback event has exactly one cashback_earned posting of its amount, others none",
        """
        SELECT e.id, e.status, e.cashback_amount, coalesce(c.n, 0), coalesce(c.total, 0)
        FROM cashback_events e
        LEFT JOIN (
            SELECT reference_id, count(*) AS n, sum(amount) AS total FROM wallet_transactions
            WHERE reference_type = 'cashback_event' AND type = 'cashback_earned' GROUP BY reference_id
        ) c ON c.reference_id = e.id
        WHERE (e.paid_at IS NOT NULL AND e.cashback_amount > 0
               AND (coalesce(c.n, 0) <> 1 OR coalesce(c.total, 0) <> e.cashback_amount))
           OR ((e.paid_at IS NULL OR e.cashback_amount = 0) AND coalesce(c.n, 0) > 0)
           OR (e.status = 'paid' AND e.paid_at IS NULL)
        """,
        "cashback event {0} ({1}, {2:inr}) has {3} credit posting(s) totalling {4:inr}",
    ),
    Check(
        "orphan_credits",
        "every cashback posting refers to an existing event of the same user",
        """
        SELECT t.id, t.type, t.reference_id FROM wallet_transactions t
        LEFT JOIN cashback_events e ON e.id = t.reference_id
        WHERE t.type IN ('cashback_earned', 'cashback_reversed') AND (
            t.reference_type IS DISTINCT FROM 'cashback_event' OR e.id IS NULL OR e.user_id <> t.user_id)
        """,
        "posting {0} ({1}) refers to cashback event {2}, which is missing or someone else's",
    ),
    Check(
        "no_rest_in_confirmed",
        "no event rests in 'confirmed' (confirmation and credit share one transaction)",
        "SELECT id FROM cashback_events WHERE status = 'confirmed'",
        "cashback event {0} is confirmed but was never credited",
    ),
    Check(
        "reversals",
        "a reversed credited event took back its amount (debit + recorded debt = cashback)",
        """
        SELECT e.id, e.cashback_amount, coalesce(-t.amount, 0), coalesce(d.amount, 0)
        FROM cashback_events e
        LEFT JOIN wallet_transactions t
          ON t.reference_type = 'cashback_event' AND t.reference_id = e.id AND t.type = 'cashback_reversed'
        LEFT JOIN wallet_debts d
          ON d.reference_type = 'cashback_event' AND d.reference_id = e.id AND d.user_id = e.user_id
        WHERE (e.status = 'reversed' AND e.paid_at IS NOT NULL
               AND coalesce(-t.amount, 0) + coalesce(d.amount, 0) <> e.cashback_amount)
           OR (e.status <> 'reversed' AND (t.id IS NOT NULL OR d.id IS NOT NULL))
        """,
        "cashback event {0} ({1:inr}): {2:inr} debited and {3:inr} recorded as debt",
    ),
    Check(
        "withdrawal_postings",
        "every withdrawal was debited once; rejected/failed ones were credited back once; others not",
        """
        SELECT w.id, w.status, w.amount, coalesce(t.debited, 0), coalesce(t.debits, 0),
               coalesce(t.returned, 0), coalesce(t.returns, 0)
        FROM withdrawals w
        LEFT JOIN (
            SELECT reference_id,
                   sum(amount) FILTER (WHERE type = 'withdrawal') AS debited,
                   count(*) FILTER (WHERE type = 'withdrawal') AS debits,
                   sum(amount) FILTER (WHERE type = 'withdrawal_reversed') AS returned,
                   count(*) FILTER (WHERE type = 'withdrawal_reversed') AS returns
            FROM wallet_transactions WHERE reference_type = 'withdrawal' GROUP BY reference_id
        ) t ON t.reference_id = w.id
        WHERE coalesce(t.debits, 0) <> 1 OR coalesce(t.debited, 0) <> -w.amount
           OR coalesce(t.returns, 0) <> CASE WHEN w.status IN ('rejected', 'failed') THEN 1 ELSE 0 END
           OR (w.status IN ('rejected', 'failed') AND coalesce(t.returned, 0) <> w.amount)
        """,
        "withdrawal {0} ({1}, {2:inr}): debited {3:inr} in {4} posting(s), returned {5:inr} in {6}",
    ),
    Check(
        "payouts",
        "payouts = completed withdrawals (one each, same amount and user)",
        """
        SELECT w.id, w.status, p.id, w.amount, p.amount
        FROM withdrawals w FULL JOIN payouts p ON p.withdrawal_id = w.id
        WHERE (w.status = 'completed') IS DISTINCT FROM (p.id IS NOT NULL)
           OR p.amount <> w.amount OR p.user_id <> w.user_id
        """,
        "withdrawal {0} ({1}) and payout {2}: amounts {3:inr} / {4:inr}",
    ),
    Check(
        "debts",
        "wallet_balances.debt = outstanding debts, and what was recovered was posted",
        """
        SELECT coalesce(b.user_id, d.user_id), coalesce(b.debt, 0), coalesce(d.outstanding, 0),
               coalesce(d.recovered, 0), coalesce(r.posted, 0)
        FROM wallet_balances b
        FULL JOIN (SELECT user_id, sum(outstanding) AS outstanding, sum(amount - outstanding) AS recovered
                   FROM wallet_debts GROUP BY user_id) d ON d.user_id = b.user_id
        LEFT JOIN (SELECT user_id, -sum(amount) AS posted FROM wallet_transactions
                   WHERE type = 'debt_recovery' GROUP BY user_id) r ON r.user_id = coalesce(b.user_id, d.user_id)
        WHERE coalesce(b.debt, 0) <> coalesce(d.outstanding, 0) OR coalesce(d.recovered, 0) <> coalesce(r.posted, 0)
        """,
        "user {0}: debt column {1:inr}, outstanding debts {2:inr}, recovered {3:inr} but recovery postings {4:inr}",
    ),
    Check(
        "lifetime_earnings",
        "users.lifetime_earnings = earnings posted, net of reversals (including the part owed as debt)",
        """
        SELECT u.id, u.lifetime_earnings, coalesce(t.net, 0) - coalesce(d.owed, 0)
        FROM users u
        LEFT JOIN (SELECT user_id, sum(amount) AS net FROM wallet_transactions
                   WHERE type IN ('cashback_earned', 'referral_bonus', 'cashback_reversed', 'referral_bonus_reversed')
                   GROUP BY user_id) t ON t.user_id = u.id
        LEFT JOIN (SELECT user_id, sum(amount) AS owed FROM wallet_debts GROUP BY user_id) d ON d.user_id = u.id
        WHERE u.lifetime_earnings <> coalesce(t.net, 0) - coalesce(d.owed, 0)
        """,
        "user {0}: lifetime_earnings {1:inr} but the ledger says {2:inr}",
    ),
]


@dataclass(frozen=True)
class Problem:
    check: str
    message: str


class _ReportLine(string.Formatter):
    """A check's line with its amounts (``{n:inr}``) as rupees with lakh grouping, like every other screen."""

    def format_field(self, value, format_spec):
        if format_spec == "inr":
            return "—" if value is None else format_inr(value)
        return super().format_field(value, format_spec)


_REPORT_LINE = _ReportLine()


def all_checks() -> list[Check]:
    checks = list(CHECKS)
    for path in getattr(settings, "WALLET_RECONCILE_CHECKS", []):
        checks.extend(import_string(path))
    return checks


def wallet_reconcile(*, checks: Iterable[Check] | None = None, limit: int = 50) -> tuple[list[Problem], dict]:
    """Run every check; return the problems (at most ``limit`` lines per check) and counts per check."""
    problems: list[Problem] = []
    counts: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cur:
        # Whole-table checks: hash and merge joins are always right here, whatever the statistics say
        # right after a bulk load (a nested loop over 100,000 rows each side would take hours).
        cur.execute("SELECT set_config('enable_nestloop', 'off', true)")
        for check in checks or all_checks():
            # check.sql is one of the constant queries above (or a setting's), never user input.
            cur.execute(f"SELECT count(*) OVER (), q.* FROM ({check.sql}) q LIMIT %s", [limit])  # noqa: S608
            rows = cur.fetchall()
            counts[check.name] = rows[0][0] if rows else 0
            for row in rows:
                problems.append(Problem(check.name, _REPORT_LINE.format(check.line, *row[1:])))
        cur.execute("SELECT set_config('enable_nestloop', 'on', true)")
    return problems, counts

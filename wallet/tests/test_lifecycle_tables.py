"""The allowed status moves exist twice: as Python tables (services.CASHBACK_TRANSITIONS,
WITHDRAWAL_TRANSITIONS) and as the database triggers cashback_event_guard / withdrawal_guard (migration 0003).
Every (from, to) pair of statuses is driven through a raw SQL UPDATE, and what the database lets through must
be exactly what the Python table allows."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction

from wallet.factories import CashbackEventFactory, WithdrawalFactory
from wallet.models import CashbackEvent, Withdrawal
from wallet.services import CASHBACK_TRANSITIONS, WITHDRAWAL_TRANSITIONS

# The dates a status needs to pass the table's CHECK constraints, so that only the trigger decides.
CASHBACK_MOVE = """
UPDATE cashback_events SET status = %(to)s,
    confirmed_at = CASE WHEN %(to)s IN ('confirmed', 'paid') THEN coalesce(confirmed_at, now()) ELSE confirmed_at END,
    paid_at = CASE WHEN %(to)s = 'paid' THEN coalesce(paid_at, now()) ELSE paid_at END
WHERE id = %(id)s
"""
WITHDRAWAL_MOVE = "UPDATE withdrawals SET status = %(to)s WHERE id = %(id)s"


class _Undo(Exception):
    """Rolls back the savepoint of a move that the database allowed."""


def _path(transitions: dict[str, set[str]], start: str, goal: str) -> list[str]:
    """The statuses from ``start`` to ``goal`` along the Python table (breadth first)."""
    seen, todo = {start: [start]}, deque([start])
    while todo:
        status = todo.popleft()
        for nxt in sorted(transitions[status]):
            if nxt not in seen:
                seen[nxt] = [*seen[status], nxt]
                todo.append(nxt)
    assert goal in seen, f"{goal} cannot be reached from {start} in the Python table"
    return seen[goal]


def _database_allows(*, sql: str, row_id: int, to: str, guard: str) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, {"to": to, "id": row_id})
            raise _Undo
    except _Undo:
        return True
    except IntegrityError as exc:
        # Only the lifecycle guard may refuse: any other constraint would mean the test set the row up wrong.
        assert getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) == guard, exc
        return False


def _allowed_by_database(
    *, transitions: dict[str, set[str]], statuses: list[str], make_row: Callable[[], int], sql: str, guard: str
) -> set[tuple[str, str]]:
    allowed = set()
    for current in statuses:
        row_id = make_row()  # created pending (the trigger refuses any other status on INSERT)
        steps = _path(transitions, statuses[0], current)
        with connection.cursor() as cur:
            for step in steps[1:]:
                cur.execute(sql, {"to": step, "id": row_id})
        for target in statuses:
            if target != current and _database_allows(sql=sql, row_id=row_id, to=target, guard=guard):
                allowed.add((current, target))
    return allowed


def _python_pairs(transitions: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(current, target) for current, targets in transitions.items() for target in targets}


@pytest.mark.django_db
def test_the_cashback_trigger_allows_exactly_the_moves_of_the_python_table():
    statuses = [str(s) for s in CashbackEvent.Status.values]
    assert statuses[0] == CashbackEvent.Status.PENDING and set(CASHBACK_TRANSITIONS) == set(statuses)
    database = _allowed_by_database(
        transitions=CASHBACK_TRANSITIONS,
        statuses=statuses,
        make_row=lambda: CashbackEventFactory().pk,
        sql=CASHBACK_MOVE,
        guard="cashback_lifecycle",
    )
    assert database == _python_pairs(CASHBACK_TRANSITIONS)


@pytest.mark.django_db
def test_the_withdrawal_trigger_allows_exactly_the_moves_of_the_python_table():
    statuses = [str(s) for s in Withdrawal.Status.values]
    assert statuses[0] == Withdrawal.Status.PENDING and set(WITHDRAWAL_TRANSITIONS) == set(statuses)
    database = _allowed_by_database(
        transitions=WITHDRAWAL_TRANSITIONS,
        statuses=statuses,
        make_row=lambda: WithdrawalFactory().pk,
        sql=WITHDRAWAL_MOVE,
        guard="withdrawal_lifecycle",
    )
    assert database == _python_pairs(WITHDRAWAL_TRANSITIONS)

"""The allowed status moves of cashback events and withdrawals, as data. The database enforces the same
tables (the cashback_event_guard and withdrawal_guard triggers, wallet migration 0003), which also cover the
set-based batch UPDATE; wallet/tests/test_lifecycle_tables.py drives every pair through both and compares."""

from __future__ import annotations

from wallet.models import CashbackEvent, Withdrawal

from .errors import IllegalTransition

CASHBACK_TRANSITIONS: dict[str, set[str]] = {
    CashbackEvent.Status.PENDING: {
        CashbackEvent.Status.CONFIRMED,
        CashbackEvent.Status.PAID,
        CashbackEvent.Status.REJECTED,
    },
    CashbackEvent.Status.CONFIRMED: {CashbackEvent.Status.PAID, CashbackEvent.Status.REVERSED},
    CashbackEvent.Status.PAID: {CashbackEvent.Status.REVERSED},
    CashbackEvent.Status.REJECTED: set(),
    CashbackEvent.Status.REVERSED: set(),
}
WITHDRAWAL_TRANSITIONS: dict[str, set[str]] = {
    Withdrawal.Status.PENDING: {Withdrawal.Status.APPROVED, Withdrawal.Status.REJECTED},
    Withdrawal.Status.APPROVED: {Withdrawal.Status.PROCESSING, Withdrawal.Status.REJECTED},
    Withdrawal.Status.PROCESSING: {Withdrawal.Status.COMPLETED, Withdrawal.Status.FAILED},
    Withdrawal.Status.COMPLETED: set(),
    Withdrawal.Status.REJECTED: set(),
    Withdrawal.Status.FAILED: set(),
}


def transition_check(transitions: dict[str, set[str]], current: str, target: str, what: str) -> None:
    """Refuse (IllegalTransition) a move the table does not allow."""
    if target not in transitions.get(current, set()):
        raise IllegalTransition(f"{what} is {current}; it cannot become {target}.")

"""The wallet's row locks, in one place and one order. Every money write (the wallet services, referral
bonuses) takes its locks through these helpers; each must run inside transaction.atomic().

LOCK ORDER (every money write follows it, so two writers can never wait for each other in a circle):

  1. wallet_balances rows of the users concerned, ascending user_id (wallet_lock);
  2. users rows, only ever through UPDATE ... in the same transaction, same order;
  3. the rows of the entity being changed, ascending id: cashback_events (cashback_event_lock), withdrawals
     (withdrawal_lock), wallet_debts (debts_for_update), referrals (the referrals app, after wallet_lock).

A service that needs the entity to know whose wallet it is reads it without a lock, takes (1), then locks
(3) and checks the state again inside the lock (another writer may have changed it meanwhile). The set-based
auto-confirm batch (services.autoconfirm) takes the same locks in the same order in SQL.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import connection
from django.db.models import Model, QuerySet

from .models import CashbackEvent, WalletBalance, WalletDebt, Withdrawal

M = TypeVar("M", bound=Model)

_LOCK_SQL = "SELECT id, balance, debt FROM wallet_balances WHERE user_id = %s FOR UPDATE"


def row_instance(model: type[M], *, pk: int, **values) -> M:
    """An instance of ``model`` for a row that raw SQL just read or wrote. Model.from_db (Django's public hook
    for building instances from the database) marks it as a saved row, so .save() would UPDATE it and it can
    be used in related filters; the given columns are set on it, any other column is deferred (read on
    access)."""
    obj = model.from_db(connection.alias, ["id"], [pk])
    for name, value in values.items():
        setattr(obj, name, value)
    return obj


def wallet_lock(*, user_id: int) -> WalletBalance:
    """Lock (creating if needed) the user's balance row for the rest of the transaction. Step 1 of the
    lock order. (Raw SQL: this is the hot path of every posting.)"""
    with connection.cursor() as cur:
        cur.execute(_LOCK_SQL, [user_id])
        row = cur.fetchone()
        if row is None:
            cur.execute(
                "INSERT INTO wallet_balances (user_id, balance, debt, updated_at) VALUES (%s, 0, 0, now()) "
                "ON CONFLICT (user_id) DO NOTHING",
                [user_id],
            )
            cur.execute(_LOCK_SQL, [user_id])
            row = cur.fetchone()
    return row_instance(WalletBalance, pk=row[0], user_id=user_id, balance=row[1], debt=row[2])


def cashback_event_lock(*, event_id: int) -> tuple[CashbackEvent, WalletBalance]:
    """Read the event's owner, lock their wallet (1), then lock the event (3) and return it fresh."""
    user_id = CashbackEvent.objects.values_list("user_id", flat=True).get(pk=event_id)
    lock = wallet_lock(user_id=user_id)
    event = CashbackEvent.objects.select_for_update().select_related("merchant").get(pk=event_id)
    return event, lock


def withdrawal_lock(*, withdrawal_id: int) -> tuple[Withdrawal, WalletBalance]:
    """Read the withdrawal's owner, lock their wallet (1), then lock the withdrawal (3) and return it fresh."""
    user_id = Withdrawal.objects.values_list("user_id", flat=True).get(pk=withdrawal_id)
    lock = wallet_lock(user_id=user_id)
    return Withdrawal.objects.select_for_update().get(pk=withdrawal_id), lock


def debts_for_update(*, user_id: int) -> QuerySet[WalletDebt]:
    """The user's outstanding debts, oldest first, locked as they are read (3). Take wallet_lock first."""
    return WalletDebt.objects.select_for_update().filter(user_id=user_id, outstanding__gt=0).order_by("id")

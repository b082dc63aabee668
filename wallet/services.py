"""Writes for the wallet: every movement of money goes through wallet_post().

Lock order (always, to rule out deadlocks): the user's wallet_balances row first, then the rows of the
entity being changed (cashback event, withdrawal). wallet_post() takes the first lock itself.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F

from accounts.models import User

from .models import WalletBalance, WalletTransaction

# Credits that count towards "lifetime earnings" on the wallet page.
EARNING_TYPES = {WalletTransaction.Type.CASHBACK_EARNED, WalletTransaction.Type.REFERRAL_BONUS}


class InsufficientBalance(Exception):
    """The debit would take the balance below zero."""


def wallet_lock(*, user_id: int) -> WalletBalance:
    """Lock (creating if needed) the user's balance row for the rest of the transaction."""
    WalletBalance.objects.get_or_create(user_id=user_id)
    return WalletBalance.objects.select_for_update().get(user_id=user_id)


def wallet_post(
    *,
    user_id: int,
    amount: Decimal,
    type: str,
    reference_type: str | None = None,
    reference_id: int | None = None,
    description: str = "",
    admin_notes: str | None = None,
) -> WalletTransaction:
    """Post one credit (amount > 0) or debit (amount < 0) to the ledger and the balance snapshots."""
    amount = Decimal(amount).quantize(Decimal("0.01"))
    if amount == 0:
        raise ValueError("A posting needs a non-zero amount.")
    with transaction.atomic():
        balance = wallet_lock(user_id=user_id)
        before = balance.balance
        after = before + amount
        if after < 0:
            raise InsufficientBalance(f"Balance ₹{before} is less than ₹{-amount}.")
        posting = WalletTransaction.objects.create(
            user_id=user_id,
            amount=amount,
            type=type,
            reference_type=reference_type,
            reference_id=reference_id,
            balance_before=before,
            balance_after=after,
            description=description,
            admin_notes=admin_notes,
        )
        WalletBalance.objects.filter(pk=balance.pk).update(balance=after)
        updates = {"wallet_balance": after}
        if type in EARNING_TYPES and amount > 0:
            updates["lifetime_earnings"] = F("lifetime_earnings") + amount
        User.all_objects.filter(pk=user_id).update(**updates)
    return posting

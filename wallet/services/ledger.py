"""The ledger: every movement of money is a posting here (wallet_post, wallet_claw_back; the set-based
cashback batch in autoconfirm.py posts the same rows in SQL). Postings and both balance snapshots
(wallet_balances, the users columns) change together, under the wallet lock (wallet.locks)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts import authz
from accounts.authz import FINANCE, Actor
from accounts.models import User
from couponali.audit import AuditAction, audit_log, diff
from couponali.money import PAISA, format_inr, is_whole_paise
from wallet.locks import debts_for_update, row_instance, wallet_lock
from wallet.models import CREDIT_TYPES, WalletBalance, WalletDebt, WalletTransaction

from .errors import InsufficientBalance, WalletError

T = WalletTransaction.Type

# Postings that count towards "lifetime earnings"; their reversals take it back.
EARNING_TYPES = {T.CASHBACK_EARNED, T.REFERRAL_BONUS}
EARNING_REVERSAL_TYPES = {T.CASHBACK_REVERSED, T.REFERRAL_BONUS_REVERSED}


def exact_amount(value) -> Decimal:
    """Rupees with exactly two decimals. A fraction of a paisa is refused, never rounded away."""
    amount = Decimal(value)
    if not is_whole_paise(amount):
        raise ValueError(f"{value} has more than two decimals; amounts are in whole paise.")
    return amount.quantize(PAISA)


@dataclass(frozen=True)
class Posting:
    transaction: WalletTransaction
    created: bool


# The posting and both snapshots in one statement (one round trip). The database triggers still check the
# chain (balance_before = the previous balance_after) and that the snapshot equals the last posting.
_POST_SQL = """
WITH posting AS (
    INSERT INTO wallet_transactions (uuid, user_id, amount, type, reference_type, reference_id,
                                     balance_before, balance_after, description, admin_notes, created_at)
    VALUES (gen_random_uuid(), %(user_id)s, %(amount)s, %(type)s, %(reference_type)s, %(reference_id)s,
            %(before)s, %(after)s, %(description)s, %(admin_notes)s, now())
    RETURNING id, uuid, created_at
), snapshot AS (
    UPDATE wallet_balances SET balance = %(after)s WHERE id = %(balance_id)s
), columns AS (
    UPDATE users SET wallet_balance = %(after)s, lifetime_earnings = lifetime_earnings + %(lifetime)s
    WHERE id = %(user_id)s
)
SELECT id, uuid, created_at FROM posting
"""


def _insert_posting(
    *,
    lock: WalletBalance,
    amount: Decimal,
    type: str,
    reference_type: str | None,
    reference_id: int | None,
    description: str,
    admin_notes: str | None,
    lifetime_delta: Decimal = Decimal("0"),
) -> WalletTransaction:
    before = lock.balance
    after = before + amount
    if after < 0:
        raise InsufficientBalance(
            f"Your available balance is {format_inr(before)}; {format_inr(-amount)} is more than that."
        )
    params = {
        "user_id": lock.user_id,
        "amount": amount,
        "type": str(type),
        "reference_type": reference_type,
        "reference_id": reference_id,
        "before": before,
        "after": after,
        "description": description,
        "admin_notes": admin_notes,
        "balance_id": lock.pk,
        "lifetime": lifetime_delta,
    }
    with connection.cursor() as cur:
        cur.execute(_POST_SQL, params)
        posting_id, posting_uuid, created_at = cur.fetchone()
    lock.balance = after
    return row_instance(
        WalletTransaction,
        pk=posting_id,
        uuid=posting_uuid,
        created_at=created_at,
        user_id=lock.user_id,
        amount=amount,
        type=type,
        reference_type=reference_type,
        reference_id=reference_id,
        balance_before=before,
        balance_after=after,
        description=description,
        admin_notes=admin_notes,
    )


def _recover_debt(*, lock: WalletBalance, credit: WalletTransaction) -> None:
    """A credit first pays back what earlier reversals could not take (oldest debt first)."""
    recover = min(lock.balance, lock.debt)
    if recover <= 0:
        return
    _insert_posting(
        lock=lock,
        amount=-recover,
        type=T.DEBT_RECOVERY,
        reference_type="wallet_transaction",
        reference_id=credit.pk,
        description="Recovery of an earlier reversed cashback",
        admin_notes=None,
    )
    left = recover
    now = timezone.now()
    for debt in debts_for_update(user_id=lock.user_id):
        take = min(left, debt.outstanding)
        debt.outstanding -= take
        WalletDebt.objects.filter(pk=debt.pk).update(
            outstanding=debt.outstanding, settled_at=now if debt.outstanding == 0 else None
        )
        left -= take
        if left == 0:
            break
    lock.debt -= recover
    WalletBalance.objects.filter(pk=lock.pk).update(debt=lock.debt)


def wallet_post(
    *,
    user_id: int,
    amount: Decimal,
    type: str,
    reference_type: str | None = None,
    reference_id: int | None = None,
    description: str = "",
    admin_notes: str | None = None,
    lock: WalletBalance | None = None,
) -> Posting:
    """Post one credit (amount > 0) or debit (amount < 0) to the ledger and the balance snapshots
    (wallet_balances and the users columns) in one transaction.

    Idempotent per source: a second posting for the same (reference_type, reference_id, type) returns the
    first one (created=False) instead of posting again. A credit first recovers any outstanding debt."""
    amount = exact_amount(amount)
    if amount == 0:
        raise ValueError("A posting needs a non-zero amount.")
    if (amount > 0) != (type in CREDIT_TYPES):
        raise ValueError(f"{type} cannot be a {'credit' if amount > 0 else 'debit'}.")
    # No savepoint of its own (two round trips fewer on the hot path): a refusal is raised only after the
    # block has exited cleanly, so a caller that catches it keeps a usable transaction; any database error
    # inside rolls back the caller's transaction (or its savepoint), which is what must happen then.
    with transaction.atomic(savepoint=False):
        lock = lock or wallet_lock(user_id=user_id)
        if reference_id is not None:
            existing = WalletTransaction.objects.filter(
                reference_type=reference_type, reference_id=reference_id, type=type
            ).first()
            if existing is not None:
                return Posting(existing, created=False)
        available = lock.balance
        if available + amount >= 0:
            posting = _insert_posting(
                lock=lock,
                amount=amount,
                type=type,
                reference_type=reference_type,
                reference_id=reference_id,
                description=description,
                admin_notes=admin_notes,
                lifetime_delta=amount if (type in EARNING_TYPES and amount > 0) else Decimal("0"),
            )
            if amount > 0 and lock.debt > 0:
                _recover_debt(lock=lock, credit=posting)
            return Posting(posting, created=True)
    raise InsufficientBalance(
        f"Your available balance is {format_inr(available)}; {format_inr(-amount)} is more than that."
    )


@dataclass(frozen=True)
class ClawBack:
    posting: WalletTransaction | None
    debt: WalletDebt | None


def wallet_claw_back(
    *,
    user_id: int,
    amount: Decimal,
    type: str,
    reference_type: str,
    reference_id: int,
    description: str,
    reason: str,
    lock: WalletBalance | None = None,
) -> ClawBack:
    """Take back money already credited (a reversed cashback or referral bonus) without ever letting the
    balance go negative: debit what is there and record the rest as a recoverable debt (wallet_debts),
    which the next credits pay back and staff see for review. Idempotent per source like wallet_post."""
    amount = exact_amount(amount)
    if amount <= 0:
        raise ValueError("A claw-back takes a positive amount.")
    with transaction.atomic():
        lock = lock or wallet_lock(user_id=user_id)
        earlier = WalletTransaction.objects.filter(
            reference_type=reference_type, reference_id=reference_id, type=type
        ).first()
        earlier_debt = WalletDebt.objects.filter(
            user_id=user_id, reference_type=reference_type, reference_id=reference_id
        ).first()
        if earlier is not None or earlier_debt is not None:
            return ClawBack(earlier, earlier_debt)
        take = min(lock.balance, amount)
        posting = None
        if take > 0:
            posting = _insert_posting(
                lock=lock,
                amount=-take,
                type=type,
                reference_type=reference_type,
                reference_id=reference_id,
                description=description,
                admin_notes=reason,
            )
        debt = None
        if amount > take:
            debt = WalletDebt.objects.create(
                user_id=user_id,
                amount=amount - take,
                outstanding=amount - take,
                reason=reason[:255],
                reference_type=reference_type,
                reference_id=reference_id,
            )
            lock.debt += amount - take
            WalletBalance.objects.filter(pk=lock.pk).update(debt=lock.debt)
            audit_log(
                actor_id=None,
                action=AuditAction.WALLET_DEBT_RECORDED,
                entity_type="wallet_debt",
                entity_id=debt.pk,
                metadata={"user_id": user_id, "amount": str(debt.amount), "reason": reason},
            )
        if type in EARNING_REVERSAL_TYPES:
            User.all_objects.filter(pk=user_id).update(lifetime_earnings=F("lifetime_earnings") - amount)
    return ClawBack(posting, debt)


def wallet_adjust(*, user_id: int, amount: Decimal, reason: str, actor: Actor) -> WalletTransaction:
    """A manual credit (amount > 0) or debit (< 0) by finance staff, with the reason kept and audited."""
    actor_id = authz.actor_require(actor, "wallet.adjust_wallettransaction", department=FINANCE)
    reason = (reason or "").strip()
    if not reason:
        raise WalletError("Say why: a reason is required for a manual adjustment.")
    amount = exact_amount(amount)
    if amount == 0:
        raise WalletError("The amount must not be zero.")
    with authz.acting(actor_id, reason="wallet.adjust"):
        posting = wallet_post(
            user_id=user_id,
            amount=amount,
            type=T.ADMIN_CREDIT if amount > 0 else T.ADMIN_DEBIT,
            description="Credit by CouponAli" if amount > 0 else "Debit by CouponAli",
            admin_notes=reason,
        ).transaction
        audit_log(
            actor_id=actor_id,
            action=AuditAction.WALLET_ADJUST,
            entity_type="wallet_transaction",
            entity_id=posting.pk,
            metadata={
                "user_id": user_id,
                "amount": str(amount),
                "reason": reason,
                **diff({"balance": str(posting.balance_before)}, {"balance": str(posting.balance_after)}),
            },
        )
    return posting

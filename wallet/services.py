"""Writes for the wallet: the ledger, cashback events, withdrawals and payouts. Every movement of money is
posted here (wallet_post, wallet_claw_back, and the set-based cashback_auto_confirm_batch).

LOCK ORDER (every money write follows it, so two writers can never wait for each other in a circle):

  1. wallet_balances rows of the users concerned, ascending user_id (wallet_lock);
  2. users rows, only ever through UPDATE ... in the same transaction, same order;
  3. the rows of the entity being changed, ascending id: cashback_events, withdrawals, wallet_debts.

A service that needs the entity to know whose wallet it is reads it without a lock, takes (1), then locks
(3) and checks the state again inside the lock (another writer may have changed it meanwhile).

The database has the last word on what must never break (wallet migrations 0002/0003): balance never
negative, balance_after = balance_before + amount, one posting per source event and type, each posting
starts where the previous ended, the snapshot equals the last posting, lifecycles move only forward, and the
app role cannot UPDATE or DELETE postings. These services are written to never trip those guards; a guard
that fires is a bug, and the transaction rolls back.

Callers set the row-level-security scope: views run in the request's scope (the shopper), tasks and
commands wrap their work in couponali.rls.bypass(reason=...).

AUTHORISATION: every service that staff can call takes ``actor`` (the acting User, or accounts.authz.SYSTEM
for postbacks, jobs and network reports) and checks it itself with accounts.authz.actor_require before it
writes anything, whoever calls it; a refusal raises authz.PermissionRefused (403) and changes nothing.
Once allowed, a person's action that writes another user's ledger runs in an audited bypass naming them
(authz.acting): the service's own check, not the request's table view permissions, decides.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts import authz
from accounts import crypto as kyc_crypto
from accounts import services as account_services
from accounts.authz import FINANCE, Actor
from accounts.models import User, UserKYC
from accounts.services import audit_log, notify
from catalog.selectors import NO_CASHBACK, CashbackRate, cashback_rate_for
from couponali.celery import enqueue

from .gateways import FAILED, PROCESSED, GatewayError, GatewayTimeout, PayoutGateway, PayoutRequest, PayoutResult
from .models import (
    CREDIT_TYPES,
    CashbackEvent,
    Payout,
    UnmatchedConversion,
    WalletBalance,
    WalletDebt,
    WalletTransaction,
    Withdrawal,
)
from .networks import CONFIRMED, PENDING, REJECTED, Conversion
from .selectors import payout_method_choices

PAISA = Decimal("0.01")
T = WalletTransaction.Type

# Postings that count towards "lifetime earnings"; their reversals take it back.
EARNING_TYPES = {T.CASHBACK_EARNED, T.REFERRAL_BONUS}
EARNING_REVERSAL_TYPES = {T.CASHBACK_REVERSED, T.REFERRAL_BONUS_REVERSED}

# The cashback lifecycle. The same table is enforced by the cashback_event_guard trigger (migration 0003),
# which also covers the set-based batch UPDATE; django-fsm would guard only instance saves.
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


# ---------------------------------------------------------------- errors


class WalletError(Exception):
    """A refusal with a message fit to show the user or staff member; nothing was changed."""


class InsufficientBalance(WalletError):
    """The debit would take the balance below zero."""


class IllegalTransition(WalletError):
    """The entity's lifecycle does not allow this move from its current state."""


class NotAllowed(WalletError):
    """The actor may not do this (not in finance, same approver twice, no verified KYC...)."""


def _money(value) -> Decimal:
    """Rupees with exactly two decimals. A fraction of a paisa is refused, never rounded away."""
    amount = Decimal(value)
    if amount != amount.quantize(PAISA):
        raise ValueError(f"{value} has more than two decimals; amounts are in whole paise.")
    return amount.quantize(PAISA)


def _check(transitions: dict[str, set[str]], current: str, target: str, what: str) -> None:
    if target not in transitions.get(current, set()):
        raise IllegalTransition(f"{what} is {current}; it cannot become {target}.")


def enqueue_task(name: str, **kwargs) -> None:
    """Queue a task by name once the current transaction commits (the wallet never imports the apps above
    it, e.g. referrals). Every app's tasks are registered at start-up (couponali.apps), so the signature
    resolves to the task itself: eager mode in tests runs it inline. With the broker down the committed work
    stands and the task is left to its sweep (couponali.celery.enqueue)."""
    transaction.on_commit(lambda: enqueue(name, **kwargs))


# ---------------------------------------------------------------- the ledger


@dataclass(frozen=True)
class Posting:
    transaction: WalletTransaction
    created: bool


_LOCK_SQL = "SELECT id, balance, debt FROM wallet_balances WHERE user_id = %s FOR UPDATE"


def wallet_lock(*, user_id: int) -> WalletBalance:
    """Lock (creating if needed) the user's balance row for the rest of the transaction. Step 1 of the
    lock order. Must run inside transaction.atomic(). (Raw SQL: this is the hot path of every posting.)"""
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
    return _loaded(WalletBalance(id=row[0], user_id=user_id, balance=row[1], debt=row[2]))


def _loaded(obj):
    """Mark an instance built from a raw row as a saved row (so that .save() would UPDATE, not INSERT)."""
    obj._state.adding = False
    obj._state.db = "default"
    return obj


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
        raise InsufficientBalance(f"Your available balance is ₹{before}; ₹{-amount} is more than that.")
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
    return _loaded(
        WalletTransaction(
            id=posting_id,
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
    for debt in WalletDebt.objects.select_for_update().filter(user_id=lock.user_id, outstanding__gt=0).order_by("id"):
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
    amount = _money(amount)
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
    raise InsufficientBalance(f"Your available balance is ₹{available}; ₹{-amount} is more than that.")


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
    amount = _money(amount)
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
                action="wallet.debt_recorded",
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
    amount = _money(amount)
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
            action="wallet.adjust",
            entity_type="wallet_transaction",
            entity_id=posting.pk,
            metadata={"user_id": user_id, "amount": str(amount), "reason": reason},
        )
    return posting


# ---------------------------------------------------------------- cashback


@dataclass(frozen=True)
class IngestResult:
    outcome: str  # created / updated / confirmed / held / rejected / reversed / unchanged / unmatched / ignored
    event_id: int | None = None
    message: str = ""


def _rule_of(event: CashbackEvent) -> CashbackRate:
    """The rule fixed when the event was first reported (kept on the event)."""
    if event.rate_type is None or event.rate_value is None:
        return NO_CASHBACK
    return CashbackRate(type=event.rate_type, value=event.rate_value, cap=event.rate_cap, source=event.rate_source)


def _click_rule(*, click, offer, merchant) -> CashbackRate:
    """The rule advertised at click time: what the click-out wrote on the click (the same function as every
    offer card, catalog.selectors.cashback_rate_for), else - a click recorded without it - that function
    evaluated for the click's date."""
    if click.cashback_source:
        if click.cashback_type is None or click.cashback_value is None:
            return NO_CASHBACK
        return CashbackRate(
            type=click.cashback_type, value=click.cashback_value, cap=click.cashback_cap, source=click.cashback_source
        )
    return cashback_rate_for(merchant, offer=offer, today=timezone.localtime(click.created_at).date())


def _keep_unmatched(*, conversion: Conversion, reason: str, source: str) -> IngestResult:
    with transaction.atomic():
        row, created = UnmatchedConversion.objects.select_for_update().get_or_create(
            network=conversion.network,
            affiliate_transaction_id=conversion.transaction_id,
            defaults={
                "click_ref": conversion.click_ref,
                "reason": reason,
                "payload": conversion.as_payload(),
                "source": source,
            },
        )
        if not created:
            UnmatchedConversion.objects.filter(pk=row.pk).update(
                times_seen=F("times_seen") + 1, payload=conversion.as_payload(), reason=reason
            )
    return IngestResult("unmatched", None, f"kept for review: {reason}")


def _find_clicks(click_id) -> list:
    """The clicks with this id: one, normally. offer_clicks cannot enforce click_id uniqueness (it is
    partitioned by month, docs/schema-deviations.txt), so a second row is looked for and, if there is one, the
    conversion goes to review instead of being credited to a guess."""
    from offers.models import OfferClick

    return list(
        OfferClick.objects.filter(click_id=click_id)
        .select_related("offer", "offer__merchant", "merchant")
        .order_by("created_at")[:2]
    )


# Recording a status applies it, so staff need the permission of every move it can cause: 'approved'
# confirms and credits, 'declined' rejects a pending event or reverses a paid one.
RECORD_PERMISSIONS: dict[str, tuple[str, ...]] = {
    PENDING: ("wallet.record_cashbackevent",),
    CONFIRMED: ("wallet.record_cashbackevent", "wallet.confirm_cashbackevent"),
    REJECTED: ("wallet.record_cashbackevent", "wallet.reject_cashbackevent", "wallet.reverse_cashbackevent"),
}


def network_mismatch(*, conversion: Conversion, merchant) -> str | None:
    """Why ``conversion`` may not be matched to a click on ``merchant``, or None. A network is paid only for
    its own stores, so it can only report sales of those: a vCommission postback for a click that went to a
    Cuelinks store is somebody's mistake (or a forgery with a leaked secret), never our shopper's earning.
    Staff entry ("manual") is exempt: the staff member recording it vouches for the store."""
    if conversion.network == "manual":
        return None
    store_network = (merchant.affiliate_network or "").strip().lower()
    if store_network == conversion.network:
        return None
    return f"network mismatch: the click went to {merchant.name}, a store on {store_network or 'no network'}"


def cashback_hold_reason(*, conversion: Conversion, cashback: Decimal) -> str | None:
    """Why a reported conversion's cashback must wait for staff instead of being paid automatically, or None.

    The shopper is promised the advertised rate; the site can afford it only out of the commission the store
    pays. A cashback above CASHBACK_MAX_COMMISSION_MULTIPLE times the reported commission (no commission
    reported counts as ₹0) is therefore recorded but held: no network status and no auto-confirm pays it,
    staff confirm or reject it. Staff entry ("manual") is exempt: the person recording it is the reviewer."""
    if conversion.network == "manual" or cashback <= 0:
        return None
    multiple = settings.CASHBACK_MAX_COMMISSION_MULTIPLE
    commission = conversion.commission or Decimal("0.00")
    if cashback <= commission * multiple:
        return None
    return f"cashback ₹{cashback} is above {multiple:g}× the reported commission ₹{commission}"


def cashback_record(
    *, conversion: Conversion, source: str, actor: Actor, unmatched_id: int | None = None
) -> IngestResult:
    """The one way a conversion enters the wallet: postbacks, CSV imports and staff entry all call this.

    ``actor``: SYSTEM for a network's report (postback, import); staff need RECORD_PERMISSIONS.
    Idempotent and order-proof: the event is keyed by (network, transaction id); a repeated report changes
    nothing, a late 'pending' after 'approved' is stale and ignored, 'approved' first creates the event
    and confirms it at once. Unknown click ids, and clicks on another network's store, are kept in
    unmatched_conversions for review; a cashback above the commission cap is recorded but held for staff
    (cashback_hold_reason)."""
    actor_id = authz.actor_require(actor, *RECORD_PERMISSIONS[conversion.status])
    with authz.acting(actor_id, reason=f"cashback.record ({source})"):
        return _cashback_record(conversion=conversion, source=source, actor_id=actor_id, unmatched_id=unmatched_id)


def _cashback_record(
    *, conversion: Conversion, source: str, actor_id: int | None, unmatched_id: int | None
) -> IngestResult:
    clicks = _find_clicks(conversion.click_id)
    if not clicks:
        return _keep_unmatched(conversion=conversion, reason="no click with this id", source=source)
    if len(clicks) > 1:
        return _keep_unmatched(conversion=conversion, reason="several clicks have this id", source=source)
    click = clicks[0]
    if click.user_id is None:
        return _keep_unmatched(conversion=conversion, reason="the click was made signed out", source=source)
    merchant = click.merchant or click.offer.merchant
    mismatch = network_mismatch(conversion=conversion, merchant=merchant)
    if mismatch:
        return _keep_unmatched(conversion=conversion, reason=mismatch, source=source)
    try:
        with transaction.atomic():
            result = _record_locked(
                click=click, merchant=merchant, conversion=conversion, source=source, actor_id=actor_id
            )
            if unmatched_id is not None and result.event_id is not None:
                UnmatchedConversion.objects.filter(pk=unmatched_id).update(
                    status=UnmatchedConversion.Status.MATCHED,
                    matched_event_id=result.event_id,
                    resolved_by_id=actor_id,
                    resolved_at=timezone.now(),
                )
            return result
    except IntegrityError as exc:
        # The same network transaction id was reported at the same moment for another user's click and the
        # unique key answered: nothing changed; the report is kept for staff. Any other guard is a bug.
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) != "cashback_network_txn_uniq":
            raise
        return _keep_unmatched(
            conversion=conversion, reason="transaction id already belongs to another click", source=source
        )


def _record_locked(*, click, merchant, conversion: Conversion, source: str, actor_id: int | None) -> IngestResult:
    now = timezone.now()
    lock = wallet_lock(user_id=click.user_id)
    event = (
        CashbackEvent.objects.select_for_update()
        .filter(network=conversion.network, affiliate_transaction_id=conversion.transaction_id)
        .first()
    )
    outcome = "unchanged"
    if event is None:
        rule = _click_rule(click=click, offer=click.offer, merchant=merchant)
        amount = rule.amount_for(conversion.sale_amount)
        held = cashback_hold_reason(conversion=conversion, cashback=amount)
        event = CashbackEvent.objects.create(
            user_id=click.user_id,
            offer_id=click.offer_id,
            click_id=click.click_id,
            merchant=merchant,
            transaction_amount=conversion.sale_amount,
            commission_amount=conversion.commission,
            cashback_amount=amount,
            affiliate_transaction_id=conversion.transaction_id,
            network=conversion.network,
            network_status=conversion.network_status,
            reported_at=now,
            rate_type=rule.type,
            rate_value=rule.value,
            rate_cap=rule.cap,
            rate_source=rule.source,
            held_reason=held,
        )
        User.all_objects.filter(pk=click.user_id).update(pending_cashback=F("pending_cashback") + amount)
        audit_log(
            actor_id=actor_id,
            action="cashback.tracked",
            entity_type="cashback_event",
            entity_id=event.pk,
            metadata={
                "source": source,
                "network": conversion.network,
                "rule": rule.display or "no cashback",
                "held": held or "",
            },
        )
        if conversion.status == PENDING or held:
            notify(
                user_id=click.user_id,
                title="Cashback tracked",
                body=f"₹{amount} cashback from {merchant.name} is pending. We will confirm it once the store does.",
            )
        outcome = "created"
    elif event.user_id != click.user_id or event.click_id != click.click_id:
        return IngestResult("ignored", event.pk, "this transaction id was reported for another click")
    else:
        CashbackEvent.objects.filter(pk=event.pk).update(network_status=conversion.network_status, reported_at=now)

    status = event.status
    if status == CashbackEvent.Status.PENDING and outcome != "created":
        # A revised report while pending: the sale amount may have changed (a partial return); the cashback
        # is recomputed with the rule fixed when the event was first reported.
        amount = _rule_of(event).amount_for(conversion.sale_amount)
        if amount != event.cashback_amount or conversion.sale_amount != event.transaction_amount:
            delta = amount - event.cashback_amount
            # A revision can put the cashback above the cap (a lower commission); once held, only staff
            # release it, whatever later revisions say.
            held = event.held_reason or cashback_hold_reason(conversion=conversion, cashback=amount)
            CashbackEvent.objects.filter(pk=event.pk).update(
                cashback_amount=amount,
                transaction_amount=conversion.sale_amount,
                commission_amount=conversion.commission,
                held_reason=held,
            )
            if delta:
                User.all_objects.filter(pk=event.user_id).update(pending_cashback=F("pending_cashback") + delta)
            event.cashback_amount, event.transaction_amount, event.held_reason = amount, conversion.sale_amount, held
            outcome = "updated"

    if conversion.status == CONFIRMED:
        if status == CashbackEvent.Status.PENDING and event.held_reason:
            # The network's approval is recorded (network_status); the money waits for staff.
            return IngestResult("held", event.pk, f"kept for review: {event.held_reason}")
        if status == CashbackEvent.Status.PENDING:
            _confirm_locked(event=event, lock=lock, actor_id=actor_id, source=source)
            return IngestResult("confirmed", event.pk, f"₹{event.cashback_amount} credited")
        if status in (CashbackEvent.Status.REJECTED, CashbackEvent.Status.REVERSED):
            audit_log(
                actor_id=actor_id,
                action="cashback.refused_transition",
                entity_type="cashback_event",
                entity_id=event.pk,
                metadata={"from": status, "to": "confirmed", "source": source},
            )
            return IngestResult("ignored", event.pk, f"the event is {status}; it cannot be confirmed again")
    elif conversion.status == REJECTED:
        if status == CashbackEvent.Status.PENDING:
            _reject_locked(event=event, reason=f"{conversion.network}: {conversion.network_status}", actor_id=actor_id)
            return IngestResult("rejected", event.pk, "")
        if status in (CashbackEvent.Status.PAID, CashbackEvent.Status.CONFIRMED):
            _reverse_locked(
                event=event, lock=lock, reason=f"{conversion.network}: {conversion.network_status}", actor_id=actor_id
            )
            return IngestResult("reversed", event.pk, "")
    # A repeated status, or an older one arriving late ('pending' after 'approved'): nothing to do.
    return IngestResult(outcome, event.pk, "" if outcome != "unchanged" else f"the event is already {status}")


def _confirm_locked(*, event: CashbackEvent, lock: WalletBalance, actor_id: int | None, source: str) -> None:
    """pending → confirmed → paid in one transaction: the credit and paid_at come with the confirmation, so
    no approved cashback can wait uncredited. Caller holds the wallet lock and the event lock.

    A held event (held_reason) is confirmed only by a staff member, and that confirmation releases the hold."""
    _check(CASHBACK_TRANSITIONS, event.status, CashbackEvent.Status.CONFIRMED, "This cashback")
    held = event.held_reason
    if held and (source != "staff" or actor_id is None):
        raise IllegalTransition(f"This cashback is held for review ({held}); only staff can confirm it.")
    now = timezone.now()
    if event.cashback_amount > 0:
        wallet_post(
            user_id=event.user_id,
            amount=event.cashback_amount,
            type=T.CASHBACK_EARNED,
            reference_type="cashback_event",
            reference_id=event.pk,
            description=f"Cashback from {event.merchant.name}",
            lock=lock,
        )
    CashbackEvent.objects.filter(pk=event.pk).update(
        status=CashbackEvent.Status.PAID, confirmed_at=now, paid_at=now, held_reason=None
    )
    User.all_objects.filter(pk=event.user_id).update(pending_cashback=F("pending_cashback") - event.cashback_amount)
    event.status, event.confirmed_at, event.paid_at, event.held_reason = CashbackEvent.Status.PAID, now, now, None
    audit_log(
        actor_id=actor_id,
        action="cashback.confirmed",
        entity_type="cashback_event",
        entity_id=event.pk,
        metadata={"amount": str(event.cashback_amount), "source": source, "released_hold": held or ""},
    )
    notify(
        user_id=event.user_id,
        title="Cashback confirmed",
        body=f"₹{event.cashback_amount} from {event.merchant.name} is now in your wallet.",
    )
    if User.all_objects.filter(pk=event.user_id, referred_by_user__isnull=False).exists():
        enqueue_task("referrals.cashback_settled", user_ids=[event.user_id])


def _reject_locked(*, event: CashbackEvent, reason: str, actor_id: int | None) -> None:
    _check(CASHBACK_TRANSITIONS, event.status, CashbackEvent.Status.REJECTED, "This cashback")
    CashbackEvent.objects.filter(pk=event.pk).update(status=CashbackEvent.Status.REJECTED, rejected_reason=reason)
    User.all_objects.filter(pk=event.user_id).update(pending_cashback=F("pending_cashback") - event.cashback_amount)
    event.status = CashbackEvent.Status.REJECTED
    audit_log(
        actor_id=actor_id,
        action="cashback.rejected",
        entity_type="cashback_event",
        entity_id=event.pk,
        metadata={"reason": reason},
    )
    notify(
        user_id=event.user_id,
        title="Cashback rejected",
        body=f"The store did not confirm your ₹{event.cashback_amount} cashback from {event.merchant.name}.",
    )


def _reverse_locked(*, event: CashbackEvent, lock: WalletBalance, reason: str, actor_id: int | None) -> None:
    """After payment: the credit is taken back by a new posting (never an edit); what the balance cannot
    cover becomes a recoverable debt."""
    _check(CASHBACK_TRANSITIONS, event.status, CashbackEvent.Status.REVERSED, "This cashback")
    claw = None
    if event.paid_at is not None and event.cashback_amount > 0:
        claw = wallet_claw_back(
            user_id=event.user_id,
            amount=event.cashback_amount,
            type=T.CASHBACK_REVERSED,
            reference_type="cashback_event",
            reference_id=event.pk,
            description=f"Cashback from {event.merchant.name} reversed",
            reason=reason,
            lock=lock,
        )
    CashbackEvent.objects.filter(pk=event.pk).update(status=CashbackEvent.Status.REVERSED, rejected_reason=reason)
    event.status = CashbackEvent.Status.REVERSED
    audit_log(
        actor_id=actor_id,
        action="cashback.reversed",
        entity_type="cashback_event",
        entity_id=event.pk,
        metadata={"reason": reason, "debt": str(claw.debt.amount) if claw and claw.debt else "0"},
    )
    notify(
        user_id=event.user_id,
        title="Cashback reversed",
        body=f"The store cancelled your order at {event.merchant.name}: ₹{event.cashback_amount} was taken back.",
    )
    if User.all_objects.filter(pk=event.user_id, referred_by_user__isnull=False).exists():
        enqueue_task("referrals.cashback_settled", user_ids=[event.user_id])


def _locked_event(event_id: int) -> tuple[CashbackEvent, WalletBalance]:
    """Lock order: read the owner, lock their wallet, then lock the event and return it fresh."""
    user_id = CashbackEvent.objects.values_list("user_id", flat=True).get(pk=event_id)
    lock = wallet_lock(user_id=user_id)
    event = CashbackEvent.objects.select_for_update().select_related("merchant").get(pk=event_id)
    return event, lock


def cashback_confirm(*, event_id: int, actor: Actor, source: str = "staff") -> CashbackEvent:
    """Confirm one pending cashback (staff in the admin, or the auto-confirm job for users with a debt)."""
    actor_id = authz.actor_require(actor, "wallet.confirm_cashbackevent")
    with authz.acting(actor_id, reason="cashback.confirm"):
        event, lock = _locked_event(event_id)
        _confirm_locked(event=event, lock=lock, actor_id=actor_id, source=source)
    return event


def cashback_reject(*, event_id: int, reason: str, actor: Actor) -> CashbackEvent:
    actor_id = authz.actor_require(actor, "wallet.reject_cashbackevent")
    if not (reason or "").strip():
        raise WalletError("A reason is required to reject a cashback.")
    with transaction.atomic():
        event, _lock = _locked_event(event_id)
        _reject_locked(event=event, reason=reason.strip(), actor_id=actor_id)
    return event


def cashback_reverse(*, event_id: int, reason: str, actor: Actor) -> CashbackEvent:
    actor_id = authz.actor_require(actor, "wallet.reverse_cashbackevent")
    if not (reason or "").strip():
        raise WalletError("A reason is required to reverse a cashback.")
    with authz.acting(actor_id, reason="cashback.reverse"):
        event, lock = _locked_event(event_id)
        _reverse_locked(event=event, lock=lock, reason=reason.strip(), actor_id=actor_id)
    return event


def unmatched_retry(*, unmatched_id: int, actor: Actor) -> IngestResult:
    """Staff: try an unmatched conversion again (e.g. once the click is found). Recording it then needs the
    permissions of cashback_record as well."""
    authz.actor_require(actor, "wallet.retry_unmatchedconversion")
    row = UnmatchedConversion.objects.get(pk=unmatched_id)
    if row.status != UnmatchedConversion.Status.OPEN:
        raise IllegalTransition(f"This conversion is already {row.status}.")
    conversion = Conversion.from_payload(network=row.network, payload=row.payload)
    result = cashback_record(conversion=conversion, source="review", actor=actor, unmatched_id=row.pk)
    return result


def unmatched_dismiss(*, unmatched_id: int, actor: Actor, note: str = "") -> None:
    actor_id = authz.actor_require(actor, "wallet.dismiss_unmatchedconversion")
    with transaction.atomic():
        updated = UnmatchedConversion.objects.filter(pk=unmatched_id, status=UnmatchedConversion.Status.OPEN).update(
            status=UnmatchedConversion.Status.DISMISSED, resolved_by_id=actor_id, resolved_at=timezone.now()
        )
        if updated:
            audit_log(
                actor_id=actor_id,
                action="cashback.unmatched_dismissed",
                entity_type="unmatched_conversion",
                entity_id=unmatched_id,
                metadata={"note": note},
            )


# ---------------------------------------------------------------- auto-confirm, set-based

AUTO_CONFIRM_LOCK = 0x5741_4C4C  # pg advisory lock key: one auto-confirm batch at a time ("WALL")


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


def cashback_auto_confirm_batch(*, batch_size: int = 5000, now: dt.datetime | None = None) -> int:
    """Confirm up to ``batch_size`` pending events whose store's validation period has passed, set-based,
    in ONE transaction, with the same invariants as cashback_confirm (the DB triggers check them too):

    lock wallets (ascending user id) → lock and re-check events (ascending id) → INSERT the postings with
    balance_before/after chained per user by a window sum → UPDATE wallet_balances and users from the sums →
    mark the events paid → INSERT the notifications and one audit row.

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
        cur.execute(
            """
            INSERT INTO wallet_balances (user_id, balance, debt, updated_at)
            SELECT DISTINCT user_id, 0, 0, now() FROM cashback_events WHERE id = ANY(%(ids)s)
            ON CONFLICT (user_id) DO NOTHING
            """,
            {"ids": ids},
        )
        # (1) wallets, ascending user id
        cur.execute(
            """
            SELECT b.user_id FROM wallet_balances b
            WHERE b.user_id IN (SELECT user_id FROM cashback_events WHERE id = ANY(%(ids)s))
            ORDER BY b.user_id FOR UPDATE
            """,
            {"ids": ids},
        )
        # (3) events, ascending id, re-checked inside the locks (still pending and not held, owner still
        # debt-free)
        cur.execute(
            """
            SELECT e.id FROM cashback_events e JOIN wallet_balances b ON b.user_id = e.user_id
            WHERE e.id = ANY(%(ids)s) AND e.status = 'pending' AND e.held_reason IS NULL AND b.debt = 0
            ORDER BY e.id FOR UPDATE OF e
            """,
            {"ids": ids},
        )
        locked = [r[0] for r in cur.fetchall()]
        if not locked:
            return 0
        params = {"ids": locked, "now": now}
        # Postings: per user, in event order, each starting where the previous ended. Rows are inserted in
        # the SELECT's order, so ids follow the chain; the wallet_tx_chain trigger verifies exactly that.
        cur.execute(
            """
            INSERT INTO wallet_transactions (uuid, user_id, amount, type, reference_type, reference_id,
                                             balance_before, balance_after, description, created_at)
            SELECT gen_random_uuid(), x.user_id, x.amount, 'cashback_earned', 'cashback_event', x.id,
                   x.balance + x.running - x.amount, x.balance + x.running, 'Cashback from ' || x.store, %(now)s
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
            UPDATE cashback_events SET status = 'paid', confirmed_at = %(now)s, paid_at = %(now)s
            WHERE id = ANY(%(ids)s)
            """,
            params,
        )
        cur.execute(
            """
            INSERT INTO notifications (user_id, title, body, is_read, created_at)
            SELECT e.user_id, 'Cashback confirmed',
                   left('₹' || e.cashback_amount || ' from ' || m.name || ' is now in your wallet.', 500),
                   false, %(now)s
            FROM cashback_events e JOIN merchants m ON m.id = e.merchant_id
            WHERE e.id = ANY(%(ids)s)
            """,
            params,
        )
        cur.execute("SELECT DISTINCT user_id FROM cashback_events WHERE id = ANY(%(ids)s)", params)
        account_services.notifications_unread_forget(user_ids=[r[0] for r in cur.fetchall()])
        cur.execute(
            "SELECT DISTINCT e.user_id FROM cashback_events e JOIN users u ON u.id = e.user_id "
            "WHERE e.id = ANY(%(ids)s) AND u.referred_by_user_id IS NOT NULL ORDER BY 1",
            params,
        )
        referred = [r[0] for r in cur.fetchall()]
        audit_log(
            actor_id=None,
            action="cashback.auto_confirmed",
            entity_type="cashback_event",
            entity_id=None,
            metadata={"count": len(locked), "first_id": locked[0], "last_id": locked[-1], "event_ids": locked},
        )
        for start in range(0, len(referred), 1000):
            enqueue_task("referrals.cashback_settled", user_ids=referred[start : start + 1000])
    return len(locked)


def cashback_auto_confirm_singles(*, limit: int = 500, now: dt.datetime | None = None) -> int:
    """Due events of users who owe a debt: one by one, so that each credit first pays the debt back."""
    now = now or timezone.now()
    with connection.cursor() as cur:
        ids = _due_event_ids(cur, now=now, limit=limit, with_debt=True)
    done = 0
    for event_id in ids:
        try:
            cashback_confirm(event_id=event_id, actor=authz.SYSTEM, source="auto")
            done += 1
        except IllegalTransition:
            continue  # confirmed by someone else meanwhile
    return done


# ---------------------------------------------------------------- withdrawals

UPI_RE = re.compile(r"^[A-Za-z0-9.\-_]{1,256}@[A-Za-z][A-Za-z0-9]{1,64}$")
MOBILE_RE = re.compile(r"^[6-9]\d{9}$")
GIFT_VOUCHER_BRANDS = {"amazon": "Amazon Pay", "flipkart": "Flipkart", "myntra": "Myntra"}
MOBILE_OPERATORS = {"jio": "Jio", "airtel": "Airtel", "vi": "Vi", "bsnl": "BSNL"}


def _destination(*, user_id: int, method: str, details: dict) -> dict:
    """Check and normalise where the money goes. Bank payouts go to the verified KYC account, whose number
    is read (and decrypted by accounts) only when paying; here we keep what the user may see."""
    offered = payout_method_choices()
    if method not in {value for value, _label in offered}:
        # Also a method the configured gateway cannot pay (a forged form or API call): refused before any write.
        raise WalletError(f"Choose how to receive the money: {' or '.join(label for _v, label in offered)}.")
    details = details or {}
    if method == Withdrawal.Method.UPI:
        vpa = str(details.get("vpa") or details.get("upi_id") or "").strip()
        if not vpa:
            # No id typed: pay the UPI id of the verified KYC, read (decrypted) only when paying.
            kyc = UserKYC.objects.filter(user_id=user_id).first()
            if kyc is None or not kyc.upi_id:
                raise WalletError("Enter a valid UPI id, like name@okhdfcbank.")
            return {"source": "kyc"}
        if not UPI_RE.match(vpa):
            raise WalletError("Enter a valid UPI id, like name@okhdfcbank.")
        # Like the KYC's own UPI id, a typed one is stored encrypted; only its masked form is readable.
        return {"vpa_masked": kyc_crypto.mask_upi(vpa), "vpa_encrypted": kyc_crypto.encrypt(vpa)}
    if method == Withdrawal.Method.BANK:
        kyc = UserKYC.objects.filter(user_id=user_id).first()
        if kyc is None or not kyc.ifsc_code:
            raise WalletError("Add your bank account to your KYC details first.")
        return {
            "source": "kyc",
            "account_holder_name": kyc.account_holder_name or "",
            "ifsc": kyc.ifsc_code,
            "bank_name": kyc.bank_name or "",
        }
    if method == Withdrawal.Method.GIFT_VOUCHER:
        brand = str(details.get("brand") or "").strip().lower()
        if brand not in GIFT_VOUCHER_BRANDS:
            raise WalletError(f"Choose a gift voucher brand: {', '.join(GIFT_VOUCHER_BRANDS.values())}.")
        return {"brand": brand}
    if method == Withdrawal.Method.MOBILE_RECHARGE:
        mobile = re.sub(r"\D", "", str(details.get("mobile") or ""))[-10:]
        operator = str(details.get("operator") or "").strip().lower()
        if not MOBILE_RE.match(mobile):
            raise WalletError("Enter a 10-digit Indian mobile number.")
        if operator not in MOBILE_OPERATORS:
            raise WalletError(f"Choose the operator: {', '.join(MOBILE_OPERATORS.values())}.")
        return {"mobile": mobile, "operator": operator}
    raise WalletError(f"Choose how to receive the money: {' or '.join(label for _v, label in offered)}.")


def withdrawal_request(*, user_id: int, amount: Decimal, method: str, details: dict | None = None) -> Withdrawal:
    """A shopper with verified KYC withdraws part of their available balance. The amount is debited now,
    inside the wallet lock, so the same rupee cannot be withdrawn (or spent) twice."""
    try:
        amount = _money(amount)
    except (ArithmeticError, ValueError, TypeError):
        raise WalletError("Enter the amount in rupees, like 250 or 250.50.") from None
    minimum = Decimal(settings.WALLET_MIN_WITHDRAWAL)
    if amount < minimum:
        raise WalletError(f"The minimum withdrawal is ₹{minimum}.")
    if not UserKYC.objects.filter(user_id=user_id, status=UserKYC.Status.VERIFIED).exists():
        raise NotAllowed("Complete your KYC first: withdrawals need verified KYC details.")
    destination = _destination(user_id=user_id, method=method, details=details or {})
    with transaction.atomic():
        lock = wallet_lock(user_id=user_id)
        if amount > lock.balance:
            raise InsufficientBalance(f"Your available balance is ₹{lock.balance}.")
        withdrawal = Withdrawal.objects.create(
            user_id=user_id,
            amount=amount,
            method=method,
            destination_details=destination,
            approvals_required=2 if amount > Decimal(settings.WALLET_SECOND_APPROVAL_ABOVE) else 1,
        )
        wallet_post(
            user_id=user_id,
            amount=-amount,
            type=T.WITHDRAWAL,
            reference_type="withdrawal",
            reference_id=withdrawal.pk,
            description=f"Withdrawal to {withdrawal.get_method_display()}",
            lock=lock,
        )
        audit_log(
            actor_id=user_id,
            action="withdrawal.requested",
            entity_type="withdrawal",
            entity_id=withdrawal.pk,
            metadata={"amount": str(amount), "method": method},
        )
        notify(
            user_id=user_id,
            title="Withdrawal requested",
            body=f"We received your request to withdraw ₹{amount} by {withdrawal.get_method_display()}.",
        )
    return withdrawal


def _locked_withdrawal(withdrawal_id: int) -> tuple[Withdrawal, WalletBalance]:
    user_id = Withdrawal.objects.values_list("user_id", flat=True).get(pk=withdrawal_id)
    lock = wallet_lock(user_id=user_id)
    return Withdrawal.objects.select_for_update().get(pk=withdrawal_id), lock


def withdrawal_approve(*, withdrawal_id: int, actor: Actor) -> Withdrawal:
    """Finance approves. Above settings.WALLET_SECOND_APPROVAL_ABOVE two different people must approve:
    the first approval is recorded and the withdrawal stays pending until a second approver acts."""
    actor_id = authz.actor_require(actor, "wallet.approve_withdrawal", department=FINANCE)
    with transaction.atomic():
        withdrawal, _lock = _locked_withdrawal(withdrawal_id)
        _check(WITHDRAWAL_TRANSITIONS, withdrawal.status, Withdrawal.Status.APPROVED, "This withdrawal")
        now = timezone.now()
        if withdrawal.approvals_required == 2 and withdrawal.first_approver_id is None:
            Withdrawal.objects.filter(pk=withdrawal.pk).update(first_approver_id=actor_id, first_approved_at=now)
            withdrawal.first_approver_id, withdrawal.first_approved_at = actor_id, now
            audit_log(
                actor_id=actor_id, action="withdrawal.first_approval", entity_type="withdrawal", entity_id=withdrawal.pk
            )
            return withdrawal
        if withdrawal.approvals_required == 2 and withdrawal.first_approver_id == actor_id:
            raise NotAllowed("This amount needs a second approver: someone else must approve it.")
        Withdrawal.objects.filter(pk=withdrawal.pk).update(
            status=Withdrawal.Status.APPROVED, processed_by_admin_id=actor_id, processed_at=now
        )
        withdrawal.status, withdrawal.processed_by_admin_id, withdrawal.processed_at = "approved", actor_id, now
        audit_log(actor_id=actor_id, action="withdrawal.approved", entity_type="withdrawal", entity_id=withdrawal.pk)
        notify(
            user_id=withdrawal.user_id,
            title="Withdrawal approved",
            body=f"Your withdrawal of ₹{withdrawal.amount} is approved and on its way.",
        )
        enqueue_task("wallet.pay_withdrawal", withdrawal_id=withdrawal.pk)
    return withdrawal


def _return_money(*, withdrawal: Withdrawal, lock: WalletBalance, why: str) -> None:
    wallet_post(
        user_id=withdrawal.user_id,
        amount=withdrawal.amount,
        type=T.WITHDRAWAL_REVERSED,
        reference_type="withdrawal",
        reference_id=withdrawal.pk,
        description=f"Withdrawal returned: {why}"[:500],
        lock=lock,
    )


def withdrawal_reject(*, withdrawal_id: int, actor: Actor, reason: str) -> Withdrawal:
    """Finance rejects (before payment) with a reason; the money goes back to the wallet at once."""
    actor_id = authz.actor_require(actor, "wallet.reject_withdrawal", department=FINANCE)
    reason = (reason or "").strip()
    if not reason:
        raise WalletError("A reason is required to reject a withdrawal.")
    with authz.acting(actor_id, reason="withdrawal.reject"):
        withdrawal, lock = _locked_withdrawal(withdrawal_id)
        _check(WITHDRAWAL_TRANSITIONS, withdrawal.status, Withdrawal.Status.REJECTED, "This withdrawal")
        Withdrawal.objects.filter(pk=withdrawal.pk).update(
            status=Withdrawal.Status.REJECTED,
            rejection_reason=reason,
            processed_by_admin_id=actor_id,
            processed_at=timezone.now(),
        )
        withdrawal.status = Withdrawal.Status.REJECTED
        _return_money(withdrawal=withdrawal, lock=lock, why=reason)
        audit_log(
            actor_id=actor_id,
            action="withdrawal.rejected",
            entity_type="withdrawal",
            entity_id=withdrawal.pk,
            metadata={"reason": reason},
        )
        notify(
            user_id=withdrawal.user_id,
            title="Withdrawal rejected",
            body=f"Your withdrawal of ₹{withdrawal.amount} was rejected ({reason}). The money is back in your wallet.",
        )
    return withdrawal


# ---------------------------------------------------------------- payouts

PAYOUT_STALE_AFTER = dt.timedelta(minutes=2)
# Opens the transaction of one step of a payout (tasks pass an audited rls.bypass).
Scope = Callable[[], contextlib.AbstractContextManager]


def payout_request_for(withdrawal: Withdrawal) -> PayoutRequest:
    """What the gateway is asked to pay. The idempotency key is the withdrawal's uuid, for every attempt."""
    destination = dict(withdrawal.destination_details or {})
    # Account numbers and UPI ids are stored encrypted (accounts.crypto); they are decrypted here, for the
    # gateway request only, and never written back.
    if withdrawal.method == Withdrawal.Method.BANK:
        kyc = account_services.kyc_payout_details(user_id=withdrawal.user_id)
        destination["account_number"] = kyc.get("account_number", "")
    elif withdrawal.method == Withdrawal.Method.UPI:
        encrypted = destination.pop("vpa_encrypted", None)
        if encrypted:
            destination["vpa"] = kyc_crypto.decrypt(encrypted) or ""
        elif destination.get("source") == "kyc":
            destination["vpa"] = account_services.kyc_payout_details(user_id=withdrawal.user_id).get("upi_id", "")
    user = User.all_objects.filter(pk=withdrawal.user_id).only("full_name", "email").first()
    return PayoutRequest(
        idempotency_key=str(withdrawal.uuid),
        amount=withdrawal.amount,
        method=withdrawal.method,
        destination=destination,
        beneficiary_name=(user.full_name or user.email or "") if user else "",
    )


def withdrawal_payout_start(*, withdrawal_id: int, gateway_name: str) -> Withdrawal | None:
    """Claim an approved withdrawal for payment (approved → processing), committed BEFORE the gateway is
    called: if the worker dies after the call, the withdrawal is 'processing' and gets reconciled by a
    status query, never sent blindly again."""
    with transaction.atomic():
        withdrawal = Withdrawal.objects.select_for_update().filter(pk=withdrawal_id).first()
        if withdrawal is None or withdrawal.status != Withdrawal.Status.APPROVED:
            return None
        now = timezone.now()
        Withdrawal.objects.filter(pk=withdrawal.pk).update(
            status=Withdrawal.Status.PROCESSING,
            gateway=gateway_name,
            payout_attempts=F("payout_attempts") + 1,
            payout_requested_at=now,
        )
        audit_log(actor_id=None, action="withdrawal.processing", entity_type="withdrawal", entity_id=withdrawal.pk)
        withdrawal.refresh_from_db()
    return withdrawal


def withdrawal_payout_record(*, withdrawal_id: int, result: PayoutResult) -> Withdrawal:
    """Write down what the gateway said. Paid → completed + one payouts row (+ UTR); failed → failed and the
    money posted back; still processing → remember the gateway's id. Safe to call twice."""
    with transaction.atomic():
        withdrawal, lock = _locked_withdrawal(withdrawal_id)
        if withdrawal.status != Withdrawal.Status.PROCESSING:
            return withdrawal
        if result.status == PROCESSED:
            Withdrawal.objects.filter(pk=withdrawal.pk).update(
                status=Withdrawal.Status.COMPLETED,
                transaction_reference=result.utr or result.gateway_payout_id,
                gateway_payout_id=result.gateway_payout_id,
                gateway_status=result.gateway_status or PROCESSED,
            )
            Payout.objects.create(
                user_id=withdrawal.user_id,
                amount=withdrawal.amount,
                method=withdrawal.method,
                reference=(result.utr or result.gateway_payout_id or "")[:120] or None,
                withdrawal=withdrawal,
                gateway=withdrawal.gateway,
                gateway_payout_id=result.gateway_payout_id,
            )
            audit_log(
                actor_id=None,
                action="withdrawal.completed",
                entity_type="withdrawal",
                entity_id=withdrawal.pk,
                metadata={"utr": result.utr, "gateway_payout_id": result.gateway_payout_id},
            )
            notify(
                user_id=withdrawal.user_id,
                title="Withdrawal paid",
                body=f"₹{withdrawal.amount} is on its way to you. Reference: {result.utr or result.gateway_payout_id}.",
            )
        elif result.status == FAILED:
            Withdrawal.objects.filter(pk=withdrawal.pk).update(
                status=Withdrawal.Status.FAILED,
                rejection_reason=result.failure_reason or "The payout failed.",
                gateway_payout_id=result.gateway_payout_id,
                gateway_status=result.gateway_status or FAILED,
            )
            withdrawal.status = Withdrawal.Status.FAILED
            _return_money(withdrawal=withdrawal, lock=lock, why=result.failure_reason or "payout failed")
            audit_log(
                actor_id=None,
                action="withdrawal.failed",
                entity_type="withdrawal",
                entity_id=withdrawal.pk,
                metadata={"reason": result.failure_reason},
            )
            notify(
                user_id=withdrawal.user_id,
                title="Withdrawal failed",
                body=f"We could not pay out ₹{withdrawal.amount}. The money is back in your wallet.",
            )
        else:
            Withdrawal.objects.filter(pk=withdrawal.pk).update(
                gateway_payout_id=result.gateway_payout_id or withdrawal.gateway_payout_id,
                gateway_status=result.gateway_status or result.status,
            )
        withdrawal.refresh_from_db()
    return withdrawal


def _note_gateway_trouble(*, withdrawal_id: int, status: str) -> None:
    Withdrawal.objects.filter(pk=withdrawal_id, status=Withdrawal.Status.PROCESSING).update(gateway_status=status)


def withdrawal_pay(
    *, withdrawal_id: int, gateway: PayoutGateway, actor: Actor, scope: Scope = contextlib.nullcontext
) -> Withdrawal | None:
    """Pay one approved withdrawal through the gateway (the Celery job's work, actor SYSTEM).

    Three steps, each its own transaction (``scope()`` opens each, e.g. an audited rls.bypass): claim it
    (approved → processing, committed), call the gateway outside any transaction, record the answer."""
    authz.actor_require(actor, "wallet.pay_withdrawal", department=FINANCE)
    with scope():
        withdrawal = withdrawal_payout_start(withdrawal_id=withdrawal_id, gateway_name=gateway.name)
        if withdrawal is None:
            return None
        request = payout_request_for(withdrawal)
    try:
        result = gateway.create_payout(request)
    except GatewayError as exc:  # GatewayTimeout included: reconciled later, never resent blindly
        with scope():
            _note_gateway_trouble(
                withdrawal_id=withdrawal_id, status="timeout" if isinstance(exc, GatewayTimeout) else "error"
            )
        return withdrawal
    with scope():
        return withdrawal_payout_record(withdrawal_id=withdrawal_id, result=result)


def withdrawal_payout_reconcile(
    *, withdrawal_id: int, gateway: PayoutGateway, actor: Actor, scope: Scope = contextlib.nullcontext
) -> Withdrawal | None:
    """A payout left 'processing' (timeout, crash, or queued at the bank): ask the gateway what it knows.
    If it never received the request, ask again with the same idempotency key (exactly once either way).
    The payout job (SYSTEM) or finance staff holding wallet.pay_withdrawal."""
    authz.actor_require(actor, "wallet.pay_withdrawal", department=FINANCE)
    with scope():
        withdrawal = Withdrawal.objects.filter(pk=withdrawal_id, status=Withdrawal.Status.PROCESSING).first()
        if withdrawal is None:
            return None
        request = payout_request_for(withdrawal)
    try:
        result = gateway.fetch_payout(request, gateway_payout_id=withdrawal.gateway_payout_id)
        if result is None:
            result = gateway.create_payout(request)
    except GatewayError as exc:
        with scope():
            _note_gateway_trouble(
                withdrawal_id=withdrawal_id, status="timeout" if isinstance(exc, GatewayTimeout) else "error"
            )
        return withdrawal
    with scope():
        return withdrawal_payout_record(withdrawal_id=withdrawal_id, result=result)


def withdrawals_due_for_payout() -> Iterable[int]:
    return list(
        Withdrawal.objects.filter(status=Withdrawal.Status.APPROVED).order_by("id").values_list("id", flat=True)[:500]
    )


def withdrawals_due_for_reconcile(*, now: dt.datetime | None = None) -> Iterable[int]:
    now = now or timezone.now()
    return list(
        Withdrawal.objects.filter(
            status=Withdrawal.Status.PROCESSING, payout_requested_at__lte=now - PAYOUT_STALE_AFTER
        )
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )


def cashback_amount_floor(value: Decimal) -> Decimal:
    """Round down to the paisa (shared by referral bonuses)."""
    return Decimal(value).quantize(PAISA, rounding=ROUND_DOWN)

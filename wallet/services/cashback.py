"""Cashback events: recording what the networks (and staff) report, holds for review, and the moves of an
event's lifecycle (confirm = credit, reject, reverse = claw back). cashback_record_preview says what a recording
would do, by the same rules, without writing (the staff retry's confirmation page). The set-based auto-confirm batch
(autoconfirm.py) confirms many events in SQL with the same texts and rows (the builders below)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts import authz
from accounts.authz import Actor
from accounts.models import User
from accounts.services import Notice, notify
from catalog.models import Merchant
from catalog.selectors import NO_CASHBACK, CashbackRate, cashback_rate_for
from couponali import events
from couponali.audit import AuditAction, audit_log, diff
from couponali.celery import enqueue_on_commit
from couponali.money import format_inr
from couponali.task_names import Referrals
from offers.models import OfferClick
from wallet.locks import cashback_event_lock, wallet_lock
from wallet.models import CashbackEvent, UnmatchedConversion, WalletBalance
from wallet.networks import CONFIRMED, PENDING, REJECTED, Conversion

from .errors import IllegalTransition, WalletError
from .ledger import T, wallet_claw_back, wallet_post
from .lifecycle import CASHBACK_TRANSITIONS, transition_check

# ---------------------------------------------------------------- what a confirmation writes, for both paths

# The posting's description; the batch applies the same template in SQL (format()).
CASHBACK_EARNED_DESCRIPTION = "Cashback from %s"


def cashback_confirmed_notice(*, user_id: int, amount: Decimal, store: str) -> Notice:
    """The shopper's notification when a cashback is confirmed and credited (one event or a batch)."""
    return Notice(
        user_id=user_id, title="Cashback confirmed", body=f"{format_inr(amount)} from {store} is now in your wallet."
    )


def cashback_confirmed_audit(*, amount: Decimal, source: str, released_hold: str | None) -> dict:
    """The metadata of the 'cashback.confirmed' audit row of one event (one event or a batch)."""
    return {"amount": str(amount), "source": source, "released_hold": released_hold or ""}


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
    return CashbackRate(
        type=event.rate_type, value=event.rate_value, cap=event.rate_cap, source=event.rate_source or ""
    )


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
    return f"cashback {format_inr(cashback)} is above {multiple:g}× the reported commission {format_inr(commission)}"


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


@dataclass(frozen=True)
class ClickMatch:
    """The click a conversion belongs to (and its store), or why it belongs to none (``unmatched``)."""

    click: OfferClick | None = None
    merchant: Merchant | None = None
    unmatched: str | None = None


def _click_match(conversion: Conversion) -> ClickMatch:
    """The one matching rule of a reported conversion to a shopper's click (recording and its preview)."""
    clicks = _find_clicks(conversion.click_id)
    if not clicks:
        return ClickMatch(unmatched="no click with this id")
    if len(clicks) > 1:
        return ClickMatch(unmatched="several clicks have this id")
    click = clicks[0]
    if click.user_id is None:
        return ClickMatch(unmatched="the click was made signed out")
    merchant = click.merchant or click.offer.merchant
    mismatch = network_mismatch(conversion=conversion, merchant=merchant)
    if mismatch:
        return ClickMatch(unmatched=mismatch)
    return ClickMatch(click=click, merchant=merchant)


def _cashback_record(
    *, conversion: Conversion, source: str, actor_id: int | None, unmatched_id: int | None
) -> IngestResult:
    match = _click_match(conversion)
    if match.unmatched is not None:
        return _keep_unmatched(conversion=conversion, reason=match.unmatched, source=source)
    click, merchant = match.click, match.merchant
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
        event = _event_create(
            click=click, merchant=merchant, conversion=conversion, source=source, actor_id=actor_id, now=now
        )
        outcome = "created"
    elif event.user_id != click.user_id or event.click_id != click.click_id:
        return IngestResult("ignored", event.pk, "this transaction id was reported for another click")
    else:
        CashbackEvent.objects.filter(pk=event.pk).update(network_status=conversion.network_status, reported_at=now)
        if event.status == CashbackEvent.Status.PENDING and _pending_revise(event=event, conversion=conversion):
            outcome = "updated"
    status = event.status
    applied = _status_apply(event=event, lock=lock, conversion=conversion, source=source, actor_id=actor_id)
    if applied is not None:
        return applied
    # A repeated status, or an older one arriving late ('pending' after 'approved'): nothing to do.
    return IngestResult(outcome, event.pk, "" if outcome != "unchanged" else f"the event is already {status}")


def _new_event_cashback(*, click, merchant, conversion: Conversion) -> tuple[CashbackRate, Decimal]:
    """The rule and the cashback of a conversion's first report (recording and its preview)."""
    rule = _click_rule(click=click, offer=click.offer, merchant=merchant)
    return rule, rule.amount_for(conversion.sale_amount)


def _event_create(
    *, click, merchant, conversion: Conversion, source: str, actor_id: int | None, now: dt.datetime
) -> CashbackEvent:
    """The first report of a conversion: the event, at the rule advertised at click time, pending."""
    rule, amount = _new_event_cashback(click=click, merchant=merchant, conversion=conversion)
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
        action=AuditAction.CASHBACK_TRACKED,
        entity_type="cashback_event",
        entity_id=event.pk,
        metadata={
            "source": source,
            "network": conversion.network,
            "rule": rule.display or "no cashback",
            "held": held or "",
        },
    )
    events.conversion_recorded.send(sender=CashbackEvent, event_id=event.pk, merchant_id=event.merchant_id)
    if conversion.status == PENDING or held:
        notify(
            user_id=click.user_id,
            title="Cashback tracked",
            body=(
                f"{format_inr(amount)} cashback from {merchant.name} is "
                f"pending. We will confirm it once the store does."
            ),
        )
    return event


def _pending_revise(*, event: CashbackEvent, conversion: Conversion) -> bool:
    """A revised report while pending: the sale amount may have changed (a partial return); the cashback is
    recomputed with the rule fixed when the event was first reported. True when something changed."""
    amount = _rule_of(event).amount_for(conversion.sale_amount)
    if amount == event.cashback_amount and conversion.sale_amount == event.transaction_amount:
        return False
    delta = amount - event.cashback_amount
    # A revision can put the cashback above the cap (a lower commission); once held, only staff release it,
    # whatever later revisions say.
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
    return True


def _status_apply(
    *, event: CashbackEvent, lock: WalletBalance, conversion: Conversion, source: str, actor_id: int | None
) -> IngestResult | None:
    """Apply the reported status to the event (locked); None when there is nothing to do."""
    status = event.status
    move = _status_move(status=status, held=bool(event.held_reason), reported=conversion.status)
    if move == HELD:
        # The network's approval is recorded (network_status); the money waits for staff.
        return IngestResult("held", event.pk, f"kept for review: {event.held_reason}")
    if move == CONFIRM:
        _confirm_locked(event=event, lock=lock, actor_id=actor_id, source=source)
        return IngestResult("confirmed", event.pk, f"{format_inr(event.cashback_amount)} credited")
    if move == REFUSE:
        audit_log(
            actor_id=actor_id,
            action=AuditAction.CASHBACK_REFUSED_TRANSITION,
            entity_type="cashback_event",
            entity_id=event.pk,
            metadata={"from": status, "to": "confirmed", "source": source},
        )
        return IngestResult("ignored", event.pk, f"the event is {status}; it cannot be confirmed again")
    reason = f"{conversion.network}: {conversion.network_status}"
    if move == REJECT:
        _reject_locked(event=event, reason=reason, actor_id=actor_id)
        return IngestResult("rejected", event.pk, "")
    if move == REVERSE:
        _reverse_locked(event=event, lock=lock, reason=reason, actor_id=actor_id)
        return IngestResult("reversed", event.pk, "")
    return None


# What a reported status does to an event (_status_move): recording applies it, the preview names it.
HELD, CONFIRM, REFUSE, REJECT, REVERSE = "held", "confirm", "refuse", "reject", "reverse"


def _status_move(*, status: str, held: bool, reported: str) -> str | None:
    """The move a reported status causes on an event in ``status``: approved while pending confirms and credits
    it (or, when held, waits for staff); approved after a rejection or reversal is refused; declined rejects a
    pending event and reverses a paid one. None: a repeat, or an older status arriving late."""
    if reported == CONFIRMED:
        if status == CashbackEvent.Status.PENDING:
            return HELD if held else CONFIRM
        if status in (CashbackEvent.Status.REJECTED, CashbackEvent.Status.REVERSED):
            return REFUSE
    elif reported == REJECTED:
        if status == CashbackEvent.Status.PENDING:
            return REJECT
        if status in (CashbackEvent.Status.PAID, CashbackEvent.Status.CONFIRMED):
            return REVERSE
    return None


@dataclass(frozen=True)
class RecordPreview:
    """What recording a conversion now would do, for a confirmation page: whose cashback (None when it would
    match nobody), the amount it moves for them (credited, or recorded as pending; 0 when nothing accrues,
    negative when it takes money back) and what happens, in words."""

    shopper: User | None
    amount: Decimal
    what: str


def cashback_record_preview(*, conversion: Conversion) -> RecordPreview:
    """What cashback_record would do with ``conversion``, writing nothing: the same click match
    (_click_match), the same cashback rule (_new_event_cashback, or the rule kept on an existing event), the
    same hold rule and the same status moves (_status_move). A report arriving between the preview and the
    recording can change the outcome: the recording, under its locks, decides."""
    match = _click_match(conversion)
    if match.unmatched is not None:
        return RecordPreview(None, Decimal("0.00"), f"would not match: {match.unmatched} (stays for review)")
    click = match.click
    assert click is not None and click.user_id is not None  # a match has a signed-in shopper's click
    event = CashbackEvent.objects.filter(
        network=conversion.network, affiliate_transaction_id=conversion.transaction_id
    ).first()
    if event is not None and (event.user_id != click.user_id or event.click_id != click.click_id):
        return RecordPreview(None, Decimal("0.00"), "would not match: this transaction id belongs to another click")
    shopper = User.all_objects.filter(pk=click.user_id).first()
    status: str
    if event is None:
        _rule, amount = _new_event_cashback(click=click, merchant=match.merchant, conversion=conversion)
        status, recorded = CashbackEvent.Status.PENDING, "new cashback"
        held = cashback_hold_reason(conversion=conversion, cashback=amount)
    else:
        status, held = event.status, event.held_reason
        amount = event.cashback_amount
        if status == CashbackEvent.Status.PENDING:
            amount = _rule_of(event).amount_for(conversion.sale_amount)
            held = held or cashback_hold_reason(conversion=conversion, cashback=amount)
        recorded = f"cashback #{event.pk} ({status})"
    move = _status_move(status=status, held=bool(held), reported=conversion.status)
    nothing = Decimal("0.00")
    amount_moved, outcome = {
        CONFIRM: (amount, "credited to the wallet (the network approved it)"),
        HELD: (amount, f"held for review ({held})"),
        REJECT: (nothing, f"{format_inr(amount)} rejected (the network declined it)"),
        REVERSE: (-amount, "taken back from the wallet (the network declined it)"),
        REFUSE: (nothing, "nothing changes"),
        None: (amount, "pending until the store confirms it" if event is None else "already recorded"),
    }[move]
    store = match.merchant.name if match.merchant is not None else "the store"
    return RecordPreview(shopper, amount_moved, f"{recorded} from {store}: {outcome}")


def _confirm_locked(*, event: CashbackEvent, lock: WalletBalance, actor_id: int | None, source: str) -> None:
    """pending → confirmed → paid in one transaction: the credit and paid_at come with the confirmation, so
    no approved cashback can wait uncredited. Caller holds the wallet lock and the event lock.

    A held event (held_reason) is confirmed only by a staff member, and that confirmation releases the hold."""
    transition_check(CASHBACK_TRANSITIONS, event.status, CashbackEvent.Status.CONFIRMED, "This cashback")
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
            description=CASHBACK_EARNED_DESCRIPTION % event.merchant.name,
            lock=lock,
        )
    CashbackEvent.objects.filter(pk=event.pk).update(
        status=CashbackEvent.Status.PAID, confirmed_at=now, paid_at=now, held_reason=None
    )
    User.all_objects.filter(pk=event.user_id).update(pending_cashback=F("pending_cashback") - event.cashback_amount)
    event.status, event.confirmed_at, event.paid_at, event.held_reason = CashbackEvent.Status.PAID, now, now, None
    events.cashback_status_changed.send(sender=CashbackEvent, event_ids=[event.pk], status=event.status)
    audit_log(
        actor_id=actor_id,
        action=AuditAction.CASHBACK_CONFIRMED,
        entity_type="cashback_event",
        entity_id=event.pk,
        metadata=cashback_confirmed_audit(amount=event.cashback_amount, source=source, released_hold=held),
    )
    notice = cashback_confirmed_notice(user_id=event.user_id, amount=event.cashback_amount, store=event.merchant.name)
    notify(user_id=notice.user_id, title=notice.title, body=notice.body)
    if User.all_objects.filter(pk=event.user_id, referred_by_user__isnull=False).exists():
        enqueue_on_commit(Referrals.CASHBACK_SETTLED, user_ids=[event.user_id])


def _reject_locked(*, event: CashbackEvent, reason: str, actor_id: int | None) -> None:
    transition_check(CASHBACK_TRANSITIONS, event.status, CashbackEvent.Status.REJECTED, "This cashback")
    previous = event.status
    CashbackEvent.objects.filter(pk=event.pk).update(status=CashbackEvent.Status.REJECTED, rejected_reason=reason)
    User.all_objects.filter(pk=event.user_id).update(pending_cashback=F("pending_cashback") - event.cashback_amount)
    event.status = CashbackEvent.Status.REJECTED
    events.cashback_status_changed.send(sender=CashbackEvent, event_ids=[event.pk], status=event.status)
    audit_log(
        actor_id=actor_id,
        action=AuditAction.CASHBACK_REJECTED,
        entity_type="cashback_event",
        entity_id=event.pk,
        metadata={
            "reason": reason,
            "amount": str(event.cashback_amount),
            **diff({"status": previous}, {"status": event.status}),
        },
    )
    notify(
        user_id=event.user_id,
        title="Cashback rejected",
        body=f"The store did not confirm your {format_inr(event.cashback_amount)} cashback from {event.merchant.name}.",
    )


def _reverse_locked(*, event: CashbackEvent, lock: WalletBalance, reason: str, actor_id: int | None) -> None:
    """After payment: the credit is taken back by a new posting (never an edit); what the balance cannot
    cover becomes a recoverable debt."""
    transition_check(CASHBACK_TRANSITIONS, event.status, CashbackEvent.Status.REVERSED, "This cashback")
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
    previous = event.status
    CashbackEvent.objects.filter(pk=event.pk).update(status=CashbackEvent.Status.REVERSED, rejected_reason=reason)
    event.status = CashbackEvent.Status.REVERSED
    events.cashback_status_changed.send(sender=CashbackEvent, event_ids=[event.pk], status=event.status)
    audit_log(
        actor_id=actor_id,
        action=AuditAction.CASHBACK_REVERSED,
        entity_type="cashback_event",
        entity_id=event.pk,
        metadata={
            "reason": reason,
            "amount": str(event.cashback_amount),
            "debt": str(claw.debt.amount) if claw and claw.debt else "0",
            **diff({"status": previous}, {"status": event.status}),
        },
    )
    notify(
        user_id=event.user_id,
        title="Cashback reversed",
        body=(
            f"The store cancelled your order at {event.merchant.name}: "
            f"{format_inr(event.cashback_amount)} was taken back."
        ),
    )
    if User.all_objects.filter(pk=event.user_id, referred_by_user__isnull=False).exists():
        enqueue_on_commit(Referrals.CASHBACK_SETTLED, user_ids=[event.user_id])


def cashback_confirm(*, event_id: int, actor: Actor, source: str = "staff") -> CashbackEvent:
    """Confirm one pending cashback (staff in the admin, or the auto-confirm job for users with a debt)."""
    actor_id = authz.actor_require(actor, "wallet.confirm_cashbackevent")
    with authz.acting(actor_id, reason="cashback.confirm"):
        event, lock = cashback_event_lock(event_id=event_id)
        _confirm_locked(event=event, lock=lock, actor_id=actor_id, source=source)
    return event


def cashback_reject(*, event_id: int, reason: str, actor: Actor) -> CashbackEvent:
    actor_id = authz.actor_require(actor, "wallet.reject_cashbackevent")
    if not (reason or "").strip():
        raise WalletError("A reason is required to reject a cashback.")
    with transaction.atomic():
        event, _lock = cashback_event_lock(event_id=event_id)
        _reject_locked(event=event, reason=reason.strip(), actor_id=actor_id)
    return event


def cashback_reverse(*, event_id: int, reason: str, actor: Actor) -> CashbackEvent:
    actor_id = authz.actor_require(actor, "wallet.reverse_cashbackevent")
    if not (reason or "").strip():
        raise WalletError("A reason is required to reverse a cashback.")
    with authz.acting(actor_id, reason="cashback.reverse"):
        event, lock = cashback_event_lock(event_id=event_id)
        _reverse_locked(event=event, lock=lock, reason=reason.strip(), actor_id=actor_id)
    return event

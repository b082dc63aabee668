"""Writes for referrals: recording who referred whom, and the referrer's bonuses through the wallet ledger.

Accounts (below us) only records the fact, users.referred_by_user_id, and queues "referrals.record_signup"
after the sign-up commits. The wallet (below us too) queues "referrals.cashback_settled" after a cashback
of a referred user is confirmed or reversed; it never imports this module.

Bonus rule (settings): REFERRAL_JOINING_BONUS once, when the friend's first cashback is confirmed (the
referral becomes active), plus REFERRAL_BONUS_PERCENT of each confirmed cashback of the friend, rounded down
to the paisa. A friend's cashback reversed after its bonus was paid takes the bonus back (a claw-back that
never makes the referrer's balance negative: wallet.services.wallet_claw_back).

Lock order (wallet.locks): the referrer's wallet_balances row (wallet_lock), then the referral row.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.services import notify
from couponali.audit import AuditAction, audit_log
from couponali.money import cashback_amount_floor, format_inr
from wallet.locks import wallet_lock
from wallet.models import CashbackEvent, WalletBalance, WalletTransaction
from wallet.services import wallet_claw_back, wallet_post

from .models import Referral

log = logging.getLogger(__name__)
T = WalletTransaction.Type
MAX_CHAIN = 1000


class ReferralRefused(Exception):
    """Self-referral or a loop: the referral is not recorded."""


def _would_loop(*, referrer_id: int, referred_id: int) -> bool:
    """True when ``referred_id`` already sits up the referrer's chain (A→B→...→referrer)."""
    seen: set[int] = set()
    current = referrer_id
    for _ in range(MAX_CHAIN):
        if current == referred_id:
            return True
        if current in seen:
            return True
        seen.add(current)
        parent = Referral.objects.filter(referred_user_id=current).values_list("referrer_user_id", flat=True).first()
        if parent is None:
            return False
        current = parent
    return True


def referral_record_signup(*, user_id: int) -> Referral | None:
    """Create the pending referral of a new user from users.referred_by_user_id. Idempotent: a second call
    returns the existing row; one referrer per user (the first one wins), no self-referral, no loops (the
    database refuses them too)."""
    user = User.all_objects.filter(pk=user_id).only("id", "referred_by_user_id").first()
    if user is None or user.referred_by_user_id is None:
        return None
    referrer_id = user.referred_by_user_id
    existing = Referral.objects.filter(referred_user_id=user_id).first()
    if existing is not None:
        return existing
    if referrer_id == user_id:
        raise ReferralRefused("A user cannot refer themselves.")
    if _would_loop(referrer_id=referrer_id, referred_id=user_id):
        raise ReferralRefused("This referral would create a loop.")
    try:
        with transaction.atomic():
            referral = Referral.objects.create(referrer_user_id=referrer_id, referred_user_id=user_id)
            audit_log(
                actor_id=user_id,
                action=AuditAction.REFERRAL_RECORDED,
                entity_type="referral",
                entity_id=referral.pk,
                metadata={"referrer_id": referrer_id},
            )
    except IntegrityError:
        # A concurrent call recorded it first (one referrer per user), or the loop guard in the database.
        existing = Referral.objects.filter(referred_user_id=user_id).first()
        if existing is None:
            raise ReferralRefused("This referral would create a loop.") from None
        return existing
    notify(
        user_id=referrer_id,
        title="A friend joined",
        body="A friend signed up with your referral code. You earn a bonus when their first cashback is confirmed.",
    )
    return referral


def referral_bonuses_settle(*, referred_user_id: int) -> Decimal:
    """Bring the referrer's bonuses for one referred user up to date with the friend's cashback: activate
    the referral on the first confirmed cashback (joining bonus), pay the percentage of each confirmed
    cashback, take back the bonus of reversed ones. Idempotent (one posting per source and type); returns
    the net amount posted now."""
    referral = Referral.objects.filter(referred_user_id=referred_user_id).first()
    if referral is None or referral.status == Referral.Status.INACTIVE:
        return Decimal("0.00")
    percent = Decimal(settings.REFERRAL_BONUS_PERCENT)
    joining = Decimal(settings.REFERRAL_JOINING_BONUS)
    net = Decimal("0.00")
    with transaction.atomic():
        lock = wallet_lock(user_id=referral.referrer_user_id)
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        events = list(
            CashbackEvent.objects.filter(user_id=referred_user_id, paid_at__isnull=False)
            .select_related("merchant")
            .order_by("paid_at", "id")
        )
        bonus_of = dict(
            WalletTransaction.objects.filter(
                user_id=referral.referrer_user_id,
                type=T.REFERRAL_BONUS,
                reference_type="cashback_event",
                reference_id__in=[e.pk for e in events],
            ).values_list("reference_id", "amount")
        )
        clawed = set(
            WalletTransaction.objects.filter(
                user_id=referral.referrer_user_id,
                type=T.REFERRAL_BONUS_REVERSED,
                reference_type="cashback_event",
                reference_id__in=list(bonus_of),
            ).values_list("reference_id", flat=True)
        )
        confirmed = [e for e in events if e.status == CashbackEvent.Status.PAID]
        if referral.status == Referral.Status.PENDING and confirmed:
            Referral.objects.filter(pk=referral.pk).update(
                status=Referral.Status.ACTIVE, activated_at=confirmed[0].paid_at or timezone.now()
            )
            audit_log(
                actor_id=None, action=AuditAction.REFERRAL_ACTIVATED, entity_type="referral", entity_id=referral.pk
            )
            if joining > 0:
                posting = wallet_post(
                    user_id=referral.referrer_user_id,
                    amount=joining,
                    type=T.REFERRAL_BONUS,
                    reference_type="referral",
                    reference_id=referral.pk,
                    description="Joining bonus: your friend's first cashback is confirmed",
                    lock=lock,
                )
                if posting.created:
                    net += joining
        for event in confirmed:
            if event.pk in bonus_of or percent <= 0:
                continue
            amount = cashback_amount_floor(event.cashback_amount * percent / 100)
            if amount <= 0:
                continue
            posting = wallet_post(
                user_id=referral.referrer_user_id,
                amount=amount,
                type=T.REFERRAL_BONUS,
                reference_type="cashback_event",
                reference_id=event.pk,
                description=f"{percent.normalize():f}% of your friend's cashback from {event.merchant.name}",
                lock=lock,
            )
            if posting.created:
                net += amount
        net -= _bonuses_claw_back(
            referrer_id=referral.referrer_user_id, events=events, bonus_of=bonus_of, clawed=clawed, lock=lock
        )
        if net:
            Referral.objects.filter(pk=referral.pk).update(total_earned=F("total_earned") + net)
            if net > 0:
                notify(
                    user_id=referral.referrer_user_id,
                    title="Referral bonus",
                    body=f"{format_inr(net)} referral bonus is now in your wallet.",
                )
    return net


def _bonuses_claw_back(
    *,
    referrer_id: int,
    events: list[CashbackEvent],
    bonus_of: dict[int | None, Decimal],
    clawed: set[int | None],
    lock: WalletBalance,
) -> Decimal:
    """Take back the bonus of each reversed cashback that had one and was not clawed back yet (inside the
    caller's transaction and wallet lock); returns the total taken back."""
    total = Decimal("0.00")
    for event in events:
        if event.status == CashbackEvent.Status.REVERSED and event.pk in bonus_of and event.pk not in clawed:
            amount = bonus_of[event.pk]
            wallet_claw_back(
                user_id=referrer_id,
                amount=amount,
                type=T.REFERRAL_BONUS_REVERSED,
                reference_type="cashback_event",
                reference_id=event.pk,
                description="Referral bonus taken back: your friend's cashback was reversed",
                reason=f"cashback event {event.pk} reversed",
                lock=lock,
            )
            total += amount
    return total

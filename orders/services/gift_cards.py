"""CouponAli's own gift cards: issue (staff), redeem into the wallet and apply at checkout (shoppers).

LOCK ORDER (after the wallet's, wallet.services): the shopper's wallet_balances row (wallet_lock, only when the
wallet is credited), then the order row (the checkout holds it), then gift_cards rows ascending id, then
gift_card_redemptions. ``remaining_value`` is read and changed only under the card's row lock, so two
redemptions of one card can never both take its value; the database backs it with CHECK (0 <= remaining <=
initial), one wallet redemption per card, one live use per (card, order) and the ledger's one posting per
(gift_card, id, gift_card_redeemed).

Guessing: every redeem/apply attempt counts against GIFTCARD_GUESS_RATE_LIMIT per user and
GIFTCARD_GUESS_IP_RATE_LIMIT per client address (Redis, couponali.ratelimit), and every refused attempt is
written to audit_logs (the code's last 4 characters only). A refusal raised inside a caller's transaction
leaves its audit row to that transaction: a checkout that rolls back on the error loses the row, not the count.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts import authz
from accounts.models import User
from couponali.audit import AuditAction, audit_log
from couponali.codes import group_code, normalise_code, random_code
from couponali.money import format_inr
from couponali.ratelimit import RateLimited, limit_hit
from couponali.templatetags.money import dmy
from orders.models import GiftCard, GiftCardRedemption, Order
from wallet import services as wallet_services
from wallet.models import PostingType

logger = logging.getLogger(__name__)

PAISA = Decimal("0.01")
CODE_PREFIX = "CA"
# 16 random characters of a 31-letter alphabet: about 79 bits, far beyond guessing at the rate limit.
CODE_RANDOM_LENGTH = 16
POSTING_REFERENCE = "gift_card"
ISSUE_PERMISSION = "orders.issue_giftcard"
# The store's refund permission (one home: orders.services.refunds uses this constant): giving a gift-card
# discount back is part of refunding the order.
REFUND_PERMISSION = "orders.refund_order"


class GiftCardError(Exception):
    """A refusal whose message can be shown to the shopper or staff member; nothing was changed."""


class GiftCardGuessLimited(GiftCardError):
    def __init__(self, retry_after: int):
        super().__init__(f"Too many gift card attempts; try again in {retry_after} s.")
        self.retry_after = retry_after


def _money(value) -> Decimal:
    try:
        amount = Decimal(value)
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise GiftCardError("Give the amount in rupees, e.g. 500 or 499.50.") from exc
    if not amount.is_finite() or amount != amount.quantize(PAISA):
        raise GiftCardError("Amounts are in whole paise (at most two decimals).")
    return amount.quantize(PAISA)


# ---------------------------------------------------------------- staff: issue and export


def gift_card_code_generate() -> str:
    return CODE_PREFIX + random_code(CODE_RANDOM_LENGTH)


def gift_cards_issue(
    *,
    actor: authz.Actor,
    count: int,
    value: Decimal,
    expires_at: dt.datetime | None = None,
    user_id: int | None = None,
    note: str = "",
) -> list[GiftCard]:
    """Issue ``count`` cards of ``value`` rupees as one batch (one audit row). With ``user_id`` the cards are
    bound to that account; otherwise the first shopper who uses a card's code binds it to theirs. ``actor``:
    staff holding orders.issue_giftcard (or authz.SYSTEM, e.g. the demo seed)."""
    actor_id = authz.actor_require(actor, ISSUE_PERMISSION)
    value = _money(value)
    if not 1 <= count <= settings.GIFTCARD_BATCH_MAX:
        raise GiftCardError(f"Issue between 1 and {settings.GIFTCARD_BATCH_MAX} cards at a time.")
    if not Decimal("1.00") <= value <= settings.GIFTCARD_MAX_VALUE:
        raise GiftCardError(f"A card is worth between ₹1 and {format_inr(settings.GIFTCARD_MAX_VALUE)}.")
    if expires_at is not None and expires_at <= timezone.now():
        raise GiftCardError("The expiry must be in the future.")
    if user_id is not None and not User.objects.filter(pk=user_id).exists():
        raise GiftCardError(f"There is no user with id {user_id}.")
    batch = uuid.uuid4()
    for _attempt in range(3):
        cards = [
            GiftCard(
                code=gift_card_code_generate(),
                initial_value=value,
                remaining_value=value,
                user_id=user_id,
                expires_at=expires_at,
                batch=batch,
            )
            for _ in range(count)
        ]
        try:
            with transaction.atomic():
                created = GiftCard.objects.bulk_create(cards)
                audit_log(
                    actor_id=actor_id,
                    action=AuditAction.GIFT_CARD_ISSUE,
                    entity_type="gift_card_batch",
                    entity_id=created[0].pk,
                    metadata={
                        "batch": str(batch),
                        "count": count,
                        "value": str(value),
                        "expires_at": expires_at.isoformat() if expires_at else None,
                        "user_id": user_id,
                        "note": note[:200],
                    },
                )
            return created
        except IntegrityError:
            # A code that already exists (odds about 1 in 10^23 per card): draw the whole batch again.
            logger.warning("gift card code collision while issuing batch %s; drawing again", batch)
    raise GiftCardError("Could not draw unique codes; try again.")


CSV_HEADER = ["code", "value", "remaining", "expires_at", "batch", "user_id", "active"]


def gift_cards_export(
    *, actor: authz.Actor, batch: uuid.UUID | None = None, card_ids: Iterable[int] | None = None
) -> str:
    """The cards' plain codes as CSV (for printing or handing to a partner): issue permission, audited."""
    actor_id = authz.actor_require(actor, ISSUE_PERMISSION)
    if batch is None and card_ids is None:
        raise GiftCardError("Choose a batch or some cards to export.")
    cards = GiftCard.objects.order_by("pk")
    cards = cards.filter(batch=batch) if batch is not None else cards.filter(pk__in=list(card_ids or []))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    count = 0
    with transaction.atomic():
        for card in cards.iterator(chunk_size=1000):
            writer.writerow(
                [
                    group_code(card.code),
                    f"{card.initial_value:.2f}",
                    f"{card.remaining_value:.2f}",
                    card.expires_at.isoformat() if card.expires_at else "",
                    str(card.batch or ""),
                    card.user_id or "",
                    "yes" if card.is_active else "no",
                ]
            )
            count += 1
        audit_log(
            actor_id=actor_id,
            action=AuditAction.GIFT_CARD_EXPORT,
            entity_type="gift_card_batch",
            metadata={"batch": str(batch) if batch else None, "count": count},
        )
    return out.getvalue()


# ---------------------------------------------------------------- shoppers: redeem and apply


def _count_attempt(*, user_id: int, ip: str | None) -> None:
    try:
        # fail closed: a code is money to whoever guesses it, so no attempt goes uncounted (couponali.ratelimit)
        limit_hit(scope="giftcard-user", key=user_id, rate=settings.GIFTCARD_GUESS_RATE_LIMIT, fail_closed=True)
        if ip:
            limit_hit(scope="giftcard-ip", key=ip, rate=settings.GIFTCARD_GUESS_IP_RATE_LIMIT, fail_closed=True)
    except RateLimited as exc:
        audit_log(
            actor_id=user_id,
            action=AuditAction.GIFT_CARD_ATTEMPT_LIMITED,
            entity_type="gift_card",
            metadata={"ip": ip, "scope": exc.scope},
        )
        raise GiftCardGuessLimited(exc.retry_after) from exc


def _refusal(card: GiftCard | None, *, user_id: int, now: dt.datetime) -> tuple[str, str] | None:
    """Why the card cannot be used by this shopper now (reason key, message), or None. Call with the card
    locked."""
    if card is None:
        return "unknown", "We don't know this gift card code. Check it and try again."
    if not card.is_active:
        return "inactive", "This gift card has been deactivated."
    if card.expires_at is not None and card.expires_at <= now:
        return "expired", f"This gift card expired on {dmy(card.expires_at)}."
    if card.user_id is not None and card.user_id != user_id:
        return "other_user", "This gift card belongs to another account."
    if card.remaining_value <= 0:
        return "used", "This gift card has no value left."
    return None


def _refused(*, user_id: int, code: str, card: GiftCard | None, reason: str, message: str, ip: str | None):
    audit_log(
        actor_id=user_id,
        action=AuditAction.GIFT_CARD_ATTEMPT_FAILED,
        entity_type="gift_card",
        entity_id=card.pk if card else None,
        metadata={"reason": reason, "code_tail": code[-4:], "ip": ip},
    )
    return GiftCardError(message)


def _locked_card(code: str) -> GiftCard | None:
    return GiftCard.objects.select_for_update().filter(code=code).first()


def gift_card_redeem(*, code: str, user_id: int, ip: str | None = None) -> GiftCardRedemption:
    """Move the card's whole remaining value into the shopper's wallet (a gift_card_redeemed posting).
    Raises GiftCardError (or GiftCardGuessLimited) with a message for the shopper."""
    code = normalise_code(code)
    if not code:
        raise GiftCardError("Enter the gift card code.")
    _count_attempt(user_id=user_id, ip=ip)
    with transaction.atomic():
        lock = wallet_services.wallet_lock(user_id=user_id)
        card = _locked_card(code)
        refusal = _refusal(card, user_id=user_id, now=timezone.now())
        if refusal is None:
            assert card is not None
            amount = card.remaining_value
            GiftCard.objects.filter(pk=card.pk).update(remaining_value=Decimal("0.00"), user_id=user_id)
            redemption = GiftCardRedemption.objects.create(
                gift_card=card, user_id=user_id, kind=GiftCardRedemption.Kind.WALLET, amount=amount
            )
            wallet_services.wallet_post(
                user_id=user_id,
                amount=amount,
                type=PostingType.GIFT_CARD_REDEEMED,
                reference_type=POSTING_REFERENCE,
                reference_id=card.pk,
                description=f"CouponAli gift card …{code[-4:]} redeemed",
                lock=lock,
            )
            audit_log(
                actor_id=user_id,
                action=AuditAction.GIFT_CARD_REDEEM,
                entity_type="gift_card",
                entity_id=card.pk,
                metadata={"amount": str(amount), "redemption_id": redemption.pk},
            )
            return redemption
    reason, message = refusal
    raise _refused(user_id=user_id, code=code, card=card, reason=reason, message=message, ip=ip)


def gift_card_apply(*, code: str, user_id: int, amount: Decimal, order_id: int, ip: str | None = None) -> Decimal:
    """Take up to ``amount`` rupees from the card as a discount on the shopper's pending order and return what
    was taken (> 0; less than ``amount`` when the card holds less). Applying the same card to the same order
    again returns the amount already taken and takes nothing more. Run it in the checkout's transaction, with
    the order row locked; give the value back with gift_card_release(order_id=...) if the order fails or is
    cancelled. Raises GiftCardError (or GiftCardGuessLimited) with a message for the shopper."""
    code = normalise_code(code)
    amount = _money(amount)
    if amount <= 0:
        raise GiftCardError("There is nothing left to pay with a gift card.")
    if not code:
        raise GiftCardError("Enter the gift card code.")
    _count_attempt(user_id=user_id, ip=ip)
    with transaction.atomic():
        if not Order.objects.filter(pk=order_id, user_id=user_id, status=Order.Status.PENDING).exists():
            raise GiftCardError("A gift card can only be applied to your own order before it is paid.")
        card = _locked_card(code)
        if card is not None:
            earlier = GiftCardRedemption.objects.filter(
                gift_card=card, order_id=order_id, status=GiftCardRedemption.Status.APPLIED
            ).first()
            if earlier is not None:
                return earlier.amount
        refusal = _refusal(card, user_id=user_id, now=timezone.now())
        if refusal is None:
            assert card is not None
            take = min(amount, card.remaining_value)
            GiftCard.objects.filter(pk=card.pk).update(remaining_value=F("remaining_value") - take, user_id=user_id)
            redemption = GiftCardRedemption.objects.create(
                gift_card=card, user_id=user_id, order_id=order_id, kind=GiftCardRedemption.Kind.ORDER, amount=take
            )
            audit_log(
                actor_id=user_id,
                action=AuditAction.GIFT_CARD_APPLY,
                entity_type="gift_card",
                entity_id=card.pk,
                metadata={"amount": str(take), "order_id": order_id, "redemption_id": redemption.pk},
            )
            return take
    reason, message = refusal
    raise _refused(user_id=user_id, code=code, card=card, reason=reason, message=message, ip=ip)


def gift_card_release(*, order_id: int) -> Decimal:
    """Give back to their cards what was applied to this order (payment failed, order cancelled or abandoned)
    and return the total given back. Safe to call twice: the second call finds nothing applied (returns 0)."""
    with transaction.atomic():
        card_ids = list(
            GiftCardRedemption.objects.filter(order_id=order_id, status=GiftCardRedemption.Status.APPLIED)
            .order_by("gift_card_id")
            .values_list("gift_card_id", flat=True)
        )
        if not card_ids:
            return Decimal("0.00")
        list(GiftCard.objects.select_for_update().filter(pk__in=card_ids).order_by("pk").values_list("pk"))
        uses = list(
            GiftCardRedemption.objects.select_for_update()
            .filter(order_id=order_id, status=GiftCardRedemption.Status.APPLIED)
            .order_by("pk")
        )
        now = timezone.now()
        total = Decimal("0.00")
        for use in uses:
            GiftCard.objects.filter(pk=use.gift_card_id).update(remaining_value=F("remaining_value") + use.amount)
            GiftCardRedemption.objects.filter(pk=use.pk).update(
                status=GiftCardRedemption.Status.RELEASED, released_at=now
            )
            audit_log(
                actor_id=None,
                action=AuditAction.GIFT_CARD_RELEASE,
                entity_type="gift_card",
                entity_id=use.gift_card_id,
                metadata={"amount": str(use.amount), "order_id": order_id, "redemption_id": use.pk},
            )
            total += use.amount
    return total


def gift_card_refund(*, order_id: int, amount: Decimal, actor: authz.Actor) -> Decimal:
    """Give up to ``amount`` rupees of what was applied to this PAID order back to its cards (a refund of the
    order: orders.services.refunds decides the share) and return what was given back. Cards are filled back in
    ascending id, each up to what it gave the order and has not had back; each redemption keeps its amount and
    records the part given back (``refunded_amount``), so reconcile_wallets still sees initial = remaining +
    uses. ``actor``: staff holding orders.refund_order, or authz.SYSTEM. Run it with the order row locked
    (lock step 2, the refund holds it); the cards are lock step 3. One audit row per card."""
    actor_id = authz.actor_require(actor, REFUND_PERMISSION)
    amount = _money(amount)
    if amount < 0:
        raise GiftCardError("The amount to give back cannot be negative.")
    with transaction.atomic():
        if Order.objects.filter(pk=order_id, status=Order.Status.PENDING).exists():
            raise GiftCardError("An unpaid order's gift cards are released (gift_card_release), not refunded.")
        uses = GiftCardRedemption.objects.filter(
            order_id=order_id, kind=GiftCardRedemption.Kind.ORDER, status=GiftCardRedemption.Status.APPLIED
        )
        card_ids = sorted(set(uses.values_list("gift_card_id", flat=True)))
        list(GiftCard.objects.select_for_update().filter(pk__in=card_ids).order_by("pk").values_list("pk"))
        left = amount
        given = Decimal("0.00")
        for use in uses.select_for_update().order_by("gift_card_id", "pk"):
            back = min(left, use.amount - use.refunded_amount)
            if back <= 0:
                continue
            GiftCard.objects.filter(pk=use.gift_card_id).update(remaining_value=F("remaining_value") + back)
            GiftCardRedemption.objects.filter(pk=use.pk).update(refunded_amount=F("refunded_amount") + back)
            audit_log(
                actor_id=actor_id,
                action=AuditAction.GIFT_CARD_REFUND,
                entity_type="gift_card",
                entity_id=use.gift_card_id,
                metadata={"amount": str(back), "order_id": order_id, "redemption_id": use.pk},
            )
            left -= back
            given += back
    return given


def gift_card_refunded(*, order_id: int) -> tuple[Decimal, Decimal]:
    """(applied, given back) of the gift cards used on this order, for the refund's proportional share."""
    applied = given = Decimal("0.00")
    for amount, refunded in GiftCardRedemption.objects.filter(
        order_id=order_id, kind=GiftCardRedemption.Kind.ORDER, status=GiftCardRedemption.Status.APPLIED
    ).values_list("amount", "refunded_amount"):
        applied += amount
        given += refunded
    return applied, given

"""Refunds of paid orders, fully or partly, by staff holding orders.refund_order (checked here, whoever calls).

A refund is split: first back to the gateway payment (what the gateway captured and has not refunded), the
rest to the wallet (an order_refund posting). The gift-card discount is not money paid: its cards get back the
same fraction of it as the money refunded (all of it with the last rupee). The vouchers of the lines handed back
are voided (all of them when everything is refunded). The refund row, the wallet posting, the voided vouchers,
the gift-card share and the audit row commit together under the order row lock; the gateway part is sent
afterwards (an HTTP call outside any transaction) with the refund's uuid as receipt, and a retry first looks for
that receipt at the gateway, so a refund is never paid twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts import authz
from couponali.audit import AuditAction, audit_log
from couponali.money import format_inr
from orders import gateway as gw
from orders.models import Order, OrderRefund, Payment
from orders.services import fulfilment, gift_cards
from wallet import services as wallet_services
from wallet.models import WalletTransaction

from .checkout import PAISA, lock_order, order_move
from .payments import gateway_payment_of, payment_move

log = logging.getLogger(__name__)
REFUND_PERMISSION = gift_cards.REFUND_PERMISSION  # "orders.refund_order"
CAPTURED = (Payment.Status.SUCCESS, Payment.Status.REFUNDED)
REFUNDABLE_STATUSES = (Order.Status.PAID, Order.Status.PROCESSING, Order.Status.FULFILLED, Order.Status.FAILED)
REFUND_REFERENCE = "order_refund"  # wallet postings of a refund: (order_refund, <refund id>, order_refund)


class RefundError(Exception):
    """A refusal with a message for staff; nothing was changed."""


def _refunded(order: Order) -> tuple[Decimal, Decimal]:
    """(gateway part, wallet part) already refunded, from the refund rows (failed ones excluded)."""
    sums = order.refunds.exclude(status=OrderRefund.Status.FAILED).aggregate(
        g=Sum("gateway_amount"), w=Sum("wallet_amount")
    )
    return sums["g"] or Decimal("0"), sums["w"] or Decimal("0")


def refundable(order: Order) -> tuple[Decimal, Decimal]:
    """(gateway, wallet) amounts that can still be refunded."""
    payment = gateway_payment_of(order)
    captured = payment.amount if payment and payment.status in CAPTURED else 0
    # closed unpaid orders got their wallet part back when they were closed
    closed_unpaid = order.status in (Order.Status.PENDING, Order.Status.CANCELLED)
    wallet = Decimal("0") if closed_unpaid else order.wallet_used
    g, w = _refunded(order)
    return Decimal(captured) - g, wallet - w


def _gift_card_share(order: Order, *, refunded_after: Decimal) -> Decimal:
    """What the order's gift cards get back once ``refunded_after`` rupees of the money paid have been refunded:
    the same fraction of the gift-card discount (rounded down to the paisa, so that the cards never get more
    than their share), all of it once all the money is back; minus what they got back already."""
    applied, given = gift_cards.gift_card_refunded(order_id=order.pk)
    if applied == 0:
        return Decimal("0.00")
    payment = gateway_payment_of(order)
    paid = order.wallet_used + (payment.amount if payment and payment.status in CAPTURED else 0)
    if paid <= 0 or refunded_after >= paid:
        target = applied
    else:
        target = (applied * refunded_after / paid).quantize(PAISA, rounding=ROUND_DOWN)
    return max(target - given, Decimal("0.00"))


def _refund_item_ids(order: Order, order_item_ids: Sequence[int]) -> list[int]:
    ids = sorted({int(i) for i in order_item_ids})
    known = set(order.items.filter(pk__in=ids).values_list("pk", flat=True))
    if len(known) != len(ids):
        raise RefundError(f"Choose gift cards of order {order.order_number}; some of those are not in it.")
    return ids


def order_refund(
    *,
    order_id: int,
    amount: Decimal,
    reason: str,
    actor: authz.Actor,
    order_item_ids: Sequence[int] = (),
) -> OrderRefund:
    """Refund ``amount`` of a paid order. The vouchers of ``order_item_ids`` (the lines handed back) are voided,
    and all of them when the refund leaves nothing paid; the gift-card discount goes back to its cards in
    proportion to the money refunded (_gift_card_share). Needs orders.refund_order, and orders.void_vouchers
    when vouchers are voided (PermissionRefused before anything changes). Raises RefundError (bad amount, lines
    not in the order, nothing left)."""
    actor_id = authz.actor_require(actor, REFUND_PERMISSION)
    reason = (reason or "").strip()
    if not reason:
        raise RefundError("Say why: a reason is required for a refund.")
    try:
        amount = Decimal(amount)
    except ArithmeticError:
        raise RefundError("Enter the amount in rupees, e.g. 500 or 499.50.") from None
    if amount <= 0 or amount != amount.quantize(PAISA):
        raise RefundError("Enter a positive amount in rupees and paise, e.g. 500 or 499.50.")
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise RefundError("No such order.")
    item_ids = _refund_item_ids(order, order_item_ids)
    if item_ids or amount >= sum(refundable(order)):  # vouchers will be voided: that permission too, up front
        authz.actor_require(actor, REFUND_PERMISSION, fulfilment.VOID_PERMISSION)
    # The wallet part is posted to the shopper's ledger by a staff member: a cross-user write under
    # row-level security, so an audited bypass opens the transaction (the permission was checked above).
    with authz.acting(actor_id, reason=f"refund of order {order.order_number}"):
        wallet_services.wallet_lock(user_id=order.user_id)  # lock step 1
        order = lock_order(order_id)
        if order.status not in REFUNDABLE_STATUSES:
            raise RefundError(
                f"Order {order.order_number} is {order.get_status_display().lower()}; it cannot be refunded."
            )
        gateway_left, wallet_left = refundable(order)
        if amount > gateway_left + wallet_left:
            raise RefundError(
                f"At most {format_inr(gateway_left + wallet_left)} of order {order.order_number} can be refunded."
            )
        g_done, w_done = _refunded(order)
        to_gateway = min(amount, gateway_left)
        to_wallet = amount - to_gateway
        refund = OrderRefund.objects.create(
            order=order,
            payment=gateway_payment_of(order) if to_gateway > 0 else None,
            amount=amount,
            gateway_amount=to_gateway,
            wallet_amount=to_wallet,
            status=OrderRefund.Status.PENDING if to_gateway > 0 else OrderRefund.Status.PROCESSED,
            processed_at=None if to_gateway > 0 else timezone.now(),
            reason=reason[:2000],
            actor_id=actor_id,
        )
        if to_wallet > 0:
            _refund_to_wallet(order, refund, to_wallet, reason)
        everything_back = amount == gateway_left + wallet_left
        if everything_back:
            item_ids = list(order.items.order_by("pk").values_list("pk", flat=True))
        voided = fulfilment.vouchers_void(order_item_ids=item_ids, actor=actor) if item_ids else 0  # items: after 2
        gift_card_back = gift_cards.gift_card_refund(  # lock step 3
            order_id=order.pk, amount=_gift_card_share(order, refunded_after=g_done + w_done + amount), actor=actor
        )
        audit_log(
            actor_id=actor_id,
            action=AuditAction.ORDER_REFUND,
            entity_type="order",
            entity_id=order.pk,
            metadata={
                "refund_id": refund.pk,
                "amount": str(amount),
                "gateway": str(to_gateway),
                "wallet": str(to_wallet),
                "gift_card": str(gift_card_back),
                "items": item_ids,
                "vouchers_voided": voided,
                "reason": reason[:200],
            },
        )
        _settle_if_refunded(order)
        refund_id = refund.pk
        if to_gateway > 0:
            transaction.on_commit(lambda: refund_send(refund_id=refund_id, actor=actor))
    refund.refresh_from_db()
    return refund


def _refund_to_wallet(order: Order, refund: OrderRefund, to_wallet: Decimal, reason: str) -> None:
    wallet_services.wallet_post(
        user_id=order.user_id,
        amount=to_wallet,
        type=WalletTransaction.Type.ORDER_REFUND,
        reference_type=REFUND_REFERENCE,
        reference_id=refund.pk,
        description=f"Refund of order {order.order_number}",
        admin_notes=reason[:500],
    )
    wallet_payment = order.payments.filter(payment_method="wallet").first()
    if wallet_payment is not None:
        refunded = (wallet_payment.refund_amount or 0) + to_wallet
        extra = {"refund_amount": refunded, "refunded_at": timezone.now()}
        if refunded == wallet_payment.amount:
            payment_move(wallet_payment, Payment.Status.REFUNDED, **extra)
        else:
            Payment.objects.filter(pk=wallet_payment.pk).update(**extra)


def _settle_if_refunded(order: Order) -> None:
    """Everything paid has gone back (recorded refunds): the order and its payment status become refunded."""
    g, w = refundable(order)
    if g == 0 and w == 0 and order.status != Order.Status.REFUNDED and order.status in REFUNDABLE_STATUSES:
        order_move(order, status=Order.Status.REFUNDED, payment_status=Order.PaymentStatus.REFUNDED)


def refund_send(*, refund_id: int, actor: authz.Actor) -> OrderRefund:
    """Send the gateway part of a refund (after commit, or again from the admin). Idempotent: a refund that
    already reached the gateway (found by its receipt) is recorded, not sent twice.

    ``actor``: the staff member refunding or sending again (needs orders.refund_order, checked here before
    anything is read or sent), or SYSTEM (a late capture's automatic refund). The outcome is audited naming
    them: sent, or refused by the gateway."""
    actor_id = authz.actor_require(actor, REFUND_PERMISSION)
    refund = OrderRefund.objects.select_related("payment").get(pk=refund_id)
    if refund.gateway_refund_id or refund.gateway_amount == 0 or refund.payment is None:
        return refund
    payment_pk, gateway_payment_id = refund.payment.pk, refund.payment.gateway_payment_id
    if not gateway_payment_id:  # a captured payment always has the gateway's id; kept for staff to see if not
        OrderRefund.objects.filter(pk=refund.pk).update(error_message="The payment has no gateway payment id.")
        refund.refresh_from_db()
        return refund
    gateway = gw.get_gateway()
    receipt = str(refund.uuid)
    try:
        earlier = [r for r in gateway.refunds_of(payment_id=gateway_payment_id) if r.receipt == receipt]
        result = (
            earlier[0]
            if earlier
            else gateway.refund_create(
                payment_id=gateway_payment_id,
                amount_paise=gw.to_paise(refund.gateway_amount),
                receipt=receipt,
            )
        )
    except gw.PaymentGatewayError as exc:
        with transaction.atomic():
            OrderRefund.objects.filter(pk=refund.pk).update(error_message=str(exc)[:2000])
            audit_log(
                actor_id=actor_id,
                action=AuditAction.ORDER_REFUND_NOT_SENT,
                entity_type="order",
                entity_id=refund.order_id,
                metadata={"refund_id": refund.pk, "error": str(exc)[:200]},
            )
        log.warning("refund %s not sent: %s", refund.pk, exc)
        refund.refresh_from_db()
        return refund
    with transaction.atomic():
        order = lock_order(refund.order_id)
        refund.refresh_from_db()
        if refund.gateway_refund_id:  # recorded meanwhile (a concurrent retry)
            return refund
        processed = result.status == "processed"
        OrderRefund.objects.filter(pk=refund.pk).update(
            gateway_refund_id=result.id,
            error_message=None,
            status=OrderRefund.Status.PROCESSED if processed else refund.status,
            processed_at=timezone.now() if processed else None,
        )
        payment = Payment.objects.get(pk=payment_pk)
        refunded = (payment.refund_amount or 0) + refund.gateway_amount
        extra = {"refund_amount": refunded, "refunded_at": timezone.now()}
        if refunded == payment.amount:
            payment_move(payment, Payment.Status.REFUNDED, **extra)
        else:
            Payment.objects.filter(pk=payment.pk).update(**extra)
        audit_log(
            actor_id=actor_id,
            action=AuditAction.ORDER_REFUND_SENT,
            entity_type="order",
            entity_id=order.pk,
            metadata={"refund_id": refund.pk, "gateway_refund_id": result.id, "status": result.status},
        )
    refund.refresh_from_db()
    return refund


def refund_late_capture(*, order_id: int) -> OrderRefund | None:
    """A payment captured after the order was closed unpaid: refund all of it at the gateway (no staff
    involved; the decision was the order's state). Idempotent: one such refund per order."""
    with transaction.atomic():
        order = lock_order(order_id)
        if order.status not in (Order.Status.CANCELLED, Order.Status.FAILED):
            return None
        payment = gateway_payment_of(order)
        if payment is None or payment.status != Payment.Status.SUCCESS:
            return None
        existing = order.refunds.filter(payment=payment).first()
        if existing is None:
            existing = OrderRefund.objects.create(
                order=order,
                payment=payment,
                amount=payment.amount,
                gateway_amount=payment.amount,
                wallet_amount=0,
                reason="Paid after the order was closed",
            )
            order_move(order, payment_status=Order.PaymentStatus.REFUNDED)
            audit_log(
                actor_id=None,
                action=AuditAction.ORDER_REFUND,
                entity_type="order",
                entity_id=order.pk,
                metadata={"refund_id": existing.pk, "amount": str(payment.amount), "reason": "late capture"},
            )
    return refund_send(refund_id=existing.pk, actor=authz.SYSTEM)

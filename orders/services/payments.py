"""The gateway's part of an order: asking Razorpay for a payment, and applying what it answers through the
browser's callback and its webhooks.

The callback and the webhooks (payment.captured, order.paid, payment.failed, refund.processed) may arrive in
any order, repeatedly, late, or at the same moment. They all end in the same few functions, which lock the
order row (lock order: orders/services/checkout.py) and decide from its state under the lock, so an order is
marked paid, its stock consumed and its fulfilment queued exactly once. A webhook event id is recorded in the
transaction that applies it (payment_webhook_events), so a repeated delivery changes nothing.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass

from celery import current_app
from django.db import IntegrityError, transaction
from django.utils import timezone

from couponali.audit import AuditAction, audit_log
from orders import gateway as gw
from orders.models import Order, OrderRefund, Payment, PaymentWebhookEvent
from orders.status import PAYMENT_TRANSITIONS, check_move

from .checkout import CheckoutError, lock_order, mark_paid_locked, order_move

log = logging.getLogger(__name__)
LATE_CAPTURE_TASK = "orders.refund_late_capture"


def payment_move(payment: Payment, status: str, **extra) -> None:
    """Change a payment's status (only as orders/status.py allows) and other columns; its order row locked."""
    check_move(PAYMENT_TRANSITIONS, payment.status, status, f"Payment {payment.uuid}")
    payment.status = status
    for field, value in extra.items():
        setattr(payment, field, value)
    Payment.objects.filter(pk=payment.pk).update(status=status, **extra)


def gateway_payment_of(order: Order) -> Payment | None:
    return order.payments.filter(gateway=gw.NAME).order_by("id").first()


@dataclass(frozen=True)
class PaymentStart:
    payment: Payment
    key_id: str
    fake: bool


def payment_start(*, order_id: int, user_id: int) -> PaymentStart:
    """The gateway order for what the wallet did not cover (amount in paise, receipt = our order number).
    Idempotent: an order keeps its first gateway order. The HTTP call runs outside any transaction."""
    order = Order.objects.get(pk=order_id, user_id=user_id)
    if order.status != Order.Status.PENDING:
        raise CheckoutError(f"Order {order.order_number} is {order.get_status_display().lower()}.")
    gateway = gw.get_gateway()
    existing = gateway_payment_of(order)
    if existing is not None:
        return PaymentStart(payment=existing, key_id=gateway.key_id, fake=gateway.fake)
    due = order.total_amount - order.wallet_used
    gateway_order_id = gateway.order_create(
        amount_paise=gw.to_paise(due), receipt=order.order_number, notes={"order_uuid": str(order.uuid)}
    )
    with transaction.atomic():
        order = lock_order(order_id)
        existing = gateway_payment_of(order)  # another tab won the race: keep its gateway order
        if existing is None:
            existing = Payment.objects.create(
                order=order,
                user_id=order.user_id,
                amount=due,
                payment_method="razorpay",
                gateway=gw.NAME,
                gateway_order_id=gateway_order_id,
                status=Payment.Status.INITIATED,
            )
    return PaymentStart(payment=existing, key_id=gateway.key_id, fake=gateway.fake)


# ---------------------------------------------------------------- captured / failed


def _locked_by_gateway_order(gateway_order_id: str) -> tuple[Order, Payment] | None:
    payment = Payment.objects.filter(gateway=gw.NAME, gateway_order_id=gateway_order_id).first()
    if payment is None:
        return None
    order = lock_order(payment.order_id)
    payment.refresh_from_db()
    return order, payment


def payment_captured(
    *, gateway_order_id: str, gateway_payment_id: str, signature: str | None, source: str, response: dict | None = None
) -> Order | None:
    """The gateway took the money for our gateway order (a verified callback or webhook). Marks the order paid
    once; a repeat changes nothing; a capture for an order already closed is recorded and refunded."""
    with transaction.atomic():
        found = _locked_by_gateway_order(gateway_order_id)
        if found is None:
            log.warning("capture for unknown gateway order %s", gateway_order_id)
            return None
        order, payment = found
        if payment.status in (Payment.Status.SUCCESS, Payment.Status.REFUNDED):
            if payment.gateway_payment_id != gateway_payment_id:
                audit_log(
                    actor_id=None,
                    action=AuditAction.ORDER_SECOND_CAPTURE,
                    entity_type="order",
                    entity_id=order.pk,
                    metadata={"payment_id": gateway_payment_id, "kept": payment.gateway_payment_id},
                )
            return order
        payment_move(
            payment,
            Payment.Status.SUCCESS,
            gateway_payment_id=gateway_payment_id,
            gateway_signature=signature or payment.gateway_signature,
            gateway_response=response or {"source": source},
            error_message=None,
        )
        if order.status == Order.Status.PENDING:
            mark_paid_locked(order=order, actor_id=None, source=source)
        else:
            # Paid after we gave up on it (cancelled, or abandoned and failed): the stock is gone, so the
            # money goes back. The refund is sent after commit by a task.
            order_move(order, payment_status=Order.PaymentStatus.COMPLETED)
            audit_log(
                actor_id=None,
                action=AuditAction.ORDER_LATE_CAPTURE,
                entity_type="order",
                entity_id=order.pk,
                metadata={"payment_id": gateway_payment_id, "status": order.status},
            )
            order_id = order.pk
            transaction.on_commit(
                lambda: current_app.signature(LATE_CAPTURE_TASK, kwargs={"order_id": order_id}).delay()
            )
    return order


def payment_failed(*, gateway_order_id: str, gateway_payment_id: str | None, error: str, source: str) -> Order | None:
    """An attempt failed. The order stays pending (the shopper may try again, or cancel); the beat job
    closes it as failed if nothing succeeds in time. A failure after a success changes nothing."""
    with transaction.atomic():
        found = _locked_by_gateway_order(gateway_order_id)
        if found is None:
            return None
        order, payment = found
        if payment.status not in (Payment.Status.INITIATED, Payment.Status.PENDING):
            return order
        payment_move(payment, Payment.Status.FAILED, error_message=error[:2000])
        if order.payment_status == Order.PaymentStatus.PENDING:
            order_move(order, payment_status=Order.PaymentStatus.FAILED)
        audit_log(
            actor_id=None,
            action=AuditAction.ORDER_PAYMENT_FAILED,
            entity_type="order",
            entity_id=order.pk,
            metadata={"source": source, "payment_id": gateway_payment_id, "error": error[:200]},
        )
    return order


# ---------------------------------------------------------------- the browser's callback


class BadSignature(Exception):
    """The callback's or webhook's signature does not verify; nothing was changed."""


def payment_callback(*, params: dict[str, str]) -> Order | None:
    """Razorpay Checkout's POST back to us: razorpay_payment_id, razorpay_order_id, razorpay_signature on
    success (verified by the SDK against the gateway order id WE stored), or error[...] fields on failure."""
    gateway = gw.get_gateway()
    order_id = params.get("razorpay_order_id") or params.get("error[metadata][order_id]") or ""
    payment = Payment.objects.filter(gateway=gw.NAME, gateway_order_id=order_id).first() if order_id else None
    if payment is None:
        raise BadSignature("We could not match this payment to an order.")
    if "razorpay_signature" in params:
        ok = gateway.payment_signature_ok(
            order_id=order_id,  # the payment was found by it: the gateway order id WE stored
            payment_id=params.get("razorpay_payment_id", ""),
            signature=params.get("razorpay_signature", ""),
        )
        if not ok:
            raise BadSignature("The payment could not be verified. If money was taken, it is refunded automatically.")
        return payment_captured(
            gateway_order_id=order_id,
            gateway_payment_id=params["razorpay_payment_id"],
            signature=params["razorpay_signature"],
            source="callback",
        )
    # A failure report carries no signature: it can only mark the attempt failed, never close the order.
    error = params.get("error[description]") or params.get("error[code]") or "Payment failed"
    return payment_failed(
        gateway_order_id=order_id,
        gateway_payment_id=params.get("error[metadata][payment_id]"),
        error=error,
        source="callback",
    )


# ---------------------------------------------------------------- webhooks


HANDLED_EVENTS = ("payment.captured", "order.paid", "payment.failed", "refund.processed", "refund.failed")


def webhook_receive(*, body: bytes, signature: str, event_id: str) -> str:
    """A Razorpay webhook: verified on the raw body with the webhook secret, applied once per event id.
    Returns what happened (for the log and the response body). Raises BadSignature."""
    gateway = gw.get_gateway()
    if not gateway.webhook_signature_ok(body=body, signature=signature):
        raise BadSignature("bad signature")
    try:
        payload = json.loads(body)
        event = str(payload["event"])
    except (ValueError, KeyError, TypeError):
        return "ignored: not an event"
    event_id = (event_id or "").strip()[:255]
    if not event_id:
        return "ignored: no event id"
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = PaymentWebhookEvent.objects.create(
                    gateway=gw.NAME, event_id=event_id, event=event[:100], payload=payload
                )
        except IntegrityError:
            return "duplicate"
        outcome = _apply_event(event, payload.get("payload") or {})
        PaymentWebhookEvent.objects.filter(pk=record.pk).update(outcome=outcome[:255])
    return outcome


def _entity(payload: dict, name: str) -> dict:
    return (payload.get(name) or {}).get("entity") or {}


def _apply_event(event: str, payload: dict) -> str:
    if event in ("payment.captured", "order.paid"):
        pay = _entity(payload, "payment")
        order_id = pay.get("order_id") or _entity(payload, "order").get("id")
        if not order_id or not pay.get("id"):
            return "ignored: no payment"
        order = payment_captured(
            gateway_order_id=order_id, gateway_payment_id=pay["id"], signature=None, source=event, response=pay
        )
        return f"{event}: {order.order_number if order else 'unknown order'}"
    if event == "payment.failed":
        pay = _entity(payload, "payment")
        if not pay.get("order_id"):
            return "ignored: no order"
        order = payment_failed(
            gateway_order_id=pay["order_id"],
            gateway_payment_id=pay.get("id"),
            error=pay.get("error_description") or "Payment failed",
            source=event,
        )
        return f"{event}: {order.order_number if order else 'unknown order'}"
    if event in ("refund.processed", "refund.failed"):
        refund = _entity(payload, "refund")
        return refund_gateway_update(
            gateway_refund_id=refund.get("id", ""),
            receipt=refund.get("receipt") or (refund.get("notes") or {}).get("receipt"),
            processed=event == "refund.processed",
        )
    return f"ignored: {event}"


def refund_gateway_update(*, gateway_refund_id: str, receipt: str | None, processed: bool) -> str:
    """refund.processed / refund.failed: mark our refund row (found by its gateway id, or by its receipt when
    the webhook beats our own record of the id)."""
    with transaction.atomic():
        refund = OrderRefund.objects.filter(gateway_refund_id=gateway_refund_id).first() if gateway_refund_id else None
        if refund is None and receipt:
            refund = OrderRefund.objects.filter(uuid=receipt).first() if _is_uuid(receipt) else None
        if refund is None:
            return "refund: unknown"
        lock_order(refund.order_id)
        refund.refresh_from_db()
        if refund.status == OrderRefund.Status.PROCESSED:
            return "refund: already processed"
        if processed:
            OrderRefund.objects.filter(pk=refund.pk).update(
                status=OrderRefund.Status.PROCESSED,
                processed_at=timezone.now(),
                gateway_refund_id=refund.gateway_refund_id or gateway_refund_id,
            )
        else:
            OrderRefund.objects.filter(pk=refund.pk).update(
                error_message="The gateway reports the refund failed; retry it from the admin."
            )
        audit_log(
            actor_id=None,
            action=AuditAction.ORDER_REFUND_PROCESSED if processed else AuditAction.ORDER_REFUND_FAILED,
            entity_type="order",
            entity_id=refund.order_id,
            metadata={"refund_id": refund.pk, "gateway_refund_id": gateway_refund_id},
        )
    return f"refund {refund.pk}: {'processed' if processed else 'failed'}"


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True

"""Fulfilment of paid orders: vouchers from the supplier backend, stored encrypted, sent by e-mail/SMS; staff
retry and resend; vouchers of refunded items voided; the owner's audited reveal.

Exactly once. The Celery task orders.fulfil_order may run twice, late, or in two workers at once. Each order
line is fulfilled in its own transaction that first locks the order row, so runs of one order queue behind
each other, and a line that already holds vouchers is skipped; the supplier gets a reference that is the
same on every retry of the line (its idempotency key). The order moves paid -> processing -> fulfilled under
the same lock, and only the move to fulfilled queues the delivery. So: one set of vouchers, one delivery.
The supplier call happens while the order row is locked: a deliberate trade (a retry or a second worker
waits at most the supplier's timeout) for the simplest proof that a line is never issued twice.

LOCK ORDER: orders rows ascending id, then their order_items ascending id (after the wallet's and before the
gift cards', see orders.services.gift_cards).

Statuses (seed values): order.status paid -> processing -> fulfilled; order.fulfillment_status pending ->
failed (last attempt failed, error kept for staff) -> pending (retried) -> sent (e-mail/SMS handed over);
order_items.fulfillment_status pending -> issued -> sent, or void (refunded).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import authz, crypto
from accounts.services import notify
from accounts.sms import send_sms
from couponali.audit import AuditAction, audit_log
from couponali.celery import enqueue_on_commit
from couponali.money import format_inr
from couponali.templatetags.money import dmy
from orders.models import Order, OrderItem
from orders.services.checkout import FULFIL_TASK
from orders.suppliers import IssueRequest, VoucherSupplier, voucher_supplier
from orders.vouchers import ACTIVE, VOID, PlainVoucher, voucher_entry, voucher_plain

logger = logging.getLogger(__name__)

ITEM_PENDING, ITEM_ISSUED, ITEM_SENT, ITEM_VOID = "pending", "issued", "sent", "void"
RETRY_PERMISSION = "orders.retry_fulfilment"
RESEND_PERMISSION = "orders.resend_vouchers"
VOID_PERMISSION = "orders.void_vouchers"
# Queued by name (orders.tasks registers them and imports this module, so it cannot be imported from here).
DELIVER_TASK = "orders.deliver_vouchers"


class FulfilmentError(Exception):
    """A refusal with a message fit for the person asking; nothing was changed."""

    http_status = 409  # the API's answer (couponali.api_errors)
    error_code = "not_available"


def _enqueue(task_name: str, **kwargs) -> None:
    enqueue_on_commit(task_name, **kwargs)


@dataclass(frozen=True)
class FulfilResult:
    order_id: int
    fulfilled: bool
    issued_items: int
    note: str = ""


def _lock_order(order_id: int) -> Order | None:
    return Order.objects.select_for_update().filter(pk=order_id).first()


def _fulfillable(order: Order) -> bool:
    return order.payment_status == Order.PaymentStatus.COMPLETED and order.status in (
        Order.Status.PAID,
        Order.Status.PROCESSING,
    )


def _lines_to_issue(order: Order) -> QuerySet[OrderItem]:
    """The lines still waiting for vouchers: none issued yet, and not voided by a refund."""
    return order.items.filter(voucher_codes__isnull=True).exclude(fulfillment_status=ITEM_VOID)


def _face_value(item: OrderItem) -> Decimal:
    """The value of one voucher of the line, as the supplier is asked for it."""
    return item.denomination or item.unit_price


def order_vouchers_to_issue(*, order: Order) -> Decimal | None:
    """The face value of the vouchers a fulfilment of ``order`` would still ask the supplier for, writing
    nothing (the staff retry's confirmation page); None when the order is not one that gets fulfilled."""
    if not _fulfillable(order):
        return None
    return sum((_face_value(item) * item.quantity for item in _lines_to_issue(order)), Decimal("0.00"))


def _issue_line(*, order_id: int, item_id: int, supplier: VoucherSupplier) -> bool:
    """Vouchers for one order line, unless it has them already (True when this call issued them)."""
    with transaction.atomic():
        order = _lock_order(order_id)
        if order is None or not _fulfillable(order):
            return False
        item = OrderItem.objects.select_for_update(of=("self",)).select_related("product").get(pk=item_id)
        if item.voucher_codes is not None or item.fulfillment_status == ITEM_VOID:
            return False
        issued = supplier.issue(
            IssueRequest(
                reference=f"{order.uuid}:{item.pk}",
                sku=item.product_sku or "",
                denomination=_face_value(item),
                quantity=item.quantity,
                validity_days=item.product.validity_days if item.product else None,
            )
        )
        item.voucher_codes = [voucher_entry(v, supplier=supplier.name) for v in issued]
        item.fulfillment_status = ITEM_ISSUED
        item.save(update_fields=["voucher_codes", "fulfillment_status"])
    return True


def _record_failure(*, order_id: int, error: str) -> None:
    with transaction.atomic():
        order = _lock_order(order_id)
        if order is None:
            return
        order.fulfillment_status = Order.FulfillmentStatus.FAILED
        order.fulfillment_error = error[:2000]
        order.save(update_fields=["fulfillment_status", "fulfillment_error", "updated_at"])
        audit_log(
            actor_id=None,
            action=AuditAction.ORDER_FULFILMENT_FAILED,
            entity_type="order",
            entity_id=order.pk,
            metadata={"error": error[:500], "attempt": order.fulfillment_attempts},
        )


def order_fulfil(*, order_id: int) -> FulfilResult:
    """Fulfil a paid order: vouchers for every line that has none yet, then mark it fulfilled and queue the
    delivery. Safe to run twice or concurrently (see the module doc). A supplier error is recorded on the
    order (status failed, the error for staff) and raised again, so that the task retries."""
    with transaction.atomic():
        order = _lock_order(order_id)
        if order is None:
            return FulfilResult(order_id, False, 0, "no such order")
        if not _fulfillable(order):
            return FulfilResult(order_id, order.status == Order.Status.FULFILLED, 0, f"order is {order.status}")
        if order.status == Order.Status.PAID:
            order.status = Order.Status.PROCESSING
        order.fulfillment_attempts += 1
        order.save(update_fields=["status", "fulfillment_attempts", "updated_at"])
        item_ids = list(_lines_to_issue(order).order_by("pk").values_list("pk", flat=True))

    supplier = voucher_supplier()
    issued = 0
    try:
        for item_id in item_ids:
            issued += _issue_line(order_id=order_id, item_id=item_id, supplier=supplier)
    except Exception as exc:  # recorded for staff whatever it is (supplier, keys, database), then re-raised
        logger.warning("fulfilment of order %s failed: %s", order_id, exc)
        _record_failure(order_id=order_id, error=f"{exc.__class__.__name__}: {exc}")
        raise

    with transaction.atomic():
        order = _lock_order(order_id)
        if order is None or order.status != Order.Status.PROCESSING or not _fulfillable(order):
            return FulfilResult(order_id, False, issued, "finished by another run")
        missing = _lines_to_issue(order).exists()
        if missing:  # a line added meanwhile cannot happen for a paid order; leave it for the retry to see
            return FulfilResult(order_id, False, issued, "lines without vouchers remain")
        order.status = Order.Status.FULFILLED
        order.fulfillment_status = Order.FulfillmentStatus.PENDING
        order.fulfillment_error = None
        order.completed_at = timezone.now()
        order.save(
            update_fields=[
                "status",
                "fulfillment_status",
                "fulfillment_error",
                "completed_at",
                "updated_at",
            ]
        )
        audit_log(
            actor_id=None,
            action=AuditAction.ORDER_FULFILLED,
            entity_type="order",
            entity_id=order.pk,
            metadata={"attempts": order.fulfillment_attempts, "supplier": supplier.name},
        )
        notify(
            user_id=order.user_id,
            title="Your gift card is ready",
            body=f"Order {order.order_number}: your vouchers are on the order page and on their way by e-mail.",
        )
        _enqueue(DELIVER_TASK, order_id=order.pk)
    return FulfilResult(order_id, True, issued)


# ---------------------------------------------------------------- delivery


def _active_vouchers(order: Order) -> list[tuple[OrderItem, PlainVoucher]]:
    return [
        (item, voucher_plain(entry))
        for item in order.items.order_by("pk")
        for entry in item.voucher_codes or []
        if entry.get("status", ACTIVE) == ACTIVE
    ]


def order_vouchers_deliver(*, order_id: int, resend: bool = False) -> list[str]:
    """E-mail (and SMS, when the order has a mobile) the active vouchers of a fulfilled order; returns the
    channels used. Not sent twice unless ``resend`` (staff asked; see order_vouchers_resend)."""
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("user").filter(pk=order_id).first()
        if order is None or order.status != Order.Status.FULFILLED:
            return []
        if order.fulfillment_status == Order.FulfillmentStatus.SENT and not resend:
            return []
        vouchers = _active_vouchers(order)
        if not vouchers:
            return []
        channels: list[str] = []
        email = order.delivery_email or order.user.email
        if email:
            body = render_to_string("orders/emails/vouchers.txt", {"order": order, "vouchers": vouchers})
            send_mail(f"Your CouponAli gift cards · order {order.order_number}", body, None, [email])
            channels.append("email")
        if order.delivery_mobile:
            for item, voucher in vouchers:
                pin = f" PIN {voucher.pin}" if voucher.pin else ""
                expiry = f", valid till {dmy(voucher.expiry)}" if voucher.expiry else ""
                send_sms(
                    to=order.delivery_mobile,
                    body=f"CouponAli: {item.product_name} {format_inr(item.denomination or item.unit_price)} code "
                    f"{voucher.code}{pin}{expiry}. Order {order.order_number}.",
                )
            channels.append("sms")
        now = timezone.now()
        order.fulfillment_status = Order.FulfillmentStatus.SENT
        order.save(update_fields=["fulfillment_status", "updated_at"])
        order.items.filter(fulfillment_status=ITEM_ISSUED).update(fulfillment_status=ITEM_SENT, delivered_at=now)
        audit_log(
            actor_id=None,
            action=AuditAction.ORDER_VOUCHERS_SENT,
            entity_type="order",
            entity_id=order.pk,
            metadata={"channels": channels, "resend": resend, "vouchers": len(vouchers)},
        )
    return channels


# ---------------------------------------------------------------- staff: retry, resend, void


def order_fulfilment_retry(*, order_id: int, actor: authz.Actor) -> None:
    """Queue another fulfilment attempt of a paid order that is not fulfilled yet (audited)."""
    actor_id = authz.actor_require(actor, RETRY_PERMISSION)
    with transaction.atomic():
        order = _lock_order(order_id)
        if order is None:
            raise FulfilmentError("No such order.")
        if not _fulfillable(order):
            raise FulfilmentError(f"Order {order.order_number} is {order.status}; only paid orders are fulfilled.")
        order.fulfillment_status = Order.FulfillmentStatus.PENDING
        order.save(update_fields=["fulfillment_status", "updated_at"])
        audit_log(
            actor_id=actor_id,
            action=AuditAction.ORDER_FULFILMENT_RETRY,
            entity_type="order",
            entity_id=order.pk,
            metadata={"last_error": order.fulfillment_error},
        )
        _enqueue(FULFIL_TASK, order_id=order.pk)


def order_vouchers_resend(*, order_id: int, actor: authz.Actor) -> None:
    """Queue the e-mail/SMS of a fulfilled order's vouchers again (audited)."""
    actor_id = authz.actor_require(actor, RESEND_PERMISSION)
    with transaction.atomic():
        order = _lock_order(order_id)
        if order is None:
            raise FulfilmentError("No such order.")
        if order.status != Order.Status.FULFILLED:
            raise FulfilmentError(f"Order {order.order_number} is {order.status}; it has no vouchers to send.")
        audit_log(actor_id=actor_id, action=AuditAction.ORDER_VOUCHERS_RESEND, entity_type="order", entity_id=order.pk)
        _enqueue(DELIVER_TASK, order_id=order.pk, resend=True)


def vouchers_void(*, order_item_ids: list[int], actor: authz.Actor) -> int:
    """Void the vouchers of these order lines (their items were refunded) and return how many vouchers were
    voided. A line not fulfilled yet is marked void so that fulfilment never issues it. ``actor`` is the staff
    member refunding (needs orders.void_vouchers) or authz.SYSTEM (a gateway's refund webhook). Safe to call
    twice."""
    actor_id = authz.actor_require(actor, VOID_PERMISSION)
    voided = 0
    with transaction.atomic():
        order_ids = sorted(
            set(OrderItem.objects.filter(pk__in=order_item_ids).values_list("order_id", flat=True).distinct())
        )
        list(Order.objects.select_for_update().filter(pk__in=order_ids).order_by("pk").values_list("pk"))
        now = timezone.now().isoformat()
        for item in OrderItem.objects.select_for_update().filter(pk__in=order_item_ids).order_by("pk"):
            entries = list(item.voucher_codes or [])
            count = 0
            for entry in entries:
                if entry.get("status", ACTIVE) != VOID:
                    entry["status"] = VOID
                    entry["voided_at"] = now
                    count += 1
            if count == 0 and item.fulfillment_status == ITEM_VOID:
                continue
            item.voucher_codes = entries
            item.fulfillment_status = ITEM_VOID
            item.save(update_fields=["voucher_codes", "fulfillment_status"])
            audit_log(
                actor_id=actor_id,
                action=AuditAction.ORDER_VOUCHERS_VOID,
                entity_type="order_item",
                entity_id=item.pk,
                metadata={"order_id": item.order_id, "vouchers": count},
            )
            voided += count
    return voided


# ---------------------------------------------------------------- key rotation


def vouchers_rotate_keys(*, batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every voucher code and PIN under the newest key of KYC_ENCRYPTION_KEYS (run it with
    rotate_kyc_keys before an old key is removed). Batches by id, each in its own transaction with its rows
    locked; safe to stop and run again."""
    crypto.fernet()  # fail before touching anything when the keys are wrong
    rows = values = 0
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(
                OrderItem.objects.select_for_update()
                .filter(pk__gt=last_id, voucher_codes__isnull=False)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            for item in batch:
                for entry in item.voucher_codes or []:
                    for field in ("code", "pin"):
                        if entry.get(field):
                            entry[field] = crypto.rotate(entry[field])
                            values += 1
            OrderItem.objects.bulk_update(batch, ["voucher_codes"])
            rows += len(batch)
            last_id = batch[-1].pk
    return {"rows": rows, "values": values}


# ---------------------------------------------------------------- the owner's reveal


def voucher_reveal(*, order_item_id: int, index: int, user) -> PlainVoucher:
    """The plain code and PIN of one voucher, for the order's owner only; each reveal is audited."""
    with transaction.atomic():
        item = OrderItem.objects.select_related("order").filter(pk=order_item_id).first()
        if item is None or user is None or not user.is_authenticated or item.order.user_id != user.pk:
            raise PermissionDenied("Only the buyer can see this voucher.")
        entries = item.voucher_codes or []
        if not 0 <= index < len(entries):
            raise FulfilmentError("No such voucher.")
        entry = entries[index]
        if entry.get("status", ACTIVE) != ACTIVE:
            raise FulfilmentError("This voucher was cancelled with a refund.")
        voucher = voucher_plain(entry)
        audit_log(
            actor_id=user.pk,
            action=AuditAction.ORDER_VOUCHER_REVEAL,
            entity_type="order_item",
            entity_id=item.pk,
            metadata={"order_id": item.order_id, "index": index},
        )
    return voucher

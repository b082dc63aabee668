"""Reads of the store: the cart, a shopper's orders, an order page with its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from catalog.stock import stock_available
from couponali.audit import AuditAction
from couponali.models import AuditLog

from .models import Order, OrderItem, Payment
from .services.checkout import purchasable_variants, tax_for

# ---------------------------------------------------------------- cart


@dataclass
class CartLine:
    variant_id: int
    product_name: str
    product_slug: str
    denomination: Decimal
    unit_price: Decimal
    quantity: int
    available: int | None  # None = unlimited

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def short(self) -> bool:
        return self.available is not None and self.available < self.quantity


@dataclass
class Cart:
    lines: list[CartLine]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    units: int
    physical: bool
    gone: int  # lines dropped because the card is no longer sold


def cart_view(cart: dict[str, int]) -> Cart:
    """The session cart ({variant id: units}) priced now (2 queries)."""
    wanted = {int(k): int(v) for k, v in cart.items() if str(k).isdigit() and int(v) > 0}
    variants = purchasable_variants(wanted)
    stock = stock_available(variant_ids=list(variants))
    lines = [
        CartLine(
            variant_id=vid,
            product_name=v.product.name,
            product_slug=v.product.slug,
            denomination=v.denomination,
            unit_price=v.selling_price,
            quantity=wanted[vid],
            available=stock.get(vid),
        )
        for vid, v in sorted(variants.items(), key=lambda kv: (kv[1].product.name, kv[1].denomination))
    ]
    subtotal = sum((line.total for line in lines), Decimal("0.00"))
    tax = tax_for(subtotal)
    return Cart(
        lines=lines,
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        units=sum(line.quantity for line in lines),
        physical=any(v.product.card_type == "physical" for v in variants.values()),
        gone=len(wanted) - len(lines),
    )


# ---------------------------------------------------------------- orders


def orders_of(user_id: int) -> QuerySet[Order]:
    return Order.objects.filter(user_id=user_id).prefetch_related("items").order_by("-created_at", "-id")


def order_of(user_id: int, order_number: str) -> Order | None:
    """One order of the shopper with its items and payments (3 queries)."""
    return (
        Order.objects.filter(user_id=user_id, order_number=order_number)
        .prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.order_by("id")),
            Prefetch("payments", queryset=Payment.objects.order_by("id")),
        )
        .first()
    )


TIMELINE_LABELS: dict[str, str] = {
    AuditAction.ORDER_PLACED: "Order placed",
    AuditAction.ORDER_PAID: "Payment received",
    AuditAction.ORDER_PAYMENT_FAILED: "A payment attempt failed",
    AuditAction.ORDER_CANCELLED: "Cancelled; wallet part returned",
    AuditAction.ORDER_FAILED: "Not paid in time; wallet part returned",
    AuditAction.ORDER_LATE_CAPTURE: "Payment arrived after the order was closed; it is refunded",
    AuditAction.ORDER_REFUND: "Refund issued",
    AuditAction.ORDER_REFUND_SENT: "Refund sent to your bank or card",
    AuditAction.ORDER_REFUND_PROCESSED: "Refund completed",
    AuditAction.ORDER_FULFILLED: "Gift cards delivered",
    AuditAction.ORDER_FULFILMENT_FAILED: "Delivery delayed; we are retrying",
}


@dataclass
class TimelineEntry:
    label: str
    at: object
    action: str


def order_timeline(order: Order) -> list[TimelineEntry]:
    """What happened to the order, oldest first, from its audit rows (one query). Actions without a label
    (internal ones) are not shown to the shopper."""
    rows = AuditLog.objects.filter(entity_type="order", entity_id=order.pk).order_by("created_at", "id")
    return [
        TimelineEntry(label=TIMELINE_LABELS[r.action], at=r.created_at, action=r.action)
        for r in rows.only("action", "created_at")
        if r.action in TIMELINE_LABELS
    ]

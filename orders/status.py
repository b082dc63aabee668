"""The lifecycles of orders and payments: the one table of allowed status moves.

The services check every move against these tables before they write; the database refuses any other move
whatever the code does (the orders_status_guard and payments_status_guard triggers, orders migration 0002).
orders/tests/test_status.py tries every pair against the database, so the two lists cannot drift apart.
"""

from __future__ import annotations

from .models import Order, Payment

OS, PS, FS = Order.Status, Order.PaymentStatus, Order.FulfillmentStatus

ORDER_TRANSITIONS: dict[str, set[str]] = {
    # pending: placed, stock reserved, the wallet part posted; waiting for the gateway.
    OS.PENDING: {OS.PAID, OS.CANCELLED, OS.FAILED},
    OS.PAID: {OS.PROCESSING, OS.FULFILLED, OS.FAILED, OS.REFUNDED},
    OS.PROCESSING: {OS.FULFILLED, OS.FAILED, OS.REFUNDED},
    OS.FULFILLED: {OS.REFUNDED},
    # failed after payment (fulfilment gave up): staff refund it.
    OS.FAILED: {OS.REFUNDED},
    OS.REFUNDED: set(),
    OS.CANCELLED: set(),
}

ORDER_PAYMENT_TRANSITIONS: dict[str, set[str]] = {
    PS.PENDING: {PS.COMPLETED, PS.FAILED},
    # a capture that arrives after the order was given up (it is then refunded)
    PS.FAILED: {PS.COMPLETED},
    PS.COMPLETED: {PS.REFUNDED},
    PS.REFUNDED: set(),
}

FULFILMENT_TRANSITIONS: dict[str, set[str]] = {
    FS.PENDING: {FS.SENT, FS.DELIVERED, FS.FAILED},
    FS.SENT: {FS.DELIVERED, FS.FAILED},
    # staff retry a failed fulfilment
    FS.FAILED: {FS.PENDING, FS.SENT, FS.DELIVERED},
    FS.DELIVERED: set(),
}

PAYMENT_TRANSITIONS: dict[str, set[str]] = {
    Payment.Status.INITIATED: {Payment.Status.PENDING, Payment.Status.SUCCESS, Payment.Status.FAILED},
    Payment.Status.PENDING: {Payment.Status.SUCCESS, Payment.Status.FAILED},
    # another attempt on the same gateway order may still succeed after one failed
    Payment.Status.FAILED: {Payment.Status.SUCCESS},
    Payment.Status.SUCCESS: {Payment.Status.REFUNDED},
    Payment.Status.REFUNDED: set(),
}

# (column, table) pairs the database guard checks, for the tests and the migration's documentation.
GUARDED = {
    ("orders", "status"): ORDER_TRANSITIONS,
    ("orders", "payment_status"): ORDER_PAYMENT_TRANSITIONS,
    ("orders", "fulfillment_status"): FULFILMENT_TRANSITIONS,
    ("payments", "status"): PAYMENT_TRANSITIONS,
}


class IllegalTransition(Exception):
    """The lifecycle does not allow this move from the current state; nothing was changed."""


def check_move(table: dict[str, set[str]], current: str, target: str, what: str) -> None:
    if current != target and target not in table.get(current, set()):
        raise IllegalTransition(f"{what} is {current}; it cannot become {target}.")

"""The status moves of orders and payments: the service's table (orders/status.py) and the database's
triggers allow exactly the same moves. Every pair is tried against the database."""

from __future__ import annotations

import itertools

import pytest
from django.db import DatabaseError, connection, transaction

from orders.factories import OrderFactory, PaymentFactory
from orders.models import Order, Payment
from orders.status import GUARDED, IllegalTransition, check_move

pytestmark = pytest.mark.django_db

CHOICES = {
    ("orders", "status"): Order.Status.values,
    ("orders", "payment_status"): Order.PaymentStatus.values,
    ("orders", "fulfillment_status"): Order.FulfillmentStatus.values,
    ("payments", "status"): Payment.Status.values,
}


def _database_allows(table: str, column: str, old: str, new: str) -> bool:
    row = PaymentFactory.create() if table == "payments" else OrderFactory.create()
    # Reach `old` through a legal path (the guard itself is under test, so it is never switched off).
    for step in _path(GUARDED[(table, column)], row_initial(table, column), old):
        with connection.cursor() as cur:
            cur.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [step, row.pk])  # noqa: S608
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [new, row.pk])  # noqa: S608
    except DatabaseError:
        return False
    return True


def row_initial(table: str, column: str) -> str:
    return "initiated" if table == "payments" else "pending"


def _path(table: dict[str, set[str]], start: str, goal: str) -> list[str]:
    """Shortest legal path of moves from start to goal (breadth first)."""
    frontier, seen = [[start]], {start}
    while frontier:
        path = frontier.pop(0)
        if path[-1] == goal:
            return path[1:]
        for nxt in sorted(table.get(path[-1], ())):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append([*path, nxt])
    pytest.fail(f"{goal} cannot be reached from {start}")


@pytest.mark.parametrize(("table", "column"), list(GUARDED))
def test_service_and_database_allow_the_same_moves(table, column):
    moves = GUARDED[(table, column)]
    assert set(moves) == set(CHOICES[(table, column)])
    for old, new in itertools.permutations(CHOICES[(table, column)], 2):
        allowed_by_service = True
        try:
            check_move(moves, old, new, "x")
        except IllegalTransition:
            allowed_by_service = False
        assert _database_allows(table, column, old, new) == allowed_by_service, (old, new)


def test_amounts_are_fixed_once_the_order_is_no_longer_pending():
    pending = OrderFactory()
    Order.objects.filter(pk=pending.pk).update(discount_amount=100, total_amount=900)  # checkout settles them
    paid = OrderFactory(status=Order.Status.PAID, payment_status=Order.PaymentStatus.COMPLETED)
    with pytest.raises(DatabaseError, match="fixed"), transaction.atomic():
        Order.objects.filter(pk=paid.pk).update(total_amount=1)
    with pytest.raises(DatabaseError, match="fixed"), transaction.atomic():
        Order.objects.filter(pk=pending.pk).update(order_number="ORD-2026-999999")

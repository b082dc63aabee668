"""Stock of gift-card variants: reserve when an order is placed, consume when it is paid, release when it fails,
is cancelled or is abandoned.

A variant whose ``stock_quantity`` is NULL is digital and unlimited: nothing is counted for it. A variant with a
``stock_quantity`` has one ``inventory`` row (created from stock_quantity on first use) holding ``quantity`` (units
on hand), ``reserved`` (held by unpaid orders) and ``sold``; ``stock_quantity`` mirrors ``quantity``.

Never oversold: a reservation is one conditional UPDATE (``quantity - reserved >= n``); PostgreSQL re-checks the
condition on the newest row version after waiting for a concurrent writer, and the CHECK reserved <= quantity
is the last word. Rows are always touched in ascending variant id, so two orders never wait for each other in
a circle. Callers run these inside their own transaction (the order's), which makes the stock move commit or
roll back with the order's status change; see orders/services/checkout.py for the store's lock order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import connection

from couponali.money import format_inr

from .models import ProductVariant


class SoldOut(Exception):
    """Not enough stock; nothing was reserved. The message names the card and what is left."""

    http_status = 409  # the API's answer (couponali.api_errors)
    error_code = "sold_out"

    def __init__(self, message: str, *, variant_id: int, available: int):
        super().__init__(message)
        self.variant_id = variant_id
        self.available = available


_RESERVE_SQL = """
UPDATE inventory SET reserved = reserved + %(n)s, updated_at = now()
WHERE variant_id = %(variant_id)s AND quantity - reserved >= %(n)s
RETURNING id
"""

_CREATE_SQL = """
INSERT INTO inventory (product_id, variant_id, quantity, reserved, sold, updated_at)
SELECT product_id, id, stock_quantity, 0, 0, now() FROM product_variants
WHERE id = %(variant_id)s AND stock_quantity IS NOT NULL
ON CONFLICT (variant_id) WHERE variant_id IS NOT NULL DO NOTHING
"""


def _tracked(lines: Mapping[int, int]) -> list[tuple[int, int]]:
    """The lines whose variant counts stock, in lock order (ascending variant id)."""
    counted = set(
        ProductVariant.objects.filter(pk__in=list(lines), stock_quantity__isnull=False).values_list("pk", flat=True)
    )
    return sorted((vid, n) for vid, n in lines.items() if vid in counted and n > 0)


def _available(variant_id: int) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT quantity - reserved FROM inventory WHERE variant_id = %s", [variant_id])
        row = cur.fetchone()
    return max(row[0], 0) if row else 0


def stock_reserve(*, lines: Mapping[int, int]) -> None:
    """Hold ``lines`` ({variant id: units}) for an unpaid order, all or nothing (the caller's transaction rolls
    back on SoldOut). Raises SoldOut naming the first variant that is short."""
    with connection.cursor() as cur:
        for variant_id, n in _tracked(lines):
            cur.execute(_RESERVE_SQL, {"variant_id": variant_id, "n": n})
            if cur.fetchone() is None:
                # No row yet, or not enough: create the row on first use (a concurrent creator makes this wait for
                # its commit, then do nothing), and try once more on whatever row is there now.
                cur.execute(_CREATE_SQL, {"variant_id": variant_id})
                cur.execute(_RESERVE_SQL, {"variant_id": variant_id, "n": n})
                if cur.fetchone() is not None:
                    continue
                available = _available(variant_id)
                variant = ProductVariant.objects.select_related("product").get(pk=variant_id)
                what = f"{variant.product.name} {format_inr(variant.denomination)}"
                message = (
                    f"{what} is sold out." if available == 0 else f"Only {available} of {what} left; you asked for {n}."
                )
                raise SoldOut(message, variant_id=variant_id, available=available)


def stock_consume(*, lines: Mapping[int, int]) -> None:
    """The order was paid: its reserved units leave the stock for good."""
    with connection.cursor() as cur:
        for variant_id, n in _tracked(lines):
            cur.execute(
                "UPDATE inventory SET quantity = quantity - %(n)s, reserved = reserved - %(n)s, sold = sold + %(n)s, "
                "updated_at = now() WHERE variant_id = %(variant_id)s RETURNING quantity",
                {"variant_id": variant_id, "n": n},
            )
            (quantity,) = cur.fetchone()
            cur.execute(
                "UPDATE product_variants SET stock_quantity = %s, updated_at = now() WHERE id = %s",
                [quantity, variant_id],
            )


def stock_release(*, lines: Mapping[int, int]) -> None:
    """The unpaid order was cancelled, failed or abandoned: its reserved units are free again."""
    with connection.cursor() as cur:
        for variant_id, n in _tracked(lines):
            cur.execute(
                "UPDATE inventory SET reserved = reserved - %(n)s, updated_at = now() "
                "WHERE variant_id = %(variant_id)s",
                {"variant_id": variant_id, "n": n},
            )


def stock_available(*, variant_ids: Iterable[int]) -> dict[int, int | None]:
    """Units that can still be bought per variant (None = unlimited); one query."""
    ids = list(variant_ids)
    if not ids:
        return {}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT v.id, v.stock_quantity, i.quantity - i.reserved FROM product_variants v "
            "LEFT JOIN inventory i ON i.variant_id = v.id WHERE v.id = ANY(%s)",
            [ids],
        )
        rows = cur.fetchall()
    return {vid: (None if stock is None else max(free if free is not None else stock, 0)) for vid, stock, free in rows}

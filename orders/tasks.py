"""Celery jobs of the store. Thin: an audited row-level-security bypass (they act for many users) and one
service call. Every job is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from catalog.gift_card_selectors import gift_card_index_refresh
from couponali import rls

from .services import checkout, refunds

log = logging.getLogger(__name__)

# The fulfilment job, queued by name with order_id=<id> after an order becomes paid (orders/services/checkout.py).
FULFIL_ORDER = checkout.FULFIL_TASK


@shared_task(name="orders.release_abandoned", ignore_result=True)
def release_abandoned() -> int:
    """Cancel unpaid orders older than ORDER_ABANDON_AFTER_MINUTES: stock released, wallet part posted back."""
    done = checkout.orders_release_abandoned(scope=lambda: rls.bypass(reason="release an abandoned checkout"))
    if done:
        log.info("closed %s abandoned orders", done)
    return done


@shared_task(name="orders.refund_late_capture", ignore_result=True)
def refund_late_capture(order_id: int) -> None:
    """A payment captured after its order was closed goes back through the gateway (no wallet rows are
    touched, so no RLS bypass; the gateway call must not run inside a transaction)."""
    refunds.refund_late_capture(order_id=order_id)


@shared_task(name="orders.refresh_gift_card_index", ignore_result=True)
def refresh_gift_card_index() -> int:
    """The cached gift-card index behind the home strip and site search (catalog/gift_card_selectors.py)."""
    return len(gift_card_index_refresh())

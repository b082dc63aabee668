"""Celery tasks of the store. Tasks take ids, re-read rows and call a service; each is safe to run twice.

Other code queues them by name after commit, e.g. the checkout once an order is paid:
``transaction.on_commit(lambda: celery.current_app.signature(FULFIL_ORDER, kwargs={"order_id": id}).delay())``.
"""

from __future__ import annotations

import logging

from celery import shared_task

from catalog.gift_card_selectors import gift_card_index_refresh
from couponali import rls

from .services import checkout, fulfilment, refunds
from .suppliers import SupplierUnavailable

log = logging.getLogger(__name__)

FULFIL_ORDER = checkout.FULFIL_TASK  # "orders.fulfil_order"
DELIVER_VOUCHERS = fulfilment.DELIVER_TASK  # "orders.deliver_vouchers"

# A supplier outage is retried with exponential backoff (30 s, 1 min, 2 min, ... capped at an hour, jittered)
# for about a day; after that the order stays "failed" in the admin, where staff retry it. A refusal by the
# supplier (SupplierRejected) is not retried automatically: staff must look first.
FULFIL_MAX_RETRIES = 30


@shared_task(
    name=FULFIL_ORDER,
    ignore_result=True,
    autoretry_for=(SupplierUnavailable,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=FULFIL_MAX_RETRIES,
)
def fulfil_order(order_id: int) -> None:
    fulfilment.order_fulfil(order_id=order_id)


@shared_task(
    name=DELIVER_VOUCHERS,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def deliver_vouchers(order_id: int, resend: bool = False) -> None:
    """E-mail/SMS of a fulfilled order's vouchers (not twice, unless staff asked to resend)."""
    fulfilment.order_vouchers_deliver(order_id=order_id, resend=resend)


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

"""Celery tasks of the store. Tasks take ids, re-read rows and call a service; each is safe to run twice.

Other code queues them by name after commit, e.g. the checkout once an order is paid:
``transaction.on_commit(lambda: celery.current_app.signature(FULFIL_ORDER, kwargs={"order_id": id}).delay())``.
"""

from __future__ import annotations

from celery import shared_task

from .services import fulfilment
from .suppliers import SupplierUnavailable

FULFIL_ORDER = "orders.fulfil_order"
DELIVER_VOUCHERS = "orders.deliver_vouchers"

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

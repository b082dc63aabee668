"""Celery tasks of the partners app: webhook attempts, and the sweep that retries the due ones."""

from __future__ import annotations

from celery import shared_task

from couponali.task_names import Partners

from . import services


@shared_task(name=Partners.DELIVER_WEBHOOK)
def deliver_webhook(delivery_id: int) -> str:
    delivery = services.webhook_deliver(delivery_id=delivery_id)
    return delivery.status if delivery else "gone or busy"


@shared_task(name=Partners.RETRY_WEBHOOKS)
def retry_webhooks() -> int:
    """Beat, every minute: queue the pending deliveries whose next attempt is due (first attempts lost with the
    broker, and the retries that the backoff scheduled)."""
    due = services.webhook_due_ids()
    for delivery_id in due:
        deliver_webhook.delay(delivery_id=delivery_id)
    return len(due)

"""Celery tasks of accounts: delivery of codes and notification copies, and housekeeping.

Tasks take ids, re-read rows and call a service; each is safe to run twice.
"""

from __future__ import annotations

from celery import shared_task

from couponali.task_names import Accounts

from . import services


@shared_task(
    name=Accounts.DELIVER_VERIFICATION,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
)
def deliver_verification(verification_id: int, secret: str) -> None:
    """Send a 6-digit code by SMS or a link by e-mail/SMS (the secret travels only through the broker)."""
    services.verification_deliver(verification_id=verification_id, secret=secret)


@shared_task(
    name=Accounts.DELIVER_NOTIFICATION,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def deliver_notification(notification_id: int, channels: list[str]) -> None:
    """E-mail/SMS copies of an in-app notification; a copy already sent is not sent again."""
    services.notification_deliver(notification_id=notification_id, channels=channels)


@shared_task(name=Accounts.PURGE_EXPIRED, ignore_result=True)
def purge_expired() -> dict[str, int]:
    """Delete verification codes a day past expiry and sessions 30 days past expiry or revocation."""
    return services.expired_purge()

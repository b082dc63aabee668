"""In-app notifications and their e-mail/SMS copies (used by every app: cashback, withdrawals, KYC, ...)."""

from __future__ import annotations

from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import Notification
from accounts.selectors import notifications_unread_key
from accounts.sms import send_sms
from couponali.celery import enqueue_on_commit
from couponali.links import absolute_url
from couponali.task_names import Accounts


def notify(
    *,
    user_id: int,
    title: str,
    body: str,
    url: str | None = None,
    email: bool = False,
    sms: bool = False,
) -> Notification:
    """An in-app notification for the user; with ``email``/``sms`` a copy goes out by Celery after commit."""
    notification = Notification.objects.create(user_id=user_id, title=title[:120], body=body[:500], url=url)
    notifications_unread_forget(user_ids=[user_id])
    channels = [name for name, wanted in (("email", email), ("sms", sms)) if wanted]
    if channels:
        enqueue_on_commit(Accounts.DELIVER_NOTIFICATION, notification_id=notification.pk, channels=channels)
    return notification


def notifications_unread_forget(*, user_ids: list[int]) -> None:
    """Forget the cached unread counts of these users (call it beside any write to notifications, including
    set-based ones)."""
    keys = [notifications_unread_key(uid) for uid in set(user_ids)]
    if keys:
        # After commit only (at once in autocommit): a count cached before the commit is dropped then, and no
        # Redis call runs inside the caller's transaction, which may hold wallet locks (cashback, payouts).
        transaction.on_commit(lambda: cache.delete_many(keys))


def notification_deliver(*, notification_id: int, channels: list[str]) -> list[str]:
    """Send the e-mail/SMS copies not sent yet (safe to run twice); returns the channels it sent."""
    sent: list[str] = []
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().select_related("user").filter(pk=notification_id).first()
        )
        if notification is None or notification.user.deleted_at is not None:
            return sent
        user = notification.user
        now = timezone.now()
        link = f"\n\n{absolute_url(notification.url)}" if notification.url else ""
        if "email" in channels and notification.emailed_at is None and user.email:
            send_mail(notification.title, notification.body + link, None, [user.email])
            notification.emailed_at = now
            sent.append("email")
        if "sms" in channels and notification.sms_sent_at is None and user.mobile:
            send_sms(to=user.mobile, body=f"CouponAli: {notification.title}. {notification.body}"[:300])
            notification.sms_sent_at = now
            sent.append("sms")
        if sent:
            notification.save(update_fields=["emailed_at", "sms_sent_at"])
    return sent


def notification_mark_read(*, user_id: int, notification_id: int) -> bool:
    changed = Notification.objects.filter(pk=notification_id, user_id=user_id, is_read=False).update(is_read=True)
    notifications_unread_forget(user_ids=[user_id])
    return bool(changed)


def notification_mark_all_read(*, user_id: int) -> int:
    changed = Notification.objects.filter(user_id=user_id, is_read=False).update(is_read=True)
    notifications_unread_forget(user_ids=[user_id])
    return changed

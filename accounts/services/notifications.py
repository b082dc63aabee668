"""In-app notifications and their e-mail/SMS copies (used by every app: cashback, withdrawals, KYC, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Notification
from accounts.selectors import notifications_unread_key
from accounts.sms import send_sms
from couponali.celery import enqueue_on_commit
from couponali.links import absolute_url
from couponali.task_names import Accounts

# The lengths of a notification's columns (notify and notify_many cut to them).
TITLE_MAX, BODY_MAX = 120, 500


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
    notification = Notification.objects.create(user_id=user_id, title=title[:TITLE_MAX], body=body[:BODY_MAX], url=url)
    notifications_unread_forget(user_ids=[user_id])
    channels = [name for name, wanted in (("email", email), ("sms", sms)) if wanted]
    if channels:
        enqueue_on_commit(Accounts.DELIVER_NOTIFICATION, notification_id=notification.pk, channels=channels)
    return notification


@dataclass(frozen=True)
class Notice:
    """One in-app notification to write (notify_many)."""

    user_id: int
    title: str
    body: str
    url: str | None = None


def notify_many(*, notices: Sequence[Notice]) -> None:
    """In-app notifications for many users, streamed in one COPY: what notify() writes for each notice (same
    truncation, same unread-count reset), for a set-based change (every shopper of a cashback batch), where an
    INSERT per row or an ORM bulk_create would cost more than the change itself. No e-mail/SMS copies: those
    go through notify() one by one."""
    now = timezone.now()
    with (
        connection.cursor() as cur,
        cur.copy("COPY notifications (user_id, title, body, url, is_read, created_at) FROM STDIN") as copy,
    ):
        for n in notices:
            copy.write_row((n.user_id, n.title[:TITLE_MAX], n.body[:BODY_MAX], n.url, False, now))
    notifications_unread_forget(user_ids=[n.user_id for n in notices])


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

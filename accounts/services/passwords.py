"""Passwords: reset by a link sent by e-mail or SMS, and change while signed in."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from accounts import tokens
from accounts.models import User, UserSession, VerificationCode
from accounts.selectors import user_by_identifier
from couponali.audit import AuditAction, audit_log

from .limits import limit_target
from .notifications import notify
from .sessions import as_user, sessions_revoke
from .signin import lockout_forget
from .verification import verification_create, verification_link_consume


def password_reset_request(*, kind: str, identifier: str) -> None:
    """Send a reset link by e-mail or SMS if the account exists; the caller answers the same either way."""
    limit_target(scope="password-reset-target", target=identifier)
    user = user_by_identifier(kind=kind, value=identifier)
    if user is None:
        tokens.code_hash(tokens.new_secret())  # roughly the same work as the real path
        return
    channel = VerificationCode.Channel.EMAIL if kind == "email" else VerificationCode.Channel.SMS
    with transaction.atomic():
        verification_create(
            user=user, purpose=VerificationCode.Purpose.PASSWORD_RESET, channel=channel, target=identifier
        )


def password_reset_complete(*, token: str, new_password: str):
    """Set a new password from a reset link: every session of the account is revoked and any lock lifted."""
    now = timezone.now()
    with transaction.atomic():
        row = verification_link_consume(token=token, purposes=(VerificationCode.Purpose.PASSWORD_RESET,))
        user = User.objects.select_for_update().get(pk=row.user_id)
        user.set_password(new_password)
        user.locked_until = None
        # The link reached the person through this channel, so the address is theirs.
        if row.channel == VerificationCode.Channel.EMAIL and user.email_verified_at is None:
            user.email_verified_at, user.is_verified = now, True
        if row.channel == VerificationCode.Channel.SMS and user.mobile_verified_at is None:
            user.mobile_verified_at, user.is_verified = now, True
        user.save(update_fields=["password", "locked_until", "email_verified_at", "mobile_verified_at", "is_verified"])
        with as_user(user.pk):
            sessions_revoke(UserSession.objects.filter(user_id=user.pk), reason=UserSession.Reason.PASSWORD_CHANGED)
        # A fresh start for the lockout too: earlier failures no longer count.
        lockout_forget(user_id=user.pk)
        audit_log(actor_id=user.pk, action=AuditAction.USER_PASSWORD_RESET, entity_type="user", entity_id=user.pk)
        notify(
            user_id=user.pk,
            title="Your password was changed",
            body="Your CouponAli password was reset and every device was signed out. "
            "If this was not you, reset it again now and contact support.",
            email=bool(user.email),
        )
    return user


def user_password_change(*, user_id: int, new_password: str, keep_family_id: uuid.UUID | None = None) -> None:
    """Change the password; every other session of the user is signed out."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        user.set_password(new_password)
        user.save(update_fields=["password"])
        others = UserSession.objects.filter(user_id=user_id)
        if keep_family_id is not None:
            others = others.exclude(family_id=keep_family_id)
        sessions_revoke(others, reason=UserSession.Reason.PASSWORD_CHANGED)
        audit_log(actor_id=user_id, action=AuditAction.USER_PASSWORD_CHANGE, entity_type="user", entity_id=user_id)
        notify(
            user_id=user_id,
            title="Your password was changed",
            body="Your other devices were signed out. If this was not you, reset your password now.",
            email=bool(user.email),
        )

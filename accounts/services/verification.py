"""Verification codes and links: sign-up and contact verification (6-digit SMS codes, e-mail links), and the
rows behind password-reset links (passwords.py consumes those)."""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import tokens
from accounts.errors import AccountsError, CodeExpired, CodeInvalid, TooManyAttempts
from accounts.models import User, VerificationCode
from accounts.sms import send_sms
from couponali.audit import AuditAction, audit_log
from couponali.celery import enqueue_on_commit
from couponali.links import absolute_url
from couponali.task_names import Accounts

from .limits import limit_target


def verification_ttl(purpose: str, channel: str) -> timedelta:
    if purpose == VerificationCode.Purpose.PASSWORD_RESET:
        return settings.ACCOUNTS_PASSWORD_RESET_TTL
    if channel == VerificationCode.Channel.SMS:
        return settings.ACCOUNTS_OTP_TTL
    return settings.ACCOUNTS_EMAIL_LINK_TTL


def verification_create(*, user, purpose: str, channel: str, target: str, supersede_id: int | None = None):
    """A new code (6 digits by SMS) or link token (e-mail, and password resets) replacing older ones.

    Returns (row, secret). The secret is handed to the delivery task and never stored: the row keeps an HMAC
    of it, salted per row for 6-digit codes (which repeat across rows), unsalted for 256-bit link tokens
    (so that a link is found by its hash).
    """
    now = timezone.now()
    live = VerificationCode.objects.filter(consumed_at__isnull=True, superseded_at__isnull=True)
    if user is not None:
        live.filter(user=user, purpose=purpose).update(superseded_at=now)
    elif supersede_id is not None:
        live.filter(pk=supersede_id, user__isnull=True).update(superseded_at=now)
    is_otp = channel == VerificationCode.Channel.SMS and purpose != VerificationCode.Purpose.PASSWORD_RESET
    secret = tokens.new_otp() if is_otp else tokens.new_secret()
    salt = secrets.token_hex(8) if is_otp else ""
    # A decoy (no user) stores the hash of a value nobody is ever told, so nothing can ever match it.
    hashed = tokens.code_hash(f"{salt}:{secret if user is not None else tokens.new_secret()}")
    code = VerificationCode.objects.create(
        user=user,
        purpose=purpose,
        channel=channel,
        target=target,
        salt=salt,
        secret_hash=hashed,
        expires_at=now + verification_ttl(purpose, channel),
    )
    if user is not None:
        enqueue_on_commit(Accounts.DELIVER_VERIFICATION, verification_id=code.pk, secret=secret)
    return code, secret


def verification_resend(*, verification_id: int):
    """A fresh code for the same person and purpose (the old one stops working). Rate-limited per target."""
    old = VerificationCode.objects.select_related("user").get(pk=verification_id)
    limit_target(scope="otp-send", target=old.target)
    with transaction.atomic():
        code, _secret = verification_create(
            user=old.user, purpose=old.purpose, channel=old.channel, target=old.target, supersede_id=old.pk
        )
    return code


def verification_start(*, user_id: int, channel: str):
    """Verify the signed-in user's mobile (6-digit code by SMS) or e-mail (a link)."""
    user = User.objects.get(pk=user_id)
    target = user.mobile if channel == VerificationCode.Channel.SMS else user.email
    if not target:
        raise AccountsError("Add this contact to your profile first.")
    limit_target(scope="otp-send", target=target)
    with transaction.atomic():
        code, _secret = verification_create(
            user=user, purpose=VerificationCode.Purpose.VERIFY, channel=channel, target=target
        )
    return code


def signup_verification_restart(*, user_id: int):
    """An account that never verified its contact signs in with the right password: send a new sign-up
    code/link instead of signing it in (an unverified account cannot be used, so squatting an address
    someone else owns gets the squatter nothing)."""
    user = User.objects.get(pk=user_id)
    channel = VerificationCode.Channel.SMS if user.mobile else VerificationCode.Channel.EMAIL
    target = user.mobile or user.email
    limit_target(scope="otp-send", target=target)
    with transaction.atomic():
        code, _secret = verification_create(
            user=user, purpose=VerificationCode.Purpose.SIGNUP, channel=channel, target=target
        )
    return code


def _contact_verified(row) -> None:
    """Mark the address a consumed code was sent to as verified (if it is still the user's address)."""
    now = timezone.now()
    if row.channel == VerificationCode.Channel.SMS:
        updated = User.objects.filter(pk=row.user_id, mobile=row.target).update(
            mobile_verified_at=now, is_verified=True
        )
    else:
        updated = User.objects.filter(pk=row.user_id, email__iexact=row.target).update(
            email_verified_at=now, is_verified=True
        )
    if updated:
        audit_log(
            actor_id=row.user_id,
            action=AuditAction.USER_VERIFY_MOBILE
            if row.channel == VerificationCode.Channel.SMS
            else AuditAction.USER_VERIFY_EMAIL,
            entity_type="user",
            entity_id=row.user_id,
        )


def verification_confirm_code(*, verification_id: int, code: str):
    """Check a 6-digit code. The attempt is counted under a row lock, so parallel guesses cannot get more
    than ACCOUNTS_OTP_MAX_ATTEMPTS tries; a wrong guess is committed even though this raises CodeInvalid."""
    now = timezone.now()
    limit = settings.ACCOUNTS_OTP_MAX_ATTEMPTS
    with transaction.atomic():
        row = VerificationCode.objects.select_for_update().filter(pk=verification_id).first()
        if row is None or not row.is_usable(now):
            raise CodeExpired()
        if row.attempts >= limit:
            raise TooManyAttempts()
        row.attempts += 1
        guess = re.sub(r"\D", "", code or "")
        matched = (
            row.user_id is not None
            and len(guess) == 6
            and hmac.compare_digest(row.secret_hash, tokens.code_hash(f"{row.salt}:{guess}"))
        )
        if matched:
            row.consumed_at = now
        row.save(update_fields=["attempts", "consumed_at"])
        if matched:
            _contact_verified(row)
    if not matched:
        raise CodeInvalid(remaining=limit - row.attempts)
    return row


def verification_link_consume(*, token: str, purposes: tuple[str, ...]) -> VerificationCode:
    """Lock and consume the usable link row of ``token`` (one of ``purposes``); CodeExpired when there is none.
    Call it inside the caller's transaction."""
    now = timezone.now()
    row = (
        VerificationCode.objects.select_for_update()
        .filter(secret_hash=tokens.code_hash(f":{token}"), purpose__in=purposes, salt="")
        .first()
    )
    if row is None or row.user_id is None or not row.is_usable(now):
        raise CodeExpired()
    row.consumed_at = now
    row.save(update_fields=["consumed_at"])
    return row


def verification_confirm_link(*, token: str, purposes: tuple[str, ...]):
    """Consume an e-mail verification link; returns the row (its user is now verified)."""
    with transaction.atomic():
        row = verification_link_consume(token=token, purposes=purposes)
        _contact_verified(row)
    return row


def verification_deliver(*, verification_id: int, secret: str) -> bool:
    """Send a code or link (Celery task body). Skips codes that were used, replaced or expired meanwhile."""
    row = VerificationCode.objects.filter(pk=verification_id).first()
    if (
        row is None
        or row.user_id is None
        or not row.is_usable(timezone.now())
        or tokens.code_hash(f"{row.salt}:{secret}") != row.secret_hash
    ):
        return False
    minutes = int(verification_ttl(row.purpose, row.channel).total_seconds() // 60)
    if row.purpose == VerificationCode.Purpose.PASSWORD_RESET:
        link = absolute_url(reverse("accounts:password_reset_confirm", args=[secret]))
        if row.channel == VerificationCode.Channel.SMS:
            send_sms(to=row.target, body=f"Reset your CouponAli password: {link} (valid {minutes} min).")
        else:
            send_mail(
                "Reset your CouponAli password",
                f"Someone asked to reset the password of your CouponAli account.\n\nOpen this link within "
                f"{minutes} minutes to choose a new password:\n{link}\n\nIf it was not you, ignore this e-mail.",
                None,
                [row.target],
            )
    elif row.channel == VerificationCode.Channel.SMS:
        send_sms(
            to=row.target,
            body=f"{secret} is your CouponAli verification code. It expires in {minutes} minutes. "
            "Never share it with anyone.",
        )
    else:
        link = absolute_url(reverse("accounts:verify_email", args=[secret]))
        send_mail(
            "Confirm your e-mail address for CouponAli",
            f"Open this link to confirm your e-mail address:\n{link}\n\nIt works once, within {minutes // 60} hours."
            "\n\nIf you did not sign up for CouponAli, ignore this e-mail.",
            None,
            [row.target],
        )
    return True

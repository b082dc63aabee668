"""Writes for accounts: users, sign-in, sessions and tokens, verification codes, KYC, notifications, audit.

Keyword-only, typed, ``<entity>_<action>``. Reads are in selectors.py.

Row-level security: user_sessions and user_kyc are visible only to their owner, staff or an audited bypass
(couponali/rls.py). Services run in the caller's scope (the request's user, or staff in the admin), with one
exception: when a person has just *proven* who they are without a signed-in request around them (a password
sign-in, a refresh token, a password-reset link), the service writes that user's session rows inside
``rls.scope(user_id=...)`` for exactly that user (see ``_as_user``).
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from couponali import rls
from couponali.codes import UNAMBIGUOUS_ALPHABET as _CODE_ALPHABET
from couponali.links import absolute_url
from couponali.ratelimit import RateLimited, limit_clear, limit_hit

from . import authz, crypto, tokens
from .authz import Actor

# ---------------------------------------------------------------- errors


class AccountsError(Exception):
    """A refusal the caller shows to the person (its message is safe to display)."""

    default = "That did not work."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.default)


class InvalidCredentials(AccountsError):
    default = "That e-mail/mobile and password do not match an account."


class AccountLocked(AccountsError):
    def __init__(self, retry_after: int):
        minutes = max(1, round(retry_after / 60))
        super().__init__(
            f"Too many failed sign-ins for this account. Try again in {minutes} minute{'s' if minutes > 1 else ''}"
            " or reset your password."
        )
        self.retry_after = retry_after


class InvalidReferralCode(AccountsError):
    default = "This referral code is not valid."


class CodeInvalid(AccountsError):
    def __init__(self, remaining: int):
        super().__init__(
            f"That code is not right. {remaining} attempt{'s' if remaining != 1 else ''} left."
            if remaining
            else "That code is not right, and it cannot be used any more. Ask for a new code."
        )
        self.remaining = remaining


class CodeExpired(AccountsError):
    default = "This code or link has expired or was already used. Ask for a new one."


class TooManyAttempts(AccountsError):
    default = "Too many wrong attempts for this code. Ask for a new code."


class TokenInvalid(AccountsError):
    default = "The token is invalid, expired or revoked. Sign in again."


# ---------------------------------------------------------------- helpers shared by every app


def referral_code_generate(*, name: str | None = None) -> str:
    """A unique, readable referral code such as ``PRIYA7K3Q``: up to 5 letters of the name plus 4 random."""
    from .models import User

    stem = re.sub(r"[^A-Z]", "", (name or "").split("@")[0].upper())[:5] or "CA"
    for _ in range(20):
        code = stem + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(4))
        if not User.all_objects.filter(referral_code=code).exists():
            return code
    # 31^4 codes per stem; after 20 collisions fall back to a longer random tail.
    return stem + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def audit_log(
    *,
    actor_id: int | None,
    action: str,
    entity_type: str | None = None,
    entity_id: int | None = None,
    metadata: dict | None = None,
) -> None:
    """One audit row; call it inside the transaction of the change it records."""
    from .models import AuditLog

    AuditLog.objects.create(
        actor_user_id=actor_id, action=action, entity_type=entity_type, entity_id=entity_id, metadata=metadata or {}
    )


def notify(
    *,
    user_id: int,
    title: str,
    body: str,
    url: str | None = None,
    email: bool = False,
    sms: bool = False,
):
    """An in-app notification for the user; with ``email``/``sms`` a copy goes out by Celery after commit.

    Used by every app (cashback confirmed, withdrawal paid, KYC reviewed, ...). Returns the Notification.
    """
    from .models import Notification
    from .tasks import deliver_notification

    notification = Notification.objects.create(user_id=user_id, title=title[:120], body=body[:500], url=url)
    notifications_unread_forget(user_ids=[user_id])
    channels = [name for name, wanted in (("email", email), ("sms", sms)) if wanted]
    if channels:
        transaction.on_commit(lambda: deliver_notification.delay(notification.pk, channels))
    return notification


def notifications_unread_forget(*, user_ids: list[int]) -> None:
    """Forget the cached unread counts of these users (call it beside any write to notifications, including
    set-based ones)."""
    from django.core.cache import cache

    from .selectors import notifications_unread_key

    keys = [notifications_unread_key(uid) for uid in set(user_ids)]
    if keys:
        # After commit only (at once in autocommit): a count cached before the commit is dropped then, and no
        # Redis call runs inside the caller's transaction, which may hold wallet locks (cashback, payouts).
        transaction.on_commit(lambda: cache.delete_many(keys))


def notification_deliver(*, notification_id: int, channels: list[str]) -> list[str]:
    """Send the e-mail/SMS copies not sent yet (safe to run twice); returns the channels it sent."""
    from django.core.mail import send_mail

    from .models import Notification
    from .sms import send_sms

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
    from .models import Notification

    changed = Notification.objects.filter(pk=notification_id, user_id=user_id, is_read=False).update(is_read=True)
    notifications_unread_forget(user_ids=[user_id])
    return bool(changed)


def notification_mark_all_read(*, user_id: int) -> int:
    from .models import Notification

    changed = Notification.objects.filter(user_id=user_id, is_read=False).update(is_read=True)
    notifications_unread_forget(user_ids=[user_id])
    return changed


# ---------------------------------------------------------------- sign-up


def _as_user(user_id: int):
    """Act as ``user_id`` for the block. Only for a person who has just proven to be that user (password,
    refresh token, reset link, or an authenticated session) while the request itself is still anonymous."""
    return rls.scope(user_id=user_id)


def _rate(scope: str) -> str:
    return settings.ACCOUNTS_RATE_LIMITS[scope]


def limit_target(*, scope: str, target: str) -> None:
    """Count one hit for an e-mail/mobile in ``scope`` (keyed by a hash, not the address); RateLimited past it."""
    limit_hit(scope=f"accounts-{scope}", key=tokens.token_hash(target.lower()), rate=_rate(scope))


def _referral_enqueue(user_id: int) -> None:
    # By name: the referrals app (above accounts) owns the task and creates the Referral row.
    import celery

    celery.current_app.signature("referrals.record_signup", kwargs={"user_id": user_id}).delay()


def referrer_for_code(*, code: str | None, user_id: int | None = None):
    """The user whose referral code this is; InvalidReferralCode when there is none or it is the user's own."""
    from .models import User

    code = (code or "").strip().upper()
    if not code:
        return None
    referrer = User.objects.filter(referral_code=code).first()
    if referrer is None or (user_id is not None and referrer.pk == user_id):
        raise InvalidReferralCode()
    return referrer


def user_signup(
    *,
    kind: str,
    identifier: str,
    password: str,
    full_name: str | None = None,
    referral_code: str | None = None,
):
    """Create an account with an e-mail or a mobile number; returns the VerificationCode that confirms it.

    No account enumeration: when the address already has an account, no account is created and a decoy
    verification (never sent) is returned, so the person sees exactly the same next page; the owner gets a
    notice instead. With a valid referral code, users.referred_by_user_id is recorded and, after commit,
    the referrals app's ``referrals.record_signup`` task is queued.
    """
    from .models import User, VerificationCode

    referrer = referrer_for_code(code=referral_code)
    limit_target(scope="otp-send", target=identifier)  # the first code counts towards the resend limit
    channel = VerificationCode.Channel.EMAIL if kind == "email" else VerificationCode.Channel.SMS
    lookup = {"email__iexact": identifier} if kind == "email" else {"mobile": identifier}
    with transaction.atomic():
        user = None
        if not User.all_objects.filter(**lookup).exists():
            try:
                with transaction.atomic():
                    user = User.objects.create_user(
                        email=identifier if kind == "email" else None,
                        mobile=identifier if kind == "mobile" else None,
                        password=password,
                        full_name=(full_name or "").strip() or None,
                        referred_by_user=referrer,
                    )
            except IntegrityError:  # the same address signed up a moment ago in a parallel request
                user = None
        if user is None:
            make_password(password)  # the same work as the real path, so timing tells nothing either
            _signup_notice_existing(kind=kind, identifier=identifier)
            return _verification_create(
                user=None, purpose=VerificationCode.Purpose.SIGNUP, channel=channel, target=identifier
            )[0]
        audit_log(
            actor_id=user.pk,
            action="user.signup",
            entity_type="user",
            entity_id=user.pk,
            metadata={"via": kind, "referred_by_user_id": referrer.pk if referrer else None},
        )
        if referrer is not None:
            transaction.on_commit(lambda: _referral_enqueue(user.pk))
        code, _secret = _verification_create(
            user=user, purpose=VerificationCode.Purpose.SIGNUP, channel=channel, target=identifier
        )
    return code


def _signup_notice_existing(*, kind: str, identifier: str) -> None:
    from .selectors import user_by_identifier

    owner = user_by_identifier(kind=kind, value=identifier)
    # At most one notice an hour, so that sign-up attempts cannot be used to spam an owner.
    if owner is None or not cache.add(f"accounts:signup-notice:{owner.pk}", 1, 3600):
        return
    what = "e-mail address" if kind == "email" else "mobile number"
    notify(
        user_id=owner.pk,
        title=f"Someone tried to sign up with your {what}",
        body="Your account already exists. If this was you, sign in, or reset your password if you forgot it.",
        url="/accounts/password/reset/",
        email=kind == "email",
        sms=kind == "mobile",
    )


def user_signup_social(
    *,
    provider: str,
    uid: str,
    email: str,
    full_name: str | None = None,
    avatar_url: str | None = None,
    referral_code: str | None = None,
):
    """A new account from a Google/Facebook sign-in whose e-mail the provider verified."""
    from .models import User

    try:
        referrer = referrer_for_code(code=referral_code)
    except InvalidReferralCode:
        referrer = None  # a stale link must not block a social sign-up
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.create_user(
            email=email.lower(),
            password=None,
            full_name=(full_name or "").strip()[:255] or None,
            avatar_url=(avatar_url or "")[:500] or None,
            email_verified_at=now,
            is_verified=True,
            referred_by_user=referrer,
            **{f"{provider}_id": uid},
        )
        audit_log(
            actor_id=user.pk,
            action="user.signup",
            entity_type="user",
            entity_id=user.pk,
            metadata={"via": provider, "referred_by_user_id": referrer.pk if referrer else None},
        )
        if referrer is not None:
            transaction.on_commit(lambda: _referral_enqueue(user.pk))
    return user


def user_link_social(*, user_id: int, provider: str, uid: str, email_verified: bool) -> None:
    """Record users.google_id / facebook_id for an existing account matched by the provider.

    The provider has proven ownership of the e-mail. When our copy of that address was never verified, the
    account may have been squatted by someone who typed it in: the password and every session are dropped,
    so only the owner of the address (signing in through the provider) keeps access.
    """
    from .models import User, UserSession

    field = f"{provider}_id"
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        updates: dict = {field: uid}
        squatted = email_verified and user.email_verified_at is None
        if email_verified and user.email_verified_at is None:
            updates |= {"email_verified_at": timezone.now(), "is_verified": True}
        if squatted:
            user.set_unusable_password()
            updates["password"] = user.password
        User.objects.filter(pk=user_id).update(**updates)
        if squatted:
            with _as_user(user_id):
                _sessions_revoke(
                    UserSession.objects.filter(user_id=user_id), reason=UserSession.Reason.PASSWORD_CHANGED
                )
        audit_log(
            actor_id=user_id,
            action="user.link_social",
            entity_type="user",
            entity_id=user_id,
            metadata={"provider": provider, "reset_password": squatted},
        )


# ---------------------------------------------------------------- verification codes and links


def _verification_ttl(purpose: str, channel: str) -> timedelta:
    from .models import VerificationCode

    if purpose == VerificationCode.Purpose.PASSWORD_RESET:
        return settings.ACCOUNTS_PASSWORD_RESET_TTL
    if channel == VerificationCode.Channel.SMS:
        return settings.ACCOUNTS_OTP_TTL
    return settings.ACCOUNTS_EMAIL_LINK_TTL


def _verification_create(*, user, purpose: str, channel: str, target: str, supersede_id: int | None = None):
    """A new code (6 digits by SMS) or link token (e-mail, and password resets) replacing older ones.

    Returns (row, secret). The secret is handed to the delivery task and never stored: the row keeps an HMAC
    of it, salted per row for 6-digit codes (which repeat across rows), unsalted for 256-bit link tokens
    (so that a link is found by its hash).
    """
    from .models import VerificationCode

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
        expires_at=now + _verification_ttl(purpose, channel),
    )
    if user is not None:
        from .tasks import deliver_verification

        transaction.on_commit(lambda: deliver_verification.delay(code.pk, secret))
    return code, secret


def verification_resend(*, verification_id: int):
    """A fresh code for the same person and purpose (the old one stops working). Rate-limited per target."""
    from .models import VerificationCode

    old = VerificationCode.objects.select_related("user").get(pk=verification_id)
    limit_target(scope="otp-send", target=old.target)
    with transaction.atomic():
        code, _secret = _verification_create(
            user=old.user, purpose=old.purpose, channel=old.channel, target=old.target, supersede_id=old.pk
        )
    return code


def verification_start(*, user_id: int, channel: str):
    """Verify the signed-in user's mobile (6-digit code by SMS) or e-mail (a link)."""
    from .models import User, VerificationCode

    user = User.objects.get(pk=user_id)
    target = user.mobile if channel == VerificationCode.Channel.SMS else user.email
    if not target:
        raise AccountsError("Add this contact to your profile first.")
    limit_target(scope="otp-send", target=target)
    with transaction.atomic():
        code, _secret = _verification_create(
            user=user, purpose=VerificationCode.Purpose.VERIFY, channel=channel, target=target
        )
    return code


def signup_verification_restart(*, user_id: int):
    """An account that never verified its contact signs in with the right password: send a new sign-up
    code/link instead of signing it in (an unverified account cannot be used, so squatting an address
    someone else owns gets the squatter nothing)."""
    from .models import User, VerificationCode

    user = User.objects.get(pk=user_id)
    channel = VerificationCode.Channel.SMS if user.mobile else VerificationCode.Channel.EMAIL
    target = user.mobile or user.email
    limit_target(scope="otp-send", target=target)
    with transaction.atomic():
        code, _secret = _verification_create(
            user=user, purpose=VerificationCode.Purpose.SIGNUP, channel=channel, target=target
        )
    return code


def _contact_verified(row) -> None:
    """Mark the address a consumed code was sent to as verified (if it is still the user's address)."""
    from .models import User, VerificationCode

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
            action="user.verify_mobile" if row.channel == VerificationCode.Channel.SMS else "user.verify_email",
            entity_type="user",
            entity_id=row.user_id,
        )


def verification_confirm_code(*, verification_id: int, code: str):
    """Check a 6-digit code. The attempt is counted under a row lock, so parallel guesses cannot get more
    than ACCOUNTS_OTP_MAX_ATTEMPTS tries; a wrong guess is committed even though this raises CodeInvalid."""
    from .models import VerificationCode

    now = timezone.now()
    limit = settings.ACCOUNTS_OTP_MAX_ATTEMPTS
    with transaction.atomic():
        row = VerificationCode.objects.select_for_update().filter(pk=verification_id).first()
        if row is None or row.consumed_at or row.superseded_at or row.expires_at <= now:
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


def verification_confirm_link(*, token: str, purposes: tuple[str, ...]):
    """Consume an e-mail verification link; returns the row (its user is now verified)."""
    from .models import VerificationCode

    now = timezone.now()
    with transaction.atomic():
        row = (
            VerificationCode.objects.select_for_update()
            .filter(secret_hash=tokens.code_hash(f":{token}"), purpose__in=purposes, salt="")
            .first()
        )
        if row is None or row.user_id is None or row.consumed_at or row.superseded_at or row.expires_at <= now:
            raise CodeExpired()
        row.consumed_at = now
        row.save(update_fields=["consumed_at"])
        _contact_verified(row)
    return row


def verification_deliver(*, verification_id: int, secret: str) -> bool:
    """Send a code or link (Celery task body). Skips codes that were used, replaced or expired meanwhile."""
    from django.core.mail import send_mail

    from .models import VerificationCode
    from .sms import send_sms

    row = VerificationCode.objects.filter(pk=verification_id).first()
    if (
        row is None
        or row.user_id is None
        or row.consumed_at
        or row.superseded_at
        or row.expires_at <= timezone.now()
        or tokens.code_hash(f"{row.salt}:{secret}") != row.secret_hash
    ):
        return False
    minutes = int(_verification_ttl(row.purpose, row.channel).total_seconds() // 60)
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


# ---------------------------------------------------------------- passwords


def password_reset_request(*, kind: str, identifier: str) -> None:
    """Send a reset link by e-mail or SMS if the account exists; the caller answers the same either way."""
    from .models import VerificationCode
    from .selectors import user_by_identifier

    limit_target(scope="password-reset-target", target=identifier)
    user = user_by_identifier(kind=kind, value=identifier)
    if user is None:
        tokens.code_hash(tokens.new_secret())  # roughly the same work as the real path
        return
    channel = VerificationCode.Channel.EMAIL if kind == "email" else VerificationCode.Channel.SMS
    with transaction.atomic():
        _verification_create(
            user=user, purpose=VerificationCode.Purpose.PASSWORD_RESET, channel=channel, target=identifier
        )


def password_reset_complete(*, token: str, new_password: str):
    """Set a new password from a reset link: every session of the account is revoked and any lock lifted."""
    from .models import User, UserSession, VerificationCode

    now = timezone.now()
    with transaction.atomic():
        row = (
            VerificationCode.objects.select_for_update()
            .filter(secret_hash=tokens.code_hash(f":{token}"), purpose=VerificationCode.Purpose.PASSWORD_RESET, salt="")
            .first()
        )
        if row is None or row.user_id is None or row.consumed_at or row.superseded_at or row.expires_at <= now:
            raise CodeExpired()
        row.consumed_at = now
        row.save(update_fields=["consumed_at"])
        user = User.objects.select_for_update().get(pk=row.user_id)
        user.set_password(new_password)
        user.locked_until = None
        # The link reached the person through this channel, so the address is theirs.
        if row.channel == VerificationCode.Channel.EMAIL and user.email_verified_at is None:
            user.email_verified_at, user.is_verified = now, True
        if row.channel == VerificationCode.Channel.SMS and user.mobile_verified_at is None:
            user.mobile_verified_at, user.is_verified = now, True
        user.save(update_fields=["password", "locked_until", "email_verified_at", "mobile_verified_at", "is_verified"])
        with _as_user(user.pk):
            _sessions_revoke(UserSession.objects.filter(user_id=user.pk), reason=UserSession.Reason.PASSWORD_CHANGED)
        # A fresh start for the lockout too: earlier failures no longer count.
        limit_clear(scope="accounts-signin-failures", key=f"user:{user.pk}", rate=_lockout_rate())
        audit_log(actor_id=user.pk, action="user.password_reset", entity_type="user", entity_id=user.pk)
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
    from .models import User, UserSession

    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        user.set_password(new_password)
        user.save(update_fields=["password"])
        others = UserSession.objects.filter(user_id=user_id)
        if keep_family_id is not None:
            others = others.exclude(family_id=keep_family_id)
        _sessions_revoke(others, reason=UserSession.Reason.PASSWORD_CHANGED)
        audit_log(actor_id=user_id, action="user.password_change", entity_type="user", entity_id=user_id)
        notify(
            user_id=user_id,
            title="Your password was changed",
            body="Your other devices were signed out. If this was not you, reset your password now.",
            email=bool(user.email),
        )


# ---------------------------------------------------------------- sign-in and lockout


def _lockout_rate() -> str:
    # The Nth failure inside the window is the one that locks: N-1 are allowed.
    window = int(settings.ACCOUNTS_LOCKOUT_WINDOW.total_seconds())
    return f"{max(settings.ACCOUNTS_LOCKOUT_FAILURES - 1, 1)}/{window} second"


def _burn_password_hash(password: str) -> None:
    """The cost of one password check, spent where no account is checked, so that timing tells nothing."""
    make_password(password)


def _lock_key(user, identifier: str) -> str:
    return f"user:{user.pk}" if user is not None else f"id:{tokens.token_hash(identifier.lower())[:40]}"


def _lock_remaining(user, key: str) -> int:
    now = timezone.now()
    if user is not None:
        until = user.locked_until
    else:
        stamp = cache.get(f"accounts:signin-lock:{key}")
        until = datetime.fromtimestamp(stamp, tz=now.tzinfo) if stamp else None
    if until is None or until <= now:
        return 0
    return max(1, int((until - now).total_seconds()))


def _signin_failed(user, key: str) -> int:
    """Count a failure; the one that crosses the limit locks the account (or the unknown address). Returns
    the lock's length in seconds when this failure locked, else 0. For an account, the caller holds the
    user row's lock (signin_attempt), so failures are counted one at a time."""
    from .models import User

    try:
        limit_hit(scope="accounts-signin-failures", key=key, rate=_lockout_rate())
        return 0
    except RateLimited:
        pass
    now = timezone.now()
    duration = settings.ACCOUNTS_LOCKOUT_DURATION
    until = now + duration
    if user is None:
        cache.add(f"accounts:signin-lock:{key}", until.timestamp(), int(duration.total_seconds()))
        return int(duration.total_seconds())
    # Only the request that actually sets the lock writes the audit row and notifies the owner.
    locked = (
        User.objects.filter(pk=user.pk)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .update(locked_until=until)
    )
    if locked:
        audit_log(
            actor_id=None,
            action="user.locked",
            entity_type="user",
            entity_id=user.pk,
            metadata={"until": until.isoformat(), "failures": settings.ACCOUNTS_LOCKOUT_FAILURES},
        )
        notify(
            user_id=user.pk,
            title="Sign-in to your account was paused",
            body=f"After {settings.ACCOUNTS_LOCKOUT_FAILURES} wrong passwords we paused sign-in for "
            f"{int(duration.total_seconds() // 60)} minutes. If this was not you, reset your password.",
            url="/accounts/password/reset/",
            email=bool(user.email),
            sms=not user.email and bool(user.mobile),
        )
    return int(duration.total_seconds())


def signin_attempt(*, identifier: str, password: str):
    """Check an e-mail/mobile and password. Returns the user or raises InvalidCredentials / AccountLocked.
    The one sign-in check of the site: the sign-in page, the API token endpoint and Django's authenticate()
    (the admin's login) all call it.

    Known and unknown addresses are treated alike: same errors, one password hash of work each, and the
    same lockout after repeated failures (unknown addresses are "locked" in Redis only).

    For an account, the lock check, the password verdict and the failure count happen under a lock on the
    user's row: parallel attempts on one account are decided one at a time, so once the failure that locks
    is counted no later attempt - the right password included - can sign in, however many arrive at once.
    """
    from .models import User
    from .selectors import user_by_identifier
    from .validators import clean_identifier

    try:
        kind, value = clean_identifier(identifier)
    except ValidationError:
        kind, value = "", (identifier or "").strip().lower()
    user = user_by_identifier(kind=kind, value=value) if kind else None
    key = _lock_key(user, value)
    if user is None:
        # No account to sign in to, so nothing to race for: the Redis lock only keeps the answers alike.
        remaining = _lock_remaining(None, key)
        _burn_password_hash(password)
        if remaining:
            raise AccountLocked(remaining)
        locked_for = _signin_failed(None, key)
        if locked_for:
            raise AccountLocked(locked_for)
        raise InvalidCredentials()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user.pk).first()
        if user is None:
            locked_for, verdict = 0, "gone"  # deleted meanwhile: answered like an unknown address
        elif remaining := _lock_remaining(user, key):
            locked_for, verdict = remaining, "locked"
        elif user.is_active and user.check_password(password or ""):
            limit_clear(scope="accounts-signin-failures", key=key, rate=_lockout_rate())
            return user
        else:
            # Counted (and the lock set) inside the block: the refusal is raised after it commits.
            locked_for, verdict = _signin_failed(user, key), "wrong"
    if verdict != "wrong":
        _burn_password_hash(password)  # the work a password check would have cost
    if locked_for:
        raise AccountLocked(locked_for)
    raise InvalidCredentials()


def user_unlock(*, user_id: int, actor_id: int | None) -> bool:
    from .models import User

    with transaction.atomic():
        changed = User.all_objects.filter(pk=user_id, locked_until__isnull=False).update(locked_until=None)
        if changed:
            limit_clear(scope="accounts-signin-failures", key=f"user:{user_id}", rate=_lockout_rate())
            audit_log(actor_id=actor_id, action="user.unlock", entity_type="user", entity_id=user_id)
    return bool(changed)


# ---------------------------------------------------------------- sessions (browser) and API tokens


def device_info(user_agent: str | None) -> dict:
    """What the sessions page shows: browser, OS and device type parsed from the User-Agent."""
    from user_agents import parse

    ua = parse(user_agent or "")
    kind = "mobile" if ua.is_mobile else "tablet" if ua.is_tablet else "bot" if ua.is_bot else "computer"
    browser = " ".join(filter(None, [ua.browser.family, ua.browser.version_string.split(".")[0]])).strip()
    os_name = " ".join(filter(None, [ua.os.family, ua.os.version_string])).strip()
    return {
        "browser": browser or "Unknown browser",
        "os": os_name or "Unknown system",
        "device": kind,
        "device_model": ua.device.family if ua.device.family not in ("Other", None) else "",
        "user_agent": (user_agent or "")[:300],
    }


def _sessions_revoke(queryset, *, reason: str) -> int:
    return queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now(), revocation_reason=reason)


def session_create(
    *,
    user_id: int,
    kind: str,
    user_agent: str | None,
    ip: str | None,
    ttl: timedelta,
    family_id: uuid.UUID | None = None,
    rotated_from_id: int | None = None,
):
    """A user_sessions row for a browser sign-in or an API refresh token; returns (row, secret).

    Only the secret's SHA-256 is stored. The caller has just authenticated the user.
    """
    from .models import UserSession

    secret = tokens.new_secret()
    with _as_user(user_id):
        row = UserSession.objects.create(
            user_id=user_id,
            kind=kind,
            token=tokens.token_hash(secret),
            device_info=device_info(user_agent),
            ip_address=ip or None,
            expires_at=timezone.now() + ttl,
            family_id=family_id or uuid.uuid4(),
            rotated_from_id=rotated_from_id,
        )
    return row, secret


def session_end(*, user_id: int, secret: str, reason: str) -> int:
    """Revoke the session whose secret this is (sign-out, or a browser session that signed in again)."""
    from .models import UserSession

    with _as_user(user_id):
        return _sessions_revoke(
            UserSession.objects.filter(user_id=user_id, token=tokens.token_hash(secret)), reason=reason
        )


def session_revoke(*, user_id: int, session_id: int, actor_id: int | None = None) -> int:
    """Revoke one session (its whole token family) of ``user_id``: the device is signed out on its next
    request. Runs in the caller's scope: the user themselves, or staff."""
    from .models import UserSession

    row = UserSession.objects.filter(pk=session_id, user_id=user_id).first()
    if row is None:
        return 0
    reason = UserSession.Reason.REVOKED if actor_id in (None, user_id) else UserSession.Reason.REVOKED_BY_STAFF
    with transaction.atomic():
        count = _sessions_revoke(UserSession.objects.filter(user_id=user_id, family_id=row.family_id), reason=reason)
        audit_log(
            actor_id=actor_id or user_id,
            action="session.revoke",
            entity_type="user_session",
            entity_id=row.pk,
            metadata={"user_id": user_id, "kind": row.kind},
        )
    return count


def session_revoke_others(*, user_id: int, keep_family_id: uuid.UUID | None) -> int:
    """ "Sign out everywhere else": every session of the user except the current one."""
    from .models import UserSession

    with transaction.atomic():
        others = UserSession.objects.filter(user_id=user_id)
        if keep_family_id is not None:
            others = others.exclude(family_id=keep_family_id)
        count = _sessions_revoke(others, reason=UserSession.Reason.REVOKED)
        audit_log(
            actor_id=user_id,
            action="session.revoke_others",
            entity_type="user",
            entity_id=user_id,
            metadata={"count": count},
        )
    return count


@dataclass(frozen=True)
class TokenPair:
    access: str
    access_expires_at: datetime
    refresh: str
    refresh_expires_at: datetime
    session_id: int


def _token_pair(row, refresh_secret: str) -> TokenPair:
    access, access_expires = tokens.access_token_encode(user_id=row.user_id, session_id=row.pk, family_id=row.family_id)
    return TokenPair(access, access_expires, refresh_secret, row.expires_at, row.pk)


def token_issue(*, user_id: int, user_agent: str | None, ip: str | None) -> TokenPair:
    """Sign-in for the API/mobile app: a new token family with its first refresh token."""
    from .models import UserSession

    with transaction.atomic():
        row, secret = session_create(
            user_id=user_id,
            kind=UserSession.Kind.API,
            user_agent=user_agent,
            ip=ip,
            ttl=settings.ACCOUNTS_REFRESH_TOKEN_TTL,
        )
    return _token_pair(row, secret)


def token_refresh(*, refresh_token: str, user_agent: str | None, ip: str | None) -> TokenPair:
    """Rotate a refresh token: the presented one is spent and the next generation of its family issued.

    A refresh token that was already rotated is being *reused* - someone kept a copy - so the whole family is
    revoked (the thief and the owner both have to sign in again) and the owner is told. Two parallel refreshes
    with the same token are serialised by the row lock: one rotates, the other counts as reuse.
    """
    from .models import UserSession
    from .selectors import session_by_secret

    found = session_by_secret(secret=refresh_token or "")
    if found is None or found.kind != UserSession.Kind.API:
        raise TokenInvalid()
    now = timezone.now()
    with transaction.atomic(), _as_user(found.user_id):
        row = UserSession.objects.select_for_update().get(pk=found.id)
        if row.revoked_at is not None:
            if row.revocation_reason == UserSession.Reason.ROTATED:
                count = _sessions_revoke(
                    UserSession.objects.filter(user_id=row.user_id, family_id=row.family_id),
                    reason=UserSession.Reason.REUSE_DETECTED,
                )
                audit_log(
                    actor_id=None,
                    action="session.refresh_reuse",
                    entity_type="user_session",
                    entity_id=row.pk,
                    metadata={"user_id": row.user_id, "family_id": str(row.family_id), "revoked": count},
                )
                notify(
                    user_id=row.user_id,
                    title="We signed out an app session",
                    body="An old sign-in token of your account was used again, so that session was ended. "
                    "If you did not expect this, change your password.",
                    email=True,
                )
        elif row.expires_at <= now:
            _sessions_revoke(UserSession.objects.filter(pk=row.pk), reason=UserSession.Reason.EXPIRED)
        else:
            row.revoked_at, row.revocation_reason = now, UserSession.Reason.ROTATED
            row.save(update_fields=["revoked_at", "revocation_reason"])
            # The family lives as long as its first refresh token: rotation does not extend it.
            successor, secret = session_create(
                user_id=row.user_id,
                kind=UserSession.Kind.API,
                user_agent=user_agent,
                ip=ip,
                ttl=row.expires_at - now,
                family_id=row.family_id,
                rotated_from_id=row.pk,
            )
            return _token_pair(successor, secret)
    # Reached only on failure; the revocations above are committed before the caller answers 401.
    raise TokenInvalid()


def token_revoke(*, refresh_token: str) -> bool:
    """Sign-out for the API: revoke the refresh token's whole family (its access tokens stop working too)."""
    from .models import UserSession
    from .selectors import session_by_secret

    found = session_by_secret(secret=refresh_token or "")
    if found is None or found.kind != UserSession.Kind.API:
        return False
    with transaction.atomic(), _as_user(found.user_id):
        _sessions_revoke(
            UserSession.objects.filter(user_id=found.user_id, family_id=found.family_id),
            reason=UserSession.Reason.SIGNED_OUT,
        )
    return True


def expired_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Housekeeping (Celery beat): codes a day past expiry, sessions 30 days past expiry or revocation, and
    Django's expired session rows (the cached_db session store keeps every session in django_session)."""
    from django.contrib.sessions.models import Session

    from .models import UserSession, VerificationCode

    now = now or timezone.now()
    codes, _ = VerificationCode.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    old = now - timedelta(days=30)
    with rls.bypass(reason="accounts.expired_purge"):
        sessions, _ = UserSession.objects.filter(Q(expires_at__lt=old) | Q(revoked_at__lt=old)).delete()
    django_sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    return {"verification_codes": codes, "user_sessions": sessions, "django_sessions": django_sessions}


# ---------------------------------------------------------------- profile and account deletion


def user_profile_update(
    *,
    user_id: int,
    full_name: str | None,
    avatar_url: str | None,
    date_of_birth,
    gender: str | None,
):
    from .models import User

    with transaction.atomic():
        User.objects.filter(pk=user_id).update(
            full_name=(full_name or "").strip() or None,
            avatar_url=avatar_url or None,
            date_of_birth=date_of_birth,
            gender=gender or None,
        )
        audit_log(actor_id=user_id, action="user.profile_update", entity_type="user", entity_id=user_id)
    return User.objects.get(pk=user_id)


def user_delete(*, user_id: int, actor_id: int | None = None) -> None:
    """Close an account: soft-delete it and erase the personal data we are not required to keep.

    Kept: the users row itself (deleted_at set; ledger, orders, payouts and audit rows point at it), the
    referral code, wallet figures, and from KYC the PAN (encrypted, with its blind index) and account holder
    name - the Income-tax Act requires us to keep the payee's identity for payouts we made (TDS records).
    Erased: name, e-mail and mobile (the e-mail becomes a placeholder so that the address can sign up again
    and the chk_contact constraint holds), avatar, date of birth, gender, social ids, password, allauth links,
    bank account, IFSC, UPI id and address, notifications and verification codes. Every session is revoked.
    """
    from .models import Notification, User, UserKYC, UserSession, VerificationCode

    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        user.set_unusable_password()
        User.all_objects.filter(pk=user_id).update(
            email=f"deleted-{user.uuid}@users.couponali.invalid",
            mobile=None,
            email_verified_at=None,
            mobile_verified_at=None,
            full_name=None,
            avatar_url=None,
            date_of_birth=None,
            gender=None,
            google_id=None,
            facebook_id=None,
            password=user.password,
            is_active=False,
            locked_until=None,
            deleted_at=now,
        )
        _sessions_revoke(UserSession.objects.filter(user_id=user_id), reason=UserSession.Reason.ACCOUNT_DELETED)
        UserKYC.objects.filter(user_id=user_id).update(
            account_number=None,
            ifsc_code=None,
            bank_name=None,
            upi_id=None,
            address_line1=None,
            address_line2=None,
            city=None,
            state=None,
            pincode=None,
            notes="Account closed; bank, UPI and address erased.",
        )
        Notification.objects.filter(user_id=user_id).delete()
        VerificationCode.objects.filter(user_id=user_id).delete()
        from allauth.account.models import EmailAddress
        from allauth.socialaccount.models import SocialAccount

        SocialAccount.objects.filter(user_id=user_id).delete()
        EmailAddress.objects.filter(user_id=user_id).delete()
        audit_log(actor_id=actor_id or user_id, action="user.delete", entity_type="user", entity_id=user_id)


# ---------------------------------------------------------------- KYC


KYC_PLAIN_FIELDS = (
    "account_holder_name",
    "ifsc_code",
    "bank_name",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "pincode",
)


def kyc_submit(*, user_id: int, data: dict):
    """Create or update the user's KYC from cleaned form data.

    PAN, account number and UPI id are encrypted here, before the INSERT/UPDATE; a blank value for one of
    them keeps the stored one (the form shows it masked). Any change sends a verified or rejected KYC back
    to pending review. Runs in the caller's RLS scope (the user's own row).
    """
    from .models import UserKYC

    with transaction.atomic():
        kyc = UserKYC.objects.select_for_update().filter(user_id=user_id).first()
        created = kyc is None
        if created:
            kyc = UserKYC(user_id=user_id)
        changed: list[str] = []
        for field in KYC_PLAIN_FIELDS:
            value = (data.get(field) or "").strip() or None
            if getattr(kyc, field) != value:
                setattr(kyc, field, value)
                changed.append(field)
        for field in UserKYC.ENCRYPTED_FIELDS:
            value = (data.get(field) or "").strip()
            if not value:
                continue
            if crypto.decrypt(getattr(kyc, field)) != value:
                setattr(kyc, field, crypto.encrypt(value))
                changed.append(field)
        if "pan_number" in changed:
            kyc.pan_hash = crypto.blind_index(crypto.decrypt(kyc.pan_number))
            kyc.pan_verified = False
        if not created and not changed:
            return kyc
        previous_status = kyc.status
        kyc.status, kyc.verified_at = UserKYC.Status.PENDING, None
        kyc.save()
        audit_log(
            actor_id=user_id,
            action="kyc.submit",
            entity_type="user_kyc",
            entity_id=kyc.pk,
            metadata={"fields": changed, "previous_status": None if created else previous_status},
        )
    return kyc


def kyc_review(*, kyc_id: int, actor: Actor, decision: str, notes: str | None):
    """Staff holding accounts.review_userkyc verify or reject a KYC with notes; the user is told (in-app and
    by e-mail)."""
    from .models import UserKYC

    actor_id = authz.actor_require(actor, "accounts.review_userkyc")
    if decision not in (UserKYC.Status.VERIFIED, UserKYC.Status.REJECTED):
        raise AccountsError("Choose verified or rejected.")
    if decision == UserKYC.Status.REJECTED and not (notes or "").strip():
        raise AccountsError("Say why the KYC is rejected: the user sees the notes.")
    now = timezone.now()
    with authz.acting(actor_id, reason="kyc.review"):
        kyc = UserKYC.objects.select_for_update().get(pk=kyc_id)
        previous = kyc.status
        kyc.status = decision
        kyc.notes = (notes or "").strip() or None
        kyc.verified_at = now if decision == UserKYC.Status.VERIFIED else None
        kyc.pan_verified = decision == UserKYC.Status.VERIFIED and bool(kyc.pan_number)
        kyc.save(update_fields=["status", "notes", "verified_at", "pan_verified", "updated_at"])
        audit_log(
            actor_id=actor_id,
            action=f"kyc.{decision}",
            entity_type="user_kyc",
            entity_id=kyc.pk,
            metadata={"previous_status": previous, "user_id": kyc.user_id},
        )
        if decision == UserKYC.Status.VERIFIED:
            title, body = "Your KYC is verified", "You can now withdraw your CouponAli earnings."
        else:
            title, body = "Your KYC needs another look", f"We could not verify your details: {kyc.notes}"
        notify(user_id=kyc.user_id, title=title, body=body, url="/accounts/kyc/", email=True)
    return kyc


def kyc_reveal(*, kyc_id: int, field: str, actor: Actor) -> str:
    """The plain value of one encrypted KYC field, for staff holding accounts.reveal_userkyc. Audited (the
    audit row names the field, never the value)."""
    from .models import UserKYC

    actor_id = authz.actor_require(actor, "accounts.reveal_userkyc")
    if field not in UserKYC.ENCRYPTED_FIELDS:
        raise AccountsError("Only PAN, account number and UPI id are encrypted.")
    with authz.acting(actor_id, reason="kyc.reveal"):
        kyc = UserKYC.objects.get(pk=kyc_id)
        value = crypto.decrypt(getattr(kyc, field)) or ""
        audit_log(
            actor_id=actor_id,
            action="kyc.reveal",
            entity_type="user_kyc",
            entity_id=kyc.pk,
            metadata={"field": field, "user_id": kyc.user_id},
        )
    return value


def kyc_payout_details(*, user_id: int) -> dict[str, str]:
    """The decrypted payout details of a user's KYC, for the payout worker only (a system use: never shown to
    anyone, audited). Empty dict when there is no KYC row. Call it inside an rls.bypass() or the user's scope."""
    from .models import UserKYC

    kyc = UserKYC.objects.filter(user_id=user_id).first()
    if kyc is None:
        return {}
    audit_log(
        actor_id=None, action="kyc.payout_read", entity_type="user_kyc", entity_id=kyc.pk, metadata={"user_id": user_id}
    )
    return {
        "account_holder_name": kyc.account_holder_name or "",
        "account_number": crypto.decrypt(kyc.account_number) or "",
        "ifsc": kyc.ifsc_code or "",
        "bank_name": kyc.bank_name or "",
        "upi_id": crypto.decrypt(kyc.upi_id) or "",
    }


def kyc_rotate_keys(*, batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every KYC value under the newest key and recompute the PAN blind index.

    Batches by id, each batch in its own transaction with its rows locked; safe to stop and run again
    (a value already under the newest key is simply re-encrypted). Acts for every user: audited bypass.
    """
    from .models import UserKYC

    crypto.fernet()  # fail before touching anything when the keys are wrong
    rows = values = 0
    last_id = 0
    while True:
        with rls.bypass(reason="rotate_kyc_keys"):
            batch = list(UserKYC.objects.select_for_update().filter(pk__gt=last_id).order_by("pk")[:batch_size])
            if not batch:
                break
            for kyc in batch:
                for field in UserKYC.ENCRYPTED_FIELDS:
                    token = getattr(kyc, field)
                    if token:
                        setattr(kyc, field, crypto.rotate(token))
                        values += 1
                kyc.pan_hash = crypto.blind_index(crypto.decrypt(kyc.pan_number)) if kyc.pan_number else None
            UserKYC.objects.bulk_update(batch, [*UserKYC.ENCRYPTED_FIELDS, "pan_hash"])
            rows += len(batch)
            last_id = batch[-1].pk
    return {"rows": rows, "values": values}

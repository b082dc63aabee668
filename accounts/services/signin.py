"""Sign-in with a password, and the lockout after repeated failures.

The gate "may this account sign in before verifying its contact" is one rule, ``User.may_sign_in``, applied by
the sign-in page and the API token endpoint after :func:`signin_attempt`.
"""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import tokens
from accounts.errors import AccountLocked, InvalidCredentials
from accounts.models import User
from accounts.selectors import user_by_identifier
from accounts.validators import clean_identifier
from couponali.audit import AuditAction, audit_log
from couponali.ratelimit import RateLimited, limit_clear, limit_hit

from .notifications import notify

_FAILURES = "accounts-signin-failures"


def _lockout_rate() -> str:
    # The Nth failure inside the window is the one that locks: N-1 are allowed.
    window = int(settings.ACCOUNTS_LOCKOUT_WINDOW.total_seconds())
    return f"{max(settings.ACCOUNTS_LOCKOUT_FAILURES - 1, 1)}/{window} second"


def lockout_forget(*, user_id: int) -> None:
    """Forget the counted sign-in failures of an account (a password reset, an unlock by staff)."""
    limit_clear(scope=_FAILURES, key=f"user:{user_id}", rate=_lockout_rate())


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
    try:
        limit_hit(scope=_FAILURES, key=key, rate=_lockout_rate())
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
            action=AuditAction.USER_LOCKED,
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


def _signin_unknown(key: str, password: str) -> NoReturn:
    """No account to sign in to, so nothing to race for: the Redis lock only keeps the answers alike."""
    remaining = _lock_remaining(None, key)
    _burn_password_hash(password)
    if remaining:
        raise AccountLocked(remaining)
    locked_for = _signin_failed(None, key)
    if locked_for:
        raise AccountLocked(locked_for)
    raise InvalidCredentials()


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
    try:
        kind, value = clean_identifier(identifier)
    except ValidationError:
        kind, value = "", (identifier or "").strip().lower()
    user = user_by_identifier(kind=kind, value=value) if kind else None
    key = _lock_key(user, value)
    if user is None:
        _signin_unknown(key, password)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user.pk).first()
        if user is None:
            locked_for, verdict = 0, "gone"  # deleted meanwhile: answered like an unknown address
        elif remaining := _lock_remaining(user, key):
            locked_for, verdict = remaining, "locked"
        elif user.is_active and user.check_password(password or ""):
            limit_clear(scope=_FAILURES, key=key, rate=_lockout_rate())
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
    with transaction.atomic():
        changed = User.all_objects.filter(pk=user_id, locked_until__isnull=False).update(locked_until=None)
        if changed:
            lockout_forget(user_id=user_id)
            audit_log(actor_id=actor_id, action=AuditAction.USER_UNLOCK, entity_type="user", entity_id=user_id)
    return bool(changed)

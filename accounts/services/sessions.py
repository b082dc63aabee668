"""Browser sessions and API tokens (user_sessions rows): create, rotate, revoke, purge.

Row-level security: user_sessions rows are visible only to their owner, staff or an audited bypass. When a
person has just *proven* who they are without a signed-in request around them (a password sign-in, a refresh
token, a password-reset link), their session rows are written inside ``as_user(user_id)`` for exactly that
user.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import tokens
from accounts.devices import device_info
from accounts.errors import TokenInvalid
from accounts.models import UserSession, VerificationCode
from accounts.selectors import session_by_secret
from couponali import rls
from couponali.audit import AuditAction, audit_log

from .notifications import notify


def as_user(user_id: int):
    """Act as ``user_id`` for the block. Only for a person who has just proven to be that user (password,
    refresh token, reset link, or an authenticated session) while the request itself is still anonymous."""
    return rls.scope(user_id=user_id)


def sessions_revoke(queryset, *, reason: str) -> int:
    """Revoke the live sessions of ``queryset`` (run it in a scope that sees them)."""
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
    secret = tokens.new_secret()
    with as_user(user_id):
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
    with as_user(user_id):
        return sessions_revoke(
            UserSession.objects.filter(user_id=user_id, token=tokens.token_hash(secret)), reason=reason
        )


def session_revoke(*, user_id: int, session_id: int, actor_id: int | None = None) -> int:
    """Revoke one session (its whole token family) of ``user_id``: the device is signed out on its next
    request. Runs in the caller's scope: the user themselves, or staff."""
    row = UserSession.objects.filter(pk=session_id, user_id=user_id).first()
    if row is None:
        return 0
    reason = UserSession.Reason.REVOKED if actor_id in (None, user_id) else UserSession.Reason.REVOKED_BY_STAFF
    with transaction.atomic():
        count = sessions_revoke(UserSession.objects.filter(user_id=user_id, family_id=row.family_id), reason=reason)
        audit_log(
            actor_id=actor_id or user_id,
            action=AuditAction.SESSION_REVOKE,
            entity_type="user_session",
            entity_id=row.pk,
            metadata={"user_id": user_id, "kind": row.kind},
        )
    return count


def session_revoke_others(*, user_id: int, keep_family_id: uuid.UUID | None) -> int:
    """ "Sign out everywhere else": every session of the user except the current one."""
    with transaction.atomic():
        others = UserSession.objects.filter(user_id=user_id)
        if keep_family_id is not None:
            others = others.exclude(family_id=keep_family_id)
        count = sessions_revoke(others, reason=UserSession.Reason.REVOKED)
        audit_log(
            actor_id=user_id,
            action=AuditAction.SESSION_REVOKE_OTHERS,
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
    with transaction.atomic():
        row, secret = session_create(
            user_id=user_id,
            kind=UserSession.Kind.API,
            user_agent=user_agent,
            ip=ip,
            ttl=settings.ACCOUNTS_REFRESH_TOKEN_TTL,
        )
    return _token_pair(row, secret)


def _refresh_reused(row) -> None:
    """A rotated refresh token came back: someone kept a copy. End the whole family and tell the owner."""
    count = sessions_revoke(
        UserSession.objects.filter(user_id=row.user_id, family_id=row.family_id),
        reason=UserSession.Reason.REUSE_DETECTED,
    )
    audit_log(
        actor_id=None,
        action=AuditAction.SESSION_REFRESH_REUSE,
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


def token_refresh(*, refresh_token: str, user_agent: str | None, ip: str | None) -> TokenPair:
    """Rotate a refresh token: the presented one is spent and the next generation of its family issued.

    A refresh token that was already rotated is being *reused* - someone kept a copy - so the whole family is
    revoked (the thief and the owner both have to sign in again) and the owner is told. Two parallel refreshes
    with the same token are serialised by the row lock: one rotates, the other counts as reuse.
    """
    found = session_by_secret(secret=refresh_token or "")
    if found is None or found.kind != UserSession.Kind.API:
        raise TokenInvalid()
    now = timezone.now()
    with transaction.atomic(), as_user(found.user_id):
        row = UserSession.objects.select_for_update().get(pk=found.id)
        if row.revoked_at is not None:
            if row.revocation_reason == UserSession.Reason.ROTATED:
                _refresh_reused(row)
        elif row.expires_at <= now:
            sessions_revoke(UserSession.objects.filter(pk=row.pk), reason=UserSession.Reason.EXPIRED)
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
    found = session_by_secret(secret=refresh_token or "")
    if found is None or found.kind != UserSession.Kind.API:
        return False
    with transaction.atomic(), as_user(found.user_id):
        sessions_revoke(
            UserSession.objects.filter(user_id=found.user_id, family_id=found.family_id),
            reason=UserSession.Reason.SIGNED_OUT,
        )
    return True


def expired_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Housekeeping (Celery beat): codes a day past expiry, sessions 30 days past expiry or revocation, and
    Django's expired session rows (the cached_db session store keeps every session in django_session)."""
    now = now or timezone.now()
    codes, _ = VerificationCode.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    old = now - timedelta(days=30)
    with rls.bypass(reason="accounts.expired_purge"):
        sessions, _ = UserSession.objects.filter(Q(expires_at__lt=old) | Q(revoked_at__lt=old)).delete()
    django_sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    return {"verification_codes": codes, "user_sessions": sessions, "django_sessions": django_sessions}

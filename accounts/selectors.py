"""Reads for accounts: users by address, sessions, notifications, KYC (masked)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Min, OuterRef, QuerySet, Subquery
from django.utils import timezone

from couponali import rls

from . import crypto, tokens
from .errors import InvalidReferralCode
from .models import (
    Department,
    Notification,
    Role,
    RolePermission,
    User,
    UserDepartment,
    UserKYC,
    UserRole,
    UserSession,
    VerificationCode,
)


def user_by_identifier(*, kind: str, value: str) -> User | None:
    """A live account by e-mail (case-insensitive) or 10-digit mobile; None for unknown or deleted ones."""
    if kind == "email":
        return User.objects.filter(email__iexact=value).first()
    if kind == "mobile":
        return User.objects.filter(mobile=value).first()
    return None


def referrer_for_code(*, code: str | None, user_id: int | None = None) -> User | None:
    """The user whose referral code this is (None for no code); InvalidReferralCode when there is none or it is
    the user's own."""
    code = (code or "").strip().upper()
    if not code:
        return None
    referrer = User.objects.filter(referral_code=code).first()
    if referrer is None or (user_id is not None and referrer.pk == user_id):
        raise InvalidReferralCode()
    return referrer


# ---------------------------------------------------------------- sessions


@dataclass(frozen=True)
class SessionRef:
    id: int
    user_id: int
    family_id: uuid.UUID
    kind: str
    expires_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


def session_by_secret(*, secret: str) -> SessionRef | None:
    """The session row whose token hash matches ``secret``, before anyone knows whose it is.

    user_sessions is under row-level security and at this point the request has no user, so a plain
    SELECT would see nothing. accounts_session_by_token() (accounts migration 0002) is the one narrow door:
    a SECURITY DEFINER function that returns at most the single row with exactly this SHA-256 - which only
    the holder of the secret can compute - with the bypass switched on for its own statement only and put
    back before it returns. Knowing the user (a signed JWT, or Django's session) is not needed, and nothing
    else of the table becomes visible.
    """
    if not secret:
        return None
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, user_id, family_id, kind, expires_at, revoked_at, revocation_reason "
            "FROM accounts_session_by_token(%s)",
            [tokens.token_hash(secret)],
        )
        row = cur.fetchone()
    return SessionRef(*row) if row else None


def session_with_user_by_secret(*, secret: str) -> tuple[SessionRef, User] | None:
    """session_by_secret() and the session's (not deleted) user in one round trip: the session guard runs on
    every signed-in request, and loading the user here saves Django's own user query (see
    accounts.backends.prefetched_user)."""
    if not secret:
        return None
    rows = list(
        User.objects.raw(
            "SELECT u.*, s.id AS s_id, s.family_id AS s_family_id, s.kind AS s_kind, s.expires_at AS s_expires_at, "
            "s.revoked_at AS s_revoked_at, s.revocation_reason AS s_revocation_reason "
            "FROM accounts_session_by_token(%s) s JOIN users u ON u.id = s.user_id AND u.deleted_at IS NULL",
            [tokens.token_hash(secret)],
        )
    )
    if not rows:
        return None
    user = rows[0]
    ref = SessionRef(
        user.s_id,
        user.pk,
        user.s_family_id,
        user.s_kind,
        user.s_expires_at,
        user.s_revoked_at,
        user.s_revocation_reason,
    )
    return ref, user


def session_family_active(*, user_id: int, family_id: uuid.UUID) -> bool:
    """Whether a token family still has a live generation. Used for access tokens: their signature already
    proves the user, so the check runs in that user's own RLS scope (no bypass needed)."""
    with rls.scope(user_id=user_id):
        return UserSession.objects.filter(
            user_id=user_id, family_id=family_id, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).exists()


def sessions_active(*, user_id: int) -> QuerySet[UserSession]:
    """The user's live sessions (one row per browser sign-in or app token family), newest sign-in first,
    each annotated with ``signed_in_at`` (when its family started, before any refresh-token rotation)."""
    first = UserSession.objects.filter(family_id=OuterRef("family_id")).order_by().values("family_id")
    return (
        UserSession.objects.filter(user_id=user_id, revoked_at__isnull=True, expires_at__gt=timezone.now())
        .annotate(signed_in_at=Subquery(first.annotate(first=Min("created_at")).values("first")[:1]))
        .order_by("-signed_in_at", "-id")
    )


# ---------------------------------------------------------------- verification


def verification_pending(*, verification_id: int | None) -> VerificationCode | None:
    if not verification_id:
        return None
    return VerificationCode.objects.filter(pk=verification_id).first()


def session_for_user(*, user_id: int, session_id: int) -> UserSession | None:
    return UserSession.objects.filter(pk=session_id, user_id=user_id).first()


def verification_link_row(*, token: str, purpose: str) -> VerificationCode | None:
    """The live link row for this token (with its user), or None when unknown, used, replaced or expired."""
    return _live_links(token=token, purpose=purpose).select_related("user").first()


def verification_link_valid(*, token: str, purpose: str) -> bool:
    return _live_links(token=token, purpose=purpose).exists()


def _live_links(*, token: str, purpose: str) -> QuerySet[VerificationCode]:
    return VerificationCode.objects.filter(
        secret_hash=tokens.code_hash(f":{token}"),
        purpose=purpose,
        salt="",
        user__isnull=False,
    ).filter(VerificationCode.usable_q(timezone.now()))


def mask_target(target: str) -> str:
    """'9876543210' -> '98XXXXXX10'; 'priya@gmail.com' -> 'prXXX@gmail.com' (for 'we sent a code to ...')."""
    if "@" in target:
        name, _, domain = target.partition("@")
        return name[:2] + "X" * max(len(name) - 2, 1) + "@" + domain
    return target[:2] + "X" * max(len(target) - 4, 0) + target[-2:]


# ---------------------------------------------------------------- notifications


def notifications_for_user(*, user_id: int) -> QuerySet[Notification]:
    return Notification.objects.filter(user_id=user_id).order_by("-created_at", "-id")


UNREAD_CACHE_TTL = 60  # seconds; every change through accounts.services forgets the cached count at once


def notifications_unread_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def notifications_unread_count(*, user_id: int) -> int:
    """The header bell's count, cached per user in Redis: one COUNT a minute at most instead of one a page."""
    key = notifications_unread_key(user_id)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(user_id=user_id, is_read=False).count()
        cache.set(key, count, UNREAD_CACHE_TTL)
    return count


# ---------------------------------------------------------------- KYC


def kyc_for_user(*, user_id: int) -> UserKYC | None:
    return UserKYC.objects.filter(user_id=user_id).first()


def kyc_masked(kyc: UserKYC | None) -> dict[str, str]:
    """PAN, account number and UPI id decrypted and masked at once: what every page and the admin show."""
    if kyc is None:
        return {field: "" for field in UserKYC.ENCRYPTED_FIELDS}
    return {field: crypto.masked(field, crypto.decrypt(getattr(kyc, field))) for field in UserKYC.ENCRYPTED_FIELDS}


def kyc_duplicate_pans() -> QuerySet:
    """Blind-index values shared by more than one account (the same PAN on several accounts)."""
    return (
        UserKYC.objects.exclude(pan_hash__isnull=True)
        .values("pan_hash")
        .annotate(accounts=Count("user_id", distinct=True))
        .filter(accounts__gt=1)
    )


def kyc_same_pan(kyc: UserKYC) -> QuerySet[UserKYC]:
    """Other accounts whose KYC carries the same PAN (found through the blind index, nothing decrypted)."""
    if not kyc.pan_hash:
        return UserKYC.objects.none()
    return UserKYC.objects.filter(pan_hash=kyc.pan_hash).exclude(pk=kyc.pk).select_related("user")


# The admin's "KYC to review" queue; analytics_kyc_pending_count() (analytics migration 0001) repeats it in SQL
# for staff without KYC access, and a test ties the two.
KYC_TO_REVIEW: dict[str, object] = {"status__exact": UserKYC.Status.PENDING}


def kyc_to_review() -> QuerySet[UserKYC]:
    return UserKYC.objects.filter(**KYC_TO_REVIEW)


def kyc_is_verified(*, user_id: int) -> bool:
    """For the wallet: withdrawals need a verified KYC."""
    return UserKYC.objects.filter(user_id=user_id, status=UserKYC.Status.VERIFIED).exists()


# ---------------------------------------------------------------- staff roles


@dataclass(frozen=True)
class RoleOverview:
    slug: str
    name: str
    is_system: bool
    codes: list[str]
    holders: list[str]


def role_slugs_of(*, user_id: int) -> list[str]:
    return list(UserRole.objects.filter(user_id=user_id).order_by("role__slug").values_list("role__slug", flat=True))


def roles_overview() -> list[RoleOverview]:
    """Every role with its codes and holders, in three queries."""
    codes: dict[int, list[str]] = {}
    for role_id, code in RolePermission.objects.order_by("permission__code").values_list("role_id", "permission__code"):
        codes.setdefault(role_id, []).append(code)
    holders: dict[int, list[str]] = {}
    for role_id, email, mobile in UserRole.objects.order_by("user__email").values_list(
        "role_id", "user__email", "user__mobile"
    ):
        holders.setdefault(role_id, []).append(email or mobile or "?")
    return [
        RoleOverview(r.slug, r.name, r.is_system, codes.get(r.pk, []), holders.get(r.pk, []))
        for r in Role.objects.order_by("-is_system", "slug")
    ]


def departments_overview() -> list[tuple[str, str, list[str]]]:
    members: dict[int, list[str]] = {}
    for department_id, email, mobile in UserDepartment.objects.order_by("user__email").values_list(
        "department_id", "user__email", "user__mobile"
    ):
        members.setdefault(department_id, []).append(email or mobile or "?")
    return [(d.slug, d.name, members.get(d.pk, [])) for d in Department.objects.order_by("slug")]

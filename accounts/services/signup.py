"""Sign-up with an e-mail or a mobile number, sign-up and linking through Google/Facebook."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import InvalidReferralCode
from accounts.models import User, UserSession, VerificationCode
from accounts.selectors import referrer_for_code, user_by_identifier
from couponali.audit import AuditAction, audit_log
from couponali.celery import enqueue_on_commit
from couponali.task_names import Referrals

from .limits import limit_target
from .notifications import notify
from .sessions import as_user, sessions_revoke
from .verification import verification_create


def _signed_up(user: User, *, via: str, referrer: User | None) -> None:
    """Audit a new account and, with a referrer, have the referrals app (above accounts) record the referral
    from users.referred_by_user_id after commit."""
    audit_log(
        actor_id=user.pk,
        action=AuditAction.USER_SIGNUP,
        entity_type="user",
        entity_id=user.pk,
        metadata={"via": via, "referred_by_user_id": referrer.pk if referrer else None},
    )
    if referrer is not None:
        enqueue_on_commit(Referrals.RECORD_SIGNUP, user_id=user.pk)


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
            return verification_create(
                user=None, purpose=VerificationCode.Purpose.SIGNUP, channel=channel, target=identifier
            )[0]
        _signed_up(user, via=kind, referrer=referrer)
        code, _secret = verification_create(
            user=user, purpose=VerificationCode.Purpose.SIGNUP, channel=channel, target=identifier
        )
    return code


def _signup_notice_existing(*, kind: str, identifier: str) -> None:
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
        _signed_up(user, via=provider, referrer=referrer)
    return user


def user_link_social(*, user_id: int, provider: str, uid: str, email_verified: bool) -> None:
    """Record users.google_id / facebook_id for an existing account matched by the provider.

    The provider has proven ownership of the e-mail. When our copy of that address was never verified, the
    account may have been squatted by someone who typed it in: the password and every session are dropped,
    so only the owner of the address (signing in through the provider) keeps access.
    """
    field = f"{provider}_id"
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        updates: dict = {field: uid}
        squatted = email_verified and user.email_verified_at is None
        if squatted:
            updates |= {"email_verified_at": timezone.now(), "is_verified": True}
            user.set_unusable_password()
            updates["password"] = user.password
        User.objects.filter(pk=user_id).update(**updates)
        if squatted:
            with as_user(user_id):
                sessions_revoke(UserSession.objects.filter(user_id=user_id), reason=UserSession.Reason.PASSWORD_CHANGED)
        audit_log(
            actor_id=user_id,
            action=AuditAction.USER_LINK_SOCIAL,
            entity_type="user",
            entity_id=user_id,
            metadata={"provider": provider, "reset_password": squatted},
        )

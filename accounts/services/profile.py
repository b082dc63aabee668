"""The user's profile, and closing an account."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, User, UserKYC, UserSession, VerificationCode
from couponali.audit import AuditAction, audit_log

from .sessions import sessions_revoke


def user_profile_update(
    *,
    user_id: int,
    full_name: str | None,
    avatar_url: str | None,
    date_of_birth,
    gender: str | None,
):
    with transaction.atomic():
        User.objects.filter(pk=user_id).update(
            full_name=(full_name or "").strip() or None,
            avatar_url=avatar_url or None,
            date_of_birth=date_of_birth,
            gender=gender or None,
        )
        audit_log(actor_id=user_id, action=AuditAction.USER_PROFILE_UPDATE, entity_type="user", entity_id=user_id)
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
        sessions_revoke(UserSession.objects.filter(user_id=user_id), reason=UserSession.Reason.ACCOUNT_DELETED)
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
        SocialAccount.objects.filter(user_id=user_id).delete()
        EmailAddress.objects.filter(user_id=user_id).delete()
        audit_log(actor_id=actor_id or user_id, action=AuditAction.USER_DELETE, entity_type="user", entity_id=user_id)

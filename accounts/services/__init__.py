"""Writes for accounts, one module per topic: notifications, signup, verification, passwords, signin (and the
lockout), sessions (browser sessions and API tokens), profile (and account deletion), kyc; limits holds the
accounts rate limits. Keyword-only, typed, ``<entity>_<action>``. Reads are in accounts.selectors, the typed
refusals in accounts.errors, the audit log in the kernel (couponali.audit).

``from accounts import services`` keeps working: the public names of every topic are re-exported here.

Row-level security: user_sessions and user_kyc are visible only to their owner, staff or an audited bypass
(couponali/rls.py). Services run in the caller's scope (the request's user, or staff in the admin), with one
exception: when a person has just *proven* who they are without a signed-in request around them (a password
sign-in, a refresh token, a password-reset link), the service writes that user's session rows inside
``rls.scope(user_id=...)`` for exactly that user (``sessions.as_user``).
"""

from __future__ import annotations

from accounts.errors import (
    AccountLocked,
    AccountsError,
    CodeExpired,
    CodeInvalid,
    InvalidCredentials,
    InvalidReferralCode,
    TokenInvalid,
    TooManyAttempts,
    VerificationRequired,
)
from couponali.audit import audit_log

from .kyc import KYC_PLAIN_FIELDS, kyc_payout_details, kyc_reveal, kyc_review, kyc_rotate_keys, kyc_submit
from .limits import limit_request, limit_target
from .notifications import (
    Notice,
    notification_deliver,
    notification_mark_all_read,
    notification_mark_read,
    notifications_unread_forget,
    notify,
    notify_many,
)
from .passwords import password_reset_complete, password_reset_request, user_password_change
from .profile import user_delete, user_profile_update
from .roles import (
    RoleError,
    department_join,
    department_leave,
    permission_choices,
    role_codes,
    role_delete,
    role_grant,
    role_revoke,
    role_save,
)
from .sessions import (
    TokenPair,
    expired_purge,
    session_create,
    session_end,
    session_revoke,
    session_revoke_others,
    token_issue,
    token_refresh,
    token_revoke,
)
from .signin import signin_attempt, user_unlock
from .signup import user_link_social, user_signup, user_signup_social
from .verification import (
    signup_verification_restart,
    verification_confirm_code,
    verification_confirm_link,
    verification_deliver,
    verification_resend,
    verification_start,
)

__all__ = [
    "KYC_PLAIN_FIELDS",
    "AccountLocked",
    "AccountsError",
    "CodeExpired",
    "CodeInvalid",
    "InvalidCredentials",
    "InvalidReferralCode",
    "Notice",
    "RoleError",
    "TokenInvalid",
    "TokenPair",
    "TooManyAttempts",
    "VerificationRequired",
    "audit_log",
    "department_join",
    "department_leave",
    "expired_purge",
    "kyc_payout_details",
    "kyc_reveal",
    "kyc_review",
    "kyc_rotate_keys",
    "kyc_submit",
    "limit_request",
    "limit_target",
    "notification_deliver",
    "notification_mark_all_read",
    "notification_mark_read",
    "notifications_unread_forget",
    "notify",
    "notify_many",
    "password_reset_complete",
    "password_reset_request",
    "permission_choices",
    "role_codes",
    "role_delete",
    "role_grant",
    "role_revoke",
    "role_save",
    "session_create",
    "session_end",
    "session_revoke",
    "session_revoke_others",
    "signin_attempt",
    "signup_verification_restart",
    "token_issue",
    "token_refresh",
    "token_revoke",
    "user_delete",
    "user_link_social",
    "user_password_change",
    "user_profile_update",
    "user_signup",
    "user_signup_social",
    "user_unlock",
    "verification_confirm_code",
    "verification_confirm_link",
    "verification_deliver",
    "verification_resend",
    "verification_start",
]

"""Users, sessions, KYC, staff access control and notifications (seed tables 1-3, 23-24; the audit log is the
kernel's: couponali.models.AuditLog)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.functions import RandomUUID
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast, Upper
from django.utils import timezone

from couponali.models import (
    ZERO,
    AllObjectsManager,
    CreatedAtField,
    CreatedModel,
    MoneyField,
    SoftDeleteModel,
    TimeStampedModel,
    UuidField,
    counter,
    flag,
)

from .managers import UserManager


class User(AbstractBaseUser, PermissionsMixin, SoftDeleteModel, TimeStampedModel):
    class Gender(models.TextChoices):
        MALE = "male", "Male"
        FEMALE = "female", "Female"
        OTHER = "other", "Other"

    class Role(models.TextChoices):
        USER = "user", "Shopper"
        ADMIN = "admin", "Admin"
        MERCHANT = "merchant", "Merchant"

    uuid = UuidField()

    email = models.EmailField(max_length=255, unique=True, null=True, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    mobile = models.CharField(max_length=15, unique=True, null=True, blank=True)
    mobile_verified_at = models.DateTimeField(null=True, blank=True)
    # Nullable on purpose (seed: accounts made by social sign-in have no password), unlike Django's base class.
    password = models.CharField(  # type: ignore[assignment]  # narrows the stubs' str to str | None by design
        "password", max_length=255, db_column="password_hash", null=True, blank=True
    )

    full_name = models.CharField(max_length=255, null=True, blank=True)
    avatar_url = models.URLField(max_length=500, null=True, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=10, choices=Gender.choices, null=True, blank=True)

    google_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    facebook_id = models.CharField(max_length=255, unique=True, null=True, blank=True)

    # Snapshots kept by the wallet services in the same transaction as each ledger posting.
    wallet_balance = MoneyField(default=ZERO, editable=False)
    pending_cashback = MoneyField(default=ZERO, editable=False)
    lifetime_earnings = MoneyField(default=ZERO, editable=False)

    referral_code = models.CharField(max_length=20, unique=True, db_index=False)
    referred_by_user = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="referred_users", db_index=False
    )

    is_active = flag(True)
    is_verified = flag(False)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.USER, db_default=Role.USER)
    # Django admin access; not in the seed (an allowed extra column).
    is_staff = flag(False)

    last_login = models.DateTimeField("last login", null=True, blank=True, db_column="last_login_at")
    # Set by the sign-in service after repeated failures (an extra column); staff can clear it in the admin.
    locked_until = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()
    all_objects: ClassVar[AllObjectsManager[User]] = AllObjectsManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        db_table = "users"
        base_manager_name = "all_objects"
        constraints = [
            models.CheckConstraint(condition=Q(email__isnull=False) | Q(mobile__isnull=False), name="chk_contact"),
        ]
        indexes = [
            models.Index(fields=["email"], name="idx_users_email", condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["mobile"], name="idx_users_mobile", condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["referral_code"], name="idx_users_referral_code"),
            models.Index(fields=["referred_by_user"], name="idx_users_referred_by"),
            # The admin's user search: part of an e-mail, name or mobile (icontains compares UPPER(col::text)).
            *(
                GinIndex(
                    OpClass(Upper(Cast(col, models.TextField())), name="gin_trgm_ops"), name=f"idx_users_{col}_trgm"
                )
                for col in ("email", "full_name", "mobile")
            ),
        ]

    def __str__(self) -> str:
        return self.email or self.mobile or f"user {self.pk}"

    def get_full_name(self) -> str:
        return self.full_name or str(self)

    def get_short_name(self) -> str:
        return (self.full_name or "").split(" ")[0] or str(self)

    @property
    def display_name(self) -> str:
        return self.get_short_name()

    @property
    def has_verified_contact(self) -> bool:
        return bool(self.email_verified_at or self.mobile_verified_at)

    @property
    def may_sign_in(self) -> bool:
        """The sign-in gate, the one rule of the sign-in page and the API token endpoint (the password and the
        lockout are checked before it, by services.signin_attempt): the account's contact is verified, or a
        social provider verified it, or it is staff.

        The gate exists against squatting: whoever types someone else's address at sign-up must not get a
        usable account. Staff accounts are exempt on every path because they are not self-made: an operator
        creates them (createsuperuser, the admin) and only staff with the user-change permission grants
        is_staff, and Django's admin login signs them in without a verified contact anyway."""
        return self.has_verified_contact or bool(self.google_id or self.facebook_id) or self.is_staff


class UserSession(models.Model):
    """A browser sign-in or one generation of an API refresh token (seed table 2, plus the §29 columns).

    ``token`` holds only the SHA-256 of the secret (the random value kept in the browser's server-side
    session, or the refresh token). API refresh tokens rotate: each refresh revokes its row (reason
    ``rotated``) and adds the next generation to the same ``family_id``; presenting a rotated token again
    revokes the whole family. A browser session is a family of one.
    """

    class Kind(models.TextChoices):
        WEB = "web", "Browser"
        API = "api", "API / app"

    class Reason(models.TextChoices):
        SIGNED_OUT = "signed_out", "Signed out"
        REVOKED = "revoked", "Revoked by the user"
        REVOKED_BY_STAFF = "revoked_by_staff", "Revoked by staff"
        ROTATED = "rotated", "Refresh token rotated"
        REUSE_DETECTED = "reuse_detected", "Refresh token reused"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        REPLACED = "replaced", "Signed in again"
        EXPIRED = "expired", "Expired"
        ACCOUNT_DELETED = "account_deleted", "Account deleted"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions", db_index=False)
    # Only a hash of the session key or token is stored, never the value itself.
    token = models.CharField(max_length=500, unique=True)
    device_info = models.JSONField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    expires_at = models.DateTimeField()
    created_at = CreatedAtField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Seed §29: refresh-token rotation and the reason a session ended.
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WEB, db_default=Kind.WEB)
    family_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID())
    rotated_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rotated_to"
    )
    revocation_reason = models.CharField(max_length=30, choices=Reason.choices, null=True, blank=True)

    class Meta:
        db_table = "user_sessions"
        indexes = [
            models.Index(fields=["user"], name="idx_sessions_user"),
            models.Index(fields=["token"], name="idx_sessions_token", condition=Q(revoked_at__isnull=True)),
            models.Index(fields=["family_id"], name="idx_sessions_family"),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} of user {self.user_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class UserKYC(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="kyc")
    account_holder_name = models.CharField(max_length=255, null=True, blank=True)
    # account_number, upi_id and pan_number hold ciphertext (application-level encryption), hence TEXT
    # where the seed has VARCHAR(n): a wider compatible type.
    account_number = models.TextField(null=True, blank=True)
    ifsc_code = models.CharField(max_length=11, null=True, blank=True)
    bank_name = models.CharField(max_length=255, null=True, blank=True)
    upi_id = models.TextField(null=True, blank=True)
    pan_number = models.TextField(null=True, blank=True)
    pan_verified = flag(False)
    address_line1 = models.CharField(max_length=255, null=True, blank=True)
    address_line2 = models.CharField(max_length=255, null=True, blank=True)
    city = models.CharField(max_length=100, null=True, blank=True)
    state = models.CharField(max_length=100, null=True, blank=True)
    pincode = models.CharField(max_length=10, null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING)
    verified_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    # Blind index: HMAC-SHA256 of the normalised PAN under KYC_BLIND_INDEX_KEY, so that duplicate PANs can be
    # found without decrypting anything (an extra column).
    pan_hash = models.CharField(max_length=64, null=True, blank=True, db_index=True)

    ENCRYPTED_FIELDS = ("pan_number", "account_number", "upi_id")

    class Meta:
        db_table = "user_kyc"
        verbose_name = "user KYC"
        verbose_name_plural = "user KYC"
        permissions = [
            ("reveal_userkyc", "Can reveal an unmasked KYC value (each reveal is audited)"),
            ("review_userkyc", "Can verify or reject a KYC"),
        ]

    def __str__(self) -> str:
        return f"KYC of user {self.user_id} ({self.status})"


# ---------------------------------------------------------------- staff access control


class Role(CreatedModel):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.CharField(max_length=255, null=True, blank=True)
    is_system = flag(False)

    class Meta:
        db_table = "roles"

    def __str__(self) -> str:
        return self.name


class AccessPermission(models.Model):
    """A permission code of the staff RBAC (seed table `permissions`), e.g. ``wallet.approve_withdrawal``."""

    code = models.CharField(max_length=160, unique=True)
    description = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        db_table = "permissions"
        verbose_name = "access permission"

    def __str__(self) -> str:
        return self.code


class RolePermission(models.Model):
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="role_permissions", db_index=False)
    permission = models.ForeignKey(AccessPermission, on_delete=models.CASCADE, related_name="role_permissions")

    class Meta:
        db_table = "role_permissions"
        constraints = [
            models.UniqueConstraint(fields=["role", "permission"], name="idx_role_permissions_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.role} → {self.permission}"


class Department(CreatedModel):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.CharField(max_length=255, null=True, blank=True)
    is_active = flag(True)

    class Meta:
        db_table = "departments"

    def __str__(self) -> str:
        return self.name


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="user_roles", db_index=False)
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="user_roles")

    class Meta:
        db_table = "user_roles"
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="idx_user_roles_unique")]

    def __str__(self) -> str:
        return f"{self.user} as {self.role}"


class UserDepartment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="user_departments", db_index=False)
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="members")

    class Meta:
        db_table = "user_departments"
        constraints = [
            models.UniqueConstraint(fields=["user", "department"], name="idx_user_departments_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.department}"


# ---------------------------------------------------------------- engagement


class Notification(CreatedModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications", db_index=False)
    title = models.CharField(max_length=120)
    body = models.CharField(max_length=500)
    is_read = flag(False)
    # Extra columns: where the notification leads, and when its e-mail/SMS copies went out (so that the
    # delivery task is safe to run twice).
    url = models.CharField(max_length=500, null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    sms_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "notifications"
        indexes = [models.Index(fields=["user"], name="idx_notifications_user")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class VerificationCode(models.Model):
    """A one-time code or link: mobile OTP, e-mail verification link, password-reset link (an extra table).

    Only ``secret_hash`` (an HMAC of the code or link token) is stored. A code expires, allows
    ACCOUNTS_OTP_MAX_ATTEMPTS tries (counted under a row lock, so parallel guesses cannot exceed it), and a new
    code for the same target and purpose supersedes the old one. A row without a user is a decoy: sign-up
    with an address that already has an account shows the same pages, but no code is ever sent for it.
    """

    class Purpose(models.TextChoices):
        SIGNUP = "signup", "Sign-up verification"
        VERIFY = "verify", "Contact verification"
        PASSWORD_RESET = "password_reset", "Password reset"

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", "E-mail"

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="verification_codes", db_index=False
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    target = models.CharField(max_length=255)
    salt = models.CharField(max_length=32, blank=True, default="", db_default="")
    secret_hash = models.CharField(max_length=64, unique=True)
    attempts = counter()
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    created_at = CreatedAtField()

    class Meta:
        db_table = "verification_codes"
        indexes = [
            models.Index(fields=["user", "purpose"], name="idx_verification_user"),
            models.Index(fields=["target", "purpose"], name="idx_verification_target"),
            models.Index(fields=["expires_at"], name="idx_verification_expires"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(attempts__gte=0), name="chk_verification_attempts"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} via {self.channel} ({self.pk})"

    def is_usable(self, now: datetime) -> bool:
        """Whether the code or link can still be used at ``now``: not consumed, not replaced by a newer one,
        not expired. (Attempts and the decoy rule are checked by the services that consume it.) The same rule
        as a query condition: :meth:`usable_q`."""
        return self.consumed_at is None and self.superseded_at is None and self.expires_at > now

    @staticmethod
    def usable_q(now: datetime) -> Q:
        """:meth:`is_usable` as a query condition."""
        return Q(consumed_at__isnull=True, superseded_at__isnull=True, expires_at__gt=now)


__all__ = [
    "AccessPermission",
    "Department",
    "Notification",
    "Role",
    "RolePermission",
    "User",
    "UserDepartment",
    "UserKYC",
    "UserRole",
    "UserSession",
    "VerificationCode",
]

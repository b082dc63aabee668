"""Users, sessions, KYC, staff access control, notifications and the audit log (seed tables 1-3, 23-25)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q

from couponali.models import (
    ZERO,
    CreatedAtField,
    CreatedModel,
    MoneyField,
    SoftDeleteModel,
    SoftDeleteQuerySet,
    TimeStampedModel,
    UuidField,
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
    password = models.CharField("password", max_length=255, db_column="password_hash", null=True, blank=True)

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

    objects = UserManager()
    all_objects = models.Manager.from_queryset(SoftDeleteQuerySet)()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

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


class UserSession(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions", db_index=False)
    # Only a hash of the session key or token is stored, never the value itself.
    token = models.CharField(max_length=500, unique=True)
    device_info = models.JSONField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    expires_at = models.DateTimeField()
    created_at = CreatedAtField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "user_sessions"
        indexes = [
            models.Index(fields=["user"], name="idx_sessions_user"),
            models.Index(fields=["token"], name="idx_sessions_token", condition=Q(revoked_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} of user {self.user_id}"


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

    class Meta:
        db_table = "user_kyc"
        verbose_name = "user KYC"
        verbose_name_plural = "user KYC"

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


# ---------------------------------------------------------------- engagement and audit


class Notification(CreatedModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications", db_index=False)
    title = models.CharField(max_length=120)
    body = models.CharField(max_length=500)
    is_read = flag(False)

    class Meta:
        db_table = "notifications"
        indexes = [models.Index(fields=["user"], name="idx_notifications_user")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class AuditLog(CreatedModel):
    """Append-only: the app role has no UPDATE/DELETE on this table (couponali.db.APPEND_ONLY_TABLES)."""

    actor_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=120)
    entity_type = models.CharField(max_length=60, null=True, blank=True)
    entity_id = models.BigIntegerField(null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "audit_logs"
        indexes = [
            models.Index(fields=["action"], name="idx_audit_logs_action"),
            models.Index(fields=["entity_type", "entity_id"], name="idx_audit_logs_entity"),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.entity_type}#{self.entity_id}"


__all__ = [
    "AccessPermission",
    "AuditLog",
    "Department",
    "Notification",
    "Role",
    "RolePermission",
    "User",
    "UserDepartment",
    "UserKYC",
    "UserRole",
    "UserSession",
]

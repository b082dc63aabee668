from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from couponali.admin import SoftDeleteAdmin

from .models import (
    AccessPermission,
    AuditLog,
    Department,
    Notification,
    Role,
    RolePermission,
    User,
    UserDepartment,
    UserKYC,
    UserRole,
    UserSession,
)


@admin.register(User)
class UserAdmin(SoftDeleteAdmin, DjangoUserAdmin):
    list_display = (
        "id",
        "email",
        "mobile",
        "full_name",
        "role",
        "wallet_balance",
        "pending_cashback",
        "is_active",
        "is_staff",
        "created_at",
    )
    list_filter = ("role", "is_active", "is_staff", "is_verified", "gender")
    search_fields = ("email", "mobile", "full_name", "referral_code", "uuid")
    ordering = ("-created_at",)
    readonly_fields = (
        "uuid",
        "wallet_balance",
        "pending_cashback",
        "lifetime_earnings",
        "created_at",
        "updated_at",
        "last_login",
        "deleted_at",
    )
    raw_id_fields = ("referred_by_user",)
    fieldsets = (
        (None, {"fields": ("uuid", "email", "mobile", "password")}),
        ("Profile", {"fields": ("full_name", "avatar_url", "date_of_birth", "gender")}),
        ("Verification", {"fields": ("email_verified_at", "mobile_verified_at", "is_verified")}),
        ("Wallet (kept by the ledger)", {"fields": ("wallet_balance", "pending_cashback", "lifetime_earnings")}),
        ("Referral", {"fields": ("referral_code", "referred_by_user")}),
        ("Social", {"fields": ("google_id", "facebook_id")}),
        ("Access", {"fields": ("role", "is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at", "deleted_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "mobile", "password1", "password2")}),)
    filter_horizontal = ("groups", "user_permissions")


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "ip_address", "created_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("user__email", "user__mobile", "ip_address")
    raw_id_fields = ("user",)
    readonly_fields = ("token",)


@admin.register(UserKYC)
class UserKYCAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "account_holder_name",
        "ifsc_code",
        "bank_name",
        "status",
        "pan_verified",
        "verified_at",
        "created_at",
    )
    list_filter = ("status", "pan_verified", "state")
    search_fields = ("user__email", "user__mobile", "account_holder_name", "ifsc_code")
    raw_id_fields = ("user",)


class RolePermissionInline(admin.TabularInline):
    model = RolePermission
    extra = 0


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_system", "created_at")
    list_filter = ("is_system",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [RolePermissionInline]


@admin.register(AccessPermission)
class AccessPermissionAdmin(admin.ModelAdmin):
    list_display = ("code", "description")
    search_fields = ("code", "description")
    list_filter = ("role_permissions__role",)


@admin.register(RolePermission)
class RolePermissionAdmin(admin.ModelAdmin):
    list_display = ("role", "permission")
    list_filter = ("role",)
    search_fields = ("role__name", "permission__code")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(UserRole)
class UserRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "role")
    list_filter = ("role",)
    search_fields = ("user__email", "user__mobile", "role__name")
    raw_id_fields = ("user",)


@admin.register(UserDepartment)
class UserDepartmentAdmin(admin.ModelAdmin):
    list_display = ("user", "department")
    list_filter = ("department",)
    search_fields = ("user__email", "user__mobile", "department__name")
    raw_id_fields = ("user",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "title", "is_read", "created_at")
    list_filter = ("is_read", "created_at")
    search_fields = ("title", "body", "user__email", "user__mobile")
    raw_id_fields = ("user",)


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ("created_at", "actor_user", "action", "entity_type", "entity_id")
    list_filter = ("action", "entity_type", "created_at")
    search_fields = ("action", "entity_type", "actor_user__email")
    raw_id_fields = ("actor_user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

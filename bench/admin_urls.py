"""The site's URLs plus /baseline-admin/: the four big changelists as plain ModelAdmins with the columns,
filters and search they had before issue 12 (Django's defaults: full COUNT(*)s, no estimate, no named joins,
the date hierarchy). Routed only by bench/admin_changelists.py."""

from django.contrib import admin
from django.urls import include, path

from accounts.models import User
from couponali.models import AuditLog
from couponali.urls import handler404, handler500  # noqa: F401 - the site's error pages, as the URLconf's own
from offers.models import OfferClick
from wallet.models import CashbackEvent

baseline_site = admin.AdminSite(name="baseline")


@admin.register(OfferClick, site=baseline_site)
class BaselineClickAdmin(admin.ModelAdmin):
    list_display = ("click_id", "offer", "user", "device_type", "ip_address", "created_at")
    list_filter = ("device_type", "created_at")
    search_fields = ("click_id", "user__email", "offer__title")
    date_hierarchy = "created_at"


@admin.register(CashbackEvent, site=baseline_site)
class BaselineCashbackAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "merchant",
        "transaction_amount",
        "cashback_amount",
        "status",
        "held_reason",
        "network",
        "affiliate_transaction_id",
        "created_at",
        "confirmed_at",
        "paid_at",
    )
    list_filter = ("status", ("held_reason", admin.EmptyFieldListFilter), "network", "merchant", "created_at")
    search_fields = ("user__email", "affiliate_transaction_id", "click_id", "merchant__name")


@admin.register(User, site=baseline_site)
class BaselineUserAdmin(admin.ModelAdmin):
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


@admin.register(AuditLog, site=baseline_site)
class BaselineAuditLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_user", "action", "entity_type", "entity_id")
    list_filter = ("action", "entity_type", "created_at")
    search_fields = ("action", "entity_type", "actor_user__email")


urlpatterns = [
    path("baseline-admin/", baseline_site.urls),
    path("", include("couponali.urls")),
]

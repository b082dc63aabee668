from django.contrib import admin

from couponali.admin import AuditedModelAdmin, InrAmountsMixin, inr_column

from .models import Referral


@admin.register(Referral)
class ReferralAdmin(InrAmountsMixin, AuditedModelAdmin, admin.ModelAdmin):
    list_display = (
        "referrer_user",
        "referred_user",
        "status",
        inr_column("total_earned"),
        "created_at",
        "activated_at",
    )
    list_filter = ("status", "created_at")
    search_fields = ("referrer_user__email", "referred_user__email", "referrer_user__referral_code")
    raw_id_fields = ("referrer_user", "referred_user")

from django.contrib import admin

from .models import CashbackEvent, Payout, WalletBalance, WalletTransaction, Withdrawal


@admin.register(WalletTransaction)
class WalletTransactionAdmin(admin.ModelAdmin):
    """Read-only: the ledger is append-only; corrections are new postings through the wallet services."""

    list_display = (
        "created_at",
        "user",
        "type",
        "amount",
        "balance_before",
        "balance_after",
        "reference_type",
        "reference_id",
    )
    list_filter = ("type", "reference_type", "created_at")
    search_fields = ("user__email", "user__mobile", "uuid", "description")
    raw_id_fields = ("user",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WalletBalance)
class WalletBalanceAdmin(admin.ModelAdmin):
    list_display = ("user", "balance", "updated_at")
    search_fields = ("user__email", "user__mobile")
    list_filter = ("updated_at",)
    raw_id_fields = ("user",)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CashbackEvent)
class CashbackEventAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "merchant",
        "transaction_amount",
        "cashback_amount",
        "status",
        "affiliate_transaction_id",
        "created_at",
        "confirmed_at",
        "paid_at",
    )
    list_filter = ("status", "merchant", "created_at")
    search_fields = ("user__email", "affiliate_transaction_id", "click_id", "merchant__name")
    raw_id_fields = ("user", "offer", "merchant")


@admin.register(Withdrawal)
class WithdrawalAdmin(admin.ModelAdmin):
    list_display = ("uuid", "user", "amount", "method", "status", "processed_by_admin", "processed_at", "created_at")
    list_filter = ("status", "method", "created_at")
    search_fields = ("uuid", "user__email", "user__mobile", "transaction_reference")
    raw_id_fields = ("user", "processed_by_admin")


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "amount", "method", "reference", "created_at")
    list_filter = ("method", "created_at")
    search_fields = ("user__email", "reference")
    raw_id_fields = ("user",)

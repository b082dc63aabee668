from django.contrib import admin

from ..models import SupportTicket


@admin.register(SupportTicket)
class SupportTicketAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "subject",
        "user",
        "kind",
        "status",
        "priority",
        "order_reference",
        "created_at",
        "updated_at",
    )
    list_filter = ("kind", "status", "priority", "created_at")
    search_fields = ("subject", "user__email", "user__mobile", "order_reference", "click_id")
    raw_id_fields = ("user", "merchant")
    readonly_fields = ("kind", "click_id", "merchant", "order_reference", "order_amount", "order_date", "attachment")
    fieldsets = (
        (None, {"fields": ("user", "subject", "status", "priority", "description")}),
        (
            "Missing-cashback claim",
            {
                "fields": readonly_fields,
                "description": "Record the conversion with the click id under Wallet › Cashback events › "
                "Record a conversion once the store confirms the order.",
            },
        ),
    )

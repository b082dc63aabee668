from django.contrib import admin

from .admin_fulfilment import OrderFulfilmentAdminMixin, OrderItemVouchersMixin
from .admin_giftcards import GiftCardAdmin  # noqa: F401 - registers CouponAli's gift cards
from .models import Order, OrderItem, Payment


class OrderItemInline(OrderItemVouchersMixin, admin.TabularInline):
    model = OrderItem
    extra = 0
    raw_id_fields = ("product", "variant")
    exclude = ("voucher_codes",)
    readonly_fields = ("vouchers_masked",)


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ("uuid", "amount", "gateway", "status", "created_at")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(OrderFulfilmentAdminMixin, admin.ModelAdmin):
    list_display = (
        "order_number",
        "user",
        "total_amount",
        "wallet_used",
        "status",
        "payment_status",
        "fulfillment_status",
        "created_at",
    )
    list_filter = ("status", "payment_status", "fulfillment_status", "created_at")
    search_fields = ("order_number", "user__email", "user__mobile", "delivery_email")
    raw_id_fields = ("user",)
    inlines = [OrderItemInline, PaymentInline]
    date_hierarchy = "created_at"


@admin.register(OrderItem)
class OrderItemAdmin(OrderItemVouchersMixin, admin.ModelAdmin):
    list_display = ("order", "product_name", "denomination", "quantity", "total_price", "fulfillment_status")
    list_filter = ("fulfillment_status",)
    search_fields = ("order__order_number", "product_name", "product_sku")
    raw_id_fields = ("order", "product", "variant")
    exclude = ("voucher_codes",)
    readonly_fields = ("vouchers_masked",)


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("uuid", "order", "user", "amount", "gateway", "payment_method", "status", "created_at")
    list_filter = ("status", "gateway", "payment_method")
    search_fields = ("uuid", "gateway_order_id", "gateway_payment_id", "order__order_number", "user__email")
    raw_id_fields = ("order", "user")

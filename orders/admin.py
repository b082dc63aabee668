"""Staff pages of the store: orders with filters, an order's items, payments, refunds and timeline, and the
money actions (refund, sending a refund's gateway part again, retrying a fulfilment), each behind a
confirmation page (couponali.admin.money_confirmation); the services check the permissions themselves."""

from decimal import Decimal, InvalidOperation

from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts import authz
from couponali.admin import (
    AuditedModelAdmin,
    InrAmountsMixin,
    MoneyLine,
    PermissionCheckedActionsMixin,
    action_hidden,
    confirmed,
    inr_column,
    json_fields,
    money_confirmation,
)
from couponali.money import format_inr
from couponali.templatetags.money import ist

from . import selectors
from .admin_fulfilment import OrderFulfilmentAdminMixin, OrderItemVouchersMixin
from .admin_giftcards import GiftCardAdmin  # noqa: F401 - registers CouponAli's gift cards
from .models import Order, OrderItem, OrderRefund, Payment, PaymentWebhookEvent
from .services import refunds


class OrderItemInline(OrderItemVouchersMixin, admin.TabularInline):
    model = OrderItem
    extra = 0
    fields = (
        "product_name",
        "product_sku",
        "denomination",
        "quantity",
        "unit_price",
        "total_price",
        "fulfillment_status",
        "vouchers_masked",
    )
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = (
        "payment_method",
        "amount",
        "gateway_order_id",
        "gateway_payment_id",
        "status",
        "refund_amount",
        "refunded_at",
        "error_message",
        "created_at",
    )
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class OrderRefundInline(admin.TabularInline):
    model = OrderRefund
    extra = 0
    fields = (
        "amount",
        "gateway_amount",
        "wallet_amount",
        "status",
        "gateway_refund_id",
        "reason",
        "actor",
        "created_at",
    )
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(
    InrAmountsMixin, OrderFulfilmentAdminMixin, PermissionCheckedActionsMixin, AuditedModelAdmin, admin.ModelAdmin
):
    list_display = (
        "order_number",
        "user",
        inr_column("total_amount"),
        inr_column("wallet_used"),
        "status",
        "payment_status",
        "fulfillment_status",
        "created_at",
    )
    list_filter = ("status", "payment_status", "fulfillment_status", "created_at")
    search_fields = ("order_number", "user__email", "user__mobile", "delivery_email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    inlines = [OrderItemInline, PaymentInline, OrderRefundInline]
    date_hierarchy = "created_at"
    readonly_fields = (
        "order_number",
        "user",
        "subtotal",
        "discount_amount",
        "promo_code",
        "tax_amount",
        "total_amount",
        "wallet_used",
        "status",
        "payment_status",
        "fulfillment_status",
        "delivery_email",
        "delivery_mobile",
        "delivery_address_display",
        "notes",
        "completed_at",
        "cancelled_at",
        "created_at",
        "refund_link",
        "timeline",
    )
    fieldsets = (
        (None, {"fields": ("order_number", "user", "status", "payment_status", "fulfillment_status", "refund_link")}),
        (
            "Amounts",
            {"fields": ("subtotal", "discount_amount", "promo_code", "tax_amount", "total_amount", "wallet_used")},
        ),
        (
            "Delivery",
            {
                "fields": (
                    "delivery_email",
                    "delivery_mobile",
                    "delivery_address_display",
                    "notes",
                    "fulfillment_attempts",
                    "fulfillment_error",
                )
            },
        ),
        ("Staff", {"fields": ("admin_notes",)}),
        ("Timeline", {"fields": ("created_at", "completed_at", "cancelled_at", "timeline")}),
    )

    delivery_address_display = json_fields("delivery_address", "delivery address")

    def has_add_permission(self, request):
        return False  # orders are placed by shoppers through checkout

    def save_model(self, request, obj, form, change):
        # Only the staff notes are edited here; statuses and amounts move through the services. Writing just this
        # column never writes back a status read before a concurrent payment committed.
        Order.objects.filter(pk=obj.pk).update(admin_notes=obj.admin_notes)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        custom = [
            path("<int:order_id>/refund/", self.admin_site.admin_view(self.refund_view), name="orders_order_refund"),
        ]
        return custom + super().get_urls()

    @admin.display(description="refund")
    def refund_link(self, obj):
        if obj.pk is None or obj.status not in refunds.REFUNDABLE_STATUSES:
            return "—"
        return format_html(
            '<a class="button" href="{}">Refund…</a>', reverse("admin:orders_order_refund", args=[obj.pk])
        )

    @admin.display(description="timeline")
    def timeline(self, obj):
        if obj.pk is None:
            return "—"
        entries = selectors.order_timeline(obj)
        return format_html_join("", "<div>{} · {}</div>", ((ist(e.at), e.label) for e in entries)) or "—"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not authz.actor_may(request.user, refunds.REFUND_PERMISSION):
            # nobody sees a button they cannot use
            fieldsets = [
                (n, {**o, "fields": tuple(f for f in o["fields"] if f != "refund_link")}) for n, o in fieldsets
            ]
        return fieldsets

    def _refund_confirmation(self, request, order: Order, amount: Decimal, context: dict):
        """Before the refund: the shopper, the amount and the gift cards handed back, then Confirm."""
        chosen = [item for item in context["items"] if item.pk in context["chosen_items"]]
        handed_back = "; gift cards handed back: " + ", ".join(i.product_name for i in chosen) if chosen else ""
        line = MoneyLine(
            order.user,
            f"Refund of order {order.order_number}, to the original payment first, then the wallet{handed_back}",
            amount,
        )
        hidden = [("amount", str(amount)), ("reason", context["reason"])]
        hidden += [("items", str(item.pk)) for item in chosen]
        return money_confirmation(
            self,
            request,
            title=f"Refund order {order.order_number}",
            lines=[line],
            hidden=hidden,
            cancel_url=reverse("admin:orders_order_change", args=[order.pk]),
            note="Refunding cannot be undone.",
        )

    def refund_view(self, request, order_id: int):
        order = Order.objects.select_related("user").filter(pk=order_id).first()
        if order is None:
            raise Http404
        gateway_left, wallet_left = refunds.refundable(order)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund order {order.order_number}",
            "order": order,
            "opts": self.model._meta,
            "gateway_left": gateway_left,
            "wallet_left": wallet_left,
            "total_left": gateway_left + wallet_left,
            "can_refund": authz.actor_may(request.user, refunds.REFUND_PERMISSION)
            and order.status in refunds.REFUNDABLE_STATUSES,
            "items": list(order.items.order_by("pk")),
            "chosen_items": {int(i) for i in request.POST.getlist("items") if i.isdigit()},
            "amount": request.POST.get("amount", str(gateway_left + wallet_left)),
            "reason": request.POST.get("reason", ""),
            "error": None,
        }
        if request.method == "POST":
            try:
                amount = Decimal(request.POST.get("amount", "").strip())
            except InvalidOperation:
                amount = Decimal("-1")  # the service refuses it with its message
            if not confirmed(request) and amount > 0 and context["can_refund"]:
                return self._refund_confirmation(request, order, amount, context)
            try:
                refund = refunds.order_refund(
                    order_id=order.pk,
                    amount=amount,
                    reason=request.POST.get("reason", ""),
                    actor=request.user,
                    order_item_ids=sorted(context["chosen_items"]),
                )
            except refunds.RefundError as exc:
                context["error"] = str(exc)
                return TemplateResponse(request, "admin/orders/order/refund.html", context, status=400)
            messages.success(
                request,
                f"Refunded {format_inr(refund.amount)} of "
                f"{order.order_number}: {format_inr(refund.gateway_amount)} to the original payment, "
                f"{format_inr(refund.wallet_amount)} to the wallet.",
            )
            return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
        return TemplateResponse(request, "admin/orders/order/refund.html", context)


@admin.register(OrderItem)
class OrderItemAdmin(InrAmountsMixin, OrderItemVouchersMixin, AuditedModelAdmin, admin.ModelAdmin):
    list_display = (
        "order",
        "product_name",
        inr_column("denomination"),
        "quantity",
        inr_column("total_price"),
        "fulfillment_status",
    )
    list_filter = ("fulfillment_status",)
    search_fields = ("order__order_number", "product_name", "product_sku")
    raw_id_fields = ("order", "product", "variant")
    exclude = ("voucher_codes",)
    readonly_fields = ("vouchers_masked",)


@admin.register(Payment)
class PaymentAdmin(InrAmountsMixin, AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("uuid", "order", "user", inr_column("amount"), "gateway", "payment_method", "status", "created_at")
    list_filter = ("status", "gateway", "payment_method")
    search_fields = ("uuid", "gateway_order_id", "gateway_payment_id", "order__order_number", "user__email")
    raw_id_fields = ("order", "user")

    exclude = ("gateway_response",)
    gateway_response_display = json_fields("gateway_response", "gateway response")

    def get_readonly_fields(self, request, obj=None):
        # payments change only through the gateway's answers; its response as lines, not raw JSON
        return [*(f.name for f in self.model._meta.fields if f.name != "gateway_response"), "gateway_response_display"]

    def has_add_permission(self, request):
        return False


@admin.register(OrderRefund)
class OrderRefundAdmin(InrAmountsMixin, PermissionCheckedActionsMixin, AuditedModelAdmin, admin.ModelAdmin):
    list_display = (
        "order",
        inr_column("amount"),
        inr_column("gateway_amount"),
        inr_column("wallet_amount"),
        "status",
        "gateway_refund_id",
        "created_at",
    )
    list_filter = ("status", "created_at")
    search_fields = ("order__order_number", "gateway_refund_id", "uuid")
    raw_id_fields = ("order", "payment", "actor")
    actions = ["retry_gateway_part"]

    def has_add_permission(self, request):
        return False  # refunds are issued from the order's Refund page

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_refund_permission(self, request):
        return authz.actor_may(request.user, refunds.REFUND_PERMISSION)

    @admin.action(description="Send the gateway part again (stuck refunds; never pays twice)", permissions=["refund"])
    def retry_gateway_part(self, request, queryset):
        """Money goes back to the shopper's card or bank: first the confirmation page (each order's shopper and
        the gateway amount); only its POST sends (refunds.refund_send checks the permission and audits)."""
        stuck = list(
            queryset.filter(gateway_refund_id__isnull=True, gateway_amount__gt=0)
            .select_related("order__user")
            .order_by("pk")
        )
        if not stuck:
            self.message_user(request, "None of the selected refunds is waiting for the gateway.", messages.WARNING)
            return None
        if not confirmed(request):
            lines = [
                MoneyLine(
                    refund.order.user,
                    f"Refund {refund.pk} of order {refund.order.order_number}: sent again to the original payment",
                    refund.gateway_amount,
                )
                for refund in stuck
            ]
            return money_confirmation(
                self,
                request,
                title="Send the gateway part again",
                lines=lines,
                hidden=action_hidden("retry_gateway_part", queryset),
                cancel_url=reverse("admin:orders_orderrefund_changelist"),
                note="A refund the gateway already holds (found by its receipt) is recorded, never paid twice.",
            )
        for refund in stuck:
            done = refunds.refund_send(refund_id=refund.pk, actor=request.user)
            if done.gateway_refund_id:
                messages.success(request, f"Refund {done.pk} reached the gateway ({done.gateway_refund_id}).")
            else:
                messages.error(request, f"Refund {done.pk}: {done.error_message}")
        return None


@admin.register(PaymentWebhookEvent)
class PaymentWebhookEventAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("event_id", "event", "outcome", "received_at")
    exclude = ("payload",)
    readonly_fields = ("payload_display",)
    payload_display = json_fields("payload", "payload")
    list_filter = ("event", "gateway")
    search_fields = ("event_id", "outcome")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

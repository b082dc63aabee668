"""The fulfilment part of the order admin: status and last error of each order, its vouchers masked, and
the staff actions retry and resend (permissions declared here and checked again in the services)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html_join

from accounts import authz
from couponali.admin import MoneyLine, action_hidden, confirmed, money_confirmation

from .services import fulfilment
from .vouchers import masked_code


def _run(modeladmin, request, queryset, call, done: str) -> None:
    ok, refused = 0, []
    for order in queryset.order_by("pk"):
        try:
            call(order)
            ok += 1
        except (fulfilment.FulfilmentError, PermissionDenied) as exc:
            refused.append(f"{order.order_number}: {exc}")
    if ok:
        modeladmin.message_user(request, f"{done}: {ok}.", messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, line, messages.ERROR)


def _fulfilment_line(order) -> MoneyLine:
    value = fulfilment.order_vouchers_to_issue(order=order)
    if value is None:
        return MoneyLine(
            order.user, f"Order {order.order_number} is {order.status}: only paid orders are fulfilled", Decimal(0)
        )
    return MoneyLine(order.user, f"Order {order.order_number}: gift card vouchers issued and sent", value)


class OrderFulfilmentAdminMixin:
    fulfilment_fields = ("fulfillment_status", "fulfillment_attempts", "fulfillment_error")
    actions: Sequence[Any] | None = ["retry_fulfilment", "resend_vouchers"]

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *self.fulfilment_fields)

    def has_retry_fulfilment_permission(self, request):
        return authz.actor_may(request.user, fulfilment.RETRY_PERMISSION)

    def has_resend_vouchers_permission(self, request):
        return authz.actor_may(request.user, fulfilment.RESEND_PERMISSION)

    @admin.action(description="Retry the fulfilment of the selected paid orders", permissions=["retry_fulfilment"])
    def retry_fulfilment(self, request, queryset):
        """Vouchers worth money are issued to the shopper: first the confirmation page (each order's shopper and
        the value still to issue); only its POST queues the fulfilment (the service checks and audits)."""
        if not confirmed(request):
            opts = self.opts  # mixed into a ModelAdmin
            return money_confirmation(
                self,
                request,
                title="Retry the fulfilment",
                lines=[_fulfilment_line(order) for order in queryset.select_related("user").order_by("pk")],
                hidden=action_hidden("retry_fulfilment", queryset),
                cancel_url=reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
                note="Lines that already hold vouchers are never issued again.",
            )
        _run(
            self,
            request,
            queryset,
            lambda order: fulfilment.order_fulfilment_retry(order_id=order.pk, actor=request.user),
            "Fulfilment queued again",
        )

    @admin.action(description="Send the vouchers of the selected orders again", permissions=["resend_vouchers"])
    def resend_vouchers(self, request, queryset):
        # No confirmation page: the same vouchers are e-mailed again, no money or value moves.
        _run(
            self,
            request,
            queryset,
            lambda order: fulfilment.order_vouchers_resend(order_id=order.pk, actor=request.user),
            "Vouchers queued for sending again",
        )


class OrderItemVouchersMixin:
    """For the order-item inline and admin: the vouchers masked, never decrypted here."""

    @admin.display(description="vouchers")
    def vouchers_masked(self, obj):
        entries = (obj.voucher_codes or []) if obj is not None else []
        return (
            format_html_join(
                ", ", "{} ({})", ((masked_code(entry), entry.get("status", "active")) for entry in entries)
            )
            or "—"
        )

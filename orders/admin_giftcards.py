"""CouponAli's own gift cards in the back office: read-only rows (codes masked), an "Issue gift cards" page
(behind a confirmation page: issuing creates value) and CSV exports of a batch or a selection. Issuing and
exporting go through orders.services.gift_cards, which checks orders.issue_giftcard and writes the audit rows."""

from __future__ import annotations

import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts import authz
from accounts.models import User
from couponali.admin import (
    AuditedModelAdmin,
    InrAmountsMixin,
    MoneyLine,
    ReadOnlyAdmin,
    confirmed,
    inr_column,
    money_confirmation,
)
from couponali.money import format_inr
from couponali.templatetags.money import ist

from .giftcard_forms import GiftCardIssueForm
from .models import GiftCard, GiftCardRedemption
from .services import gift_cards


def _csv_response(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


class GiftCardRedemptionInline(admin.TabularInline):
    model = GiftCardRedemption
    extra = 0
    fields = ("created_at", "kind", "amount", "status", "user", "order", "released_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GiftCard)
class GiftCardAdmin(ReadOnlyAdmin):
    list_display = (
        "masked_code",
        "user",
        inr_column("initial_value"),
        inr_column("remaining_value"),
        "expires_at",
        "is_active",
        "batch",
    )
    list_filter = ("is_active", "expires_at", "created_at")
    search_fields = ("=code", "user__email")
    fields = ("masked_code", "initial_value", "remaining_value", "user", "expires_at", "is_active", "batch")
    readonly_fields = fields
    inlines = [GiftCardRedemptionInline]
    actions = ["export_csv"]
    change_list_template = "admin/orders/giftcard/change_list.html"

    # Value only moves through the services (under the card's lock); the admin never edits a card (ReadOnlyAdmin).

    def has_issue_giftcard_permission(self, request):
        return authz.actor_may(request.user, gift_cards.ISSUE_PERMISSION)

    @admin.display(description="code")
    def masked_code(self, obj):
        return f"…{obj.code[-4:]}"

    def changelist_view(self, request, extra_context=None):
        extra = {"can_issue": self.has_issue_giftcard_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def get_urls(self):
        return [
            path("issue/", self.admin_site.admin_view(self.issue_view), name="orders_giftcard_issue"),
            path(
                "batch/<uuid:batch>/csv/",
                self.admin_site.admin_view(self.batch_csv_view),
                name="orders_giftcard_batch_csv",
            ),
            *super().get_urls(),
        ]

    def _issue_confirmation(self, request, form):
        data = form.cleaned_data
        shopper = None
        if data["user_id"] is not None:
            shopper = User.objects.filter(pk=data["user_id"]).first()
            if shopper is None:
                form.add_error("user_id", "There is no user with this id.")
                return None
        expiry = f", valid till {ist(data['expires_at'])}" if data["expires_at"] else ""
        whose = "bound to this account" if shopper else "for whoever first uses a code"
        line = MoneyLine(
            shopper,
            f"{data['count']} CouponAli gift card(s) of {format_inr(data['value'])}, {whose}{expiry}",
            data["count"] * data["value"],
        )
        return money_confirmation(
            self,
            request,
            title="Issue the gift cards",
            lines=[line],
            hidden=[(name, request.POST.get(name, "")) for name in form.fields],
            cancel_url=reverse("admin:orders_giftcard_changelist"),
            note="Each card can be spent like money once issued; its code is shown in the batch's CSV.",
        )

    @admin.action(description="Export the selected cards' codes as CSV (audited)", permissions=["issue_giftcard"])
    def export_csv(self, request, queryset):
        text = gift_cards.gift_cards_export(actor=request.user, card_ids=list(queryset.values_list("pk", flat=True)))
        return _csv_response(text, f"couponali-gift-cards-{timezone.localdate()}.csv")

    def batch_csv_view(self, request, batch: uuid.UUID):
        text = gift_cards.gift_cards_export(actor=request.user, batch=batch)
        return _csv_response(text, f"couponali-gift-cards-{batch}.csv")

    def issue_view(self, request):
        if not self.has_issue_giftcard_permission(request):
            raise PermissionDenied
        form = GiftCardIssueForm(request.POST or None)
        if request.method == "POST" and form.is_valid() and not confirmed(request):
            # Issuing creates value: first the confirmation page (whose cards, how many, how much in all).
            page = self._issue_confirmation(request, form)
            if page is not None:
                return page
        elif request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                cards = gift_cards.gift_cards_issue(
                    actor=request.user,
                    count=data["count"],
                    value=data["value"],
                    expires_at=data["expires_at"],
                    user_id=data["user_id"],
                    note=data["note"],
                )
            except gift_cards.GiftCardError as exc:
                form.add_error(None, str(exc))
            else:
                batch = cards[0].batch
                csv_url = reverse("admin:orders_giftcard_batch_csv", args=[batch])
                self.message_user(
                    request,
                    format_html(
                        'Issued {} gift card(s) of {} as batch {}. <a href="{}">Download their codes (CSV)</a>.',
                        len(cards),
                        format_inr(data["value"]),
                        batch,
                        csv_url,
                    ),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:orders_giftcard_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Issue CouponAli gift cards",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/orders/giftcard/issue.html", context)


@admin.register(GiftCardRedemption)
class GiftCardRedemptionAdmin(InrAmountsMixin, AuditedModelAdmin, admin.ModelAdmin):
    """Every use of a card's value (read-only: the services write these rows under the card's lock)."""

    list_display = ("created_at", "gift_card", "kind", inr_column("amount"), "status", "user", "order", "released_at")
    list_filter = ("kind", "status", "created_at")
    search_fields = ("=gift_card__code", "user__email", "order__order_number")
    raw_id_fields = ("gift_card", "user", "order")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

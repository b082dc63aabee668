"""The wallet in the back office. Every change goes through wallet.services (audited there): the ledger is
read-only here; staff record conversions, confirm/reject/reverse cashback, approve/reject withdrawals (with
reasons) and post manual adjustments through the forms and actions below.

Each page and action declares the permission its service checks (accounts.authz, the one place that
answers): without it the button is not shown and a forged POST gets 403 before any service is called."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.authz import FINANCE, actor_may
from accounts.models import User
from catalog.admin_filters import StoreFilter
from couponali.admin import (
    AuditedModelAdmin,
    InrAmountsMixin,
    LargeTableAdminMixin,
    MoneyLine,
    PermissionCheckedActionsMixin,
    ReadOnlyAdmin,
    action_hidden,
    choices_filter,
    confirmed,
    inr_column,
    json_fields,
    money_confirmation,
)
from couponali.admin_site import WorkQueue, work_queue_register
from couponali.money import format_inr

from . import selectors, services
from .models import (
    CashbackEvent,
    Payout,
    UnmatchedConversion,
    WalletBalance,
    WalletDebt,
    WalletTransaction,
    Withdrawal,
)
from .networks import NETWORKS, ConversionError, conversion_parse


def _run(modeladmin, request, queryset, call, done: str) -> None:
    """Apply a service to each selected row; report successes and refusals (WalletError messages)."""
    ok, refused = 0, []
    for obj in queryset.order_by("pk"):
        try:
            call(obj)
            ok += 1
        except services.WalletError as exc:
            refused.append(f"#{obj.pk}: {exc}")
    if ok:
        modeladmin.message_user(request, f"{done}: {ok}.", messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, line, messages.ERROR)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


def _confirm_then_run(  # noqa: PLR0913 - the parts of one money action, all keyword-only
    modeladmin, request, queryset, *, action: str, title: str, line, call, done: str, reason: bool = False
):
    """A money action: first the confirmation page (each shopper and amount, and a reason when the service
    needs one); only the POST from that page (``confirmed=yes``) calls the service, once per row."""
    form = (ReasonForm(request.POST) if confirmed(request) else ReasonForm()) if reason else None
    if confirmed(request) and (form is None or form.is_valid()):
        why = form.cleaned_data["reason"] if form is not None else ""
        _run(modeladmin, request, queryset, (lambda obj: call(obj, why)) if reason else call, done)
        return None
    rows = queryset.select_related("user").order_by("pk")
    opts = modeladmin.opts
    return money_confirmation(
        modeladmin,
        request,
        title=title,
        lines=[line(obj) for obj in rows],
        hidden=action_hidden(action, queryset),
        cancel_url=reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        form=form,
    )


# ---------------------------------------------------------------- ledger


class AdjustmentForm(forms.Form):
    user_id = forms.IntegerField(label="User id", min_value=1)
    amount = forms.DecimalField(
        max_digits=10, decimal_places=2, help_text="Positive credits the wallet, negative debits it."
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


@admin.register(WalletTransaction)
class WalletTransactionAdmin(ReadOnlyAdmin):
    """Read-only: the ledger is append-only; corrections are new postings (the adjustment form, finance only)."""

    list_display = (
        "created_at",
        "user",
        "type",
        inr_column("amount"),
        inr_column("balance_before"),
        inr_column("balance_after"),
        "reference_type",
        "reference_id",
    )
    list_filter = ("type", "reference_type", "created_at")
    search_fields = ("user__email", "user__mobile", "uuid", "description")
    raw_id_fields = ("user",)
    date_hierarchy = "created_at"
    change_list_template = "admin/wallet/wallettransaction/change_list.html"

    def has_adjust_permission(self, request):
        return actor_may(request.user, "wallet.adjust_wallettransaction", department=FINANCE)

    def changelist_view(self, request, extra_context=None):
        extra = {"can_adjust": self.has_adjust_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def get_urls(self):
        return [
            path("adjust/", self.admin_site.admin_view(self.adjust_view), name="wallet_wallettransaction_adjust"),
            *super().get_urls(),
        ]

    def adjust_view(self, request):
        if not self.has_adjust_permission(request):
            raise PermissionDenied
        form = AdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid() and not confirmed(request):
            data = form.cleaned_data
            shopper = User.all_objects.filter(pk=data["user_id"]).first()
            if shopper is None:
                form.add_error("user_id", "There is no user with this id.")
            else:
                what = "credited to" if data["amount"] > 0 else "debited from"
                line = MoneyLine(shopper, f"Manual adjustment {what} the wallet: {data['reason']}", data["amount"])
                return money_confirmation(
                    self,
                    request,
                    title="Post the adjustment",
                    lines=[line],
                    hidden=[(name, str(data[name])) for name in ("user_id", "amount", "reason")],
                    cancel_url=reverse("admin:wallet_wallettransaction_changelist"),
                )
        elif request.method == "POST" and form.is_valid():
            try:
                posting = services.wallet_adjust(
                    user_id=form.cleaned_data["user_id"],
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except (services.WalletError, ObjectDoesNotExist) as exc:
                form.add_error(None, str(exc))
            except ValueError as exc:
                form.add_error("amount", str(exc))
            else:
                self.message_user(request, f"Posted {posting.type} of {format_inr(posting.amount)}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:wallet_wallettransaction_changelist"))
        return TemplateResponse(
            request,
            "admin/wallet/form_page.html",
            {
                **self.admin_site.each_context(request),
                "title": "Manual wallet adjustment",
                "form": form,
                "opts": self.opts,
            },
        )


@admin.register(WalletBalance)
class WalletBalanceAdmin(ReadOnlyAdmin):
    list_display = ("user", inr_column("balance"), inr_column("debt"), "updated_at")
    search_fields = ("user__email", "user__mobile")
    list_filter = ("updated_at",)
    raw_id_fields = ("user",)


@admin.register(WalletDebt)
class WalletDebtAdmin(InrAmountsMixin, AuditedModelAdmin, admin.ModelAdmin):
    """Reversals the balance could not cover: for review. Recovery happens by itself on the next credits."""

    list_display = (
        "id",
        "user",
        inr_column("amount"),
        inr_column("outstanding"),
        "reason",
        "reference_type",
        "reference_id",
        "created_at",
        "settled_at",
    )
    list_filter = ("settled_at", "created_at")
    search_fields = ("user__email", "reason")
    raw_id_fields = ("user", "reviewed_by")
    readonly_fields = (
        "user",
        "amount",
        "outstanding",
        "reason",
        "reference_type",
        "reference_id",
        "settled_at",
        "reviewed_by",
    )
    fields = (*readonly_fields, "notes")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        WalletDebt.objects.filter(pk=obj.pk).update(notes=obj.notes, reviewed_by=request.user)


# ---------------------------------------------------------------- cashback


class ConversionForm(forms.Form):
    network = forms.ChoiceField(choices=[(n.name, n.label) for n in NETWORKS.values()], initial="manual")
    click_id = forms.UUIDField(help_text="The click id (sub id) the shopper's order came through.")
    transaction_id = forms.CharField(max_length=255, help_text="The network's (or the store's) order id.")
    sale_amount = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    commission = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False)
    status = forms.ChoiceField(choices=[("pending", "Pending"), ("confirmed", "Confirmed"), ("rejected", "Rejected")])


@admin.register(CashbackEvent)
class CashbackEventAdmin(
    InrAmountsMixin, LargeTableAdminMixin, PermissionCheckedActionsMixin, AuditedModelAdmin, admin.ModelAdmin
):
    # Fits 1366 px: the dates of confirmation and payment and the network are on the row's page.
    list_display = (
        "id",
        "user",
        "merchant",
        inr_column("transaction_amount", "sale"),
        inr_column("cashback_amount", "cashback"),
        "status",
        "held_reason",
        "affiliate_transaction_id",
        "created_at",
    )
    # Held for review = "held reason: not empty"; staff confirm (releases the hold and pays) or reject them.
    list_filter = (
        "status",
        ("held_reason", admin.EmptyFieldListFilter),
        choices_filter("network", [(n.name, n.label) for n in NETWORKS.values()]),
        StoreFilter,
        "created_at",
    )
    list_select_related = ("user", "merchant")
    # The network's order id and the click id exactly (their indexes), the shopper by part of the e-mail.
    search_fields = ("=affiliate_transaction_id", "=click_id", "user__email")
    search_help_text = "The network's order id or the click id (exactly), or part of the shopper's e-mail."
    raw_id_fields = ("user", "offer", "merchant")
    actions = ["confirm_selected", "reject_selected", "reverse_selected"]
    change_list_template = "admin/wallet/cashbackevent/change_list.html"

    def has_add_permission(self, request):
        return False  # staff entry goes through "Record a conversion" (the same service as postbacks)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # The permissions of the services behind the page and the actions (wallet.services checks them again).
    def has_record_permission(self, request):
        return actor_may(request.user, "wallet.record_cashbackevent")

    def has_confirm_permission(self, request):
        return actor_may(request.user, "wallet.confirm_cashbackevent")

    def has_reject_permission(self, request):
        return actor_may(request.user, "wallet.reject_cashbackevent")

    def has_reverse_permission(self, request):
        return actor_may(request.user, "wallet.reverse_cashbackevent")

    def changelist_view(self, request, extra_context=None):
        extra = {"can_record": self.has_record_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def get_urls(self):
        return [
            path("record/", self.admin_site.admin_view(self.record_view), name="wallet_cashbackevent_record"),
            *super().get_urls(),
        ]

    def record_view(self, request):
        if not self.has_record_permission(request):
            raise PermissionDenied
        # Only the statuses the user may record are offered; one they may not is refused (403) like the service
        # would refuse it, rather than reported as an invalid choice.
        allowed = {s for s, perms in services.RECORD_PERMISSIONS.items() if actor_may(request.user, *perms)}
        if request.method == "POST" and request.POST.get("status") in services.RECORD_PERMISSIONS.keys() - allowed:
            raise PermissionDenied
        form = ConversionForm(request.POST or None)
        form.fields["status"].choices = [c for c in form.fields["status"].choices if c[0] in allowed]
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            network = NETWORKS[data["network"]]
            params = {
                network.fields["click_id"]: str(data["click_id"]),
                network.fields["transaction_id"]: data["transaction_id"],
                network.fields["sale_amount"]: str(data["sale_amount"]),
                network.fields["commission"]: "" if data["commission"] is None else str(data["commission"]),
                network.fields["status"]: next(k for k, v in network.statuses.items() if v == data["status"]),
            }
            try:
                conversion = conversion_parse(network, params)
            except ConversionError as exc:
                form.add_error(None, str(exc))
            else:
                result = services.cashback_record(conversion=conversion, source="staff", actor=request.user)
                level = messages.WARNING if result.outcome in ("unmatched", "ignored") else messages.SUCCESS
                self.message_user(request, f"Conversion {result.outcome}. {result.message}".strip(), level)
                if result.event_id:
                    return HttpResponseRedirect(reverse("admin:wallet_cashbackevent_change", args=[result.event_id]))
                return HttpResponseRedirect(reverse("admin:wallet_unmatchedconversion_changelist"))
        return TemplateResponse(
            request,
            "admin/wallet/form_page.html",
            {
                **self.admin_site.each_context(request),
                "title": "Record a conversion",
                "form": form,
                "opts": self.opts,
            },
        )

    @staticmethod
    def _line(event, what: str) -> MoneyLine:
        return MoneyLine(event.user, f"Cashback #{event.pk} from {event.merchant}: {what}", event.cashback_amount)

    @admin.action(description="Confirm selected cashback (credit the wallet)", permissions=["confirm"])
    def confirm_selected(self, request, queryset):
        return _confirm_then_run(
            self,
            request,
            queryset.select_related("merchant"),
            action="confirm_selected",
            title="Confirm cashback",
            line=lambda e: self._line(e, "credited to the wallet"),
            call=lambda e: services.cashback_confirm(event_id=e.pk, actor=request.user),
            done="Confirmed",
        )

    @admin.action(description="Reject selected cashback (pending only)", permissions=["reject"])
    def reject_selected(self, request, queryset):
        return _confirm_then_run(
            self,
            request,
            queryset.select_related("merchant"),
            action="reject_selected",
            title="Reject cashback",
            line=lambda e: self._line(e, "rejected, never credited"),
            call=lambda e, r: services.cashback_reject(event_id=e.pk, reason=r, actor=request.user),
            done="Rejected",
            reason=True,
        )

    @admin.action(
        description="Reverse selected cashback (after payment: takes the money back)", permissions=["reverse"]
    )
    def reverse_selected(self, request, queryset):
        return _confirm_then_run(
            self,
            request,
            queryset.select_related("merchant"),
            action="reverse_selected",
            title="Reverse cashback",
            line=lambda e: self._line(e, "taken back from the wallet"),
            call=lambda e, r: services.cashback_reverse(event_id=e.pk, reason=r, actor=request.user),
            done="Reversed",
            reason=True,
        )


@admin.register(UnmatchedConversion)
class UnmatchedConversionAdmin(InrAmountsMixin, PermissionCheckedActionsMixin, AuditedModelAdmin, admin.ModelAdmin):
    list_display = (
        "id",
        "network",
        "affiliate_transaction_id",
        "click_ref",
        "reason",
        "times_seen",
        "status",
        "created_at",
    )
    list_filter = ("status", "network", "source", "created_at")
    search_fields = ("affiliate_transaction_id", "click_ref")
    readonly_fields = (
        "network",
        "affiliate_transaction_id",
        "click_ref",
        "reason",
        "payload_display",
        "source",
        "times_seen",
        "status",
        "matched_event",
        "resolved_by",
        "resolved_at",
    )
    exclude = ("payload",)  # shown as lines (payload_display), not as raw JSON
    payload_display = json_fields("payload", "what the network reported")
    actions = ["retry_selected", "dismiss_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        # a retry records the conversion: the record permission is needed as well
        return actor_may(request.user, "wallet.retry_unmatchedconversion", "wallet.record_cashbackevent")

    def has_dismiss_permission(self, request):
        return actor_may(request.user, "wallet.dismiss_unmatchedconversion")

    @admin.action(description="Retry the match (once the click is known)", permissions=["retry"])
    def retry_selected(self, request, queryset):
        """A retry records a cashback for a shopper: first the confirmation page (per row, the shopper the click
        resolves to and the cashback, or why it would not match); only its POST records anything."""
        rows = list(queryset.filter(status=UnmatchedConversion.Status.OPEN).order_by("pk"))
        if not rows:
            self.message_user(request, "None of the selected conversions is open.", messages.WARNING)
            return None
        if not confirmed(request):
            return money_confirmation(
                self,
                request,
                title="Retry the match",
                lines=[self._retry_line(row, request.user) for row in rows],
                hidden=action_hidden("retry_selected", queryset),
                cancel_url=reverse("admin:wallet_unmatchedconversion_changelist"),
                note="Rows that would not match stay open for review.",
            )
        for row in rows:
            try:
                result = services.unmatched_retry(unmatched_id=row.pk, actor=request.user)
            except (services.WalletError, ValueError) as exc:
                self.message_user(request, f"#{row.pk}: {exc}", messages.ERROR)
                continue
            level = messages.SUCCESS if result.event_id else messages.WARNING
            self.message_user(request, f"#{row.pk}: {result.outcome}. {result.message}".strip(), level)
        return None

    @staticmethod
    def _retry_line(row: UnmatchedConversion, actor) -> MoneyLine:
        label = f"{row.network} order {row.affiliate_transaction_id}"
        try:
            preview = services.unmatched_retry_preview(unmatched_id=row.pk, actor=actor)
        except (services.WalletError, ValueError) as exc:
            return MoneyLine(None, f"{label}: cannot be retried ({exc})", Decimal("0.00"))
        return MoneyLine(preview.shopper, f"{label}: {preview.what}", preview.amount)

    @admin.action(description="Dismiss (not ours / duplicate)", permissions=["dismiss"])
    def dismiss_selected(self, request, queryset):
        for row in queryset:
            services.unmatched_dismiss(unmatched_id=row.pk, actor=request.user)
        self.message_user(request, "Dismissed.", messages.SUCCESS)


@admin.register(Withdrawal)
class WithdrawalAdmin(InrAmountsMixin, PermissionCheckedActionsMixin, AuditedModelAdmin, admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        inr_column("amount"),
        "destination",
        "status",
        "approvals_required",
        "first_approver",
        "created_at",
    )
    list_filter = ("status", "method", "approvals_required", "created_at")
    list_select_related = ("user", "first_approver")
    search_fields = ("uuid", "user__email", "user__mobile", "transaction_reference")
    raw_id_fields = ("user", "processed_by_admin", "first_approver")
    # The stored destination is JSON with the ciphertext of a typed UPI id: shown masked, never as it is.
    exclude = ("destination_details",)
    readonly_fields = ("destination",)
    actions = ["approve_selected", "reject_selected", "reconcile_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request):
        return actor_may(request.user, "wallet.approve_withdrawal", department=FINANCE)

    def has_reject_permission(self, request):
        return actor_may(request.user, "wallet.reject_withdrawal", department=FINANCE)

    def has_pay_permission(self, request):
        return actor_may(request.user, "wallet.pay_withdrawal", department=FINANCE)

    @admin.action(
        description="Approve selected (finance; large amounts need two different approvers)", permissions=["approve"]
    )
    def approve_selected(self, request, queryset):
        return _confirm_then_run(
            self,
            request,
            queryset,
            action="approve_selected",
            title="Approve withdrawals",
            line=lambda w: self._line(w, "paid out"),
            call=lambda w: services.withdrawal_approve(withdrawal_id=w.pk, actor=request.user),
            done="Approved",
        )

    @admin.action(description="Reject selected (finance; the money goes back to the wallet)", permissions=["reject"])
    def reject_selected(self, request, queryset):
        return _confirm_then_run(
            self,
            request,
            queryset,
            action="reject_selected",
            title="Reject withdrawals",
            line=lambda w: self._line(w, "returned to the wallet"),
            call=lambda w, r: services.withdrawal_reject(withdrawal_id=w.pk, actor=request.user, reason=r),
            done="Rejected",
            reason=True,
        )

    @staticmethod
    def _line(withdrawal, what: str) -> MoneyLine:
        second = " (large: needs a second approver)" if withdrawal.approvals_required > 1 else ""
        where = selectors.withdrawal_destination_masked(withdrawal)
        return MoneyLine(withdrawal.user, f"Withdrawal to {where}: {what}{second}", withdrawal.amount)

    @admin.display(description="destination")
    def destination(self, obj):
        return selectors.withdrawal_destination_masked(obj)

    @admin.action(description="Ask the payout gateway now (processing ones)", permissions=["pay"])
    def reconcile_selected(self, request, queryset):
        # No confirmation page: asking the gateway for a payout's status moves no money by itself (the answer
        # is recorded as the payout job would record it). The job is queued after commit, so the request never
        # waits on the gateway; the service checks the permission and audits the request.
        queued = services.withdrawal_payout_reconcile_queue(
            withdrawal_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        if queued:
            self.message_user(
                request,
                f"Queued {queued}: the payout gateway is asked in the background; the list shows its answer.",
                messages.SUCCESS,
            )
        else:
            self.message_user(request, "None of the selected withdrawals is processing.", messages.WARNING)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", inr_column("amount"), "method", "reference", "withdrawal", "gateway", "created_at")
    list_filter = ("method", "gateway", "created_at")
    search_fields = ("user__email", "reference", "gateway_payout_id")
    raw_id_fields = ("user", "withdrawal")


# The index's work queues (couponali/admin_site.py): the selectors' conditions.
work_queue_register(WorkQueue(10, "Withdrawals to approve", Withdrawal, selectors.WITHDRAWALS_TO_APPROVE))
work_queue_register(WorkQueue(40, "Unmatched conversions", UnmatchedConversion, selectors.UNMATCHED_OPEN))
work_queue_register(WorkQueue(50, "Failed payouts", Withdrawal, selectors.PAYOUTS_FAILED))

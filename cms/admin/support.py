"""The support desk in the admin: each agent's department queue, and one page per ticket with the thread
(internal notes marked), replies with canned answers, assignment, status and priority, and for a
missing-cashback claim the click, the store's tracking and the network's status with approve/reject.

Every button posts to a small view here that calls one service; the services check the agent's department."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts import authz
from accounts.models import User
from catalog.admin_filters import StoreFilter
from cms import selectors, services
from cms.forms import MultipleFileField
from cms.models import CannedAnswer, SupportTicket, SupportTicketAttachment, SupportTicketMessage
from couponali.admin import AuditedModelAdmin, ReadOnlyAdmin
from couponali.admin_site import WorkQueue, work_queue_register
from wallet.services import WalletError


class ReplyForm(forms.Form):
    canned = forms.ModelChoiceField(
        queryset=CannedAnswer.objects.filter(is_active=True),
        required=False,
        label="Canned answer",
        help_text="Starts the reply with this text ({name} becomes the shopper's first name).",
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6, "cols": 80}), required=False, label="Message")
    internal = forms.BooleanField(required=False, label="Internal note (the shopper never sees it)")
    # Typed as BaseForm.files (the uploads) too; at run time the form's metaclass moves the field to base_fields.
    files = MultipleFileField(required=False, label="Attachments (PDF, JPG or PNG, up to 5 MB each)")  # type: ignore[assignment]


class ApproveForm(forms.Form):
    sale_amount = forms.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0.01"), label="Sale amount (₹)"
    )


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), label="Reason (the shopper sees it)")


class SlaFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("waiting", "Waiting for us")]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(status="open").order_by("waiting_since")
        return queryset


@admin.register(SupportTicket)
class SupportTicketAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = (
        "id",
        "subject",
        "user",
        "category",
        "department",
        "status",
        "priority",
        "assigned_to",
        "sla",
        "updated_at",
    )
    list_filter = (SlaFilter, "status", "category", "priority", "department", "kind", StoreFilter)
    search_fields = ("subject", "user__email", "user__mobile", "order_reference", "click_id")
    actions = ["assign_to_me", "mark_resolved", "mark_closed"]
    list_select_related = ("user", "department", "assigned_to")

    def has_add_permission(self, request):
        return False  # shoppers open tickets; agents answer them

    def has_delete_permission(self, request, obj=None):
        return False

    def has_answer_permission(self, request):
        """The list actions below (permissions=["answer"]); the services check the same permission."""
        return authz.actor_may(request.user, selectors.TICKET_ANSWER)

    def get_queryset(self, request):
        return selectors.tickets_for_agent(user=request.user)

    @admin.display(description="Waiting")
    def sla(self, obj):
        age = selectors.sla_age(obj)
        if age is None:
            return "—"
        hours = int(age.total_seconds() // 3600)
        text = f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{hours}h {int(age.total_seconds() // 60) % 60}m"
        return f"{text} ⚠ overdue" if selectors.sla_overdue(obj) else text

    def get_urls(self):
        def view(fn):
            return self.admin_site.admin_view(fn)

        return [
            path("<int:ticket_id>/reply/", view(self.reply_view), name="cms_supportticket_reply"),
            path("<int:ticket_id>/update/", view(self.update_view), name="cms_supportticket_update"),
            path("<int:ticket_id>/approve/", view(self.approve_view), name="cms_supportticket_approve"),
            path("<int:ticket_id>/reject/", view(self.reject_view), name="cms_supportticket_reject"),
            path("<int:ticket_id>/share/", view(self.share_view), name="cms_supportticket_share"),
            path("<int:ticket_id>/unshare/", view(self.unshare_view), name="cms_supportticket_unshare"),
            *super().get_urls(),
        ]

    # ------------------------------------------------------------ the ticket page

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._desk(request, int(object_id))

    def _desk(self, request, ticket_id, *, reply=None, approve=None, reject=None, status=200):
        if not self.has_view_permission(request):
            raise PermissionDenied
        ticket = get_object_or_404(
            SupportTicket.objects.select_related("user", "merchant", "department", "assigned_to"), pk=ticket_id
        )
        services.support_access_check(actor=request.user, ticket=ticket)  # another department's ticket: 403
        is_claim = ticket.kind == SupportTicket.Kind.MISSING_CASHBACK
        # Sharing is a permission change: the service checks the same permission; without it no box at all.
        can_share = authz.actor_may(request.user, services.TICKET_CHANGE)
        # Replying, status, priority and claims: the services check the same permission; without it, read only.
        can_answer = authz.actor_may(request.user, selectors.TICKET_ANSWER)
        return TemplateResponse(
            request,
            "admin/cms/supportticket/desk.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Ticket #{ticket.pk}: {ticket.subject}",
                "opts": self.model._meta,
                "ticket": ticket,
                "thread": selectors.thread_for_staff(ticket=ticket),
                "sla": self.sla(ticket),
                "reply_form": reply or ReplyForm(),
                "approve_form": approve or ApproveForm(initial={"sale_amount": ticket.order_amount}),
                "reject_form": reject or RejectForm(),
                "facts": selectors.claim_facts(ticket=ticket) if is_claim else None,
                "claim_open": is_claim and not ticket.cashback_event_id and not ticket.claim_rejected_reason,
                # The wallet service checks the same permission; without it the button is not offered.
                "can_record_cashback": request.user.has_perm("wallet.record_cashbackevent"),
                "statuses": SupportTicket.Status.choices,
                "priorities": SupportTicket.Priority.choices,
                "can_share": can_share,
                "can_answer": can_answer,
                "shared_with": list(selectors.ticket_colleagues_shared(ticket=ticket)) if can_share else [],
                "share_candidates": list(selectors.ticket_share_candidates(ticket=ticket)) if can_share else [],
            },
            status=status,
        )

    def _back(self, ticket_id):
        return HttpResponseRedirect(reverse("admin:cms_supportticket_change", args=[ticket_id]))

    def reply_view(self, request, ticket_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            body = data["body"].strip()
            if data["canned"]:
                ticket = get_object_or_404(SupportTicket.objects.select_related("user"), pk=ticket_id)
                canned = data["canned"].body.replace("{name}", ticket.user.get_short_name())
                body = f"{canned}\n\n{body}".strip()
            try:
                services.ticket_reply_by_agent(
                    actor=request.user, ticket_id=ticket_id, body=body, internal=data["internal"], files=data["files"]
                )
            except (services.SupportError, services.AttachmentRefused) as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, "Note added." if data["internal"] else "Reply sent.", messages.SUCCESS)
                return self._back(ticket_id)
        return self._desk(request, ticket_id, reply=form, status=400)

    def update_view(self, request, ticket_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            if request.POST.get("assign"):
                services.ticket_assign_to_self(actor=request.user, ticket_id=ticket_id)
            if request.POST.get("priority"):
                services.ticket_set_priority(actor=request.user, ticket_id=ticket_id, priority=request.POST["priority"])
            if request.POST.get("status"):
                services.ticket_set_status(actor=request.user, ticket_id=ticket_id, status=request.POST["status"])
        except services.SupportError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, "Ticket updated.", messages.SUCCESS)
        return self._back(ticket_id)

    def approve_view(self, request, ticket_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form = ApproveForm(request.POST)
        if form.is_valid():
            try:
                services.claim_cashback_create(
                    actor=request.user, ticket_id=ticket_id, sale_amount=form.cleaned_data["sale_amount"]
                )
            except (services.SupportError, WalletError) as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, "Cashback event created (pending); the shopper was told.", messages.SUCCESS)
                return self._back(ticket_id)
        return self._desk(request, ticket_id, approve=form, status=400)

    def reject_view(self, request, ticket_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form = RejectForm(request.POST)
        if form.is_valid():
            try:
                services.claim_reject(actor=request.user, ticket_id=ticket_id, reason=form.cleaned_data["reason"])
            except services.SupportError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, "Claim rejected; the shopper sees the reason.", messages.SUCCESS)
                return self._back(ticket_id)
        return self._desk(request, ticket_id, reject=form, status=400)

    def share_view(self, request, ticket_id):
        return self._share(request, ticket_id, services.ticket_share, "Shared with {}.", "already shared")

    def unshare_view(self, request, ticket_id):
        return self._share(request, ticket_id, services.ticket_unshare, "No longer shared with {}.", "not shared")

    def _share(self, request, ticket_id, service, done, unchanged):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            colleague_id = int(request.POST.get("colleague", ""))
        except ValueError:
            self.message_user(request, "Choose a colleague.", messages.ERROR)
            return self._back(ticket_id)
        try:
            changed = service(actor=request.user, ticket_id=ticket_id, colleague_id=colleague_id)
        except SupportTicket.DoesNotExist:
            raise Http404 from None
        except services.SupportError as exc:  # PermissionDenied passes through: 403
            self.message_user(request, str(exc), messages.ERROR)
        else:
            colleague = User.all_objects.filter(pk=colleague_id).first()
            text = done.format(colleague) if changed else f"Nothing to do: {unchanged}."
            self.message_user(request, text, messages.SUCCESS if changed else messages.INFO)
        return self._back(ticket_id)

    # ------------------------------------------------------------ list actions

    def _each(self, request, queryset, call, done):
        ok = 0
        for ticket_id in queryset.values_list("pk", flat=True):
            try:
                call(ticket_id)
                ok += 1
            except (services.SupportError, PermissionDenied) as exc:
                self.message_user(request, f"#{ticket_id}: {exc}", messages.ERROR)
        if ok:
            self.message_user(request, f"{done} {ok} ticket(s).", messages.SUCCESS)

    @admin.action(description="Assign selected tickets to me", permissions=["answer"])
    def assign_to_me(self, request, queryset):
        self._each(
            request, queryset, lambda pk: services.ticket_assign_to_self(actor=request.user, ticket_id=pk), "Assigned"
        )

    @admin.action(description="Mark selected tickets resolved", permissions=["answer"])
    def mark_resolved(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda pk: services.ticket_set_status(actor=request.user, ticket_id=pk, status="resolved"),
            "Resolved",
        )

    @admin.action(description="Close selected tickets", permissions=["answer"])
    def mark_closed(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda pk: services.ticket_set_status(actor=request.user, ticket_id=pk, status="closed"),
            "Closed",
        )


@admin.register(CannedAnswer)
class CannedAnswerAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("title", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("title", "body")


class _ThreadRowAdmin(ReadOnlyAdmin):
    """Searchable, read-only lists of messages and attachments, limited to the agent's queue; the ticket page is
    where they are read and answered."""


@admin.register(SupportTicketMessage)
class SupportTicketMessageAdmin(_ThreadRowAdmin):
    list_display = ("id", "ticket", "author", "from_staff", "is_internal", "created_at")
    list_filter = ("from_staff", "is_internal")
    search_fields = ("body", "ticket__subject")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(ticket__in=selectors.tickets_for_agent(user=request.user))


@admin.register(SupportTicketAttachment)
class SupportTicketAttachmentAdmin(_ThreadRowAdmin):
    list_display = ("id", "original_name", "content_type", "size", "message", "created_at")
    list_filter = ("content_type",)
    search_fields = ("original_name",)
    exclude = ("file",)  # opened only through the checked view

    def get_queryset(self, request):
        tickets = selectors.tickets_for_agent(user=request.user)
        return super().get_queryset(request).filter(message__ticket__in=tickets)


work_queue_register(WorkQueue(30, "Open claims", SupportTicket, selectors.CLAIMS_OPEN))

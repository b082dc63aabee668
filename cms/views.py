"""The shopper's support pages: tickets and their threads, a new ticket, a missing-cashback claim, and the one
way to an attachment (permission-checked; the files live outside the web root)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from offers.models import OfferClick

from . import selectors, services
from .forms import CustomerReplyForm, MissingCashbackClaimForm, TicketForm
from .models import SupportTicketAttachment


@login_required
def claim(request, click_id):
    click = (
        OfferClick.objects.filter(click_id=click_id, user_id=request.user.pk).select_related("offer__merchant").first()
    )
    if click is None:
        raise Http404("No such store visit")
    form = MissingCashbackClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.missing_cashback_claim_create(
                user_id=request.user.pk, click_id=click.click_id, **form.cleaned_data
            )
        except (services.SupportError, services.AttachmentRefused) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Thanks: we received your claim and will check it with the store.")
            return redirect("cms:ticket", ticket_id=ticket.pk)
    return render(request, "cms/claim.html", {"form": form, "click": click}, status=400 if form.errors else 200)


@login_required
def tickets(request):
    rows = selectors.tickets_of_user(user_id=request.user.pk)
    return render(request, "cms/tickets.html", {"tickets": rows[:100]})


@login_required
def ticket_new(request):
    form = TicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_open(user_id=request.user.pk, **form.cleaned_data)
        except (services.SupportError, services.AttachmentRefused) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Thanks: your message is with our support team.")
            return redirect("cms:ticket", ticket_id=ticket.pk)
    return render(request, "cms/ticket_new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def ticket(request, ticket_id):
    found = selectors.ticket_of_user(user_id=request.user.pk, ticket_id=ticket_id)
    if found is None:
        raise Http404("No such ticket")
    form = CustomerReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ticket_reply_by_customer(user_id=request.user.pk, ticket_id=found.pk, **form.cleaned_data)
        except (services.SupportError, services.AttachmentRefused) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your reply was sent.")
            return redirect("cms:ticket", ticket_id=found.pk)
    return render(
        request,
        "cms/ticket.html",
        {"ticket": found, "thread": selectors.thread_for_customer(ticket=found), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def attachment(request, attachment_id):
    try:
        row = services.attachment_open(viewer=request.user, attachment_id=attachment_id)
    except SupportTicketAttachment.DoesNotExist:
        raise Http404("No such attachment") from None  # someone else's: as if it did not exist
    response = FileResponse(
        row.file.open("rb"),
        content_type=row.content_type,
        as_attachment=row.content_type == "application/pdf",
        filename=row.original_name,
    )
    # Shown as a download or a plain image, never as a page of ours: no scripts, no sniffing, not cached.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from .forms import MissingCashbackClaimForm
from .models import SupportTicket
from .services import ClaimRefused, missing_cashback_claim_create


@login_required
def claim(request, click_id):
    from offers.models import OfferClick

    click = (
        OfferClick.objects.filter(click_id=click_id, user_id=request.user.pk).select_related("offer__merchant").first()
    )
    if click is None:
        raise Http404("No such store visit")
    form = MissingCashbackClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            missing_cashback_claim_create(user_id=request.user.pk, click_id=click.click_id, **form.cleaned_data)
        except ClaimRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Thanks: we received your claim and will check it with the store.")
            return redirect("cms:tickets")
    return render(request, "cms/claim.html", {"form": form, "click": click}, status=400 if form.errors else 200)


@login_required
def tickets(request):
    rows = SupportTicket.objects.filter(user_id=request.user.pk).select_related("merchant").order_by("-created_at")
    return render(request, "cms/tickets.html", {"tickets": rows[:100]})

"""Shopper pages of the wallet. They run in the request's row-level-security scope (the shopper)."""

from __future__ import annotations

import csv
import io
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from couponali.idempotency import idempotent
from couponali.money import format_inr
from couponali.templatetags.money import ist

from . import selectors, services
from .forms import StatementFilterForm, WithdrawalForm


@login_required
def home(request):
    return render(
        request,
        "wallet/home.html",
        {
            "summary": selectors.wallet_summary(user=request.user),
            "cashbacks": selectors.cashback_rows(user_id=request.user.pk, limit=50),
            "withdrawals": selectors.withdrawals_of(user_id=request.user.pk, limit=10),
            "recent": selectors.statement(user_id=request.user.pk)[:5],
        },
    )


def _filtered(request):
    form = StatementFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.statement(
        user_id=request.user.pk,
        kind=filters.get("type") or None,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    return form, qs


@login_required
def statement(request):
    form, qs = _filtered(request)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "wallet/statement.html", {"form": form, "page": page, "query": query.urlencode()})


@login_required
def statement_csv(request):
    """The filtered statement as CSV, built inside the request (its RLS scope), not streamed after it."""
    _form, qs = _filtered(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "type", "description", "amount", "balance_after", "reference"])
    for t in qs.iterator(chunk_size=1000):
        writer.writerow(
            [
                ist(t.created_at),
                t.get_type_display(),
                t.description or "",
                format_inr(t.amount),
                format_inr(t.balance_after),
                str(t.uuid),
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="couponali-statement-{timezone.localdate()}.csv"'
    return response


@login_required
def withdraw(request):
    summary = selectors.wallet_summary(user=request.user)
    if request.method != "POST":
        return render(request, "wallet/withdraw.html", {"form": WithdrawalForm(), "summary": summary})
    return _withdraw_post(request, summary)


@idempotent
def _withdraw_post(request, summary):
    form = WithdrawalForm(request.POST)
    if form.is_valid():
        try:
            withdrawal = services.withdrawal_request(
                user_id=request.user.pk,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                details=form.details(),
            )
        except services.WalletError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Withdrawal of {format_inr(withdrawal.amount)} requested. We will let you know when it is paid.",
            )
            return redirect("wallet:home")
    # The corrected form is a new request: it gets a new key (this one keeps answering with this page).
    form.data = form.data.copy()
    form.data["idempotency_key"] = str(uuid.uuid4())
    return render(request, "wallet/withdraw.html", {"form": form, "summary": summary}, status=400)


@login_required
def clicks(request):
    return render(request, "wallet/clicks.html", {"clicks": selectors.click_history(user_id=request.user.pk)})

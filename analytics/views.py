"""The admin's analytics dashboard and its CSV export (wrapped in admin_view by urls.py: staff only)."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse

from accounts.selectors import KYC_TO_REVIEW
from wallet.selectors import WITHDRAWALS_TO_APPROVE

from . import selectors
from .forms import DateRangeForm, default_range

VIEW_PERMISSION = "analytics.view_dashboard"
EXPORT_PERMISSION = "analytics.export_data"


def can_view(user) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(VIEW_PERMISSION))


def can_export(user) -> bool:
    return can_view(user) and user.has_perm(EXPORT_PERMISSION)


def panel_context(request, form: DateRangeForm) -> dict:
    """The dashboard for the form's period (the last 30 days when the form is empty or invalid)."""
    start, end = (form.cleaned_data["start"], form.cleaned_data["end"]) if form.is_valid() else default_range()
    user = request.user
    changelist = "admin:{}_changelist".format
    return {
        "analytics": selectors.dashboard(start=start, end=end),
        "analytics_form": form,
        "analytics_can_export": can_export(user),
        "analytics_query": f"start={start.isoformat()}&end={end.isoformat()}",
        # The queues link to their changelists only for staff who may open them.
        "analytics_withdrawals_url": reverse(changelist("wallet_withdrawal")) + "?" + urlencode(WITHDRAWALS_TO_APPROVE)
        if user.has_perm("wallet.view_withdrawal") or user.has_perm("wallet.change_withdrawal")
        else "",
        "analytics_kyc_url": reverse(changelist("accounts_userkyc")) + "?" + urlencode(KYC_TO_REVIEW)
        if user.has_perm("accounts.view_userkyc") or user.has_perm("accounts.change_userkyc")
        else "",
    }


def dashboard(request):
    if not can_view(request.user):
        raise PermissionDenied
    form = DateRangeForm(request.GET)
    context = {
        **admin.site.each_context(request),
        **panel_context(request, form),
        "title": "Analytics",
    }
    return render(request, "analytics/dashboard.html", context)


def _cell(value) -> str:
    """A store name that starts like a formula is written as text, so that a spreadsheet does not run it."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(request):
    if not can_export(request.user):
        raise PermissionDenied
    form = DateRangeForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(" ".join(m for errors in form.errors.values() for m in errors))
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    kind = request.GET.get("kind", "daily")
    out = io.StringIO()
    writer = csv.writer(out)
    if kind == "daily":
        writer.writerow(
            [
                "day",
                "offer_views",
                "clicks",
                "conversions",
                "confirmed",
                "cashback_pending",
                "cashback_confirmed",
                "cashback_paid",
                "cashback_reversed",
                "cashback_rejected",
                "commission",
            ]
        )
        for d in selectors.daily_figures(start=start, end=end):
            writer.writerow(
                [
                    d.day.isoformat(),
                    d.views,
                    d.clicks,
                    d.conversions,
                    d.confirmed,
                    d.pending_amount,
                    d.confirmed_amount,
                    d.paid_amount,
                    d.reversed_amount,
                    d.rejected_amount,
                    d.commission_amount,
                ]
            )
    elif kind == "merchants":
        writer.writerow(["store", "slug", "clicks", "conversions", "conversion_rate_percent", "commission", "cashback"])
        for m in selectors.top_merchants(start=start, end=end, limit=None):
            rate = "" if m.conversion_rate is None else m.conversion_rate
            writer.writerow([_cell(m.name), m.slug, m.clicks, m.conversions, rate, m.commission, m.cashback])
    else:
        return HttpResponseBadRequest("kind must be 'daily' or 'merchants'.")
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="couponali-{kind}-{start}-{end}.csv"'
    return response

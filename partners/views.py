"""The partner's own page (/partners/): an organisation's admin users list, create (shown once) and revoke API
keys, and see their webhook endpoints and recent deliveries. Signed in as their user; staff manage everything in
the admin."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import ApiKeyCreateForm


def _organisation(request):
    organisation = services.organisation_of_member(request.user)
    if organisation is None:
        raise PermissionDenied("This page is for the admin users of a partner organisation.")
    return organisation


def _page(request, organisation, *, form, full_key=None):
    context = {
        "organisation": organisation,
        "keys": selectors.keys_of(organisation),
        "stores": selectors.stores_of(organisation),
        "webhooks": selectors.webhooks_of(organisation),
        "deliveries": selectors.deliveries_of(organisation),
        "form": form,
        "full_key": full_key,
        "now": timezone.now(),
    }
    return render(request, "partners/home.html", context)


@login_required
@never_cache
def home(request):
    organisation = _organisation(request)
    if request.method != "POST":
        return _page(request, organisation, form=ApiKeyCreateForm())
    form = ApiKeyCreateForm(request.POST)
    if not form.is_valid():
        return _page(request, organisation, form=form)
    days = form.cleaned_data.get("expires_in_days")
    try:
        _key, full = services.api_key_create(
            actor=request.user,
            organisation=organisation,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
    except services.PartnerError as exc:
        form.add_error(None, str(exc))
        return _page(request, organisation, form=form)
    # Answered directly (no redirect): the key is in this one response and nowhere else.
    return _page(request, organisation, form=ApiKeyCreateForm(), full_key=full)


@login_required
@require_POST
def key_revoke(request, key_id):
    organisation = _organisation(request)
    key = selectors.keys_of(organisation).select_related("organisation").filter(uuid=key_id).first()
    if key is None:
        raise Http404("No key of your organisation has this id.")
    services.api_key_revoke(actor=request.user, key=key)
    messages.success(request, f"The key {key.prefix}… is revoked: requests with it now get 401.")
    return redirect("partners:home")

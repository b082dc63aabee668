from __future__ import annotations

from django.shortcuts import render

from catalog.models import Merchant

from .selectors import offers_live


def home(request):
    offers = offers_live().select_related("merchant").order_by("-is_featured", "expires_at")[:24]
    stores = Merchant.objects.filter(is_active=True, is_featured=True).order_by("-priority", "name")[:12]
    return render(request, "offers/home.html", {"offers": offers, "stores": stores})

"""The click-out benchmark's baselines (bench/clickout.py), routed by bench/urls.py only: never in the site's
URLconf."""

from __future__ import annotations

import uuid

from django.http import HttpResponseRedirect

from couponali.ratelimit import client_ip
from offers.models import Offer, OfferClick
from offers.views import click_redirect


def bare_redirect(request):
    """A bare 302 behind the same middleware, built by the click-out's own response builder (same headers)."""
    return click_redirect("https://www.example.com/")


def orm_click(request, offer_uuid: uuid.UUID):
    """The naive click-out, for reference: an ORM lookup of the offer and an ORM insert per request, to show what
    the cache and the lean path buy."""
    offer = Offer.objects.select_related("merchant").get(uuid=offer_uuid)
    click = OfferClick.objects.create(
        offer=offer,
        merchant=offer.merchant,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        device_type="mobile",
    )
    response = HttpResponseRedirect(f"{offer.affiliate_url}?subid={click.click_id}")
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response

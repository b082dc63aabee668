"""The click-out of one request, shared by /go/ (offers.views) and the app's POST /api/v1/offers/<uuid>/click/
(offers.api): one rate-limit decision and one way of writing the click, so an app's click is counted and
recorded exactly like a browser's."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError
from django.http import HttpRequest

from accounts.devices import device_type
from couponali.ratelimit import client_ip, client_ip_address, limit_hit

from . import clickout, services


def clickout_limit_hit(request: HttpRequest) -> None:
    """Count this click against its client address (a sliding window of CLICKOUT_RATE_LIMIT, shared by offer and
    store click-outs, pages and API); raises couponali.ratelimit.RateLimited past the limit."""
    limit_hit(scope="clickout", key=client_ip(request), rate=settings.CLICKOUT_RATE_LIMIT, strategy="sliding")


@dataclass(frozen=True)
class ClickWritten:
    click_id: uuid.UUID
    url: str


def click_write(request: HttpRequest, target: clickout.ClickTarget, *, user_id: int | None) -> ClickWritten | None:
    """Write the click row and return the tracking URL to send the shopper to; None when there is nothing to
    send them to: no usable stored link, or the offer row vanished since this process cached it (the cache is
    then cleared)."""
    click_id = uuid.uuid4()
    url = target.url_for(click_id=str(click_id), user_id=user_id)
    if url is None:
        return None
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    try:
        services.click_record(
            target=target,
            click_id=click_id,
            user_id=user_id,
            ip_address=client_ip_address(request),
            user_agent=user_agent,
            referrer=request.META.get("HTTP_REFERER", ""),
            device_type=device_type(user_agent),
        )
    except IntegrityError:
        clickout.clear_cache()
        return None
    return ClickWritten(click_id=click_id, url=url)

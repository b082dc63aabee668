"""The partner's page and the admin's "key created" page give dates as "5 Mar 2027" and times in IST, through
the money template library (dmy, ist) like every other page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from partners.factories import PartnerMemberFactory
from partners.models import ApiKey, WebhookDelivery, WebhookEndpoint, WebhookEvent

from .conftest import make_key

pytestmark = pytest.mark.django_db

LAST_USED = dt.datetime(2026, 12, 4, 9, 35, tzinfo=dt.UTC)  # 3:05 pm in India


def test_partners_page_shows_short_dates_and_ist_times(brand):
    make_key(brand, expires_at=timezone.now() + dt.timedelta(days=400))
    ApiKey.objects.update(last_used_at=LAST_USED, expires_at=dt.datetime(2027, 3, 4, 20, 0, tzinfo=dt.UTC))
    endpoint = WebhookEndpoint.objects.create(
        organisation=brand, url="https://brand.example/hook", events=[WebhookEvent.OFFER_CHANGED], secret_encrypted="x"
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event=WebhookEvent.OFFER_CHANGED, payload="{}", give_up_at=timezone.now()
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=LAST_USED)
    browser = Client()
    browser.force_login(PartnerMemberFactory(organisation=brand).user)

    html = browser.get("/partners/").content.decode()

    assert "<td>5 Mar 2027</td>" in html  # 8 pm UTC on the 4th is the 5th in India
    assert html.count("<td>4 Dec 2026, 3:05 pm IST</td>") == 2  # last used, and the delivery
    assert "15:05" not in html


def test_admin_key_created_page_gives_the_expiry_in_ist(admin_client, brand):
    response = admin_client.post(
        "/admin/partners/apikey/add/",
        {
            "organisation": brand.pk,
            "name": "sync",
            "scopes": ["offers:write"],
            "expires_at_0": "2027-03-05",
            "expires_at_1": "23:59",
        },
    )

    assert response.status_code == 200
    assert "expires: 5 Mar 2027, 11:59 pm IST" in response.content.decode()

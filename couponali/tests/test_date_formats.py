"""Dates and times that Django formats by itself (the admin's columns and read-only fields, the ``date`` filter)
come out the Indian way, labelled IST, like the pages' ``dmy`` and ``ist`` filters (couponali/formats/en_IN)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone

from accounts.factories import StaffUserFactory, UserFactory
from couponali import rls
from wallet import services as wallet
from wallet.models import WalletBalance


def test_django_formats_dates_as_4_dec_2026_and_times_in_ist():
    moment = dt.datetime(2026, 12, 4, 9, 35, tzinfo=dt.UTC)  # 3:05 pm in India
    html = Template("{{ d }}|{{ m }}|{{ d|date }}|{{ m|date:'SHORT_DATETIME_FORMAT' }}").render(
        Context({"d": dt.date(2026, 12, 4), "m": moment})
    )
    assert html == "4 Dec 2026|4 Dec 2026, 3:05 p.m. IST|4 Dec 2026|4 Dec 2026, 3:05 p.m. IST"


@pytest.mark.django_db
def test_the_admin_shows_dates_the_indian_way_with_ist(client):
    user = UserFactory()
    with rls.bypass(reason="test set-up"):
        wallet.wallet_post(user_id=user.pk, amount=Decimal("50.00"), type="admin_credit", description="Welcome")
        balance = WalletBalance.objects.get(user=user)
    client.force_login(StaffUserFactory(is_superuser=True))

    html = client.get("/admin/wallet/walletbalance/").content.decode()

    shown = timezone.localtime(balance.updated_at)
    hour = shown.hour % 12 or 12
    meridiem = "a.m." if shown.hour < 12 else "p.m."
    assert f"{shown.day} {shown:%b %Y}, {hour}:{shown:%M} {meridiem} IST" in html
    assert "Dec." not in html and "Jan." not in html

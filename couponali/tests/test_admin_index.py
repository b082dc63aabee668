"""The back office's index (couponali/admin_site.py): work queues with counts and links that open exactly the
rows counted, money first, one Accounts section, plumbing for superusers only."""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal
from typing import cast

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.urls import reverse

from accounts.factories import StaffUserFactory, UserFactory, UserKYCFactory, grant_permissions
from cms.factories import SupportTicketFactory
from cms.models import SupportTicket
from couponali.admin_site import SUPERUSER_ONLY, CouponAliAdminSite
from wallet.factories import UnmatchedConversionFactory, WithdrawalFactory
from wallet.models import UnmatchedConversion, Withdrawal

QUEUE_ROW = re.compile(
    r'<th scope="row"><a href="([^"]+)">([^<]+)</a></th>\s*<td><a href="[^"]+" data-queue-count>(\d+)</a>'
)


@pytest.fixture(autouse=True)
def _rls_bypass(db):
    # user_kyc, support_tickets... are under forced row-level security; the rows are built outside a request.
    with connection.cursor() as cur:
        cur.execute("SELECT set_config('app.rls_bypass', 'on', false)")


def withdrawal_in(status: str) -> Withdrawal:
    """A withdrawal moved through the states the withdrawal_guard trigger allows."""
    w = cast(Withdrawal, WithdrawalFactory())
    path = {"completed": ["approved", "processing", "completed"], "failed": ["approved", "processing", "failed"]}
    for step in path.get(status, []):
        Withdrawal.objects.filter(pk=w.pk).update(status=step)
    return w


def claim(**kwargs) -> SupportTicket:
    return cast(
        SupportTicket,
        SupportTicketFactory(
            kind=SupportTicket.Kind.MISSING_CASHBACK,
            click_id=uuid.uuid4(),
            order_reference="MYN-881",
            order_amount=Decimal("1999.00"),
            order_date=date(2026, 11, 20),
            **kwargs,
        ),
    )


def queues(html: str) -> dict[str, tuple[str, int]]:
    return {label: (url.replace("&amp;", "&"), int(n)) for url, label, n in QUEUE_ROW.findall(html)}


def test_the_default_site_is_the_back_office():
    assert isinstance(admin.site, CouponAliAdminSite)


def test_index_lists_each_queue_with_its_count_and_a_link_to_the_same_rows(client):
    # given: rows in and out of each queue
    WithdrawalFactory.create_batch(3)
    withdrawal_in("completed")
    withdrawal_in("failed")
    withdrawal_in("failed")
    UserKYCFactory.create_batch(2, status="pending")
    UserKYCFactory(status="verified")
    UnmatchedConversionFactory.create_batch(4)
    UnmatchedConversionFactory(status=UnmatchedConversion.Status.DISMISSED)
    claim(status=SupportTicket.Status.OPEN)
    claim(status=SupportTicket.Status.OPEN, claim_rejected_reason="No such order")
    claim(status=SupportTicket.Status.CLOSED)
    SupportTicketFactory(kind=SupportTicket.Kind.GENERAL)
    client.force_login(StaffUserFactory())

    # when
    html = client.get(reverse("admin:index")).content.decode()

    # then: the five queues, in order, with their counts
    found = queues(html)
    assert list(found) == [
        "Withdrawals to approve",
        "KYC to review",
        "Open claims",
        "Unmatched conversions",
        "Failed payouts",
    ]
    assert {k: n for k, (_, n) in found.items()} == {
        "Withdrawals to approve": 3,
        "KYC to review": 2,
        "Open claims": 1,
        "Unmatched conversions": 4,
        "Failed payouts": 2,
    }
    # and each link opens the changelist filtered to exactly the rows counted
    for label, (url, n) in found.items():
        page = client.get(url)
        assert page.status_code == 200, label
        assert page.context["cl"].result_count == n, label


def test_a_queue_is_listed_only_to_staff_who_may_view_its_model(client):
    WithdrawalFactory()
    staff = grant_permissions(UserFactory(is_staff=True), "wallet.view_withdrawal")
    client.force_login(staff)

    found = queues(client.get(reverse("admin:index")).content.decode())

    assert set(found) == {"Withdrawals to approve", "Failed payouts"}
    assert found["Withdrawals to approve"][1] == 1


def test_sections_money_first_and_one_accounts_section(client):
    client.force_login(StaffUserFactory())

    response = client.get(reverse("admin:index"))

    sections = response.context["app_list"]
    names = [s["name"] for s in sections]
    assert names[0] == "Money"
    assert names.count("Accounts") == 1
    accounts = next(s for s in sections if s["name"] == "Accounts")
    models = {m["model"]._meta.label for m in accounts["models"]}
    # users, KYC, sessions (devices), roles, groups and social sign-ins, whatever app they live in
    assert {"accounts.User", "accounts.UserKYC", "accounts.UserSession", "accounts.Role", "auth.Group"} <= models
    assert "socialaccount.SocialAccount" in models
    money = {m["model"]._meta.label for m in sections[0]["models"]}
    assert {"wallet.Withdrawal", "wallet.CashbackEvent", "orders.Order", "orders.OrderRefund"} <= money
    # the sidebar shows the same sections
    assert [s["name"] for s in response.context["available_apps"]] == names


@pytest.mark.parametrize("label", sorted(SUPERUSER_ONLY))
def test_plumbing_is_hidden_and_refused_for_staff_who_are_not_superusers(client, label):
    model = apps.get_model(label)
    opts = model._meta
    # a staff member holding every permission on the table, but not a superuser
    staff = grant_permissions(
        UserFactory(is_staff=True), *(f"{opts.app_label}.{a}_{opts.model_name}" for a in ("view", "change", "add"))
    )
    client.force_login(staff)
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")

    index = client.get(reverse("admin:index"))
    listed = {m["model"]._meta.label for s in index.context["app_list"] for m in s["models"]}
    assert label not in listed
    assert url not in index.content.decode()
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("label", sorted(SUPERUSER_ONLY))
def test_superusers_see_and_open_the_plumbing(client, label):
    model = apps.get_model(label)
    opts = model._meta
    client.force_login(StaffUserFactory())
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")

    index = client.get(reverse("admin:index"))

    listed = {m["model"]._meta.label for s in index.context["app_list"] for m in s["models"]}
    assert label in listed
    assert client.get(url).status_code == 200


def test_the_analytics_dashboard_stays_on_the_index_for_analysts(client):
    analyst = grant_permissions(UserFactory(is_staff=True), "analytics.view_dashboard")
    client.force_login(analyst)

    html = client.get(reverse("admin:index")).content.decode()

    assert 'id="analytics-title"' in html

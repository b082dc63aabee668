"""Amounts read the Indian way everywhere (₹1,23,456.78: one Python function, couponali.money.format_inr, and
one template filter, couponali.templatetags.money.inr): on the shopper's pages, in the statement CSV and in the
admin's change lists; times carry IST and dates read "4 Dec 2026"."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.factories import UserFactory
from couponali.templatetags.money import dmy, inr, ist
from wallet import services
from wallet.factories import WalletDebtFactory
from wallet.models import CashbackEvent, Payout, WalletBalance, WalletDebt, WalletTransaction, Withdrawal

T = WalletTransaction.Type


def test_the_filters_group_lakhs_label_ist_and_write_short_dates():
    assert inr(Decimal("123456.78")) == "₹1,23,456.78"
    assert inr(Decimal("-12345678")) == "-₹1,23,45,678"
    assert inr(None) == "" and inr("not a number") == ""
    moment = datetime(2026, 12, 4, 9, 35, tzinfo=ZoneInfo("UTC"))  # 3:05 pm in India
    assert ist(moment) == "4 Dec 2026, 3:05 pm IST"
    assert dmy(moment) == "4 Dec 2026" and dmy(date(2026, 1, 15)) == "15 Jan 2026"
    assert dmy("2027-03-31") == "31 Mar 2027" and dmy("no expiry") == "no expiry"


@pytest.mark.django_db
def test_wallet_page_and_statement_csv_group_lakhs(client, shopper):
    services.wallet_post(user_id=shopper.pk, amount=Decimal("123456.78"), type=T.ADMIN_CREDIT)
    client.force_login(shopper)

    page = client.get(reverse("wallet:home")).content.decode()
    statement = client.get(reverse("wallet:statement")).content.decode()
    response = client.get(reverse("wallet:statement_csv"))

    assert "₹1,23,456.78" in page and "123456.78" not in page
    assert "₹1,23,456.78" in statement
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][3:5] == ["₹1,23,456.78", "₹1,23,456.78"]
    assert rows[1][0].endswith(" IST")


@pytest.mark.django_db
def test_admin_change_list_groups_lakhs(client, shopper):
    services.wallet_post(user_id=shopper.pk, amount=Decimal("2500000.50"), type=T.ADMIN_CREDIT)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    html = client.get(reverse("admin:wallet_walletbalance_changelist")).content.decode()

    assert "₹25,00,000.50" in html and "2500000.50" not in html


@pytest.mark.django_db
def test_admin_change_pages_show_read_only_amounts_with_lakh_grouping(client, shopper):
    # a view-only page (every field read-only) and a page whose amounts are read-only beside an editable note
    services.wallet_post(user_id=shopper.pk, amount=Decimal("123456.78"), type=T.ADMIN_CREDIT)
    posting = WalletTransaction.objects.get(user=shopper)
    debt = WalletDebtFactory(user=shopper, amount=Decimal("250000.00"), outstanding=Decimal("1999.50"))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    viewed = client.get(reverse("admin:wallet_wallettransaction_change", args=[posting.pk])).content.decode()
    changed = client.get(reverse("admin:wallet_walletdebt_change", args=[debt.pk])).content.decode()

    assert "₹1,23,456.78" in viewed and "123456.78" not in viewed
    assert "₹2,50,000" in changed and "₹1,999.50" in changed and "250000.00" not in changed
    assert 'name="notes"' in changed  # the editable field is still a field


def test_model_names_read_amounts_the_indian_way():
    user = UserFactory.build(pk=7)
    assert str(WalletTransaction(type=T.ADMIN_CREDIT, amount=Decimal("-123456.78"), user_id=7)).startswith(
        "admin_credit -₹1,23,456.78"
    )
    assert str(WalletBalance(balance=Decimal("2500000.50"), user_id=7)) == "₹25,00,000.50 (user 7)"
    assert str(CashbackEvent(pk=3, cashback_amount=Decimal("150000"), status="pending")) == (
        "cashback 3 ₹1,50,000 (pending)"
    )
    assert str(WalletDebt(outstanding=Decimal("1000"), amount=Decimal("100000"), user=user)) == (
        "debt ₹1,000/₹1,00,000 of user 7"
    )
    assert "₹1,00,000 (pending)" in str(Withdrawal(amount=Decimal("100000"), status="pending"))
    assert str(Payout(amount=Decimal("123456.78"), user_id=7)) == "payout ₹1,23,456.78 to user 7"

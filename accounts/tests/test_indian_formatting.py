"""The user's wallet columns on the admin's user page read the Indian way (couponali.money.format_inr)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.factories import UserFactory
from accounts.models import User


@pytest.mark.django_db
def test_user_admin_page_shows_the_wallet_columns_with_lakh_grouping(client):
    shopper = UserFactory()
    User.all_objects.filter(pk=shopper.pk).update(
        wallet_balance=Decimal("123456.78"), pending_cashback=Decimal("250000"), lifetime_earnings=Decimal("99.50")
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    html = client.get(reverse("admin:accounts_user_change", args=[shopper.pk])).content.decode()

    assert "₹1,23,456.78" in html and "₹2,50,000" in html and "₹99.50" in html
    assert "123456.78" not in html and "250000.00" not in html

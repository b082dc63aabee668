"""The admin requires the shopper's share on every commission row it saves and shows the effective share."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.factories import StaffUserFactory
from catalog.factories import CategoryFactory, MerchantCommissionFactory, MerchantFactory
from catalog.models import MerchantCommission


def _form(merchant, category, share: str) -> dict:
    return {
        "merchant": merchant.pk,
        "category": category.pk,
        "commission_type": "percentage",
        "commission_value": "8.00",
        "cashback_percentage": share,
        "valid_from": "",
        "valid_until": "",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("share", "message"), [("", "This field is required"), ("120", "less than or equal to 100")])
def test_a_commission_without_a_valid_share_is_refused_and_nothing_is_saved(client, share, message):
    client.force_login(StaffUserFactory())
    merchant, category = MerchantFactory(), CategoryFactory()
    response = client.post("/admin/catalog/merchantcommission/add/", _form(merchant, category, share))
    assert response.status_code == 200 and message in response.content.decode()
    assert not MerchantCommission.objects.exists()

    response = client.post("/admin/catalog/merchantcommission/add/", _form(merchant, category, "75"))
    assert response.status_code == 302
    assert MerchantCommission.objects.get().cashback_percentage == Decimal("75.00")


@pytest.mark.django_db
def test_editing_an_old_row_without_a_share_requires_one(client):
    client.force_login(StaffUserFactory())
    row = MerchantCommissionFactory(cashback_percentage=None)
    url = f"/admin/catalog/merchantcommission/{row.pk}/change/"
    response = client.post(url, _form(row.merchant, row.category, ""))
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    row.refresh_from_db()
    assert row.cashback_percentage is None


@pytest.mark.django_db
def test_the_changelist_and_the_store_page_show_the_effective_share(client):
    client.force_login(StaffUserFactory())
    old = MerchantCommissionFactory(cashback_percentage=None)
    MerchantCommissionFactory(merchant=old.merchant, cashback_percentage=Decimal("75.00"))
    page = client.get("/admin/catalog/merchantcommission/").content.decode()
    assert "70% (site default)" in page and "75%" in page
    page = client.get(f"/admin/catalog/merchant/{old.merchant.pk}/change/").content.decode()
    assert "70% (site default)" in page

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_seed_demo_loads_realistic_data_and_is_idempotent():
    from accounts.models import User
    from catalog.models import Category, Merchant, MerchantCommission, Product, ProductVariant
    from couponali import rls
    from offers.models import Offer
    from wallet.models import WalletTransaction

    out = StringIO()
    call_command("seed_demo", stdout=out)
    with rls.bypass(reason="test"):
        counts = (
            Category.objects.count(),
            Merchant.objects.count(),
            Offer.objects.count(),
            Product.objects.count(),
            ProductVariant.objects.count(),
            WalletTransaction.objects.count(),
        )
    assert counts[0] >= 12 and Category.objects.filter(parent__isnull=False).exists()
    assert counts[1] >= 60 and Merchant.objects.filter(name="Flipkart").exists()
    assert counts[2] >= 600
    assert set(Offer.objects.values_list("offer_type", flat=True)) == {"code", "deal", "sale"}
    assert set(Offer.objects.exclude(cashback_type=None).values_list("cashback_type", flat=True)) == {
        "percentage",
        "fixed",
    }
    assert Offer.objects.filter(max_cashback__isnull=False).exists()
    assert Offer.objects.filter(expires_at__isnull=False).exists()
    assert MerchantCommission.objects.values("category").distinct().count() >= 12
    assert counts[3] >= 25 and counts[4] >= 75
    staff = User.objects.get(email="admin@couponali.in")
    shopper = User.objects.get(email="shopper@couponali.in")
    assert staff.is_staff and staff.is_superuser
    assert shopper.wallet_balance > 0 and shopper.pending_cashback > 0
    assert counts[5] >= 4
    assert "admin@couponali.in" in out.getvalue() and "CouponAli@2026" in out.getvalue()

    # a second run changes nothing
    call_command("seed_demo", stdout=StringIO())
    with rls.bypass(reason="test"):
        again = (
            Category.objects.count(),
            Merchant.objects.count(),
            Offer.objects.count(),
            Product.objects.count(),
            ProductVariant.objects.count(),
            WalletTransaction.objects.count(),
        )
    assert again == counts


@pytest.mark.django_db
def test_demo_logins_work(client):
    call_command("seed_demo", stdout=StringIO())
    assert client.login(username="admin@couponali.in", password="CouponAli@2026")
    assert client.get("/admin/").status_code == 200

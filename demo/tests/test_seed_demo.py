"""seed_demo: realistic data through the services, idempotent, never with production settings."""

from __future__ import annotations

import hashlib
import io
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from PIL import Image

from accounts import authz, selectors
from accounts.models import User
from analytics.selectors import trust_figures_compute
from catalog.models import Category, Merchant, MerchantCommission, Product, ProductVariant
from catalog.selectors import cashback_rate_for, merchant_headline_rate, merchant_rates_by_category
from cms.models import SupportTicket
from couponali import rls
from couponali.models import AuditLog
from demo import data
from offers.models import Offer
from referrals.models import Referral
from wallet.models import CashbackEvent, Payout, WalletTransaction, Withdrawal
from wallet.reconcile import wallet_reconcile


@pytest.mark.django_db
def test_seed_demo_loads_realistic_data_and_is_idempotent():
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
            User.objects.count(),
            SupportTicket.objects.count(),
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
    staff = User.objects.get(email=settings.DEMO_STAFF_EMAIL)
    shopper = User.objects.get(email=settings.DEMO_SHOPPER_EMAIL)
    assert staff.is_staff and staff.is_superuser
    assert shopper.wallet_balance > 0 and shopper.pending_cashback > 0
    assert counts[5] >= 4
    # other shoppers with confirmed cashback, so the home page's figures are a site's, and their headlines differ
    assert User.objects.filter(email__endswith="@" + data.CROWD_DOMAIN).count() == data.CROWD_SIZE
    figures = trust_figures_compute()
    assert figures.shoppers > data.CROWD_SIZE and figures.cashback_paid > 10_000
    assert len({merchant_headline_rate(m).display for m in Merchant.objects.all()}) >= 15
    # the shopper's claims page and the support desk have a claim (answered) and an open question
    with rls.bypass(reason="test"):
        tickets = list(SupportTicket.objects.filter(user=shopper).order_by("id"))
        assert [t.kind for t in tickets] == ["missing_cashback", "general"]
        assert tickets[0].messages.filter(from_staff=True).exists()
    assert settings.DEMO_STAFF_EMAIL in out.getvalue() and settings.DEMO_PASSWORD in out.getvalue()
    _rates_are_round_figures()
    logos = _logos_are_generated_webp()

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
            User.objects.count(),
            SupportTicket.objects.count(),
        )
    assert again == counts
    assert _logos_are_generated_webp() == logos  # the same files: not drawn again


def _is_round(rate) -> bool:
    if rate.is_percentage:
        return (rate.value * 2) % 1 == 0 and (rate.cap is None or rate.cap % 50 == 0)
    return rate.value % 10 == 0


def _rates_are_round_figures() -> None:
    """What the pages show: 5%, 7.5%, ₹150; never 5.39%."""
    for merchant in Merchant.objects.prefetch_related("commissions__category"):
        rows = merchant_rates_by_category(merchant)
        assert rows, merchant
        assert all(_is_round(row.rate) for row in rows), (merchant, [row.rate.display for row in rows])
        assert merchant_headline_rate(merchant).display in {row.rate.display for row in rows}
    for offer in Offer.objects.exclude(cashback_type=None).select_related("merchant"):
        assert _is_round(cashback_rate_for(offer.merchant, offer=offer, commissions=())), offer


def _logos_are_generated_webp() -> dict[str, str]:
    """Every store has drawn artwork (a 256 x 256 WebP), different for each store, not a two-letter tile."""
    names = {}
    digests = set()
    for merchant in Merchant.objects.all():
        assert merchant.logo, merchant
        with merchant.logo.open("rb") as f:
            data = f.read()
        with Image.open(io.BytesIO(data)) as image:
            assert (image.format, image.size) == ("WEBP", (256, 256))
            assert len(image.getcolors(256 * 256) or []) > 50  # shapes and lettering, not a flat tile
        digests.add(hashlib.sha256(data).hexdigest())
        assert merchant.logo_src.startswith("/media/stores/") and merchant.logo_src.endswith(".webp")
        names[merchant.slug] = str(merchant.logo.name)
    assert len(digests) == len(names)
    return names


@pytest.mark.django_db
def test_demo_logins_work(client):
    call_command("seed_demo", stdout=StringIO())
    assert client.login(username=settings.DEMO_STAFF_EMAIL, password=settings.DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_demo_staff_have_one_seeded_role_each_and_it_shows_in_the_admin():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())  # idempotent: no second grant
    for setting, _name, roles, departments, _stores in data.STAFF:
        email = getattr(settings, setting)
        user = User.objects.get(email=email)
        assert user.is_staff and not user.is_superuser, email
        assert selectors.role_slugs_of(user_id=user.pk) == sorted(roles), email
        assert authz.departments_of(user) == set(departments), email
        assert email in out.getvalue()
    assert AuditLog.objects.filter(action="role.granted").count() == len(data.STAFF) + 1  # + the superuser's
    # each can sign in, and sees its own work: finance the withdrawals, the editor the pages, the brand manager
    # the two stores granted (Myntra, Ajio) and no other
    pages = {
        "DEMO_FINANCE_EMAIL": ("/admin/wallet/withdrawal/", "/admin/cms/cmspage/"),
        "DEMO_EDITOR_EMAIL": ("/admin/cms/cmspage/", "/admin/wallet/withdrawal/"),
        "DEMO_ANALYST_EMAIL": ("/admin/analytics/", "/admin/accounts/user/"),
        "DEMO_AGENT_EMAIL": ("/admin/cms/supportticket/", "/admin/wallet/wallettransaction/"),
        "DEMO_BRAND_EMAIL": ("/admin/offers/offer/", "/admin/cms/cmspage/"),
    }
    for setting, (opens, refused) in pages.items():
        client = Client()
        assert client.login(username=getattr(settings, setting), password=settings.DEMO_PASSWORD), setting
        assert client.get(opens).status_code == 200, setting
        assert client.get(refused).status_code == 403, setting
    client = Client()
    client.login(username=settings.DEMO_BRAND_EMAIL, password=settings.DEMO_PASSWORD)
    stores = client.get("/admin/catalog/merchant/").content.decode()
    assert "Myntra" in stores and "Ajio" in stores and "Flipkart" not in stores


@pytest.mark.django_db
def test_seed_demo_refuses_without_demo_settings(settings):
    # given settings without the demo logins (production defines none)
    del settings.DEMO_PASSWORD
    # when / then: nothing is created
    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.all_objects.exists()


@pytest.mark.django_db
def test_seed_demo_builds_its_wallet_history_through_the_services():
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())  # idempotent
    shopper = User.objects.get(email=settings.DEMO_SHOPPER_EMAIL)
    with rls.bypass(reason="test"):
        assert Withdrawal.objects.get(user=shopper).status == "completed"
        assert Payout.objects.filter(user=shopper).count() == 1
        assert CashbackEvent.objects.filter(user=shopper, status="paid").count() == 3
        assert CashbackEvent.objects.filter(user=shopper, status="pending").count() == 2
        referral = Referral.objects.get(referrer_user=shopper)
        assert referral.status == "active" and referral.total_earned > 0
        problems, _ = wallet_reconcile()
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM wallet_transactions WHERE user_id = %s", [shopper.pk])
            postings = cur.fetchone()[0]
    assert problems == []
    assert postings >= 6

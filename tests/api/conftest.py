"""Fixtures of the API tests: shoppers with access tokens, and a small catalogue."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts import services as accounts_services
from accounts.factories import UserFactory
from catalog.cache import forget_local_generation
from catalog.factories import (
    CategoryFactory,
    MerchantCommissionFactory,
    MerchantFactory,
    ProductFactory,
    ProductVariantFactory,
)
from offers import clickout
from offers.factories import OfferFactory


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    clickout.clear_cache()
    forget_local_generation()
    yield
    clickout.clear_cache()
    forget_local_generation()


@pytest.fixture(autouse=True)
def _see_all_rows(request):
    """As in the wallet's tests: a non-transactional test's own reads act with the RLS bypass setting on (requests
    inside it set their own scope, as in production)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or marker.kwargs.get("transaction"):
        yield
        return
    request.getfixturevalue("db")
    with connection.cursor() as cur:
        cur.execute("SELECT set_config('app.rls_bypass', 'on', true)")
    yield


def bearer(user) -> dict:
    pair = accounts_services.token_issue(user_id=user.pk, user_agent="CouponAli app tests", ip="203.0.113.7")
    return {"HTTP_AUTHORIZATION": f"Bearer {pair.access}"}


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def owner(db):
    return UserFactory()


@pytest.fixture
def other(db):
    return UserFactory()


@pytest.fixture
def as_owner(owner):
    client = APIClient()
    client.credentials(**bearer(owner))
    return client


@pytest.fixture
def as_other(other):
    client = APIClient()
    client.credentials(**bearer(other))
    return client


@pytest.fixture
def catalogue(db):
    fashion = CategoryFactory(name="Fashion", slug="fashion")
    shoes = CategoryFactory(name="Shoes", slug="shoes", parent=fashion)
    myntra = MerchantFactory(
        name="Myntra", slug="myntra", default_cashback_type="percentage", default_cashback_value=Decimal("5.00")
    )
    MerchantCommissionFactory(merchant=myntra, category=shoes)
    ajio = MerchantFactory(name="Ajio", slug="ajio")
    code = OfferFactory(
        merchant=myntra, category=shoes, title="Flat 20% off sneakers", coupon_code="SNEAK20", is_featured=True
    )
    deal = OfferFactory(
        merchant=ajio, category=fashion, offer_type="deal", coupon_code=None, title="Denim deal", is_exclusive=True
    )
    product = ProductFactory(name="Amazon Pay gift card", slug="amazon-pay", merchant=myntra)
    variant = ProductVariantFactory(product=product, denomination=Decimal("500.00"), selling_price=Decimal("485.00"))
    return {
        "fashion": fashion,
        "shoes": shoes,
        "myntra": myntra,
        "ajio": ajio,
        "code": code,
        "deal": deal,
        "product": product,
        "variant": variant,
    }

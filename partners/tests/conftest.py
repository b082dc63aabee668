from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.authz import SYSTEM
from catalog.factories import MerchantFactory
from offers.factories import OfferFactory
from partners import services
from partners.factories import brand_of
from partners.models import ApiKey, Scope

ALL_SCOPES = tuple(Scope.values)


def make_key(organisation, *scopes: str, expires_at=None) -> str:
    _key, full = services.api_key_create(
        actor=SYSTEM, organisation=organisation, name="test key", scopes=scopes or ALL_SCOPES, expires_at=expires_at
    )
    return full


def key_client(full_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {full_key}")
    return client


@pytest.fixture
def store(db):
    return MerchantFactory(name="Myntra", slug="myntra")


@pytest.fixture
def other_store(db):
    return MerchantFactory(name="Ajio", slug="ajio")


@pytest.fixture
def brand(store):
    return brand_of(store)


@pytest.fixture
def offer(store):
    return OfferFactory(merchant=store, title="Flat 20% off")


@pytest.fixture
def other_offer(other_store):
    return OfferFactory(merchant=other_store, title="Ajio deal")


@pytest.fixture
def api(brand):
    return key_client(make_key(brand))


@pytest.fixture
def expired_key(brand):
    full = make_key(brand, expires_at=timezone.now() + timedelta(seconds=1))
    ApiKey.objects.filter(organisation=brand).update(expires_at=timezone.now() - timedelta(seconds=1))
    return full

"""Fixtures of the wallet tests: shoppers with verified KYC, finance staff, clicks, postbacks."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from accounts.factories import DepartmentFactory, UserDepartmentFactory, UserFactory, UserKYCFactory
from catalog.factories import MerchantFactory
from offers.factories import OfferClickFactory, OfferFactory


@pytest.fixture
def shopper(db):
    user = UserFactory()
    UserKYCFactory(user=user, status="verified", upi_id="priya@okhdfcbank", account_number="123456789012")
    return user


def make_finance_staff(**kwargs):
    staff = UserFactory(is_staff=True, **kwargs)
    UserDepartmentFactory(user=staff, department=DepartmentFactory(slug="finance", name="Finance"))
    return staff


@pytest.fixture
def finance(db):
    return make_finance_staff()


@pytest.fixture
def finance2(db):
    return make_finance_staff()


@pytest.fixture
def store(db):
    return MerchantFactory(
        name="Myntra",
        slug="myntra",
        default_cashback_type="percentage",
        default_cashback_value=Decimal("5.00"),
        validation_days=30,
    )


def make_click(*, user, merchant=None, offer=None, click_id=None, **offer_kwargs):
    offer = offer or OfferFactory(merchant=merchant or MerchantFactory(), **offer_kwargs)
    return OfferClickFactory(
        offer=offer, merchant=offer.merchant, user=user, click_id=uuid.UUID(str(click_id)) if click_id else uuid.uuid4()
    )


@pytest.fixture
def click(shopper, store):
    # offer rule: 6% capped at ₹300 (OfferFactory defaults)
    return make_click(user=shopper, merchant=store)

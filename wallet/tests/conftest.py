"""Fixtures of the wallet tests: shoppers with verified KYC, finance staff, clicks, postbacks.

Row-level security: forced policies guard wallet_transactions, support_tickets, user_kyc and user_sessions
(couponali migrations 0002/0003). Tests that check money logic read those tables directly, so each
non-transactional test's own transaction runs with the bypass setting on (requests and tasks inside it set
their own nested scope, as in production); what a shopper may see is tested in test_rls.py, whose
transactional tests run without that bypass.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import connection

from accounts import crypto
from accounts.factories import (
    DepartmentFactory,
    UserDepartmentFactory,
    UserFactory,
    UserKYCFactory,
    grant_permissions,
)
from catalog.factories import MerchantFactory
from offers.factories import OfferClickFactory, OfferFactory


@pytest.fixture
def shopper(db):
    user = UserFactory()
    # KYC values are stored encrypted by accounts, as the KYC form stores them
    UserKYCFactory(
        user=user,
        status="verified",
        upi_id=crypto.encrypt("priya@okhdfcbank"),
        account_number=crypto.encrypt("123456789012"),
    )
    return user


# What the finance team holds (accounts.authz checks each in the wallet services).
FINANCE_PERMISSIONS = (
    "wallet.view_wallettransaction",
    "wallet.adjust_wallettransaction",
    "wallet.view_cashbackevent",
    "wallet.record_cashbackevent",
    "wallet.confirm_cashbackevent",
    "wallet.reject_cashbackevent",
    "wallet.reverse_cashbackevent",
    "wallet.view_unmatchedconversion",
    "wallet.retry_unmatchedconversion",
    "wallet.dismiss_unmatchedconversion",
    "wallet.view_withdrawal",
    "wallet.approve_withdrawal",
    "wallet.reject_withdrawal",
    "wallet.pay_withdrawal",
)


def make_finance_staff(**kwargs):
    staff = UserFactory(is_staff=True, **kwargs)
    UserDepartmentFactory(user=staff, department=DepartmentFactory(slug="finance", name="Finance"))
    return grant_permissions(staff, *FINANCE_PERMISSIONS)


@pytest.fixture
def finance(db):
    return make_finance_staff()


@pytest.fixture
def finance2(db):
    return make_finance_staff()


@pytest.fixture
def store(db):
    # On Cuelinks, the network most of these tests report through (a network pays only for its own stores).
    return MerchantFactory(
        name="Myntra",
        slug="myntra",
        affiliate_network="cuelinks",
        default_cashback_type="percentage",
        default_cashback_value=Decimal("5.00"),
        validation_days=30,
    )


def make_click(*, user, merchant=None, offer=None, click_id=None, **offer_kwargs):
    # Without a store: one on Cuelinks, like the `store` fixture; a test reporting through another network
    # passes a store of that network.
    offer = offer or OfferFactory(merchant=merchant or MerchantFactory(affiliate_network="cuelinks"), **offer_kwargs)
    return OfferClickFactory(
        offer=offer, merchant=offer.merchant, user=user, click_id=uuid.UUID(str(click_id)) if click_id else uuid.uuid4()
    )


@pytest.fixture
def click(shopper, store):
    # offer rule: 6% capped at ₹300 (OfferFactory defaults)
    return make_click(user=shopper, merchant=store)


@pytest.fixture(autouse=True)
def _see_all_rows(request):
    """Non-transactional tests: their transaction acts with the RLS bypass setting on (see module doc)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or marker.kwargs.get("transaction"):
        yield
        return
    request.getfixturevalue("db")
    with connection.cursor() as cur:
        cur.execute("SELECT set_config('app.rls_bypass', 'on', true)")
    yield

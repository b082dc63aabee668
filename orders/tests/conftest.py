"""Fixtures of the orders tests: shoppers, staff with exactly the permissions a test names, paid orders."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from accounts.factories import UserFactory
from catalog.factories import ProductFactory, ProductVariantFactory
from orders.factories import OrderFactory, OrderItemFactory
from orders.models import Order

# Non-transactional tests read wallet_transactions (row-level security) with the bypass on, as the wallet's do.
from wallet.tests.conftest import _see_all_rows  # noqa: F401


def staff_with(*codenames: str):
    """An active staff member (not a superuser) holding only these orders.* permissions."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="orders", codename__in=codenames))
    return type(user).objects.get(pk=user.pk)  # fresh instance: no cached permissions


@pytest.fixture
def shopper(db):
    return UserFactory()


def paid_order(*, user, quantity: int = 2, lines: int = 1, mobile: str | None = "9876543210") -> Order:
    order = OrderFactory(
        user=user,
        status=Order.Status.PAID,
        payment_status=Order.PaymentStatus.COMPLETED,
        delivery_mobile=mobile,
    )
    for i in range(lines):
        product = ProductFactory(name=f"Amazon Pay gift card {i}", validity_days=365)
        variant = ProductVariantFactory(product=product, denomination=Decimal("500.00"))
        OrderItemFactory(order=order, product=product, variant=variant, quantity=quantity)
    return order

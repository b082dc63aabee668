"""A gift-card value's name reads the Indian way (couponali.money.format_inr), as the admin shows it."""

from __future__ import annotations

from decimal import Decimal

from catalog.models import ProductVariant


def test_a_variant_is_named_with_its_value_in_lakh_grouping():
    assert str(ProductVariant(product_id=4, denomination=Decimal("100000.00"))) == "4 ₹1,00,000"

"""The one cashback rule (catalog.selectors.cashback_rate_for): offer rule, else the store's commission for the
category (up the tree, then store-wide), else the store default; percentage vs fixed; cap; rounding."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from catalog.factories import CategoryFactory, MerchantCommissionFactory, MerchantFactory
from catalog.selectors import (
    CashbackRate,
    cashback_rate_for,
    commission_share,
    format_number,
    merchant_headline_rate,
    merchant_rates_by_category,
)
from couponali.money import format_indian_number, format_inr
from couponali.templatetags.money import lakh

D = Decimal


def offer(**kw):
    base = {"cashback_type": None, "cashback_value": None, "max_cashback": None, "category_id": None}
    return SimpleNamespace(**{**base, **kw})


@pytest.mark.django_db
def test_offer_percentage_rule_wins_and_is_capped():
    merchant = MerchantFactory(default_cashback_type="fixed", default_cashback_value=D("40"))
    rate = cashback_rate_for(
        merchant, None, offer(cashback_type="percentage", cashback_value=D("7.00"), max_cashback=D("500.00"))
    )
    assert (rate.type, rate.value, rate.cap, rate.source) == ("percentage", D("7.00"), D("500.00"), "offer")
    assert rate.display == "Up to 7% cashback (max ₹500)"
    assert rate.amount_for(D("1000")) == D("70.00")
    assert rate.amount_for(D("10000")) == D("500.00")  # 700 capped at 500


@pytest.mark.django_db
def test_offer_fixed_rule_is_flat_and_ignores_the_cap():
    merchant = MerchantFactory()
    rate = cashback_rate_for(
        merchant, None, offer(cashback_type="fixed", cashback_value=D("150"), max_cashback=D("50"))
    )
    assert rate.display == "Flat ₹150 cashback"
    assert rate.cap is None
    assert rate.amount_for(D("99")) == D("150.00")
    assert rate.amount_for(D("0")) == D("0.00")


@pytest.mark.django_db
def test_an_offer_whose_own_rule_is_zero_pays_nothing_not_the_store_rate():
    merchant = MerchantFactory(default_cashback_type="percentage", default_cashback_value=D("5"))
    for ctype in ("fixed", "percentage"):
        rate = cashback_rate_for(merchant, None, offer(cashback_type=ctype, cashback_value=D("0"), max_cashback=None))
        assert (rate.source, rate.amount_for(D("1000")), rate.display) == ("offer", D("0.00"), "")


@pytest.mark.django_db
def test_offer_without_a_rule_uses_the_commission_for_its_category():
    category = CategoryFactory()
    merchant = MerchantFactory(default_cashback_type="percentage", default_cashback_value=D("2"))
    MerchantCommissionFactory(
        merchant=merchant,
        category=category,
        commission_type="percentage",
        commission_value=D("8.00"),
        cashback_percentage=D("75.00"),
    )
    rate = cashback_rate_for(merchant, None, offer(category_id=category.pk))
    assert (rate.source, rate.type, rate.value) == ("commission", "percentage", D("6.00"))
    assert rate.display == "Up to 6% cashback"


@pytest.mark.django_db
def test_offer_with_only_a_value_but_no_type_falls_through_to_the_store():
    merchant = MerchantFactory(default_cashback_type="fixed", default_cashback_value=D("40"))
    rate = cashback_rate_for(merchant, None, offer(cashback_value=D("9")))
    assert (rate.source, rate.display) == ("merchant", "Flat ₹40 cashback")


@pytest.mark.django_db
def test_commission_of_the_parent_category_applies_to_a_subcategory():
    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    grandchild = CategoryFactory(parent=child)
    merchant = MerchantFactory()
    MerchantCommissionFactory(
        merchant=merchant,
        category=parent,
        commission_type="fixed",
        commission_value=D("200"),
        cashback_percentage=D("50"),
    )
    parents = {parent.pk: None, child.pk: parent.pk, grandchild.pk: child.pk}
    rate = cashback_rate_for(merchant, grandchild, parents=parents)
    assert (rate.source, rate.display) == ("commission", "Flat ₹100 cashback")


@pytest.mark.django_db
def test_the_closest_category_commission_wins_over_the_parent_and_store_wide_ones():
    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    merchant = MerchantFactory()
    full = D("100")
    MerchantCommissionFactory(merchant=merchant, category=parent, commission_value=D("4"), cashback_percentage=full)
    MerchantCommissionFactory(merchant=merchant, category=child, commission_value=D("10"), cashback_percentage=full)
    MerchantCommissionFactory(merchant=merchant, category=None, commission_value=D("1"), cashback_percentage=full)
    parents = {parent.pk: None, child.pk: parent.pk}
    assert cashback_rate_for(merchant, child, parents=parents).value == D("10.00")
    assert cashback_rate_for(merchant, parent, parents=parents).value == D("4.00")
    # a category the store has no commission for: the store-wide commission (empty category)
    other = CategoryFactory()
    assert cashback_rate_for(merchant, other, parents={other.pk: None}).value == D("1.00")
    assert cashback_rate_for(merchant, None).value == D("1.00")


@pytest.mark.django_db
def test_an_empty_cashback_percentage_gives_the_site_default_share_not_the_whole_commission(settings):
    category = CategoryFactory()
    merchant = MerchantFactory()
    row = MerchantCommissionFactory(
        merchant=merchant, category=category, commission_value=D("5.50"), cashback_percentage=None
    )
    # the default share (70%) of 5.50, rounded down to the paisa
    assert cashback_rate_for(merchant, category.pk, parents={}).value == D("3.85")
    assert commission_share(row) == (D("70"), True)
    settings.CASHBACK_DEFAULT_SHARE_PERCENT = D("50")
    assert cashback_rate_for(merchant, category.pk, parents={}).value == D("2.75")
    # a share on the row wins over the default
    row.cashback_percentage = D("100")
    assert cashback_rate_for(merchant, category.pk, commissions=[row], parents={}).value == D("5.50")
    assert commission_share(row) == (D("100"), False)


@pytest.mark.django_db
def test_commissions_outside_their_dates_are_ignored():
    today = timezone.localdate()
    category = CategoryFactory()
    merchant = MerchantFactory(default_cashback_type="percentage", default_cashback_value=D("3"))
    MerchantCommissionFactory(
        merchant=merchant, category=category, commission_value=D("9"), valid_until=today - timedelta(days=1)
    )
    MerchantCommissionFactory(
        merchant=merchant, category=category, commission_value=D("9"), valid_from=today + timedelta(days=1)
    )
    rate = cashback_rate_for(merchant, category, parents={})
    assert (rate.source, rate.value) == ("merchant", D("3"))
    # valid today (inclusive bounds)
    MerchantCommissionFactory(
        merchant=merchant,
        category=category,
        commission_value=D("4"),
        cashback_percentage=D("100"),
        valid_from=today,
        valid_until=today,
    )
    assert cashback_rate_for(merchant, category, parents={}).value == D("4.00")


@pytest.mark.django_db
def test_the_most_recent_of_several_valid_commissions_wins():
    today = timezone.localdate()
    category = CategoryFactory()
    merchant = MerchantFactory()
    MerchantCommissionFactory(
        merchant=merchant,
        category=category,
        commission_value=D("6"),
        cashback_percentage=D("100"),
        valid_from=today - timedelta(days=30),
    )
    MerchantCommissionFactory(
        merchant=merchant,
        category=category,
        commission_value=D("8"),
        cashback_percentage=D("100"),
        valid_from=today - timedelta(days=2),
    )
    assert cashback_rate_for(merchant, category, parents={}).value == D("8.00")


@pytest.mark.django_db
def test_store_default_percentage_and_fixed_and_no_cashback():
    pct = MerchantFactory(default_cashback_type="percentage", default_cashback_value=D("6.50"))
    assert cashback_rate_for(pct).display == "Up to 6.5% cashback"
    flat = MerchantFactory(default_cashback_type="fixed", default_cashback_value=D("1500"))
    assert cashback_rate_for(flat).display == "Flat ₹1,500 cashback"
    none = MerchantFactory(default_cashback_type=None, default_cashback_value=None)
    rate = cashback_rate_for(none)
    assert (rate.source, bool(rate), rate.display) == ("none", False, "")
    assert rate.amount_for(D("1000")) == D("0.00")
    zero = MerchantFactory(default_cashback_type="percentage", default_cashback_value=D("0"))
    assert cashback_rate_for(zero).display == ""


def test_percentages_round_down_to_the_paisa():
    rate = CashbackRate(type="percentage", value=D("5.43"), source="commission")
    assert rate.amount_for(D("999.99")) == D("54.29")  # 54.2994... never rounded up
    assert rate.amount_for(D("-5")) == D("0.00")


@pytest.mark.django_db
def test_commission_share_rounds_down_too():
    category = CategoryFactory()
    merchant = MerchantFactory()
    MerchantCommissionFactory(
        merchant=merchant, category=category, commission_value=D("7.77"), cashback_percentage=D("70.00")
    )
    assert cashback_rate_for(merchant, category, parents={}).value == D("5.43")  # 5.439


@pytest.mark.django_db
def test_preloaded_commissions_and_parents_mean_no_queries(django_assert_num_queries):
    category = CategoryFactory()
    merchant = MerchantFactory()
    rows = [MerchantCommissionFactory(merchant=merchant, category=category, commission_value=D("10"))]
    with django_assert_num_queries(0):
        rate = cashback_rate_for(merchant, category.pk, commissions=rows, parents={category.pk: None})
    assert rate.value == D("7.50")


@pytest.mark.django_db
def test_headline_is_the_best_rate_preferring_percentages():
    category = CategoryFactory()
    merchant = MerchantFactory(default_cashback_type="percentage", default_cashback_value=D("5"))
    MerchantCommissionFactory(
        merchant=merchant, category=category, commission_value=D("12"), cashback_percentage=D("75")
    )
    MerchantCommissionFactory(
        merchant=merchant,
        category=CategoryFactory(),
        commission_type="fixed",
        commission_value=D("500"),
        cashback_percentage=D("100"),
    )
    assert merchant_headline_rate(merchant).display == "Up to 9% cashback"


@pytest.mark.django_db
def test_store_rates_by_category_lists_each_category_and_everything_else():
    electronics = CategoryFactory(name="Electronics")
    mobiles = CategoryFactory(name="Mobiles")
    merchant = MerchantFactory(default_cashback_type="percentage", default_cashback_value=D("2"))
    MerchantCommissionFactory(
        merchant=merchant, category=electronics, commission_value=D("8"), cashback_percentage=D("50")
    )
    MerchantCommissionFactory(
        merchant=merchant,
        category=mobiles,
        commission_type="fixed",
        commission_value=D("100"),
        cashback_percentage=D("50"),
    )
    rows = merchant_rates_by_category(merchant)
    assert [(r.category_name, r.rate.display) for r in rows] == [
        ("Electronics", "Up to 4% cashback"),
        ("Mobiles", "Flat ₹50 cashback"),
        ("Everything else", "Up to 2% cashback"),
    ]


def test_indian_number_formatting():
    assert format_inr(D("150")) == "₹150"
    assert format_inr(D("1500")) == "₹1,500"
    assert format_inr(D("150000")) == "₹1,50,000"
    assert format_inr(D("12345678.5")) == "₹1,23,45,678.50"
    assert format_inr(D("99.5")) == "₹99.50"
    assert format_inr(D("-123456")) == "-₹1,23,456"
    # counts (shoppers, clicks) group the same way, in Python and in templates
    assert [format_indian_number(n) for n in (7, 999, 1000, 123456, 12345678, -4500)] == [
        "7",
        "999",
        "1,000",
        "1,23,456",
        "1,23,45,678",
        "-4,500",
    ]
    assert lakh(242) == "242" and lakh(150000) == "1,50,000" and lakh("x") == "" and lakh(None) == ""
    assert format_number(D("7.00")) == "7"
    assert format_number(D("6.50")) == "6.5"
    assert format_number(D("5.39")) == "5.39"

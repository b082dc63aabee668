"""The cashback rule: which rate applies to a conversion, and what it pays. One function decides, for the
terms copied at click time (click_cashback_rates) and for live rows alike.

Precedence (the issue's rule): the offer's own cashback rule; else the store's commission for the offer's
category valid that day, times the share passed on to shoppers; else the store's default cashback.

Rounding: amounts are rounded DOWN to the paisa (we never pay a fraction of a paisa that the rate does not
give); a percentage rate derived from a commission share is kept to 4 decimals, also rounded down.

Issue 3 provides ``catalog.selectors.cashback_rate_for(...)`` for what the site displays; live_rule_inputs()
is the one place to switch to it once merged, so that what is shown and what is paid cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db.models import F, Q
from django.utils import timezone

PAISA = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class RuleInputs:
    """The terms that can decide a cashback, as copied at click time or read live."""

    offer_cashback_type: str | None = None
    offer_cashback_value: Decimal | None = None
    offer_max_cashback: Decimal | None = None
    commission_type: str | None = None
    commission_value: Decimal | None = None
    commission_share: Decimal | None = None
    merchant_cashback_type: str | None = None
    merchant_cashback_value: Decimal | None = None


@dataclass(frozen=True)
class CashbackRule:
    type: str  # "percentage" (of the sale) or "fixed" (rupees per order)
    value: Decimal
    cap: Decimal | None
    source: str  # "offer", "category", "merchant" or "none"

    def amount_for(self, sale_amount: Decimal | None) -> Decimal:
        """Cashback for one order of ``sale_amount`` rupees."""
        if self.type == "fixed":
            amount = self.value
        else:
            if sale_amount is None:
                return Decimal("0.00")
            amount = sale_amount * self.value / HUNDRED
        if self.cap is not None:
            amount = min(amount, self.cap)
        return max(amount, Decimal(0)).quantize(PAISA, rounding=ROUND_DOWN)

    def describe(self) -> str:
        if self.source == "none":
            return "no cashback"
        rate = f"{self.value.normalize():f}%" if self.type == "percentage" else f"₹{self.value}"
        return rate + (f" up to ₹{self.cap}" if self.cap is not None else "")


NO_CASHBACK = CashbackRule(type="fixed", value=Decimal("0"), cap=None, source="none")


def cashback_rule_for(inputs: RuleInputs) -> CashbackRule:
    """The rule that applies, by the precedence above."""
    if inputs.offer_cashback_type and inputs.offer_cashback_value is not None:
        return CashbackRule(
            type=inputs.offer_cashback_type,
            value=inputs.offer_cashback_value,
            cap=inputs.offer_max_cashback if inputs.offer_cashback_type == "percentage" else None,
            source="offer",
        )
    if inputs.commission_type and inputs.commission_value is not None and inputs.commission_share is not None:
        passed_on = (inputs.commission_value * inputs.commission_share / HUNDRED).quantize(
            RATE_PLACES, rounding=ROUND_DOWN
        )
        return CashbackRule(type=inputs.commission_type, value=passed_on, cap=None, source="category")
    if inputs.merchant_cashback_type and inputs.merchant_cashback_value is not None:
        return CashbackRule(
            type=inputs.merchant_cashback_type, value=inputs.merchant_cashback_value, cap=None, source="merchant"
        )
    return NO_CASHBACK


def inputs_from_snapshot(snapshot) -> RuleInputs:
    """RuleInputs from a ClickCashbackRate row (what the offer_clicks trigger copied)."""
    return RuleInputs(
        offer_cashback_type=snapshot.offer_cashback_type,
        offer_cashback_value=snapshot.offer_cashback_value,
        offer_max_cashback=snapshot.offer_max_cashback,
        commission_type=snapshot.commission_type,
        commission_value=snapshot.commission_value,
        commission_share=snapshot.commission_share,
        merchant_cashback_type=snapshot.merchant_cashback_type,
        merchant_cashback_value=snapshot.merchant_cashback_value,
    )


def live_rule_inputs(*, offer, merchant, on: dt.date | None = None) -> RuleInputs:
    """RuleInputs from today's rows (used when a click predates the snapshot trigger, and by staff entry).

    Mirrors the commission choice of the offer_clicks trigger (wallet migration 0003)."""
    from catalog.models import MerchantCommission

    on = on or timezone.localdate()
    commission = None
    category_id = offer.category_id if offer is not None else None
    if category_id is not None:
        commission = (
            MerchantCommission.objects.filter(
                merchant_id=merchant.pk, category_id=category_id, cashback_percentage__isnull=False
            )
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
            .order_by(F("valid_from").desc(nulls_last=True), "-id")
            .first()
        )
    return RuleInputs(
        offer_cashback_type=offer.cashback_type if offer is not None else None,
        offer_cashback_value=offer.cashback_value if offer is not None else None,
        offer_max_cashback=offer.max_cashback if offer is not None else None,
        commission_type=commission.commission_type if commission else None,
        commission_value=commission.commission_value if commission else None,
        commission_share=commission.cashback_percentage if commission else None,
        merchant_cashback_type=merchant.default_cashback_type,
        merchant_cashback_value=merchant.default_cashback_value,
    )

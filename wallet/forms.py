"""Input forms of the wallet pages: they only parse and check formats; the services decide."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms

from couponali.widgets import AmountInput

from .models import WalletTransaction, Withdrawal
from .selectors import payout_method_choices
from .services import GIFT_VOUCHER_BRANDS, MOBILE_OPERATORS


class WithdrawalForm(forms.Form):
    amount = forms.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0.01"), label="Amount (₹)", widget=AmountInput
    )
    method = forms.ChoiceField(choices=Withdrawal.Method.choices, widget=forms.RadioSelect, label="Receive it by")
    vpa = forms.CharField(required=False, max_length=256, label="UPI id", help_text="For UPI, e.g. name@okhdfcbank")
    brand = forms.ChoiceField(
        required=False, choices=[("", "—"), *GIFT_VOUCHER_BRANDS.items()], label="Gift voucher brand"
    )
    mobile = forms.CharField(required=False, max_length=15, label="Mobile number (recharge)")
    operator = forms.ChoiceField(required=False, choices=[("", "—"), *MOBILE_OPERATORS.items()], label="Operator")
    # A fresh key per form render: a double-clicked or re-sent form replays the first answer.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=lambda: str(uuid.uuid4()))
    # The fields only one method uses: dropped with their method when the payout gateway cannot pay it.
    METHOD_FIELDS = {"upi": ["vpa"], "gift_voucher": ["brand"], "mobile_recharge": ["mobile", "operator"]}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = payout_method_choices()
        self.fields["method"].choices = choices
        offered = {value for value, _label in choices}
        for method, names in self.METHOD_FIELDS.items():
            if method not in offered:
                for name in names:
                    del self.fields[name]

    def details(self) -> dict:
        d = self.cleaned_data
        return {"vpa": d.get("vpa"), "brand": d.get("brand"), "mobile": d.get("mobile"), "operator": d.get("operator")}


STATEMENT_KINDS = [("", "All"), ("credit", "Credits"), ("debit", "Debits"), *WalletTransaction.Type.choices]


class StatementFilterForm(forms.Form):
    type = forms.ChoiceField(choices=STATEMENT_KINDS, required=False, label="Show")
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("'From' must be on or before 'To'.")
        return data

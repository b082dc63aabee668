"""Input forms for CouponAli gift cards: they parse and check formats; orders.services.gift_cards decides."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings

from couponali.widgets import AmountInput


class GiftCardRedeemForm(forms.Form):
    code = forms.CharField(
        max_length=40,
        label="Gift card code",
        help_text="As printed, e.g. CAK7-M2Q9-XHR4-8TWN-PD (dashes and spaces do not matter).",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )


class GiftCardIssueForm(forms.Form):
    count = forms.IntegerField(min_value=1, label="Number of cards", initial=1)
    value = forms.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("1.00"), label="Value of each (₹)", widget=AmountInput
    )
    expires_at = forms.DateTimeField(
        required=False, label="Expires at", help_text="Empty: never. Format 2027-03-31 23:59."
    )
    user_id = forms.IntegerField(required=False, min_value=1, label="Only for user id", help_text="Empty: anyone.")
    note = forms.CharField(required=False, max_length=200, label="Note (kept in the audit log)")

    def clean_count(self):
        count = self.cleaned_data["count"]
        if count > settings.GIFTCARD_BATCH_MAX:
            raise forms.ValidationError(f"At most {settings.GIFTCARD_BATCH_MAX} cards at a time.")
        return count

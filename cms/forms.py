from __future__ import annotations

from decimal import Decimal

from django import forms

ALLOWED_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


class MissingCashbackClaimForm(forms.Form):
    order_reference = forms.CharField(max_length=100, label="Store order id")
    order_amount = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("1"), label="Order amount (₹)")
    order_date = forms.DateField(label="Order date", widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, label="Anything we should know?"
    )
    attachment = forms.FileField(required=False, label="Invoice (PDF, JPG or PNG, up to 5 MB)")

    def clean_attachment(self):
        f = self.cleaned_data.get("attachment")
        if f:
            if not f.name.lower().endswith(ALLOWED_EXTENSIONS):
                raise forms.ValidationError("Upload a PDF, JPG or PNG file.")
            if f.size > MAX_ATTACHMENT_BYTES:
                raise forms.ValidationError("The file is larger than 5 MB.")
        return f

from __future__ import annotations

from decimal import Decimal

from django import forms

from couponali.widgets import AmountInput

from .attachments import ACCEPTED
from .models import SupportTicket


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the content checks are the service's (cms.attachments)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


ATTACHMENTS_LABEL = f"Attachments ({ACCEPTED}, up to 5 MB each, at most 3)"


class MissingCashbackClaimForm(forms.Form):
    order_reference = forms.CharField(max_length=100, label="Store order id")
    order_amount = forms.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("1"), label="Order amount (₹)", widget=AmountInput
    )
    order_date = forms.DateField(label="Order date", widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, label="Anything we should know?"
    )
    # Typed as BaseForm.files (the uploads) too; at run time the form's metaclass moves the field to base_fields.
    files = MultipleFileField(required=False, label=f"Invoice ({ACCEPTED}, up to 5 MB)")  # type: ignore[assignment]


class TicketForm(forms.Form):
    subject = forms.CharField(max_length=255)
    category = forms.ChoiceField(
        label="What is it about?",
        choices=[c for c in SupportTicket.Category.choices if c[0] != SupportTicket.Category.MISSING_CASHBACK],
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=10000, label="Message")
    # Typed as BaseForm.files (the uploads) too; at run time the form's metaclass moves the field to base_fields.
    files = MultipleFileField(required=False, label=ATTACHMENTS_LABEL)  # type: ignore[assignment]


class CustomerReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=10000, label="Your reply")
    # Typed as BaseForm.files (the uploads) too; at run time the form's metaclass moves the field to base_fields.
    files = MultipleFileField(required=False, label=ATTACHMENTS_LABEL)  # type: ignore[assignment]

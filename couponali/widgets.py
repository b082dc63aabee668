"""Form widgets shared by the apps."""

from __future__ import annotations

from django import forms


class AmountInput(forms.TextInput):
    """A rupee amount: a text field that asks phones for the number pad with a decimal point (inputmode=decimal).

    Not ``type=number``: that field drops what it cannot parse before the form sees it, shows spin buttons, and
    changes the amount when the page is scrolled over it. The form's DecimalField still parses and validates.
    """

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs={"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

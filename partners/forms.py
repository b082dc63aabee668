from __future__ import annotations

from django import forms

from .models import Scope


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the key is for (e.g. “feed sync server”).")
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)
    expires_in_days = forms.IntegerField(
        min_value=1, max_value=730, required=False, help_text="Leave empty for a key that does not expire."
    )

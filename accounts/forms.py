"""Forms of the accounts pages: input parsing and format checks only (the rules are in services.py)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.utils import timezone

from . import validators
from .models import User

INDIAN_STATES = [
    "Andaman and Nicobar Islands", "Andhra Pradesh", "Arunachal Pradesh", "Assam", "Bihar", "Chandigarh",
    "Chhattisgarh", "Dadra and Nagar Haveli and Daman and Diu", "Delhi", "Goa", "Gujarat", "Haryana",
    "Himachal Pradesh", "Jammu and Kashmir", "Jharkhand", "Karnataka", "Kerala", "Ladakh", "Lakshadweep",
    "Madhya Pradesh", "Maharashtra", "Manipur", "Meghalaya", "Mizoram", "Nagaland", "Odisha", "Puducherry",
    "Punjab", "Rajasthan", "Sikkim", "Tamil Nadu", "Telangana", "Tripura", "Uttar Pradesh", "Uttarakhand",
    "West Bengal",
]  # fmt: skip


class IdentifierField(forms.CharField):
    """E-mail or Indian mobile; cleaned to ('email'|'mobile', value)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "E-mail or mobile number")
        kwargs.setdefault("max_length", 255)
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})

    def clean(self, value):
        return validators.clean_identifier(super().clean(value))


class PasswordField(forms.CharField):
    def __init__(self, *, new: bool = False, **kwargs):
        kwargs.setdefault("strip", False)
        kwargs.setdefault("max_length", 128)
        super().__init__(widget=forms.PasswordInput(render_value=False), **kwargs)
        self.widget.attrs["autocomplete"] = "new-password" if new else "current-password"


def _validate_new_password(password: str, *, kind: str | None = None, identifier: str | None = None, user=None):
    probe = user or User(email=identifier if kind == "email" else None, mobile=identifier if kind == "mobile" else None)
    password_validation.validate_password(password, probe)


class SignupForm(forms.Form):
    identifier = IdentifierField()
    full_name = forms.CharField(label="Your name", max_length=255, required=False)
    password = PasswordField(new=True, label="Password", help_text="At least 8 characters; not all digits.")
    referral_code = forms.CharField(label="Referral code (optional)", max_length=20, required=False)

    def clean(self):
        data = super().clean()
        ident, password = data.get("identifier"), data.get("password")
        if ident and password:
            try:
                _validate_new_password(password, kind=ident[0], identifier=ident[1])
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class SigninForm(forms.Form):
    identifier = forms.CharField(label="E-mail or mobile number", max_length=255)
    password = PasswordField(label="Password")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["identifier"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})


class OtpForm(forms.Form):
    code = forms.CharField(label="6-digit code", max_length=10)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        )


class PasswordResetRequestForm(forms.Form):
    identifier = IdentifierField()


class SetPasswordForm(forms.Form):
    password = PasswordField(new=True, label="New password")
    password2 = PasswordField(new=True, label="New password again")

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        elif data.get("password"):
            try:
                _validate_new_password(data["password"], user=self.user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(label="Current password")

    field_order = ["current_password", "password", "password2"]

    def clean_current_password(self):
        value = self.cleaned_data["current_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError("That is not your current password.")
        return value


class ProfileForm(forms.Form):
    full_name = forms.CharField(label="Name", max_length=255, required=False)
    avatar_url = forms.URLField(label="Avatar URL", max_length=500, required=False, assume_scheme="https")
    date_of_birth = forms.DateField(
        label="Date of birth", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    gender = forms.ChoiceField(
        label="Gender", choices=[("", "Prefer not to say"), *User.Gender.choices], required=False
    )

    def clean_date_of_birth(self):
        dob = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if dob and (dob > today or dob.year < today.year - 120):
            raise forms.ValidationError("Enter a real date of birth.")
        if dob and (today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))) < 13:
            raise forms.ValidationError("You need to be at least 13 years old to use CouponAli.")
        return dob


class DeleteAccountForm(forms.Form):
    password = PasswordField(label="Your password", required=False)
    confirm = forms.CharField(label='Type "DELETE" to confirm', max_length=10)

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if not user.has_usable_password():
            del self.fields["password"]

    def clean_confirm(self):
        if self.cleaned_data["confirm"].strip().upper() != "DELETE":
            raise forms.ValidationError("Type DELETE in capitals to confirm.")
        return "DELETE"

    def clean_password(self):
        value = self.cleaned_data.get("password") or ""
        if not self.user.check_password(value):
            raise forms.ValidationError("That is not your password.")
        return value


class KycForm(forms.Form):
    """Bank account and/or UPI, PAN and address. Encrypted fields may be left blank to keep the stored value."""

    account_holder_name = forms.CharField(label="Account holder name", max_length=255)
    account_number = forms.CharField(label="Bank account number", max_length=30, required=False)
    ifsc_code = forms.CharField(label="IFSC", max_length=11, required=False)
    bank_name = forms.CharField(label="Bank name", max_length=255, required=False)
    upi_id = forms.CharField(label="UPI id", max_length=100, required=False)
    pan_number = forms.CharField(label="PAN", max_length=10, required=False)
    address_line1 = forms.CharField(label="Address line 1", max_length=255)
    address_line2 = forms.CharField(label="Address line 2", max_length=255, required=False)
    city = forms.CharField(label="City", max_length=100)
    state = forms.ChoiceField(label="State / UT", choices=[("", "Choose…")] + [(s, s) for s in INDIAN_STATES])
    pincode = forms.CharField(label="PIN code", max_length=10)

    PLACEHOLDERS = {"pan_number": "ABCDE1234F", "ifsc_code": "HDFC0001234", "upi_id": "name@bank"}

    def __init__(self, *args, existing=None, masked=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing = existing
        for field, example in self.PLACEHOLDERS.items():
            self.fields[field].widget.attrs["placeholder"] = example
        for field, shown in (masked or {}).items():
            if shown:  # the stored value, masked: typing a new one replaces it
                self.fields[field].widget.attrs["placeholder"] = f"{shown} (leave blank to keep)"
        for field in ("account_number", "upi_id", "pan_number"):
            self.fields[field].widget.attrs["autocomplete"] = "off"
        self.fields["pan_number"].widget.attrs["autocapitalize"] = "characters"
        self.fields["account_number"].widget.attrs["inputmode"] = "numeric"
        self.fields["pincode"].widget.attrs["inputmode"] = "numeric"

    def _has(self, field: str) -> bool:
        """For the encrypted fields, a blank input keeps the stored value."""
        return bool(self.cleaned_data.get(field)) or bool(self.existing and getattr(self.existing, field))

    def clean_account_number(self):
        value = self.cleaned_data["account_number"]
        return validators.clean_account_number(value) if value else ""

    def clean_ifsc_code(self):
        value = self.cleaned_data["ifsc_code"]
        return validators.clean_ifsc(value) if value else ""

    def clean_upi_id(self):
        value = self.cleaned_data["upi_id"]
        return validators.clean_upi(value) if value else ""

    def clean_pan_number(self):
        value = self.cleaned_data["pan_number"]
        return validators.clean_pan(value) if value else ""

    def clean_pincode(self):
        return validators.clean_pincode(self.cleaned_data["pincode"])

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not self._has("pan_number"):
            self.add_error("pan_number", "PAN is required for payouts (tax rules).")
        has_bank = self._has("account_number")
        if has_bank and not data.get("ifsc_code"):
            self.add_error("ifsc_code", "Add the IFSC of your bank branch.")
        if not has_bank and not self._has("upi_id"):
            raise forms.ValidationError("Add a bank account (number and IFSC) or a UPI id, or both.")
        return data

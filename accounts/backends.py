"""Sign-in with an email address or an Indian mobile number, plus a password."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q


class EmailOrMobileBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = (username or kwargs.get("email") or kwargs.get("mobile") or "").strip()
        if not identifier or password is None:
            return None
        User = get_user_model()
        lookup = Q(email__iexact=identifier) if "@" in identifier else Q(mobile=normalise_mobile(identifier))
        user = User.objects.filter(lookup).first()
        if user is None:
            # Same work as a real check, so timing does not tell whether the account exists.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def normalise_mobile(value: str) -> str:
    """'+91 98765-43210', '098765 43210' and '9876543210' all become '9876543210'."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 12 and digits.startswith("91"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    return digits

"""Sign-in with an email address or an Indian mobile number, plus a password."""

from __future__ import annotations

import contextvars

from django.contrib.auth.backends import ModelBackend

from .errors import AccountsError
from .services import signin_attempt

# The user row that the session guard already loaded for this request (with its session, in one query), so
# that Django's get_user() does not fetch it again. A context variable: one value per request thread.
prefetched_user: contextvars.ContextVar = contextvars.ContextVar("prefetched_user", default=None)


class EmailOrMobileBackend(ModelBackend):
    """Django's authenticate() for every password sign-in that does not go through our sign-in page (the
    admin's login page, the test client). It applies the same rules through services.signin_attempt:
    no account enumeration by timing, failure counting and lockout."""

    def get_user(self, user_id):
        user = prefetched_user.get()
        if user is not None and str(user.pk) == str(user_id):
            return user if self.user_can_authenticate(user) else None
        return super().get_user(user_id)

    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = (username or kwargs.get("email") or kwargs.get("mobile") or "").strip()
        if not identifier or password is None:
            return None
        try:
            user = signin_attempt(identifier=identifier, password=password)
        except AccountsError:
            return None
        return user if self.user_can_authenticate(user) else None

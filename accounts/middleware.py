"""Request middleware of accounts: the session guard (browser sessions and API bearer tokens) and the
referral-link cookie."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.models import AnonymousUser
from django.core.signing import BadSignature

from . import tokens
from .backends import prefetched_user
from .models import User
from .selectors import session_family_active, session_with_user_by_secret

SESSION_TOKEN_KEY = "_ca_session"  # noqa: S105 - in Django's server-side session: the secret whose hash is user_sessions.token
REFERRAL_COOKIE = "ca_ref"
REFERRAL_COOKIE_SALT = "accounts.referral"
_REFERRAL_RE = re.compile(r"^[A-Za-z0-9]{4,20}$")


class BearerResult:
    """What the guard found in an ``Authorization: Bearer`` header, for the DRF authentication class."""

    def __init__(self, user=None, claims=None, error: str | None = None):
        self.user, self.claims, self.error = user, claims, error


def authenticate_bearer(raw: str) -> BearerResult:
    """Verify an access token: a valid signature and expiry, and a token family that is still live."""
    try:
        claims = tokens.access_token_decode(raw)
    except tokens.InvalidAccessToken as exc:
        return BearerResult(error=str(exc))
    if not session_family_active(user_id=claims.user_id, family_id=claims.family_id):
        return BearerResult(error="This session was signed out. Sign in again.")
    user = User.objects.filter(pk=claims.user_id, is_active=True).first()
    if user is None:
        return BearerResult(error="This account is not active.")
    return BearerResult(user=user, claims=claims)


class SessionGuardMiddleware:
    """Enforce user_sessions on every request, before the RLS middleware picks the request's user.

    * A browser session is valid only while its user_sessions row is: revoked (from the sessions page, by
      staff, by a password change) or expired means the person is signed out on this very request. The row
      is found by the hash of the secret kept in Django's server-side session, through
      accounts_session_by_token() - see selectors.session_by_secret for why that is not a plain query.
    * Under /api/, an ``Authorization: Bearer <access token>`` header authenticates the request instead of
      the cookie: its signature proves the user, and its token family must still be live (checked in that
      user's own RLS scope). The result is left on the request for accounts.authentication, so that the
      request's RLS scope and DRF agree on who is asking.
    """

    exempt_paths = ("/healthz",)  # must answer even when the database is down

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in self.exempt_paths:
            return self.get_response(request)
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if request.path.startswith("/api/") and header[:7].lower() == "bearer ":
            result = authenticate_bearer(header[7:].strip())
            request.bearer_auth = result
            request.user = result.user or AnonymousUser()
            request.session_family_id = result.claims.family_id if result.claims else None
            return self.get_response(request)

        request.session_family_id = None
        found = None
        secret = request.session.get(SESSION_TOKEN_KEY)
        if secret and request.session.get(SESSION_KEY):
            # One query for the session row and its user; Django's get_user() below then reuses the user.
            pair = session_with_user_by_secret(secret=secret)
            found = pair[0] if pair else None
            token = prefetched_user.set(pair[1] if pair else None)
            try:
                authenticated = request.user.is_authenticated
            finally:
                prefetched_user.reset(token)
        else:
            authenticated = request.user.is_authenticated
        if authenticated:
            if found is None or found.user_id != request.user.pk or not found.is_active:
                # Django's logout() flushes the session; accounts.receivers records the end of the row.
                logout(request)
            else:
                request.session_family_id = found.family_id
        return self.get_response(request)


class ReferralCodeMiddleware:
    """Remember ``?ref=CODE`` from any page in a signed cookie, so that the code survives browsing until
    sign-up (30 days). The sign-up form and the social sign-up read it; validity is checked at sign-up."""

    max_age = 60 * 60 * 24 * 30

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = request.GET.get("ref", "") if request.method == "GET" else ""
        response = self.get_response(request)
        if code and _REFERRAL_RE.match(code) and not request.user.is_authenticated:
            response.set_signed_cookie(
                REFERRAL_COOKIE,
                code.upper(),
                salt=REFERRAL_COOKIE_SALT,
                max_age=self.max_age,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


def referral_code_from(request) -> str:
    try:
        return request.get_signed_cookie(REFERRAL_COOKIE, default="", salt=REFERRAL_COOKIE_SALT, max_age=None)
    except BadSignature:
        return ""

"""DRF authentication with the API access tokens (``Authorization: Bearer <JWT>``)."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .middleware import authenticate_bearer


class AccessTokenAuthentication(BaseAuthentication):
    """Short-lived JWT access tokens issued by POST /api/v1/auth/token/.

    accounts.middleware.SessionGuardMiddleware has already verified the token (signature, expiry, live token
    family) before the request's row-level-security scope was chosen; this class hands that result to DRF.
    Without the middleware in the stack (a view called directly) it verifies the token itself.
    """

    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("The Authorization header must be 'Bearer <access token>'.")
        # Left on the Django request by the session guard (DRF's Request passes the attribute through).
        result = getattr(request, "bearer_auth", None)
        if result is None:
            result = authenticate_bearer(parts[1].decode("latin-1"))
        if result.user is None:
            raise exceptions.AuthenticationFailed(result.error or "Invalid access token.")
        return result.user, result.claims

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'

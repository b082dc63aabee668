"""DRF authentication with partner API keys: ``Authorization: Api-Key <prefix>.<secret>``."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .services import api_key_authenticate


class ApiKeyAuthentication(BaseAuthentication):
    """A partner organisation's key. The request acts as the organisation's service user (``request.user``);
    ``request.auth`` is the :class:`~partners.models.ApiKey` (its scopes: partners.permissions.HasScope).
    A wrong, expired or revoked key answers 401."""

    keyword = "Api-Key"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("The Authorization header must be 'Api-Key <prefix>.<secret>'.")
        key = api_key_authenticate(parts[1].decode("latin-1"))
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.")
        return key.organisation.service_user, key

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'

"""The scope check of partner endpoints."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from .models import ApiKey


class HasScope(BasePermission):
    """The request carries an API key (partners.authentication) holding the view's ``required_scope``.

    Requests without a key are refused with 401 by DRF (not authenticated: the partner views accept only API
    keys); a key without the scope gets 403."""

    message = "This endpoint needs an API key with the scope {scope}."

    def has_permission(self, request, view) -> bool:
        scope = view.required_scope
        self.message = HasScope.message.format(scope=scope)
        return isinstance(request.auth, ApiKey) and scope in request.auth.scopes

"""OpenAPI (drf-spectacular) description of the partner API key authentication."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "partners.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A partner API key: `Authorization: Api-Key <prefix>.<secret>`. Keys are created by "
            "CouponAli staff or by the partner's admin users on /partners/, shown once, and carry scopes "
            "(catalogue:read, offers:write, reports:read, webhooks:manage). Wrong, expired or revoked keys get "
            "401; a key without the endpoint's scope gets 403.",
        }

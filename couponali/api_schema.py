"""The OpenAPI description's shared parts: the error body, and the answers every operation documents.

REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] is :class:`AutoSchema`: drf-spectacular's, plus, on every operation, the
failures the API's machinery can give whatever the view (a bad request, authentication and permission for an
operation that authenticates, 404 for a path with an id or a list with a cursor, 429 from the throttle), and
every 4xx/5xx answer described by the one error body (couponali.api_errors), also those a view declares itself.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

# Built with inline_serializer: a serializer class cannot declare a field named "fields" (Serializer.fields).
ERROR_DETAIL = inline_serializer(
    "ErrorDetail",
    {
        "code": serializers.CharField(
            help_text="Machine-readable: invalid, not_authenticated, authentication_failed, permission_denied, "
            "not_found, method_not_allowed, gone, rate_limited, server_error, or a domain code (e.g. "
            "insufficient_balance, sold_out)."
        ),
        "message": serializers.CharField(help_text="What went wrong, for people."),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="The refused request fields and why (empty unless a field was refused).",
        ),
    },
)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Invalid field",
            value={
                "error": {
                    "code": "invalid",
                    "message": "The request has invalid fields.",
                    "fields": {"amount": ["Ensure this value is greater than or equal to 0.01."]},
                }
            },
            response_only=True,
            status_codes=["400"],
        ),
        OpenApiExample(
            "Rate limited",
            value={"error": {"code": "rate_limited", "message": "Too many attempts; try again in 12 s.", "fields": {}}},
            response_only=True,
            status_codes=["429"],
        ),
    ]
)
class ErrorSerializer(serializers.Serializer):
    error = ERROR_DETAIL


_DESCRIPTIONS = {
    "400": "Invalid request (see error.fields).",
    "401": "Not signed in, or the access token is invalid or expired.",
    "403": "Signed in, but not allowed.",
    "404": "No such object (or not yours), or an invalid cursor.",
    "429": "Too many requests: wait the Retry-After header's seconds.",
}


class AutoSchema(openapi.AutoSchema):
    def _authenticates(self) -> bool:
        # A public operation authenticates too when it has authenticators: a bad token is refused (401), and a
        # write with a session cookie but no CSRF token (403).
        return bool(self.view.get_authenticators()) or not any(
            isinstance(p, AllowAny) for p in self.view.get_permissions()
        )

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = ["400", "429"]
        if self._authenticates():
            codes += ["401", "403"]
        if "{" in self.path or self._is_list_view():
            codes.append("404")
        for code in codes:
            responses.setdefault(code, {"description": _DESCRIPTIONS[code]})
        error = self.resolve_serializer(ErrorSerializer(), "response").ref
        for code, response in responses.items():
            if code[0] in "45":
                response["content"] = {"application/json": {"schema": error}}
        return responses

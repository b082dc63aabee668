"""The API's one error body, ``{"error": {"code", "message", "fields"}}``, for answers given inside DRF
(couponali.api_errors, its exception handler) and outside it (middleware, rate limits, handler404/handler500).
Nothing here imports DRF, so the kernel's low modules (couponali.ratelimit) can use it."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

API_PREFIX = "/api/"

# The code of an answer whose exception names none: one per HTTP status.
STATUS_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def error_body(*, status: int, message: str, code: str | None = None, fields: dict | None = None) -> dict:
    """The one error body (also the OpenAPI component ``Error``)."""
    return {"error": {"code": code or STATUS_CODES.get(status, "error"), "message": message, "fields": fields or {}}}


def error_json(*, status: int, message: str, code: str | None = None, fields: dict | None = None) -> JsonResponse:
    """The error as a plain Django response, for answers given outside DRF (middleware, handler404/500)."""
    return JsonResponse(error_body(status=status, message=message, code=code, fields=fields), status=status)

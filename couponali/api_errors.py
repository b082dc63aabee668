"""The API's one error format, and its one exception handler (REST_FRAMEWORK["EXCEPTION_HANDLER"]).

Every failure under /api/ answers ``{"error": {"code": <machine-readable>, "message": <for people>,
"fields": {<field>: [<messages>]}}}`` - validation errors, authentication, permissions, 404 and 405 (DRF's
and Django's own, see couponali.views.error_404/error_500), 429 and 500 alike. ``fields`` is empty unless a
request field was refused.

The mapping lives on the exception classes, not in the views: a domain error class says its status in an
``http_status`` class attribute (accounts.services.AccountsError and subclasses, the wallet's WalletError
family, couponali.idempotency.IdempotencyRefused, couponali.ratelimit.RateLimited) and may name a
machine-readable ``error_code``; a class with ``retry_after`` also gets a Retry-After header. Everything else
(validation errors, authentication, Django's PermissionDenied - accounts.authz.PermissionRefused is one -,
Http404, DRF's own throttling) is DRF's handling, re-shaped into the one format.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from .api_error_format import error_body


def _messages(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [f"{k}: {m}" for k, v in value.items() for m in _messages(v)]
    if isinstance(value, list):
        return [m for v in value for m in _messages(v)]
    return [str(value)]


def _first_code(codes: Any) -> str | None:
    if isinstance(codes, dict):
        codes = next(iter(codes.values()), None)
    while isinstance(codes, list | dict):
        codes = next(iter(codes.values()), None) if isinstance(codes, dict) else (codes[0] if codes else None)
    return codes if isinstance(codes, str) else None


def _validation_body(exc: exceptions.ValidationError) -> dict:
    detail = exc.detail
    if isinstance(detail, dict):
        general = _messages(detail.get(api_settings.NON_FIELD_ERRORS_KEY, []))
        fields = {k: _messages(v) for k, v in detail.items() if k != api_settings.NON_FIELD_ERRORS_KEY}
        message = " ".join(general) or "The request has invalid fields."
        return error_body(status=400, code="invalid", message=message, fields=fields)
    return error_body(status=400, code="invalid", message=" ".join(_messages(detail)) or "Invalid input.")


def exception_handler(exc: Exception, context: dict) -> Response | None:
    status = getattr(exc, "http_status", None)
    if isinstance(status, int):
        body = error_body(status=status, message=str(exc), code=getattr(exc, "error_code", None))
        answer = Response(body, status=status)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            answer["Retry-After"] = str(retry_after)
        return answer
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's handler500 (couponali.views.error_500) answers it in the same format
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc)
    elif isinstance(exc, exceptions.APIException):
        code = _first_code(exc.get_codes())
        code = "rate_limited" if code == "throttled" else code
        response.data = error_body(status=response.status_code, code=code, message=" ".join(_messages(exc.detail)))
    else:  # Http404 or PermissionDenied, turned into DRF's NotFound / PermissionDenied answer
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = error_body(status=response.status_code, message=str(detail))
    return response

"""The API's one exception handler (REST_FRAMEWORK["EXCEPTION_HANDLER"]): how a refusal becomes an HTTP answer.

The mapping lives on the exception classes, not in the views: a domain error class says its status in an
``http_status`` class attribute (accounts.services.AccountsError and subclasses, the wallet's WalletError
family, couponali.idempotency.IdempotencyRefused) and may name a machine-readable ``error_code``. The answer is
``{"detail": <the message>}`` plus ``"code"`` when the class has one. A rate limit answers 429 with
``retry_after`` and a Retry-After header. Everything else (validation errors, authentication, Django's
PermissionDenied - accounts.authz.PermissionRefused is one -, Http404) is DRF's own handling.
"""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .ratelimit import RateLimited


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, RateLimited):
        response = Response({"detail": str(exc), "retry_after": exc.retry_after}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    status = getattr(exc, "http_status", None)
    if isinstance(status, int):
        body = {"detail": str(exc)}
        code = getattr(exc, "error_code", None)
        if code:
            body["code"] = code
        return Response(body, status=status)
    return drf_exception_handler(exc, context)

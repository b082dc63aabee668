"""Idempotency-Key for POSTs that move money (the API's ``Idempotency-Key`` header, or the forms' hidden
``idempotency_key`` field): the same key with the same request replays the first answer; the same key with a
different request is refused (422).

Two view decorators, one per kind of view, so that nothing here looks at URL paths: :func:`idempotent` for a
page (a refusal is plain text) and :func:`idempotent_api` for a DRF view method (a refusal is raised as
:class:`IdempotencyRefused` and answered by the API's one exception handler, couponali.api_errors).

The key row is inserted in the request's own transaction (RowLevelSecurityMiddleware opens one), so it
commits or rolls back together with the money it guards. Two requests with the same key at the same time:
the second INSERT waits on the unique index until the first commits, then replays its answer; if the first
failed (5xx, rolled back), the second runs as if it were first.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable

from django.db import connection, transaction
from django.http import HttpResponse

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
FORM_FIELD = "idempotency_key"
_IGNORED_FORM_FIELDS = {"csrfmiddlewaretoken", FORM_FIELD}
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
GUARDED_METHODS = ("POST",)


class IdempotencyRefused(Exception):
    """The key cannot be used for this request (too long, used for another request, still in flight)."""

    def __init__(self, message: str, *, http_status: int):
        super().__init__(message)
        self.http_status = http_status


def _media_type(request) -> str:
    """The request's media type without parameters (DRF's Request keeps "; boundary=..." on multipart)."""
    return (request.content_type or "").split(";", 1)[0].strip().lower()


def request_key(request) -> str | None:
    key = request.headers.get(HEADER)
    if not key and _media_type(request) in _FORM_TYPES:
        key = request.POST.get(FORM_FIELD)
    return (key or "").strip() or None


def request_hash(request) -> str:
    """What "the same request" means: method, path and body (JSON compared by value, forms by their fields
    without the CSRF token, which differs between renders)."""
    h = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    media_type = _media_type(request)
    if media_type == "application/json":
        try:
            body = json.dumps(json.loads(request.body or b"null"), sort_keys=True, separators=(",", ":"))
            h.update(body.encode())
        except ValueError:
            h.update(request.body)
    elif media_type in _FORM_TYPES:
        items = sorted((k, v) for k in request.POST if k not in _IGNORED_FORM_FIELDS for v in request.POST.getlist(k))
        h.update(json.dumps(items).encode())
    else:
        h.update(request.body)
    return h.hexdigest()


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        row.response_body or "", status=row.response_status, content_type=row.response_content_type or "text/plain"
    )
    if row.response_location:
        response["Location"] = row.response_location
    response["Idempotent-Replayed"] = "true"
    return response


def run_idempotent(request, *, user_id: int, handler: Callable[[], HttpResponse]) -> HttpResponse:
    """Run ``handler`` once per (user, key); without a key it simply runs. Raises IdempotencyRefused."""
    key = request_key(request)
    if key is None:
        return handler()
    if len(key) > 255:
        raise IdempotencyRefused(f"{HEADER} is longer than 255 characters.", http_status=400)
    digest = request_hash(request)
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) VALUES (%s, %s, %s, now()) "
                "ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
                [user_id, key, digest],
            )
            inserted = cur.fetchone()
        if inserted is None:
            row = IdempotencyKey.objects.get(user_id=user_id, key=key)
            if row.request_hash != digest:
                raise IdempotencyRefused(f"This {HEADER} was already used for a different request.", http_status=422)
            if row.response_status is None:  # pragma: no cover - only inside the first request's transaction
                raise IdempotencyRefused("A request with this key is still being processed.", http_status=409)
            return _replay(row)
        response = handler()
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        if response.status_code < 500:
            IdempotencyKey.objects.filter(pk=inserted[0]).update(
                response_status=response.status_code,
                response_body=response.content.decode("utf-8", errors="replace"),
                response_content_type=response.get("Content-Type", "")[:100],
                response_location=(response.get("Location") or "")[:500] or None,
            )
        else:
            transaction.set_rollback(True)
        return response


def idempotent(view):
    """For a page (a function view of a signed-in user): its POSTs run once per key; a refused key is answered
    in plain text with the refusal's status."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in GUARDED_METHODS:
            return view(request, *args, **kwargs)
        try:
            return run_idempotent(request, user_id=request.user.pk, handler=lambda: view(request, *args, **kwargs))
        except IdempotencyRefused as exc:
            return HttpResponse(str(exc), status=exc.http_status, content_type="text/plain; charset=utf-8")

    return wrapped


def idempotent_api(method):
    """For a DRF APIView method (``post``) of an authenticated user: runs once per key. What the method raises is
    turned into its answer inside (the view's exception handler), so that a refusal is stored and replayed too;
    a refused key raises IdempotencyRefused for the API's exception handler."""

    @functools.wraps(method)
    def wrapped(self, request, *args, **kwargs):
        def handler() -> HttpResponse:
            try:
                response = method(self, request, *args, **kwargs)
            except Exception as exc:
                # Answered as DRF would answer it (an unhandled one is re-raised there and rolls the key back).
                response = self.handle_exception(exc)
            return self.finalize_response(request, response, *args, **kwargs)

        return run_idempotent(request, user_id=request.user.pk, handler=handler)

    return wrapped

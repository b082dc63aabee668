"""Request-wide middleware of the platform."""

from __future__ import annotations

import json

from django.db import transaction
from django.http import HttpResponse
from django.template.loader import render_to_string

from couponali import request_context, rls, routing
from couponali.api_error_format import error_json
from couponali.ratelimit import client_ip_address

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _shown(name: str) -> str:
    return name.replace(NUL, "%00")[:60]


def _json_has_nul(value) -> bool:
    # Iterative: a deeply nested body must not exhaust the stack here.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def nul_byte_location(request) -> str | None:
    """Where the request carries a NUL character, in words for the error message, or None."""
    if NUL in request.path:
        return "the address"
    for key, values in request.GET.lists():
        if NUL in key or any(NUL in v for v in values):
            return f"the query parameter '{_shown(key)}'"
    content_type = request.content_type or ""
    if content_type in FORM_TYPES:
        for key, values in request.POST.lists():
            if NUL in key or any(NUL in v for v in values):
                return f"the form field '{_shown(key)}'"
    elif content_type == "application/json" or content_type.endswith("+json"):
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError):
            return None  # not JSON: the view refuses it with its own message
        if _json_has_nul(data):
            return "the JSON body"
    return None


class RequestContextMiddleware:
    """Give every request an id (the client's or proxy's ``X-Request-ID`` when it is a plain token, else a new
    one), hold it with the client's IP (couponali.ratelimit.client_ip, the site's one rule) for the audit log
    (couponali.request_context), and return the id in the response's ``X-Request-ID`` header so that a report
    of a problem can be matched with its audit rows and logs. First in the stack: every answer carries it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_context.request_id_from(request.headers.get(request_context.REQUEST_ID_HEADER))
        request.request_id = request_id
        with request_context.bound(request_id=request_id, ip_address=client_ip_address(request)):
            response = self.get_response(request)
        response[request_context.REQUEST_ID_HEADER] = request_id
        return response


class RejectNulBytesMiddleware:
    """Answer 400 to any request with a NUL character (%00, or \\u0000 in JSON) in its path, query string, form
    fields or JSON body. No valid input contains one, and PostgreSQL refuses it in text ("A string literal
    cannot contain NUL"), which would otherwise surface as a 500 wherever a value reaches a query. Checked
    once, here, early in the stack: before the click-out's lean path, sessions and every view. Uploaded files
    are not inspected (an invoice is binary; Django cleans their names)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = nul_byte_location(request)
        if where is None:
            return self.get_response(request)
        message = (
            f"The request has a NUL character (%00) in {where}. That is never valid input; remove it and try again."
        )
        if request.path.startswith("/api/"):
            return error_json(status=400, message=message)
        # Rendered without the request: no session, user or database is needed to refuse it.
        return HttpResponse(render_to_string("400.html", {"message": message}), status=400)


def _reads_no_protected_table(request) -> bool:
    match = routing.request_match(request)
    return match is not None and getattr(match.func, rls.NO_PROTECTED_TABLES, False)


class RowLevelSecurityMiddleware:
    """Run each request in one transaction that tells PostgreSQL whom it acts for (see couponali.rls), except
    the GET/HEAD requests of views marked rls.no_protected_tables (the public catalogue pages), which run in
    autocommit.

    Like ATOMIC_REQUESTS, a response of 500 or more rolls the request's writes back. Must come after
    AuthenticationMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    exempt_paths = ("/healthz",)  # must answer (503) even when the database is down
    # The click-out (offers.views.go_*) runs in autocommit: its one INSERT is committed before the 302 is sent,
    # offer_clicks has no row-level security, and skipping the per-request transaction keeps the hot path at
    # one database round trip.
    exempt_prefixes = ("/go/",)

    def __call__(self, request):
        if request.path in self.exempt_paths or request.path.startswith(self.exempt_prefixes):
            return self.get_response(request)
        if request.method in ("GET", "HEAD") and _reads_no_protected_table(request):
            # Public pages (rls.no_protected_tables): no transaction, so no BEGIN/set_config/COMMIT round trips.
            return self.get_response(request)
        user = getattr(request, "user", None)
        authenticated = bool(user is not None and user.is_authenticated)
        # A staff request sees the protected tables it holds the view permission of (computed once, from the
        # user's permission cache that the admin then reuses); a shopper only their own rows.
        tables = rls.tables_visible_to(user) if authenticated else ()
        with rls.scope(user_id=user.pk if authenticated else None, tables=tables):
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response

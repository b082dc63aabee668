"""Request-wide middleware of the platform."""

from __future__ import annotations

from django.db import transaction

from couponali import rls


class RowLevelSecurityMiddleware:
    """Run each request in one transaction that tells PostgreSQL whom it acts for (see couponali.rls).

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

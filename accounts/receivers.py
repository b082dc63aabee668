"""Record browser sign-ins and sign-outs as user_sessions rows.

Django's login() and logout() are the one place every browser sign-in path passes through: our sign-in
and verification views, the admin's login page, allauth's Google/Facebook flow, and the test client. So,
exactly like Django records ``last_login`` from the user_logged_in signal, these receivers record the
session row; the rules themselves (what a session is, how it ends) live in services.session_create and
services.session_end.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from couponali.ratelimit import client_ip_address

from . import services
from .middleware import SESSION_TOKEN_KEY
from .models import UserSession


@receiver(user_logged_in, dispatch_uid="accounts.session_started")
def session_started(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    previous = request.session.get(SESSION_TOKEN_KEY)
    if previous:  # signed in again in the same browser: the old row ends, a new one starts
        services.session_end(user_id=user.pk, secret=previous, reason=UserSession.Reason.REPLACED)
    row, secret = services.session_create(
        user_id=user.pk,
        kind=UserSession.Kind.WEB,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        ip=client_ip_address(request),
        ttl=timedelta(seconds=settings.SESSION_COOKIE_AGE),
    )
    request.session[SESSION_TOKEN_KEY] = secret
    request.session_family_id = row.family_id


@receiver(user_logged_out, dispatch_uid="accounts.session_ended")
def session_ended(sender, request, user, **kwargs):
    if request is None or user is None or not hasattr(request, "session"):
        return
    secret = request.session.get(SESSION_TOKEN_KEY)
    if secret:
        services.session_end(user_id=user.pk, secret=secret, reason=UserSession.Reason.SIGNED_OUT)

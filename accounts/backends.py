"""Sign-in with an email address or an Indian mobile number, plus a password; staff permissions from roles."""

from __future__ import annotations

import contextvars

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q

from . import authz
from .errors import AccountsError
from .models import User
from .roles import ALL
from .services import signin_attempt

# The user row that the session guard already loaded for this request (with its session, in one query), so
# that Django's get_user() does not fetch it again. A context variable: one value per request thread.
prefetched_user: contextvars.ContextVar = contextvars.ContextVar("prefetched_user", default=None)


def _all_codes(user) -> frozenset[str]:
    """Every permission there is (``app_label.codename``), for a superuser or a super admin; once per user."""
    cached = getattr(user, "authz_all_codes", None)
    if cached is None:
        cached = frozenset(
            f"{app}.{codename}"
            for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
        )
        user.authz_all_codes = cached
    return cached


class RoleBackend(ModelBackend):
    """Staff permissions come from the seed's role tables only: ``user_roles`` -> ``role_permissions`` ->
    ``permissions`` (codes ``app_label.codename``, or ``*`` for every permission). Django's own per-user and
    group permissions (``auth_permission`` rows linked to a user or group) are not consulted: one source of
    truth, so that the roles admin's rule "nobody grants more than they hold" cannot be walked around through
    the user form. Superusers keep Django's semantics (every permission). Object permissions (``obj`` given)
    are not answered here: django-guardian's backend answers those.

    The codes are read once per user object (``authz.permission_codes``): a request's user is loaded per
    request, so a changelist pays one query for all its checks and a change of roles shows on the next
    request."""

    def _codes(self, user_obj, obj) -> frozenset[str]:
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return frozenset()
        if user_obj.is_superuser:
            return _all_codes(user_obj)
        codes = authz.permission_codes(user_obj)
        return _all_codes(user_obj) if ALL in codes else codes

    def get_user_permissions(self, user_obj, obj=None):
        return set(self._codes(user_obj, obj))

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        return set(self._codes(user_obj, obj))

    def has_perm(self, user_obj, perm, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return False
        codes = authz.permission_codes(user_obj)
        return user_obj.is_superuser or ALL in codes or perm in codes

    def has_module_perms(self, user_obj, app_label):
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        codes = authz.permission_codes(user_obj)
        prefix = f"{app_label}."
        return user_obj.is_superuser or ALL in codes or any(code.startswith(prefix) for code in codes)

    def with_perm(self, perm, is_active=True, include_superusers=True, obj=None):
        if obj is not None:
            return User.objects.none()
        if isinstance(perm, Permission):
            perm = f"{perm.content_type.app_label}.{perm.codename}"
        holds = Q(is_staff=True, user_roles__role__role_permissions__permission__code__in=[perm, ALL])
        if include_superusers:
            holds |= Q(is_superuser=True)
        users = User.objects.filter(holds)
        if is_active is not None:
            users = users.filter(is_active=is_active)
        return users.distinct()


class EmailOrMobileBackend(RoleBackend):
    """Django's authenticate() for every password sign-in that does not go through our sign-in page (the
    admin's login page, the test client). It applies the same rules through services.signin_attempt:
    no account enumeration by timing, failure counting and lockout."""

    def get_user(self, user_id):
        user = prefetched_user.get()
        if user is not None and str(user.pk) == str(user_id):
            return user if self.user_can_authenticate(user) else None
        return super().get_user(user_id)

    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = (username or kwargs.get("email") or kwargs.get("mobile") or "").strip()
        if not identifier or password is None:
            return None
        try:
            user = signin_attempt(identifier=identifier, password=password)
        except AccountsError:
            return None
        return user if self.user_can_authenticate(user) else None

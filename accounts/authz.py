"""Who may do what: the one check that every service moving money or revealing personal data runs on its
acting user itself, whoever calls it (an admin page or action, the API, a command, a Celery job).

* ``actor`` is a required keyword of those services: the signed-in :class:`~accounts.models.User`, or the
  explicit :data:`SYSTEM` sentinel for callers that are not a person (affiliate postbacks authenticated by
  the network's secret, Celery jobs, the auto-confirm batch, sweeps, the demo seed). ``None`` is refused,
  so that "nobody" can never mean "allowed".
* A person passes when they are active staff, hold every named permission (``app.codename``; answered by
  ``user.has_perm``, i.e. by the roles backend from the codes of their roles, :func:`permission_codes`) and,
  where the service asks for one, belong to the department (``finance``; :func:`departments_of`, the one
  department rule, also whose support queue).
* A refusal raises :class:`PermissionRefused`, a subclass of Django's ``PermissionDenied``: the admin, the
  pages and DRF answer it with 403. The services check before they open their transaction, so a refusal
  changes nothing. Refusals are logged (``couponali.security``), not written to ``audit_logs``: a row
  written in the caller's transaction would be rolled back with it whenever the refusal propagates.

The admin declares the same permissions (``actor_may``) so that nobody sees a button they cannot use.
"""

from __future__ import annotations

import contextlib
import enum
import logging
from collections.abc import Iterator
from typing import Final, TypeAlias

from django.core.exceptions import PermissionDenied
from django.db import transaction

from couponali import rls

from .models import AccessPermission, User, UserDepartment
from .roles import ALL

log = logging.getLogger("couponali.security")

FINANCE = "finance"  # the department slug whose members may approve, reject and adjust (two-approver rule aside)


class _System(enum.Enum):
    SYSTEM = "system"

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = _System.SYSTEM
"""The actor of work that no person asked for: postbacks, Celery jobs, commands fed by a network's report."""

Actor: TypeAlias = User | _System


class PermissionRefused(PermissionDenied):
    """The acting user may not do this; nothing was changed. Answered with 403."""

    def __init__(self, message: str, *, perms: tuple[str, ...] = (), department: str | None = None):
        super().__init__(message)
        self.perms, self.department = perms, department


def departments_of(user) -> frozenset[str]:
    """The slugs of the active departments the user belongs to: the one rule for "whose queue" (support
    tickets) and "finance only" (withdrawals, adjustments). Read once per user object (a request's user, or a
    worker's actor); an anonymous user belongs to none."""
    if user is None or user is SYSTEM or not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "authz_departments", None)
    if cached is None:
        cached = frozenset(
            UserDepartment.objects.filter(user_id=user.pk, department__is_active=True).values_list(
                "department__slug", flat=True
            )
        )
        user.authz_departments = cached
    return cached


def permission_codes(user) -> frozenset[str]:
    """The permission codes of the user's roles (``roles.ALL`` among them for a super admin), read in one query
    once per user object, so that a changelist asking ``has_perm`` for every row, field and action pays one
    query. Only active staff hold any: roles are for the back office."""
    if user is None or user is SYSTEM or not getattr(user, "is_authenticated", False):
        return frozenset()
    if not (user.is_active and user.is_staff):
        return frozenset()
    cached = getattr(user, "authz_permission_codes", None)
    if cached is None:
        cached = frozenset(
            AccessPermission.objects.filter(role_permissions__role__user_roles__user_id=user.pk)
            .values_list("code", flat=True)
            .distinct()
        )
        user.authz_permission_codes = cached
    return cached


def forget(user) -> None:
    """Drop what this user object remembers of its roles and departments (after a change in this request)."""
    for attr in ("authz_departments", "authz_permission_codes", "authz_all_codes"):
        if hasattr(user, attr):
            delattr(user, attr)


def holds_everything(actor) -> bool:
    """A superuser, a super admin (``roles.ALL``) or SYSTEM: nothing is out of their reach."""
    if actor is SYSTEM:
        return True
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return bool(actor.is_superuser or ALL in permission_codes(actor))


def holds_all(actor, codes) -> bool:
    """Whether the actor holds every one of these codes: the "cannot grant more than you hold" rule of the
    role, role-grant and store-grant services."""
    if holds_everything(actor):
        return True
    return set(codes) <= permission_codes(actor)


def _missing(actor, perms: tuple[str, ...], department: str | None) -> str | None:
    """Why the actor may not act (a message for staff), or None when it may."""
    if actor is SYSTEM:
        return None
    if actor is None or not hasattr(actor, "has_perm"):
        return "No acting user was given."
    if not (actor.is_authenticated and actor.is_active and actor.is_staff):
        return "Only active staff can do this."
    lacking = [p for p in perms if not actor.has_perm(p)]
    if lacking:
        return f"This needs the permission {', '.join(lacking)}, which you do not have."
    if department is not None and department not in departments_of(actor):
        return f"Only staff in the {department} department can do this."
    return None


def actor_may(actor: Actor | None, *perms: str, department: str | None = None) -> bool:
    """Whether ``actor_require`` would pass (for the admin's buttons and declared permissions)."""
    return _missing(actor, perms, department) is None


def actor_require(actor: Actor | None, *perms: str, department: str | None = None) -> int | None:
    """Raise :class:`PermissionRefused` unless the actor holds every permission (and the department).

    Returns the id to write in audit rows: the user's id, or None for :data:`SYSTEM`."""
    why = _missing(actor, perms, department)
    if why is not None:
        log.warning("refused: actor=%s perms=%s department=%s: %s", getattr(actor, "pk", actor), perms, department, why)
        raise PermissionRefused(why, perms=perms, department=department)
    if actor is SYSTEM:
        return None
    assert actor is not None, "_missing() refuses a missing actor"
    return actor.pk


@contextlib.contextmanager
def acting(actor_id: int | None, *, reason: str) -> Iterator[None]:
    """The transaction of a service that, once ``actor_require`` passed, writes rows of other users in the
    row-level-security tables (a posting in a shopper's ledger, a KYC review). A person's action runs in an
    audited ``rls.bypass`` naming them: the service's own check, not the table view permission of the
    request, decides. SYSTEM callers chose their scope already (jobs and commands open their own bypass)."""
    if actor_id is None:
        with transaction.atomic():
            yield
    else:
        with rls.bypass(reason=reason, actor_id=actor_id):
            yield

"""Who may do what: the one check that every service moving money or revealing personal data runs on its
acting user itself, whoever calls it (an admin page or action, the API, a command, a Celery job).

* ``actor`` is a required keyword of those services: the signed-in :class:`~accounts.models.User`, or the
  explicit :data:`SYSTEM` sentinel for callers that are not a person (affiliate postbacks authenticated by
  the network's secret, Celery jobs, the auto-confirm batch, sweeps, the demo seed). ``None`` is refused,
  so that "nobody" can never mean "allowed".
* A person passes when they are active staff, hold every named Django permission (``app.codename``;
  answered by ``user.has_perm``, so the roles backend of the RBAC issue feeds the same check by adding an
  authentication backend) and, where the service asks for one, belong to the department (``finance``).
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

from .models import User, UserDepartment

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


def _departments(user) -> frozenset[str]:
    """The user's department slugs, read once per user object (a request's user, or a worker's actor)."""
    cached = getattr(user, "authz_departments", None)
    if cached is None:
        cached = frozenset(UserDepartment.objects.filter(user_id=user.pk).values_list("department__slug", flat=True))
        user.authz_departments = cached
    return cached


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
    if department is not None and department not in _departments(actor):
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

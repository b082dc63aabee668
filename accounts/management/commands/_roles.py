"""What grant_role, revoke_role and list_roles share: finding the user, the operator's audit context, and
turning a refusal into a clear CommandError (nothing changed)."""

from __future__ import annotations

import getpass
from collections.abc import Callable

from django.core.management.base import CommandError

from accounts import authz, selectors
from accounts.errors import AccountsError
from accounts.models import User


def user_by_email(email: str) -> User:
    user = selectors.user_by_identifier(kind="email", value=email.strip())
    if user is None:
        raise CommandError(f"There is no account with the e-mail address {email!r}.")
    return user


def operator_context(command: str) -> dict:
    """Written into the audit row: the command and, where the OS knows it, who ran it (the actor is SYSTEM)."""
    try:
        operator = getpass.getuser()
    except (KeyError, OSError):
        operator = "unknown"
    return {"via": f"manage.py {command}", "operator": operator}


def run(call: Callable[[], bool]) -> bool:
    try:
        return call()
    except (AccountsError, authz.PermissionRefused) as exc:
        raise CommandError(str(exc)) from exc

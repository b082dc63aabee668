"""Who the current database transaction acts for, as seen by PostgreSQL row-level security.

Policies on the owner-scoped tables (user_sessions, user_kyc, wallet_transactions, support_tickets) read three
transaction-local settings (couponali/migrations/0003_rls_by_permission.py):

* ``app.user_id``      - the signed-in user; rows of other users are invisible and cannot be written;
* ``app.staff_tables`` - the protected tables whose every row this staff request may see: a table is listed
  only when the user holds the view (or change) permission of its model (:data:`PROTECTED_TABLES`), never
  for merely being staff;
* ``app.rls_bypass``   - 'on' for workers, commands and permission-checked services that act for many
  users, set only through :func:`bypass`, which writes an audit row naming the reason.

They are set with ``set_config(name, value, true)``: local to the transaction, so a pooled connection
carries nothing from one request or task to the next. Every scope therefore opens a transaction (or a
savepoint inside one).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from django.db import connection, transaction

from .audit import AuditAction, audit_log

USER = "app.user_id"
STAFF_TABLES = "app.staff_tables"
BYPASS = "app.rls_bypass"

_NAMES = (USER, STAFF_TABLES, BYPASS)

# The tables under row-level security and the model whose view permission opens each one to staff. The
# migration's policy list is tested against this (couponali/tests: test_rls_tables_match_the_policies).
PROTECTED_TABLES: dict[str, str] = {
    "user_sessions": "accounts.usersession",
    "user_kyc": "accounts.userkyc",
    "wallet_transactions": "wallet.wallettransaction",
    "support_tickets": "cms.supportticket",
}


# The attribute no_protected_tables() sets on a view.
NO_PROTECTED_TABLES = "rls_no_protected_tables"


def no_protected_tables(view):
    """Mark a view whose GET and HEAD requests read no table under row-level security and write nothing to the
    database: couponali.middleware.RowLevelSecurityMiddleware then runs them in autocommit, without the
    per-request transaction (BEGIN, set_config, COMMIT: a round trip each). Whatever such a view reads is the
    same for every user as far as PostgreSQL is concerned; a protected table read without the scope shows no
    rows at all (the policies treat unset settings as nobody), so a mistake hides rows, never reveals them."""
    setattr(view, NO_PROTECTED_TABLES, True)
    return view


def tables_visible_to(user) -> tuple[str, ...]:
    """The protected tables whose rows of other users this user may see: for active staff, each table
    whose model they may view (Django's rule: the view or the change permission). Answered from the user's
    permission cache, so a request pays for it once (and the admin reuses the cache); none for shoppers."""
    if not (user is not None and user.is_authenticated and user.is_active and user.is_staff):
        return ()
    visible = []
    for table, model in PROTECTED_TABLES.items():
        app_label, model_name = model.split(".")
        if user.has_perm(f"{app_label}.view_{model_name}") or user.has_perm(f"{app_label}.change_{model_name}"):
            visible.append(table)
    return tuple(visible)


def _swap(values: tuple[str, str, str], *, previous: bool) -> tuple[str, str, str] | None:
    """Set the three settings for the current transaction; return the values they had when asked."""
    sql = "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in _NAMES)
    params: list[str] = [p for pair in zip(_NAMES, values, strict=True) for p in pair]
    if previous:
        sql = "SELECT " + ", ".join("coalesce(current_setting(%s, true), '')" for _ in _NAMES) + ", " + sql[7:]
        params = [*_NAMES, *params]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        row = cur.fetchone()
    return tuple(row[:3]) if previous else None


@contextlib.contextmanager
def _scoped(values: tuple[str, str, str]) -> Iterator[None]:
    # A savepoint that is released keeps its set_config() changes, so a nested scope puts the outer
    # values back on the way out; when it fails the rollback to the savepoint restores them anyway.
    nested = connection.in_atomic_block
    with transaction.atomic():
        before = _swap(values, previous=nested)
        yield
        if before is not None and not connection.needs_rollback:
            _swap(before, previous=False)


@contextlib.contextmanager
def scope(*, user_id: int | None, tables: Iterable[str] = ()) -> Iterator[None]:
    """Act as ``user_id`` (or as nobody) for the block; every row of ``tables`` is visible too (a staff
    request: :func:`tables_visible_to`)."""
    tables = tuple(tables)
    unknown = set(tables) - PROTECTED_TABLES.keys()
    if unknown:
        raise ValueError(f"not a row-level-security table: {', '.join(sorted(unknown))}")
    with _scoped((str(user_id or ""), ",".join(tables), "off")):
        yield


@contextlib.contextmanager
def bypass(*, reason: str, actor_id: int | None = None) -> Iterator[None]:
    """Act for every user: workers, commands, cross-user services. Audited with its reason."""
    with _scoped(("", "", "on")):
        audit_log(actor_id=actor_id, action=AuditAction.RLS_BYPASS, metadata={"reason": reason})
        yield


def current() -> dict[str, str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT current_setting(%s, true), current_setting(%s, true), current_setting(%s, true)",
            [USER, STAFF_TABLES, BYPASS],
        )
        user, tables, bypass_ = cur.fetchone()
    return {"user_id": user or "", "staff_tables": tables or "", "rls_bypass": bypass_ or ""}

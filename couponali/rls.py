"""Who the current database transaction acts for, as seen by PostgreSQL row-level security.

Policies on the owner-scoped tables (user_sessions, user_kyc, wallet_transactions, support_tickets) read three
transaction-local settings:

* ``app.user_id``    - the signed-in user; rows of other users are invisible and cannot be written;
* ``app.is_staff``   - 'on' for staff requests (the admin), which see every row;
* ``app.rls_bypass`` - 'on' for workers and commands that act for many users, set only through
  :func:`bypass`, which writes an audit row naming the reason.

They are set with ``set_config(name, value, true)``: local to the transaction, so a pooled connection
carries nothing from one request or task to the next. Every scope therefore opens a transaction (or a
savepoint inside one).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection, transaction

USER = "app.user_id"
STAFF = "app.is_staff"
BYPASS = "app.rls_bypass"


_NAMES = (USER, STAFF, BYPASS)


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
def scope(*, user_id: int | None, staff: bool = False) -> Iterator[None]:
    """Act as ``user_id`` (or as nobody) for the block; staff see every row."""
    with _scoped((str(user_id or ""), "on" if staff else "off", "off")):
        yield


@contextlib.contextmanager
def bypass(*, reason: str, actor_id: int | None = None) -> Iterator[None]:
    """Act for every user: workers, commands, cross-user services. Audited with its reason."""
    from accounts.services import audit_log

    with _scoped(("", "off", "on")):
        audit_log(actor_id=actor_id, action="rls.bypass", metadata={"reason": reason})
        yield


def current() -> dict[str, str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT current_setting(%s, true), current_setting(%s, true), current_setting(%s, true)",
            [USER, STAFF, BYPASS],
        )
        user, staff, bypass_ = cur.fetchone()
    return {"user_id": user or "", "is_staff": staff or "", "rls_bypass": bypass_ or ""}

"""Database plumbing shared by every app: the owner/app role split and migration helpers.

The web app and the workers connect as the *app* role (DATABASE_URL): not superuser, no BYPASSRLS, owns no
table, so PostgreSQL's row-level security and the append-only grants apply to it. Migrations run as the
*owner* role (DATABASE_OWNER_URL), and after every migrate the app role is granted exactly what it needs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.conf import settings
from django.db import connections
from django.db.migrations.operations.base import Operation

# Tables the app role may read and append to but never UPDATE or DELETE: corrections are new rows.
APPEND_ONLY_TABLES: list[str] = ["audit_logs", "wallet_transactions"]


def owner_differs(alias: str = "default") -> bool:
    conn = connections[alias]
    owner = settings.DATABASE_OWNER
    return any(str(conn.settings_dict.get(k) or "") != str(owner.get(k) or "") for k in ("USER", "HOST", "PORT"))


def _reset(conn) -> None:
    conn.close()
    close_pool = getattr(conn, "close_pool", None)
    if close_pool is not None:
        close_pool()


@contextlib.contextmanager
def as_owner(alias: str = "default") -> Iterator[None]:
    """Run the block with the connection authenticated as the table owner (same server and database)."""
    conn = connections[alias]
    if not owner_differs(alias):
        yield
        return
    saved = {k: conn.settings_dict.get(k) for k in ("USER", "PASSWORD", "HOST", "PORT")}
    _reset(conn)
    conn.settings_dict.update(settings.DATABASE_OWNER)
    try:
        yield
    finally:
        _reset(conn)
        conn.settings_dict.update(saved)


def grant_app_privileges(alias: str = "default", *, role: str) -> None:
    """Give the app role DML on every table and sequence, minus UPDATE/DELETE on append-only tables.

    Runs as the owner (after migrate, inside as_owner) and is idempotent.
    """
    conn = connections[alias]
    qrole = conn.ops.quote_name(role)
    with conn.cursor() as cur:
        cur.execute(f"GRANT USAGE ON SCHEMA public TO {qrole}")
        cur.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {qrole}")
        cur.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {qrole}")
        cur.execute(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {qrole}")
        # The append-only tables and each partition of them (a partition is a table of its own, which GRANT ... ON
        # ALL TABLES has just opened; partitions created later by the SECURITY DEFINER functions get no grant).
        cur.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND (c.relname = ANY(%s) OR c.oid IN ("
            "  SELECT i.inhrelid FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = ANY(%s)"
            "))",
            [APPEND_ONLY_TABLES, APPEND_ONLY_TABLES],
        )
        for (table,) in cur.fetchall():
            cur.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {conn.ops.quote_name(table)} FROM {qrole}")


@contextlib.contextmanager
def migrating_as_owner(alias: str = "default") -> Iterator[None]:
    """as_owner() for schema changes, then grants for the app role."""
    conn = connections[alias]
    role = conn.settings_dict["USER"]
    differs = owner_differs(alias)
    with as_owner(alias):
        yield
        if differs:
            grant_app_privileges(alias, role=role)


# ---------------------------------------------------------------- migration operations


class UpdatedAtTrigger(Operation):
    """Keep ``<table>.updated_at`` current on every UPDATE, whoever issues it (ORM, queryset.update, SQL)."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, table: str):
        self.table = table

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        t = schema_editor.quote_name(self.table)
        schema_editor.execute(
            f"CREATE OR REPLACE TRIGGER {schema_editor.quote_name(self.table + '_set_updated_at')} "
            f"BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION couponali_set_updated_at()"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {schema_editor.quote_name(self.table + '_set_updated_at')} "
            f"ON {schema_editor.quote_name(self.table)}"
        )

    def describe(self):
        return f"updated_at trigger on {self.table}"

    def deconstruct(self):
        return self.__class__.__qualname__, [self.table], {}

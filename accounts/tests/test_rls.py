"""Row-level security on user_sessions, user_kyc, wallet_transactions and support_tickets (seed §33).

Everything here is raw SQL on the app role's connection, so only PostgreSQL's policies stand between one
user and another user's rows.
"""

# ruff: noqa: S608 - the SQL is built from this module's table-name constants only

from __future__ import annotations

import uuid

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from accounts.factories import StaffUserFactory, UserFactory, UserKYCFactory, UserSessionFactory
from accounts.models import AuditLog
from cms.factories import SupportTicketFactory
from couponali import rls
from wallet.factories import WalletTransactionFactory

TABLES = ["user_sessions", "user_kyc", "wallet_transactions", "support_tickets"]

# A harmless column to write, and an INSERT for a given user, per table.
UPDATES = {
    "user_sessions": "revoked_at = now()",
    "user_kyc": "notes = 'changed'",
    "wallet_transactions": "description = 'changed'",
    "support_tickets": "subject = 'changed'",
}


def _insert(cur, table: str, user_id: int) -> None:
    if table == "user_sessions":
        cur.execute(
            "INSERT INTO user_sessions (user_id, token, expires_at) VALUES (%s, %s, now() + interval '1 day')",
            [user_id, uuid.uuid4().hex],
        )
    elif table == "user_kyc":
        cur.execute("INSERT INTO user_kyc (user_id) VALUES (%s)", [user_id])
    elif table == "wallet_transactions":
        cur.execute(
            "INSERT INTO wallet_transactions (user_id, amount, type, balance_before, balance_after) "
            "VALUES (%s, 10, 'admin_credit', 0, 10)",
            [user_id],
        )
    else:
        cur.execute("INSERT INTO support_tickets (user_id, subject) VALUES (%s, 'Where is my cashback?')", [user_id])


def _may(cur, table: str, privilege: str) -> bool:
    """Whether the app role holds the privilege at all (append-only tables have no UPDATE/DELETE)."""
    cur.execute("SELECT has_table_privilege(current_user, %s, %s)", [table, privilege])
    return cur.fetchone()[0]


def _owners(cur, table: str) -> set[int]:
    cur.execute(f"SELECT user_id FROM {table}")
    return {r[0] for r in cur.fetchall()}


@pytest.fixture
def two_users(db):
    a, b = UserFactory(), UserFactory()
    with rls.bypass(reason="test setup"):
        for user in (a, b):
            UserSessionFactory(user=user)
            UserKYCFactory(user=user)
            WalletTransactionFactory(user=user)
            SupportTicketFactory(user=user)
    return a, b


@pytest.mark.django_db
@pytest.mark.parametrize("table", TABLES)
def test_user_a_cannot_read_or_write_user_b_rows(two_users, table):
    a, b = two_users
    with rls.scope(user_id=a.pk), connection.cursor() as cur:
        # reads: only A's rows exist
        assert _owners(cur, table) == {a.pk}
        cur.execute(f"SELECT count(*) FROM {table} WHERE user_id = %s", [b.pk])
        assert cur.fetchone()[0] == 0
        # updates and deletes of B's rows touch nothing (an append-only table refuses them outright)
        for sql in (
            f"UPDATE {table} SET {UPDATES[table]} WHERE user_id = %s",
            f"DELETE FROM {table} WHERE user_id = %s",
        ):
            if _may(cur, table, sql.split()[0]):
                cur.execute(sql, [b.pk])
                assert cur.rowcount == 0, sql
            else:
                with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                    cur.execute(sql, [b.pk])
        # inserting a row in B's name, or moving A's row to B, is refused by WITH CHECK
        if table == "user_kyc":  # one KYC per user: make room so that only the policy can refuse
            with rls.bypass(reason="test"):
                cur.execute("DELETE FROM user_kyc WHERE user_id = %s", [b.pk])
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            _insert(cur, table, b.pk)
        if _may(cur, table, "UPDATE"):
            with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
                cur.execute(f"UPDATE {table} SET user_id = %s WHERE user_id = %s", [b.pk, a.pk])
            # and A can still write A's own rows
            cur.execute(f"UPDATE {table} SET {UPDATES[table]} WHERE user_id = %s", [a.pk])
            assert cur.rowcount >= 1
    # B's rows are all still there, untouched
    with rls.bypass(reason="test check"), connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table} WHERE user_id = %s", [b.pk])
        assert cur.fetchone()[0] == (0 if table == "user_kyc" else 1)


@pytest.mark.django_db
@pytest.mark.parametrize("table", TABLES)
def test_no_user_set_sees_no_rows_and_cannot_insert(two_users, table):
    a, _b = two_users
    with connection.cursor() as cur:
        # outside any scope (nothing set on this connection) ...
        assert _owners(cur, table) == set()
        # ... and in an anonymous request's scope
        with rls.scope(user_id=None):
            assert _owners(cur, table) == set()
            with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
                _insert(cur, table, a.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("table", TABLES)
def test_staff_with_the_view_permission_and_the_audited_bypass_see_every_row(two_users, table):
    a, b = two_users
    staff = StaffUserFactory()  # a superuser: every view permission
    with connection.cursor() as cur:
        with rls.scope(user_id=staff.pk, tables=rls.tables_visible_to(staff)):
            assert _owners(cur, table) == {a.pk, b.pk}
        before = AuditLog.objects.filter(action="rls.bypass").count()
        with rls.bypass(reason="nightly report"):
            assert _owners(cur, table) == {a.pk, b.pk}
        assert AuditLog.objects.filter(action="rls.bypass").count() == before + 1
        assert AuditLog.objects.filter(action="rls.bypass").first().metadata == {"reason": "nightly report"}


@pytest.mark.django_db
def test_the_four_tables_have_rls_enabled_and_forced_with_using_and_with_check():
    with connection.cursor() as cur:
        cur.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(%s)", [TABLES]
        )
        flags = {name: (enabled, forced) for name, enabled, forced in cur.fetchall()}
        cur.execute("SELECT tablename, qual, with_check FROM pg_policies WHERE tablename = ANY(%s)", [TABLES])
        policies = {name: (qual, check) for name, qual, check in cur.fetchall()}
    assert flags == {t: (True, True) for t in TABLES}
    for table in TABLES:
        qual, check = policies[table]
        call = f"couponali_rls_allows(user_id, '{table}'"
        assert call in qual and call in check


def test_rls_tables_match_the_policies_and_their_models():
    """couponali.rls.PROTECTED_TABLES (whose view permission opens which table) names exactly the tables with
    policies, each with the model that is stored in it."""
    assert set(rls.PROTECTED_TABLES) == set(TABLES)
    for table, model in rls.PROTECTED_TABLES.items():
        assert apps.get_model(model)._meta.db_table == table


@pytest.mark.django_db
def test_the_app_role_is_not_superuser_has_no_bypassrls_and_owns_nothing():
    with connection.cursor() as cur:
        cur.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        role, superuser, bypassrls = cur.fetchone()
        cur.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        )
        owned = cur.fetchone()[0]
        cur.execute(
            "SELECT DISTINCT tableowner, pg_has_role(current_user, tableowner, 'MEMBER') FROM pg_tables "
            "WHERE tablename = ANY(%s)",
            [TABLES],
        )
        owners = cur.fetchall()
    assert role == connection.settings_dict["USER"]
    assert superuser is False and bypassrls is False
    assert owned == 0
    assert owners and all(owner != role and not member for owner, member in owners)


@pytest.mark.django_db(transaction=True)
def test_settings_do_not_leak_to_the_next_transaction_on_a_pooled_connection():
    """set_config(..., true) lasts one transaction: the next user of the same pooled connection sees nothing."""
    from psycopg_pool import ConnectionPool

    from devtools.testing import database_url

    a = UserFactory()
    with rls.bypass(reason="test setup"):
        UserSessionFactory(user=a)
    # one connection in the pool, so the second checkout is the very same server session
    with ConnectionPool(database_url(), min_size=1, max_size=1, open=True) as pool:
        with pool.connection() as conn:
            pid = conn.info.backend_pid
            conn.execute("SELECT set_config('app.user_id', %s, true)", [str(a.pk)])
            assert conn.execute("SELECT count(*) FROM user_sessions").fetchone()[0] == 1
        with pool.connection() as conn:
            assert conn.info.backend_pid == pid
            setting = conn.execute("SELECT coalesce(current_setting('app.user_id', true), '')").fetchone()[0]
            assert setting == ""
            assert conn.execute("SELECT count(*) FROM user_sessions").fetchone()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_a_request_leaves_nothing_behind_on_djangos_pooled_connection(client):
    from django.utils import timezone

    user = UserFactory(email_verified_at=timezone.now())
    client.force_login(user)
    # a request as the user, through the RLS middleware (its transaction sets app.user_id)
    assert client.get("/accounts/sessions/").status_code == 200
    # afterwards the app's connection (back from the pool) acts for nobody
    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(current_setting('app.user_id', true), ''), count(*) FROM user_sessions")
        assert cur.fetchone() == ("", 0)


@pytest.mark.django_db
def test_nested_scopes_put_the_outer_user_back():
    a, b = UserFactory(), UserFactory()
    with rls.scope(user_id=a.pk):
        with rls.scope(user_id=b.pk):
            assert rls.current()["user_id"] == str(b.pk)
        assert rls.current()["user_id"] == str(a.pk)


@pytest.mark.django_db
def test_session_lookup_function_finds_one_row_by_hash_and_restores_the_bypass_setting():
    from accounts import tokens
    from accounts.selectors import session_by_secret

    user = UserFactory()
    with rls.bypass(reason="test setup"):
        row = UserSessionFactory(user=user)
        UserSessionFactory(user=user)
    with rls.scope(user_id=None), connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM user_sessions WHERE token = %s", [tokens.token_hash(row.secret)])
        assert cur.fetchone()[0] == 0  # invisible to a plain query
        found = session_by_secret(secret=row.secret)
        assert found is not None and found.id == row.pk and found.user_id == user.pk
        assert session_by_secret(secret="not-a-token") is None
        assert rls.current()["rls_bypass"] == "off"  # what the scope set, put back by the function
        cur.execute("SELECT count(*) FROM user_sessions")
        assert cur.fetchone()[0] == 0

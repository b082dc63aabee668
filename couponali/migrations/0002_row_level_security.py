"""Row-level security on the owner-scoped tables (seed §33): user_sessions, user_kyc, wallet_transactions,
support_tickets.

A row is visible and writable only when (couponali/rls.py sets these per transaction):
  * app.rls_bypass = 'on'  - a worker or command inside the audited rls.bypass(); or
  * app.is_staff = 'on'    - a staff request (the admin); or
  * user_id = app.user_id  - the row belongs to the signed-in user.
With none of them set (no request scope, or an anonymous one) no row is visible and nothing can be written.

ENABLE turns the policies on; FORCE applies them to the table owner too, so that only the policy - not the
role a connection happens to use - decides. The same expression guards reads (USING) and writes (WITH
CHECK): a user can neither see another user's rows nor insert or move a row into another user's name.
Referential-integrity checks and cascades are not subject to RLS in PostgreSQL, so foreign keys keep working.
"""

from django.db import migrations

TABLES = ["user_sessions", "user_kyc", "wallet_transactions", "support_tickets"]

# current_setting(name, true) is NULL when the setting was never set in this session and '' when a
# transaction-local value ended; nullif() keeps '' from reaching the bigint cast. A plain SQL function like
# this one is inlined into each policy by the planner.
ALLOWS = """
CREATE OR REPLACE FUNCTION couponali_rls_allows(row_user_id bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('app.rls_bypass', true), '') = 'on'
        OR coalesce(current_setting('app.is_staff', true), '') = 'on'
        OR row_user_id = nullif(current_setting('app.user_id', true), '')::bigint
$$;
"""


def _forwards(table: str) -> str:
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY {table}_owner_staff_or_bypass ON {table} FOR ALL
    USING (couponali_rls_allows(user_id))
    WITH CHECK (couponali_rls_allows(user_id));
"""


def _backwards(table: str) -> str:
    return f"""
DROP POLICY IF EXISTS {table}_owner_staff_or_bypass ON {table};
ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("couponali", "0001_initial"),
        ("accounts", "0002_sessions_kyc_verification"),
        ("wallet", "0001_initial"),
        ("cms", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(ALLOWS, "DROP FUNCTION IF EXISTS couponali_rls_allows(bigint)"),
        *[migrations.RunSQL(_forwards(t), _backwards(t)) for t in TABLES],
    ]

"""Row-level security by permission, not by being staff (issue 9).

Until now a request of any staff user (app.is_staff = 'on') saw and could write every row of the four
protected tables. Now a row is visible and writable only when (couponali/rls.py sets these per transaction):
  * app.rls_bypass = 'on'                - inside the audited rls.bypass(); or
  * the table is listed in app.staff_tables - a staff request holding the view permission of that table's
    model (rls.tables_visible_to, set by RowLevelSecurityMiddleware); or
  * user_id = app.user_id                - the row belongs to the signed-in user.

The policy passes its own table name to the function, so one function serves the four tables. What a staff
member may change is decided by the services' own permission checks (accounts.authz); the policy only
limits what a request can reach.
"""

from django.db import migrations

TABLES = ["user_sessions", "user_kyc", "wallet_transactions", "support_tickets"]

# string_to_array('', ',') is an empty array and a NULL setting gives NULL: coalesce keeps the result
# a plain boolean. A SQL function like this one is inlined into each policy by the planner.
ALLOWS = """
CREATE OR REPLACE FUNCTION couponali_rls_allows(row_user_id bigint, table_name text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('app.rls_bypass', true), '') = 'on'
        OR coalesce(row_user_id = nullif(current_setting('app.user_id', true), '')::bigint, false)
        OR coalesce(table_name = ANY(string_to_array(current_setting('app.staff_tables', true), ',')), false)
$$;
"""

OLD_ALLOWS = """
CREATE OR REPLACE FUNCTION couponali_rls_allows(row_user_id bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('app.rls_bypass', true), '') = 'on'
        OR coalesce(current_setting('app.is_staff', true), '') = 'on'
        OR row_user_id = nullif(current_setting('app.user_id', true), '')::bigint
$$;
"""


def _forwards(table: str) -> str:
    return f"""
DROP POLICY IF EXISTS {table}_owner_staff_or_bypass ON {table};
CREATE POLICY {table}_owner_permitted_or_bypass ON {table} FOR ALL
    USING (couponali_rls_allows(user_id, '{table}'))
    WITH CHECK (couponali_rls_allows(user_id, '{table}'));
"""


def _backwards(table: str) -> str:
    return f"""
DROP POLICY IF EXISTS {table}_owner_permitted_or_bypass ON {table};
CREATE POLICY {table}_owner_staff_or_bypass ON {table} FOR ALL
    USING (couponali_rls_allows(user_id))
    WITH CHECK (couponali_rls_allows(user_id));
"""


class Migration(migrations.Migration):
    dependencies = [("couponali", "0002_row_level_security")]

    operations = [
        migrations.RunSQL(ALLOWS, "DROP FUNCTION IF EXISTS couponali_rls_allows(bigint, text)"),
        *[migrations.RunSQL(_forwards(t), _backwards(t)) for t in TABLES],
        migrations.RunSQL("DROP FUNCTION IF EXISTS couponali_rls_allows(bigint)", OLD_ALLOWS),
    ]

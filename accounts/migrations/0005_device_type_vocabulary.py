"""One device vocabulary (accounts.devices): sessions recorded "computer" where the click-out and the seed say
"desktop". Renames the stored value in user_sessions.device_info; nothing else changes.

user_sessions is under FORCE row-level security, so the UPDATE runs with the transaction-local bypass setting
(the migration is the owner acting for every row, like the audited rls.bypass of the code)."""

from django.db import migrations

FORWARD = """
SELECT set_config('app.rls_bypass', 'on', true);
UPDATE user_sessions SET device_info = jsonb_set(device_info, '{device}', '"desktop"')
 WHERE device_info ->> 'device' = 'computer';
SELECT set_config('app.rls_bypass', '', true);
"""

BACKWARD = """
SELECT set_config('app.rls_bypass', 'on', true);
UPDATE user_sessions SET device_info = jsonb_set(device_info, '{device}', '"computer"')
 WHERE device_info ->> 'device' = 'desktop';
SELECT set_config('app.rls_bypass', '', true);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_auditlog_to_kernel"),
        ("couponali", "0003_rls_by_permission"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

"""Finance may view stores (``catalog.view_merchant``, now in accounts.roles.FINANCE_PERMISSIONS): the store filter
of the cashback events and support tickets lists finds stores through the store admin, which asks for it. The same
function as migration 0006: it adds the codes a system role lacks and takes none away."""

from django.db import migrations

from accounts.roles import system_roles_sync


def forwards(apps, schema_editor):
    system_roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_admin_search_indexes"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

"""The seeded staff roles (super admin, finance, support, content editor, merchant manager, analyst; all
``is_system``) and departments (finance, support, content, partnerships), from accounts.roles: the same
function the demo seed runs, which adds what is missing and never takes a permission away."""

from django.db import migrations

from accounts.roles import system_roles_sync


def forwards(apps, schema_editor):
    system_roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_device_type_vocabulary"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

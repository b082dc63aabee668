"""The audit log is the kernel's now (couponali 0004 adds it to couponali's state): drop it from accounts'
state only; the audit_logs table is untouched."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_staff_permissions"),
        ("couponali", "0004_kernel_audit_log_and_idempotency_keys"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="AuditLog")]),
    ]

"""The audit log (from accounts) and the idempotency keys (from the wallet) become kernel models: every layer
writes the first, and the kernel's idempotency decorator writes the second. State only: the tables, their
indexes and constraints stay exactly as they are (no SQL); accounts 0004 and wallet 0008 drop the old models
from their apps' state."""

import django.db.models.deletion
import django.db.models.functions.datetime
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def _created_at():
    return models.DateTimeField(
        db_default=django.db.models.functions.datetime.Now(), default=django.utils.timezone.now, editable=False
    )


class Migration(migrations.Migration):
    dependencies = [
        ("couponali", "0003_rls_by_permission"),
        ("accounts", "0003_staff_permissions"),
        ("wallet", "0006_cashback_held_for_review"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditLog",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("created_at", _created_at()),
                        ("action", models.CharField(max_length=120)),
                        ("entity_type", models.CharField(blank=True, max_length=60, null=True)),
                        ("entity_id", models.BigIntegerField(blank=True, null=True)),
                        ("metadata", models.JSONField(blank=True, null=True)),
                        (
                            "actor_user",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "audit_logs",
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(fields=["action"], name="idx_audit_logs_action"),
                            models.Index(fields=["entity_type", "entity_id"], name="idx_audit_logs_entity"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="IdempotencyKey",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=255)),
                        ("request_hash", models.CharField(max_length=64)),
                        ("response_status", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("response_body", models.TextField(blank=True, null=True)),
                        ("response_content_type", models.CharField(blank=True, max_length=100, null=True)),
                        ("response_location", models.CharField(blank=True, max_length=500, null=True)),
                        ("created_at", _created_at()),
                        (
                            "user",
                            models.ForeignKey(
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "idempotency_keys",
                        "indexes": [models.Index(fields=["created_at"], name="idx_idempotency_created")],
                        "constraints": [
                            models.UniqueConstraint(fields=("user", "key"), name="idempotency_user_key_uniq")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

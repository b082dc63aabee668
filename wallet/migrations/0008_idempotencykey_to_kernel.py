"""The idempotency keys are the kernel's now (couponali 0004 adds the model to couponali's state, beside the
decorator that writes them): drop the model from the wallet's state only; idempotency_keys is untouched."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0007_gift_card_redeemed_posting"),
        ("couponali", "0004_kernel_audit_log_and_idempotency_keys"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="IdempotencyKey")]),
    ]

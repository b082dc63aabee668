"""A reported cashback above CASHBACK_MAX_COMMISSION_MULTIPLE times the reported commission is recorded but
held for staff review (held_reason); the CHECK keeps a held event from being credited by any path, the
auto-confirm batch's SQL included."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0005_staff_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="cashbackevent",
            name="held_reason",
            field=models.CharField(blank=True, max_length=255, null=True),
        ),
        migrations.AddConstraint(
            model_name="cashbackevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("held_reason__isnull", True), ("status__in", ["pending", "rejected"]), _connector="OR"
                ),
                name="cashback_held_not_credited",
            ),
        ),
    ]

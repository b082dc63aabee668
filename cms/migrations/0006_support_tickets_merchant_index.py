"""An index on support_tickets.merchant_id (not in the seed): the admin's store filter on the ticket list, and
the SET NULL that removing a store row runs on its tickets. Built CONCURRENTLY, so that a live desk keeps
writing tickets while it is built (hence a non-atomic migration)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cms", "0005_publish_permission"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="supportticket",
            index=models.Index(
                condition=models.Q(("merchant__isnull", False)),
                fields=["merchant"],
                name="idx_support_tickets_merchant",
            ),
        ),
    ]

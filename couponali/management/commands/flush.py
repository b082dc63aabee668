"""`flush` as the table owner: the app role may not TRUNCATE append-only tables (ledger, audit log)."""

from django.core.management.commands.flush import Command as FlushCommand

from couponali.db import as_owner


class Command(FlushCommand):
    help = FlushCommand.help + " Runs as the database owner role."

    def handle(self, **options):
        with as_owner(options["database"]):
            return super().handle(**options)

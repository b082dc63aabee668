"""`migrate` as the table owner (DATABASE_OWNER_URL), then grants for the app role.

The app role (DATABASE_URL) owns nothing, so it could not create tables; running Django's migrate through
this override keeps one command for everyone, `make run`, the test runner and deploys alike.
"""

from django.core.management.commands.migrate import Command as MigrateCommand

from couponali.db import migrating_as_owner


class Command(MigrateCommand):
    help = MigrateCommand.help + " Runs as the database owner role, then grants the app role its privileges."

    def handle(self, *args, **options):
        with migrating_as_owner(options["database"]):
            return super().handle(*args, **options)

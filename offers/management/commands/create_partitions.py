"""`manage.py create_partitions --months N`: keep the monthly partitions of offer_clicks and audit_logs ready."""

from __future__ import annotations

import re
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from couponali.audit import audit_partitions_ensure
from offers.services import click_partitions_ensure

MAX_MONTHS = 120


class Command(BaseCommand):
    help = (
        "Create the monthly partitions of offer_clicks and audit_logs for this month (UTC) and the next N months, "
        "moving any rows already in the default partitions for those months into them. Idempotent; the Celery beat job "
        "offers.tasks.ensure_click_partitions runs the same twice a day."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--months",
            type=int,
            default=settings.CLICK_PARTITION_MONTHS_AHEAD,
            help=f"months ahead of the first one (0-{MAX_MONTHS}; default {settings.CLICK_PARTITION_MONTHS_AHEAD})",
        )
        parser.add_argument("--start", help="first month as YYYY-MM (default: the current month, UTC)")

    def handle(self, *args, months: int, start: str | None, **options):
        if not 0 <= months <= MAX_MONTHS:
            raise CommandError(f"--months must be between 0 and {MAX_MONTHS}, not {months}")
        first = None
        if start:
            match = re.fullmatch(r"(\d{4})-(\d{2})", start.strip())
            if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) < 2100:
                raise CommandError(f"--start must be a month as YYYY-MM (2000-2099), not {start!r}")
            first = date(int(match.group(1)), int(match.group(2)), 1)
        try:
            made = click_partitions_ensure(months=months, start=first) + audit_partitions_ensure(
                months=months, start=first
            )
        except DatabaseError as exc:
            raise CommandError(f"could not create partitions: {exc}") from exc
        for name, created in made:
            self.stdout.write(f"{name}: {'created' if created else 'exists'}")
        new = sum(1 for _, created in made if created)
        self.stdout.write(self.style.SUCCESS(f"{len(made)} partition(s) ready, {new} created now."))

"""`manage.py import_offers FILE --network NAME`: load an affiliate network's offer feed (CSV or JSON)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from kombu.exceptions import OperationalError
from tqdm import tqdm

from offers.feeds import FORMATS, FeedFormatError, detect_format, read_feed
from offers.services import offers_import_feed
from offers.tasks import refresh_search_words


class Command(BaseCommand):
    help = (
        "Import an affiliate network's offer feed. Offers are created or updated by the network's own offer id "
        "(network_offer_id), so running the same feed twice changes nothing the second time. Every bad line is "
        "reported with its number (CSV: header = line 1; JSON: item number) and every reason, and changes nothing. "
        "Stores the database does not know yet are created inactive, so their offers stay hidden until staff "
        "review them. Columns: network_offer_id, merchant, title, description, offer_type (code/deal/sale), "
        "coupon_code, cashback_type (percentage/fixed), cashback_value, max_cashback, affiliate_url, category, "
        "terms_conditions, starts_at, expires_at."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the feed file (.csv or .json)")
        parser.add_argument(
            "--network", required=True, help="the affiliate network the feed comes from, e.g. admitad, cuelinks"
        )
        parser.add_argument("--format", choices=FORMATS, help="csv or json (default: from the file name)")
        parser.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
        parser.add_argument(
            "--fail-on-errors", action="store_true", help="exit with status 1 when the feed has bad lines"
        )

    def handle(self, *args, file: str, network: str, format: str | None, **options):
        network = network.strip().lower()
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,49}", network):
            raise CommandError("--network must be a short name of letters, digits, '.', '_' or '-' (max 50)")
        path = Path(file)
        try:
            fmt = detect_format(path, format)
            label, rows = read_feed(path, fmt)
        except FeedFormatError as exc:
            raise CommandError(str(exc)) from exc
        bar = tqdm(
            total=len(rows),
            desc=f"import {path.name}",
            unit=label,
            disable=options["no_progress"],
            file=sys.stderr,
            leave=False,
        )
        try:
            report = offers_import_feed(rows=rows, network=network, label=label, source=str(path), on_row=bar.update)
        finally:
            bar.close()
        self.stdout.write(
            f"{path.name} ({network}): {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.errors)} bad {label}(s)."
        )
        if report.stores_created:
            self.stdout.write(
                f"New stores created inactive (review them in the admin): {', '.join(report.stores_created)}"
            )
        if report.unknown_categories:
            self.stdout.write(f"Unknown categories left empty: {', '.join(sorted(report.unknown_categories))}")
        if report.created or report.updated:
            try:
                refresh_search_words.delay()  # new words become searchable (typo correction) without waiting
            except OperationalError:
                self.stderr.write("Note: the task queue is not reachable; the search word list updates within 30 min.")
        for error in report.errors:
            self.stderr.write(f"{label} {error.number}: {error.reason}")
        if report.errors and options["fail_on_errors"]:
            sys.exit(1)

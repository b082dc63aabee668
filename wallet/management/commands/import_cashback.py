"""`manage.py import_cashback FILE --network NAME`: a network's conversions report (CSV) into the wallet."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from tqdm import tqdm

from accounts.authz import SYSTEM
from couponali import rls
from wallet.networks import NETWORKS, ConversionError, conversion_parse, network_get
from wallet.services import cashback_record

CHUNK = 200  # lines per transaction (each line also has its own savepoint)


class Command(BaseCommand):
    help = (
        "Import an affiliate network's conversions report (CSV with a header line) through the same service as "
        "postbacks: new conversions become pending cashback, approved ones are confirmed and credited once, "
        "declined ones are rejected or reversed. Safe to re-run: a repeated line changes nothing. Unknown click "
        "ids are kept for review (admin: Unmatched conversions). Bad lines are reported with their line number "
        "(the header is line 1) and change nothing; the command then exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV report (UTF-8, header line first)")
        parser.add_argument(
            "--network", required=True, help=f"network whose column names the report uses: {', '.join(NETWORKS)}"
        )
        parser.add_argument("--no-progress", action="store_true", help="do not show the progress bar")

    def handle(self, *args, **options):
        try:
            network = network_get(options["network"])
        except ConversionError as exc:
            raise CommandError(str(exc)) from None
        path = Path(options["file"])
        rows = self._rows(path, network)
        outcomes: Counter[str] = Counter()
        errors: list[str] = []
        bar = tqdm(total=len(rows), unit="line", disable=options["no_progress"], file=self.stderr)
        for start in range(0, len(rows), CHUNK):
            with rls.bypass(reason=f"import_cashback {network.name} {path.name}"):
                for line_no, row in rows[start : start + CHUNK]:
                    outcome, error = self._import_line(network, line_no, row)
                    outcomes[outcome] += 1
                    if error:
                        errors.append(error)
                    bar.update(1)
        bar.close()
        summary = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items()))
        self.stdout.write(f"{path.name}: {len(rows)} lines ({summary or 'empty'})")
        for error in errors:
            self.stdout.write(self.style.ERROR(error))
        if errors:
            raise CommandError(f"{len(errors)} line(s) could not be imported; the others were.")
        self.stdout.write(self.style.SUCCESS("Import complete."))

    def _rows(self, path: Path, network) -> list[tuple[int, dict]]:
        """The report's lines, numbered as in the file, once it is readable and has the network's columns."""
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise CommandError(f"{path}: not a UTF-8 text file") from None
        reader = csv.DictReader(text.splitlines())
        missing = [
            c
            for c in (network.fields[k] for k in ("click_id", "transaction_id", "sale_amount", "status"))
            if c not in (reader.fieldnames or [])
        ]
        if missing:
            raise CommandError(
                f"{path}: this does not look like a {network.label} report: missing column(s) {', '.join(missing)}"
            )
        return list(enumerate(reader, start=2))

    def _import_line(self, network, line_no: int, row: dict) -> tuple[str, str | None]:
        """(outcome, error message or None) of one line."""
        try:
            conversion = conversion_parse(network, row)
        except ConversionError as exc:
            return "error", f"line {line_no}: {exc}"
        try:
            with transaction.atomic():  # one line's failure never undoes the others
                # SYSTEM, like a postback: the network's own report, brought by the operator who runs the
                # server (no staff judgement is applied).
                result = cashback_record(conversion=conversion, source="import", actor=SYSTEM)
        except DatabaseError as exc:
            return "error", f"line {line_no}: could not be recorded ({str(exc).splitlines()[0]})"
        return result.outcome, None

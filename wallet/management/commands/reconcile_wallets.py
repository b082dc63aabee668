"""`manage.py reconcile_wallets`: check every invariant of the wallet ledger; non-zero exit on any break."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from couponali import rls
from wallet.reconcile import all_checks, wallet_reconcile


class Command(BaseCommand):
    help = (
        "Check every wallet invariant: each balance snapshot equals the sum of its postings, each posting starts "
        "where the previous one ended, users' wallet columns equal the snapshots, every confirmed cashback was "
        "credited exactly once (and reversals taken back), pending cashback and lifetime earnings add up, every "
        "withdrawal was debited once (and returned once if rejected or failed), payouts equal completed "
        "withdrawals, debts and referral earnings add up. Prints what is wrong and exits with status 1 on any "
        "break (also run nightly by Celery beat)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=50, help="lines to print per broken check (default 50)")

    def handle(self, *args, **options):
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        checks = all_checks()
        with rls.bypass(reason="reconcile_wallets command"):
            problems, counts = wallet_reconcile(checks=checks, limit=options["limit"])
        for check in checks:
            broken = counts.get(check.name, 0)
            mark = self.style.ERROR(f"FAIL ({broken})") if broken else self.style.SUCCESS("ok")
            self.stdout.write(f"{mark:>12}  {check.name}: {check.description}")
            for problem in (p for p in problems if p.check == check.name):
                self.stdout.write(f"              - {problem.message}")
        total = sum(counts.values())
        if total:
            raise CommandError(f"{total} invariant break(s) found in {sum(1 for n in counts.values() if n)} check(s).")
        self.stdout.write(self.style.SUCCESS(f"All {len(checks)} checks pass."))

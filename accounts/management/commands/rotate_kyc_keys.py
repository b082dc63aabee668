"""`manage.py rotate_kyc_keys`: re-encrypt every KYC value under the newest key of KYC_ENCRYPTION_KEYS."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from accounts import crypto, services


class Command(BaseCommand):
    help = (
        "Re-encrypt every PAN, bank account number and UPI id in user_kyc under the first (newest) key of "
        "KYC_ENCRYPTION_KEYS, and recompute the PAN blind index with KYC_BLIND_INDEX_KEY. To rotate: put the "
        "new key first in KYC_ENCRYPTION_KEYS (keep the old ones after it), deploy, run this command, then "
        "remove the old keys. Safe to run again; works in batches."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            problems = crypto.check_configuration()
            if problems:
                raise CommandError(" ".join(problems))
            result = services.kyc_rotate_keys(batch_size=options["batch_size"])
        except crypto.DecryptionFailed as exc:
            raise CommandError(
                f"{exc} Keep every key that may still be in use in KYC_ENCRYPTION_KEYS (newest first) and run again."
            ) from exc
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {result['values']} value(s) in {result['rows']} KYC row(s) under the newest key."
            )
        )

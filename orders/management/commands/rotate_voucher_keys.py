"""`manage.py rotate_voucher_keys`: re-encrypt every voucher code and PIN under the newest KYC key."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from accounts import crypto
from orders.services import fulfilment


class Command(BaseCommand):
    help = (
        "Re-encrypt the code and PIN of every voucher in order_items under the first (newest) key of "
        "KYC_ENCRYPTION_KEYS. Vouchers share the KYC keyring: when rotating, run this beside rotate_kyc_keys "
        "before removing an old key. Safe to run again; works in batches."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="Order lines per transaction (default 500).")

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            result = fulfilment.vouchers_rotate_keys(batch_size=options["batch_size"])
        except crypto.DecryptionFailed as exc:
            raise CommandError(
                f"{exc} Keep every key that may still be in use in KYC_ENCRYPTION_KEYS (newest first) and run again."
            ) from exc
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {result['values']} value(s) in {result['rows']} order line(s) under the newest key."
            )
        )

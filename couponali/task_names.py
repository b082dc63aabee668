"""Names of the Celery tasks that one app queues for another, one class per receiving app.

An app never imports an app above it, so a lower app queues a higher app's task by name
(:func:`couponali.celery.enqueue_on_commit`). The receiving task is registered under the same constant
(``@shared_task(name=task_names.Referrals.RECORD_SIGNUP)``), so a rename changes both ends at once and a misspelt
name fails at import. They live in the kernel because the sender sits below the receiver: a constants module
inside the receiving app would be an upward import for every sender.
"""

from __future__ import annotations

from typing import Final


class Accounts:
    """Tasks of accounts, queued by its own services after commit (delivery of codes and notification copies;
    notify() is called by every app)."""

    DELIVER_VERIFICATION: Final = "accounts.deliver_verification"
    DELIVER_NOTIFICATION: Final = "accounts.deliver_notification"
    PURGE_EXPIRED: Final = "accounts.purge_expired"


class Referrals:
    """Tasks of the referrals app: queued by accounts (sign-up) and the wallet (cashback settled)."""

    RECORD_SIGNUP: Final = "referrals.record_signup"
    CASHBACK_SETTLED: Final = "referrals.cashback_settled"


class Wallet:
    """Tasks of the wallet queued by name after commit (the payout of an approved withdrawal, the status query of
    a payout that staff asked for)."""

    PAY_WITHDRAWAL: Final = "wallet.pay_withdrawal"
    RECONCILE_PAYOUT: Final = "wallet.reconcile_payout"


class Partners:
    """Tasks of the partners app (outgoing webhooks), queued by its own receivers after commit."""

    DELIVER_WEBHOOK: Final = "partners.deliver_webhook"
    RETRY_WEBHOOKS: Final = "partners.retry_webhooks"

"""Celery jobs of the wallet. Thin: they open an audited row-level-security bypass (they act for many users)
and call a service. Every job is safe to run twice (acks_late is on): the services are idempotent."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from django.conf import settings

from accounts.authz import SYSTEM, Actor, PermissionRefused
from accounts.models import User
from couponali import rls
from couponali.audit import AuditAction, audit_log
from couponali.task_names import Wallet

from . import selectors, services
from .gateways import payout_gateway
from .reconcile import wallet_reconcile

log = logging.getLogger(__name__)


@shared_task(name="wallet.auto_confirm_cashback", ignore_result=False)
def auto_confirm_cashback(batch_size: int | None = None, max_seconds: float = 1800.0) -> int:
    """Confirm every pending cashback whose store's validation period has passed, in set-based batches
    (one transaction per batch). Killed halfway, a rerun confirms only what is left: each batch re-checks
    status = 'pending' under its locks, and the unique posting per event forbids a second credit."""
    batch_size = batch_size or settings.CASHBACK_AUTO_CONFIRM_BATCH
    started, total = time.monotonic(), 0
    while time.monotonic() - started < max_seconds:
        with rls.bypass(reason="auto-confirm cashback batch"):
            done = services.cashback_auto_confirm_batch(batch_size=batch_size)
        total += done
        if done == 0:
            break
    with rls.bypass(reason="auto-confirm cashback of users with a debt"):
        total += services.cashback_auto_confirm_singles()
    log.info("auto-confirmed %s cashback events", total)
    return total


def _bypass(reason: str):
    return lambda: rls.bypass(reason=reason)


@shared_task(name=Wallet.PAY_WITHDRAWAL, ignore_result=True)
def pay_withdrawal(withdrawal_id: int) -> None:
    services.withdrawal_pay(
        withdrawal_id=withdrawal_id,
        gateway=payout_gateway(),
        actor=SYSTEM,
        scope=_bypass(f"payout of withdrawal {withdrawal_id}"),
    )


@shared_task(name=Wallet.RECONCILE_PAYOUT, ignore_result=True)
def reconcile_payout(withdrawal_id: int, actor_id: int | None = None) -> None:
    """Ask the gateway about a payout left 'processing'. ``actor_id``: the staff member who asked in the admin
    (services.withdrawal_payout_reconcile_queue), whose permission is checked again now and who is named in the
    audited bypass; None for the payout job (SYSTEM)."""
    actor: Actor = SYSTEM
    if actor_id is not None:
        user = User.all_objects.filter(pk=actor_id).first()
        if user is None:
            log.warning("reconcile_payout: actor %s no longer exists; left to the payout job", actor_id)
            return
        actor = user
    reason = f"payout reconciliation of withdrawal {withdrawal_id}"
    try:
        services.withdrawal_payout_reconcile(
            withdrawal_id=withdrawal_id,
            gateway=payout_gateway(),
            actor=actor,
            scope=lambda: rls.bypass(reason=reason, actor_id=actor_id),
        )
    except PermissionRefused:
        # The permission was withdrawn after the click (logged by authz): the payout job reconciles it anyway.
        return


@shared_task(name="wallet.process_payouts", ignore_result=True)
def process_payouts() -> None:
    """Every minute: pay approved withdrawals not yet sent, and reconcile those left processing."""
    with rls.bypass(reason="payout scan"):
        due = selectors.withdrawals_due_for_payout()
        stale = selectors.withdrawals_due_for_reconcile()
    for withdrawal_id in due:
        pay_withdrawal.delay(withdrawal_id)
    for withdrawal_id in stale:
        reconcile_payout.delay(withdrawal_id)


@shared_task(name="wallet.reconcile_wallets")
def reconcile_wallets() -> dict:
    """Nightly: every invariant of the ledger. Breaks are logged as errors and audited."""
    with rls.bypass(reason="nightly wallet reconciliation"):
        problems, counts = wallet_reconcile()
        if problems:
            audit_log(
                actor_id=None,
                action=AuditAction.WALLET_RECONCILE_FAILED,
                metadata={"counts": counts, "first": [p.message for p in problems[:20]]},
            )
    for problem in problems:
        log.error("reconcile_wallets: %s: %s", problem.check, problem.message)
    return counts

"""Paying approved withdrawals through the payout gateway, and reconciling payouts left 'processing'. The
gateway is always called outside any transaction: the claim (approved → processing) is committed first, the
answer recorded after, so a crash in between leaves a 'processing' withdrawal for the status query, never a
blind second payment."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts import authz
from accounts.authz import FINANCE, Actor
from accounts.services import notify
from couponali.audit import AuditAction, audit_log
from couponali.celery import enqueue_on_commit
from couponali.money import format_inr
from couponali.task_names import Wallet
from wallet.gateways import FAILED, PROCESSED, GatewayError, GatewayTimeout, PayoutGateway, PayoutRequest, PayoutResult
from wallet.locks import withdrawal_lock
from wallet.models import Payout, Withdrawal
from wallet.selectors import payout_request_for

from .withdrawals import return_money

PAY_PERMISSION = "wallet.pay_withdrawal"

# Opens the transaction of one step of a payout (tasks pass an audited rls.bypass).
Scope = Callable[[], contextlib.AbstractContextManager]


def withdrawal_payout_start(
    *, withdrawal_id: int, gateway_name: str, scope: Scope = contextlib.nullcontext
) -> tuple[Withdrawal, PayoutRequest] | None:
    """Claim an approved withdrawal for payment (approved → processing) and say what to ask the gateway,
    committed BEFORE the gateway is called: if the worker dies after the call, the withdrawal is 'processing'
    and gets reconciled by a status query, never sent blindly again. Durable: run inside a caller's
    transaction the claim would not be committed yet, so that is refused (RuntimeError)."""
    with transaction.atomic(durable=True), scope():
        withdrawal = Withdrawal.objects.select_for_update().filter(pk=withdrawal_id).first()
        if withdrawal is None or withdrawal.status != Withdrawal.Status.APPROVED:
            return None
        now = timezone.now()
        Withdrawal.objects.filter(pk=withdrawal.pk).update(
            status=Withdrawal.Status.PROCESSING,
            gateway=gateway_name,
            payout_attempts=F("payout_attempts") + 1,
            payout_requested_at=now,
        )
        audit_log(
            actor_id=None, action=AuditAction.WITHDRAWAL_PROCESSING, entity_type="withdrawal", entity_id=withdrawal.pk
        )
        withdrawal.refresh_from_db()
        return withdrawal, payout_request_for(withdrawal=withdrawal)


def withdrawal_payout_record(*, withdrawal_id: int, result: PayoutResult) -> Withdrawal:
    """Write down what the gateway said. Paid → completed + one payouts row (+ UTR); failed → failed and the
    money posted back; still processing → remember the gateway's id. Safe to call twice."""
    with transaction.atomic():
        withdrawal, lock = withdrawal_lock(withdrawal_id=withdrawal_id)
        if withdrawal.status != Withdrawal.Status.PROCESSING:
            return withdrawal
        if result.status == PROCESSED:
            Withdrawal.objects.filter(pk=withdrawal.pk).update(
                status=Withdrawal.Status.COMPLETED,
                transaction_reference=result.utr or result.gateway_payout_id,
                gateway_payout_id=result.gateway_payout_id,
                gateway_status=result.gateway_status or PROCESSED,
            )
            Payout.objects.create(
                user_id=withdrawal.user_id,
                amount=withdrawal.amount,
                method=withdrawal.method,
                reference=(result.utr or result.gateway_payout_id or "")[:120] or None,
                withdrawal=withdrawal,
                gateway=withdrawal.gateway,
                gateway_payout_id=result.gateway_payout_id,
            )
            audit_log(
                actor_id=None,
                action=AuditAction.WITHDRAWAL_COMPLETED,
                entity_type="withdrawal",
                entity_id=withdrawal.pk,
                metadata={"utr": result.utr, "gateway_payout_id": result.gateway_payout_id},
            )
            notify(
                user_id=withdrawal.user_id,
                title="Withdrawal paid",
                body=(
                    f"{format_inr(withdrawal.amount)} is on its way to you. "
                    f"Reference: {result.utr or result.gateway_payout_id}."
                ),
            )
        elif result.status == FAILED:
            Withdrawal.objects.filter(pk=withdrawal.pk).update(
                status=Withdrawal.Status.FAILED,
                rejection_reason=result.failure_reason or "The payout failed.",
                gateway_payout_id=result.gateway_payout_id,
                gateway_status=result.gateway_status or FAILED,
            )
            withdrawal.status = Withdrawal.Status.FAILED
            return_money(withdrawal=withdrawal, lock=lock, why=result.failure_reason or "payout failed")
            audit_log(
                actor_id=None,
                action=AuditAction.WITHDRAWAL_FAILED,
                entity_type="withdrawal",
                entity_id=withdrawal.pk,
                metadata={"reason": result.failure_reason},
            )
            notify(
                user_id=withdrawal.user_id,
                title="Withdrawal failed",
                body=f"We could not pay out {format_inr(withdrawal.amount)}. The money is back in your wallet.",
            )
        else:
            Withdrawal.objects.filter(pk=withdrawal.pk).update(
                gateway_payout_id=result.gateway_payout_id or withdrawal.gateway_payout_id,
                gateway_status=result.gateway_status or result.status,
            )
        withdrawal.refresh_from_db()
    return withdrawal


def _note_gateway_trouble(*, withdrawal_id: int, status: str) -> None:
    Withdrawal.objects.filter(pk=withdrawal_id, status=Withdrawal.Status.PROCESSING).update(gateway_status=status)


def withdrawal_pay(
    *, withdrawal_id: int, gateway: PayoutGateway, actor: Actor, scope: Scope = contextlib.nullcontext
) -> Withdrawal | None:
    """Pay one approved withdrawal through the gateway (the Celery job's work, actor SYSTEM).

    Three steps, each its own transaction (``scope()`` is entered in each, e.g. an audited rls.bypass): claim
    it (approved → processing, committed), call the gateway outside any transaction, record the answer."""
    authz.actor_require(actor, PAY_PERMISSION, department=FINANCE)
    claimed = withdrawal_payout_start(withdrawal_id=withdrawal_id, gateway_name=gateway.name, scope=scope)
    if claimed is None:
        return None
    withdrawal, request = claimed
    try:
        result = gateway.create_payout(request)
    except GatewayError as exc:  # GatewayTimeout included: reconciled later, never resent blindly
        with scope():
            _note_gateway_trouble(
                withdrawal_id=withdrawal_id, status="timeout" if isinstance(exc, GatewayTimeout) else "error"
            )
        return withdrawal
    with scope():
        return withdrawal_payout_record(withdrawal_id=withdrawal_id, result=result)


def withdrawal_payout_reconcile_queue(*, withdrawal_ids: Sequence[int], actor: Actor) -> int:
    """Finance staff asking the gateway now about payouts left 'processing' (the admin's action): the
    reconciliation job of each is queued after commit, so that the request never waits on the gateway; the
    job checks the actor again when it runs (withdrawal_payout_reconcile). One audit row per withdrawal,
    naming the actor. Returns how many were queued (the others are not processing)."""
    actor_id = authz.actor_require(actor, PAY_PERMISSION, department=FINANCE)
    with transaction.atomic():
        ids = list(
            Withdrawal.objects.filter(pk__in=list(withdrawal_ids), status=Withdrawal.Status.PROCESSING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for withdrawal_id in ids:
            audit_log(
                actor_id=actor_id,
                action=AuditAction.WITHDRAWAL_RECONCILE_QUEUED,
                entity_type="withdrawal",
                entity_id=withdrawal_id,
            )
            enqueue_on_commit(Wallet.RECONCILE_PAYOUT, withdrawal_id=withdrawal_id, actor_id=actor_id)
    return len(ids)


def withdrawal_payout_reconcile(
    *, withdrawal_id: int, gateway: PayoutGateway, actor: Actor, scope: Scope = contextlib.nullcontext
) -> Withdrawal | None:
    """A payout left 'processing' (timeout, crash, or queued at the bank): ask the gateway what it knows.
    If it never received the request, ask again with the same idempotency key (exactly once either way).
    The payout job (SYSTEM) or finance staff holding wallet.pay_withdrawal."""
    authz.actor_require(actor, PAY_PERMISSION, department=FINANCE)
    with scope():
        withdrawal = Withdrawal.objects.filter(pk=withdrawal_id, status=Withdrawal.Status.PROCESSING).first()
        if withdrawal is None:
            return None
        request = payout_request_for(withdrawal=withdrawal)
    try:
        result = gateway.fetch_payout(request, gateway_payout_id=withdrawal.gateway_payout_id)
        if result is None:
            result = gateway.create_payout(request)
    except GatewayError as exc:
        with scope():
            _note_gateway_trouble(
                withdrawal_id=withdrawal_id, status="timeout" if isinstance(exc, GatewayTimeout) else "error"
            )
        return withdrawal
    with scope():
        return withdrawal_payout_record(withdrawal_id=withdrawal_id, result=result)

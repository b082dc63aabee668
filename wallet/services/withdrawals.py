"""Withdrawals: a shopper with verified KYC asks for part of their balance (debited at once), finance approves
(two people above a threshold) or rejects (the money goes back). Paying an approved one is payouts.py."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import authz
from accounts import crypto as kyc_crypto
from accounts.authz import FINANCE, Actor
from accounts.selectors import kyc_for_user, kyc_is_verified
from accounts.services import notify
from accounts.validators import clean_mobile, clean_upi
from couponali.audit import AuditAction, audit_log, diff
from couponali.celery import enqueue_on_commit
from couponali.money import format_inr
from couponali.task_names import Wallet
from wallet.locks import wallet_lock, withdrawal_lock
from wallet.models import WalletBalance, Withdrawal
from wallet.selectors import payout_method_choices

from .errors import InsufficientBalance, NotAllowed, WalletError
from .ledger import T, exact_amount, wallet_post
from .lifecycle import WITHDRAWAL_TRANSITIONS, transition_check

GIFT_VOUCHER_BRANDS = {"amazon": "Amazon Pay", "flipkart": "Flipkart", "myntra": "Myntra"}
MOBILE_OPERATORS = {"jio": "Jio", "airtel": "Airtel", "vi": "Vi", "bsnl": "BSNL"}


def _refused(exc: ValidationError) -> WalletError:
    """The accounts validator's own message (the same rule and words as the KYC form)."""
    return WalletError(exc.messages[0])


def _upi_destination(*, user_id: int, details: dict) -> dict:
    vpa = str(details.get("vpa") or details.get("upi_id") or "").strip()
    if not vpa:
        # No id typed: pay the UPI id of the verified KYC, read (decrypted) only when paying.
        kyc = kyc_for_user(user_id=user_id)
        if kyc is None or not kyc.upi_id:
            raise WalletError("Enter a valid UPI id, like name@okhdfcbank.")
        return {"source": "kyc"}
    try:
        vpa = clean_upi(vpa)
    except ValidationError as exc:
        raise _refused(exc) from None
    # Like the KYC's own UPI id, a typed one is stored encrypted; only its masked form is readable.
    return {"vpa_masked": kyc_crypto.mask_upi(vpa), "vpa_encrypted": kyc_crypto.encrypt(vpa)}


def _bank_destination(*, user_id: int, details: dict) -> dict:
    # The verified KYC account, whose number is read (and decrypted by accounts) only when paying; here we
    # keep what the user may see.
    kyc = kyc_for_user(user_id=user_id)
    if kyc is None or not kyc.ifsc_code:
        raise WalletError("Add your bank account to your KYC details first.")
    return {
        "source": "kyc",
        "account_holder_name": kyc.account_holder_name or "",
        "ifsc": kyc.ifsc_code,
        "bank_name": kyc.bank_name or "",
    }


def _voucher_destination(*, user_id: int, details: dict) -> dict:
    brand = str(details.get("brand") or "").strip().lower()
    if brand not in GIFT_VOUCHER_BRANDS:
        raise WalletError(f"Choose a gift voucher brand: {', '.join(GIFT_VOUCHER_BRANDS.values())}.")
    return {"brand": brand}


def _recharge_destination(*, user_id: int, details: dict) -> dict:
    try:
        mobile = clean_mobile(str(details.get("mobile") or ""))
    except ValidationError as exc:
        raise _refused(exc) from None
    operator = str(details.get("operator") or "").strip().lower()
    if operator not in MOBILE_OPERATORS:
        raise WalletError(f"Choose the operator: {', '.join(MOBILE_OPERATORS.values())}.")
    return {"mobile": mobile, "operator": operator}


_DESTINATIONS: dict[str, Callable[..., dict]] = {
    Withdrawal.Method.UPI: _upi_destination,
    Withdrawal.Method.BANK: _bank_destination,
    Withdrawal.Method.GIFT_VOUCHER: _voucher_destination,
    Withdrawal.Method.MOBILE_RECHARGE: _recharge_destination,
}


def _destination(*, user_id: int, method: str, details: dict) -> dict:
    """Check and normalise where the money goes (identifiers by the accounts validators, as for KYC)."""
    offered = payout_method_choices()
    check = _DESTINATIONS.get(method)
    if check is None or method not in {value for value, _label in offered}:
        # Also a method the configured gateway cannot pay (a forged form or API call): refused before any write.
        raise WalletError(f"Choose how to receive the money: {' or '.join(label for _v, label in offered)}.")
    return check(user_id=user_id, details=details or {})


def withdrawal_request(*, user_id: int, amount: Decimal, method: str, details: dict | None = None) -> Withdrawal:
    """A shopper with verified KYC withdraws part of their available balance. The amount is debited now,
    inside the wallet lock, so the same rupee cannot be withdrawn (or spent) twice."""
    try:
        amount = exact_amount(amount)
    except (ArithmeticError, ValueError, TypeError):
        raise WalletError("Enter the amount in rupees, like 250 or 250.50.") from None
    minimum = Decimal(settings.WALLET_MIN_WITHDRAWAL)
    if amount < minimum:
        raise WalletError(f"The minimum withdrawal is {format_inr(minimum)}.")
    if not kyc_is_verified(user_id=user_id):
        raise NotAllowed("Complete your KYC first: withdrawals need verified KYC details.")
    destination = _destination(user_id=user_id, method=method, details=details or {})
    with transaction.atomic():
        lock = wallet_lock(user_id=user_id)
        if amount > lock.balance:
            raise InsufficientBalance(f"Your available balance is {format_inr(lock.balance)}.")
        withdrawal = Withdrawal.objects.create(
            user_id=user_id,
            amount=amount,
            method=method,
            destination_details=destination,
            approvals_required=2 if amount > Decimal(settings.WALLET_SECOND_APPROVAL_ABOVE) else 1,
        )
        wallet_post(
            user_id=user_id,
            amount=-amount,
            type=T.WITHDRAWAL,
            reference_type="withdrawal",
            reference_id=withdrawal.pk,
            description=f"Withdrawal to {withdrawal.get_method_display()}",
            lock=lock,
        )
        audit_log(
            actor_id=user_id,
            action=AuditAction.WITHDRAWAL_REQUESTED,
            entity_type="withdrawal",
            entity_id=withdrawal.pk,
            metadata={"amount": str(amount), "method": method},
        )
        notify(
            user_id=user_id,
            title="Withdrawal requested",
            body=f"We received your request to withdraw {format_inr(amount)} by {withdrawal.get_method_display()}.",
        )
    return withdrawal


def withdrawal_approve(*, withdrawal_id: int, actor: Actor) -> Withdrawal:
    """Finance approves. Above settings.WALLET_SECOND_APPROVAL_ABOVE two different people must approve:
    the first approval is recorded and the withdrawal stays pending until a second approver acts."""
    actor_id = authz.actor_require(actor, "wallet.approve_withdrawal", department=FINANCE)
    with transaction.atomic():
        withdrawal, _lock = withdrawal_lock(withdrawal_id=withdrawal_id)
        transition_check(WITHDRAWAL_TRANSITIONS, withdrawal.status, Withdrawal.Status.APPROVED, "This withdrawal")
        now = timezone.now()
        previous = withdrawal.status
        if withdrawal.approvals_required == 2 and withdrawal.first_approver_id is None:
            Withdrawal.objects.filter(pk=withdrawal.pk).update(first_approver_id=actor_id, first_approved_at=now)
            withdrawal.first_approver_id, withdrawal.first_approved_at = actor_id, now
            audit_log(
                actor_id=actor_id,
                action=AuditAction.WITHDRAWAL_FIRST_APPROVAL,
                entity_type="withdrawal",
                entity_id=withdrawal.pk,
                metadata={
                    "amount": str(withdrawal.amount),
                    **diff({"first_approver_id": None}, {"first_approver_id": actor_id}),
                },
            )
            return withdrawal
        if withdrawal.approvals_required == 2 and withdrawal.first_approver_id == actor_id:
            raise NotAllowed("This amount needs a second approver: someone else must approve it.")
        Withdrawal.objects.filter(pk=withdrawal.pk).update(
            status=Withdrawal.Status.APPROVED, processed_by_admin_id=actor_id, processed_at=now
        )
        withdrawal.status, withdrawal.processed_by_admin_id, withdrawal.processed_at = (
            Withdrawal.Status.APPROVED,
            actor_id,
            now,
        )
        audit_log(
            actor_id=actor_id,
            action=AuditAction.WITHDRAWAL_APPROVED,
            entity_type="withdrawal",
            entity_id=withdrawal.pk,
            metadata={"amount": str(withdrawal.amount), **diff({"status": previous}, {"status": withdrawal.status})},
        )
        notify(
            user_id=withdrawal.user_id,
            title="Withdrawal approved",
            body=f"Your withdrawal of {format_inr(withdrawal.amount)} is approved and on its way.",
        )
        enqueue_on_commit(Wallet.PAY_WITHDRAWAL, withdrawal_id=withdrawal.pk)
    return withdrawal


def return_money(*, withdrawal: Withdrawal, lock: WalletBalance, why: str) -> None:
    wallet_post(
        user_id=withdrawal.user_id,
        amount=withdrawal.amount,
        type=T.WITHDRAWAL_REVERSED,
        reference_type="withdrawal",
        reference_id=withdrawal.pk,
        description=f"Withdrawal returned: {why}"[:500],
        lock=lock,
    )


def withdrawal_reject(*, withdrawal_id: int, actor: Actor, reason: str) -> Withdrawal:
    """Finance rejects (before payment) with a reason; the money goes back to the wallet at once."""
    actor_id = authz.actor_require(actor, "wallet.reject_withdrawal", department=FINANCE)
    reason = (reason or "").strip()
    if not reason:
        raise WalletError("A reason is required to reject a withdrawal.")
    with authz.acting(actor_id, reason="withdrawal.reject"):
        withdrawal, lock = withdrawal_lock(withdrawal_id=withdrawal_id)
        transition_check(WITHDRAWAL_TRANSITIONS, withdrawal.status, Withdrawal.Status.REJECTED, "This withdrawal")
        previous = withdrawal.status
        Withdrawal.objects.filter(pk=withdrawal.pk).update(
            status=Withdrawal.Status.REJECTED,
            rejection_reason=reason,
            processed_by_admin_id=actor_id,
            processed_at=timezone.now(),
        )
        withdrawal.status = Withdrawal.Status.REJECTED
        return_money(withdrawal=withdrawal, lock=lock, why=reason)
        audit_log(
            actor_id=actor_id,
            action=AuditAction.WITHDRAWAL_REJECTED,
            entity_type="withdrawal",
            entity_id=withdrawal.pk,
            metadata={
                "reason": reason,
                "amount": str(withdrawal.amount),
                **diff({"status": previous}, {"status": withdrawal.status}),
            },
        )
        notify(
            user_id=withdrawal.user_id,
            title="Withdrawal rejected",
            body=(
                f"Your withdrawal of {format_inr(withdrawal.amount)} was rejected ({reason}). "
                "The money is back in your wallet."
            ),
        )
    return withdrawal

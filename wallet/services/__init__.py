"""Writes for the wallet: the ledger, cashback events, withdrawals and payouts, one module per topic. Every
movement of money is posted through ledger.py (wallet_post, wallet_claw_back) or, set-based, by
autoconfirm.cashback_auto_confirm_batch. Reads are in wallet/selectors.py; the row locks, and the LOCK ORDER
every money write follows, are in wallet/locks.py.

  errors.py       the refusals (WalletError and subclasses, with their HTTP answer)
  lifecycle.py    the allowed status moves of cashback events and withdrawals
  ledger.py       postings, claw-backs into debts, manual adjustments
  cashback.py     recording network reports, holds for review, confirm / reject / reverse
  unmatched.py    conversions without a click: retry (and its preview), dismiss
  autoconfirm.py  the auto-confirm job (set-based batch, and one by one for users with a debt)
  withdrawals.py  request, approve, reject
  payouts.py      paying approved withdrawals through the gateway, reconciling stuck payouts (now, or queued
                  by staff)

The database has the last word on what must never break (wallet migrations 0002/0003): balance never
negative, balance_after = balance_before + amount, one posting per source event and type, each posting
starts where the previous ended, the snapshot equals the last posting, lifecycles move only forward, and the
app role cannot UPDATE or DELETE postings. These services are written to never trip those guards; a guard
that fires is a bug, and the transaction rolls back.

Callers set the row-level-security scope: views run in the request's scope (the shopper), tasks and
commands wrap their work in couponali.rls.bypass(reason=...).

AUTHORISATION: every service that staff can call takes ``actor`` (the acting User, or accounts.authz.SYSTEM
for postbacks, jobs and network reports) and checks it itself with accounts.authz.actor_require before it
writes anything, whoever calls it; a refusal raises authz.PermissionRefused (403) and changes nothing.
Once allowed, a person's action that writes another user's ledger runs in an audited bypass naming them
(authz.acting): the service's own check, not the request's table view permissions, decides.

Other apps import this package (``from wallet import services``): the public names are re-exported here.
"""

from __future__ import annotations

from wallet.locks import wallet_lock

from .autoconfirm import cashback_auto_confirm_batch, cashback_auto_confirm_singles
from .cashback import (
    RECORD_PERMISSIONS,
    IngestResult,
    RecordPreview,
    cashback_confirm,
    cashback_hold_reason,
    cashback_record,
    cashback_record_preview,
    cashback_reject,
    cashback_reverse,
    network_mismatch,
)
from .errors import IllegalTransition, InsufficientBalance, NotAllowed, WalletError
from .ledger import ClawBack, Posting, wallet_adjust, wallet_claw_back, wallet_post
from .lifecycle import CASHBACK_TRANSITIONS, WITHDRAWAL_TRANSITIONS
from .payouts import (
    withdrawal_pay,
    withdrawal_payout_reconcile,
    withdrawal_payout_reconcile_queue,
    withdrawal_payout_record,
    withdrawal_payout_start,
)
from .unmatched import unmatched_dismiss, unmatched_retry, unmatched_retry_preview
from .withdrawals import (
    GIFT_VOUCHER_BRANDS,
    MOBILE_OPERATORS,
    withdrawal_approve,
    withdrawal_reject,
    withdrawal_request,
)

__all__ = [
    "CASHBACK_TRANSITIONS",
    "GIFT_VOUCHER_BRANDS",
    "MOBILE_OPERATORS",
    "RECORD_PERMISSIONS",
    "WITHDRAWAL_TRANSITIONS",
    "ClawBack",
    "IllegalTransition",
    "IngestResult",
    "InsufficientBalance",
    "NotAllowed",
    "Posting",
    "RecordPreview",
    "WalletError",
    "cashback_auto_confirm_batch",
    "cashback_auto_confirm_singles",
    "cashback_confirm",
    "cashback_hold_reason",
    "cashback_record",
    "cashback_record_preview",
    "cashback_reject",
    "cashback_reverse",
    "network_mismatch",
    "unmatched_dismiss",
    "unmatched_retry",
    "unmatched_retry_preview",
    "wallet_adjust",
    "wallet_claw_back",
    "wallet_lock",
    "wallet_post",
    "withdrawal_approve",
    "withdrawal_pay",
    "withdrawal_payout_reconcile",
    "withdrawal_payout_reconcile_queue",
    "withdrawal_payout_record",
    "withdrawal_payout_start",
    "withdrawal_reject",
    "withdrawal_request",
]

"""Reads for the wallet pages, the API and the admin. Run in the caller's row-level-security scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts import crypto as kyc_crypto
from accounts.models import User
from accounts.services import kyc_payout_details
from offers.models import OfferClick

from .gateways import PayoutRequest, payout_gateway_methods
from .models import CashbackEvent, UnmatchedConversion, WalletBalance, WalletTransaction, Withdrawal

# A payout 'processing' for longer than this is asked about at the gateway (withdrawals_due_for_reconcile).
PAYOUT_STALE_AFTER = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class WalletSummary:
    available: Decimal
    pending: Decimal
    lifetime: Decimal
    debt: Decimal
    withdrawable: bool
    minimum: Decimal


def wallet_summary(*, user) -> WalletSummary:
    balance = WalletBalance.objects.filter(user_id=user.pk).values_list("balance", "debt").first()
    available, debt = balance if balance else (Decimal("0.00"), Decimal("0.00"))
    return WalletSummary(
        available=available,
        pending=user.pending_cashback,
        lifetime=user.lifetime_earnings,
        debt=debt,
        withdrawable=available >= Decimal(settings.WALLET_MIN_WITHDRAWAL),
        minimum=Decimal(settings.WALLET_MIN_WITHDRAWAL),
    )


def statement(
    *,
    user_id: int,
    kind: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[WalletTransaction]:
    """The user's postings, newest first. kind: 'credit', 'debit' or one posting type."""
    qs = WalletTransaction.objects.filter(user_id=user_id).order_by("-id")
    if kind == "credit":
        qs = qs.filter(amount__gt=0)
    elif kind == "debit":
        qs = qs.filter(amount__lt=0)
    elif kind:
        qs = qs.filter(type=kind)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs


@dataclass(frozen=True)
class CashbackRow:
    event: CashbackEvent
    store: str
    clicked_at: dt.datetime | None
    expected_on: dt.date | None
    timeline: list[tuple[str, dt.datetime | None, bool]]  # (label, when, reached)


def cashback_events_of(*, user_id: int) -> QuerySet[CashbackEvent]:
    """The user's cashback events with their store, newest first."""
    return CashbackEvent.objects.filter(user_id=user_id).select_related("merchant").order_by("-created_at", "-id")


def cashback_rows(*, user_id: int, limit: int = 100) -> list[CashbackRow]:
    """Each cashback with its store, click time, status timeline and expected confirmation date.
    Two queries whatever the number of rows (events + their clicks)."""
    return cashback_rows_for(events=list(cashback_events_of(user_id=user_id)[:limit]))


def cashback_rows_for(*, events: list[CashbackEvent]) -> list[CashbackRow]:
    """:func:`cashback_rows` for events already read (one page of the API): one query for their clicks."""
    click_ids = [e.click_id for e in events if e.click_id]
    clicks = dict(OfferClick.objects.filter(click_id__in=click_ids).values_list("click_id", "created_at"))
    rows = []
    for e in events:
        expected = (
            timezone.localtime(e.created_at + dt.timedelta(days=e.merchant.validation_days)).date()
            if e.status == CashbackEvent.Status.PENDING
            else None
        )
        timeline = [("Tracked", e.created_at, True)]
        if e.status == CashbackEvent.Status.REJECTED:
            timeline.append(("Rejected by the store", e.updated_at, True))
        else:
            timeline.append(("Confirmed", e.confirmed_at, e.confirmed_at is not None))
            timeline.append(("Credited to wallet", e.paid_at, e.paid_at is not None))
            if e.status == CashbackEvent.Status.REVERSED:
                timeline.append(("Reversed", e.updated_at, True))
        rows.append(
            CashbackRow(
                event=e,
                store=e.merchant.name,
                clicked_at=clicks.get(e.click_id) if e.click_id else None,
                expected_on=expected,
                timeline=timeline,
            )
        )
    return rows


def click_history(*, user_id: int, days: int = 120, limit: int = 50):
    """The shopper's recent click-outs (newest first) with the store, for missing-cashback claims."""
    since = timezone.now() - dt.timedelta(days=days)
    clicks = list(
        OfferClick.objects.filter(user_id=user_id, created_at__gte=since)
        .select_related("offer__merchant")
        .order_by("-created_at")[:limit]
    )
    tracked = set(
        CashbackEvent.objects.filter(click_id__in=[c.click_id for c in clicks]).values_list("click_id", flat=True)
    )
    return [(c, c.click_id in tracked) for c in clicks]


def withdrawals_all_of(*, user_id: int) -> QuerySet[Withdrawal]:
    """Every withdrawal of the user, newest first (the API pages through it)."""
    return Withdrawal.objects.filter(user_id=user_id).order_by("-created_at", "-id")


def withdrawals_of(*, user_id: int, limit: int = 50) -> QuerySet[Withdrawal]:
    return withdrawals_all_of(user_id=user_id)[:limit]


def payout_method_choices() -> list[tuple[str, str]]:
    """The withdrawal methods offered to shoppers: those the configured payout gateway can pay (model order)."""
    payable = payout_gateway_methods()
    return [(value, label) for value, label in Withdrawal.Method.choices if value in payable]


# ---------------------------------------------------------------- payouts


def withdrawal_destination_masked(withdrawal: Withdrawal) -> str:
    """Where the money goes, for staff pages: identifiers masked (accounts.crypto's masks), nothing decrypted
    and no stored ciphertext shown. A destination taken from the KYC is named as such (its values are read,
    decrypted, only when paying)."""
    d = dict(withdrawal.destination_details or {})
    method = withdrawal.method
    if method == Withdrawal.Method.UPI:
        return f"UPI {d['vpa_masked']}" if d.get("vpa_masked") else "UPI id of the verified KYC"
    if method == Withdrawal.Method.BANK:
        parts = [d.get("account_holder_name"), d.get("bank_name"), f"IFSC {d['ifsc']}" if d.get("ifsc") else None]
        return "Bank account of the verified KYC: " + ", ".join(p for p in parts if p)
    if method == Withdrawal.Method.GIFT_VOUCHER:
        return f"Gift voucher: {str(d.get('brand') or '?').title()}"
    if method == Withdrawal.Method.MOBILE_RECHARGE:
        mobile = kyc_crypto.mask_tail(str(d.get("mobile") or ""))
        return f"Recharge {mobile} ({str(d.get('operator') or '?').title()})"
    return withdrawal.get_method_display()


def payout_request_for(*, withdrawal: Withdrawal) -> PayoutRequest:
    """What the gateway is asked to pay. The idempotency key is the withdrawal's uuid, for every attempt.
    Run it in the payout step's scope (an audited rls.bypass): it reads the KYC, and the read is audited."""
    destination = dict(withdrawal.destination_details or {})
    # Account numbers and UPI ids are stored encrypted (accounts.crypto); they are decrypted here, for the
    # gateway request only, and never written back.
    if withdrawal.method == Withdrawal.Method.BANK:
        kyc = kyc_payout_details(user_id=withdrawal.user_id)
        destination["account_number"] = kyc.get("account_number", "")
    elif withdrawal.method == Withdrawal.Method.UPI:
        encrypted = destination.pop("vpa_encrypted", None)
        if encrypted:
            destination["vpa"] = kyc_crypto.decrypt(encrypted) or ""
        elif destination.get("source") == "kyc":
            destination["vpa"] = kyc_payout_details(user_id=withdrawal.user_id).get("upi_id", "")
    user = User.all_objects.filter(pk=withdrawal.user_id).only("full_name", "email").first()
    return PayoutRequest(
        idempotency_key=str(withdrawal.uuid),
        amount=withdrawal.amount,
        method=withdrawal.method,
        destination=destination,
        beneficiary_name=(user.full_name or user.email or "") if user else "",
    )


# The back office's work queues: each condition once, as changelist lookups (the admin index counts the rows and
# links to the changelist filtered by the same lookups; the analytics dashboard counts the same querysets).
WITHDRAWALS_TO_APPROVE: dict[str, object] = {"status__exact": Withdrawal.Status.PENDING}
UNMATCHED_OPEN: dict[str, object] = {"status__exact": UnmatchedConversion.Status.OPEN}
PAYOUTS_FAILED: dict[str, object] = {"status__exact": Withdrawal.Status.FAILED}


def withdrawals_to_approve() -> QuerySet[Withdrawal]:
    """Waiting for a finance approver (the first or, for a large amount, the second)."""
    return Withdrawal.objects.filter(**WITHDRAWALS_TO_APPROVE)


def unmatched_open() -> QuerySet[UnmatchedConversion]:
    """Conversions the networks reported that match no click yet: to retry or dismiss."""
    return UnmatchedConversion.objects.filter(**UNMATCHED_OPEN)


def payouts_failed() -> QuerySet[Withdrawal]:
    """Withdrawals whose payout the gateway refused (the money is back in the wallet; the shopper is told)."""
    return Withdrawal.objects.filter(**PAYOUTS_FAILED)


def withdrawals_due_for_payout() -> list[int]:
    """Approved withdrawals not sent to the gateway yet (the payout job's next 500)."""
    return list(
        Withdrawal.objects.filter(status=Withdrawal.Status.APPROVED).order_by("id").values_list("id", flat=True)[:500]
    )


def withdrawals_due_for_reconcile(*, now: dt.datetime | None = None) -> list[int]:
    """Withdrawals left 'processing' longer than PAYOUT_STALE_AFTER (the payout job asks the gateway)."""
    now = now or timezone.now()
    return list(
        Withdrawal.objects.filter(
            status=Withdrawal.Status.PROCESSING, payout_requested_at__lte=now - PAYOUT_STALE_AFTER
        )
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )

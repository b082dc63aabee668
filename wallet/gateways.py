"""Payout gateways: how approved withdrawals leave the building. Pluggable by settings.PAYOUT_GATEWAY.

Both gateways are idempotent by the withdrawal's uuid: asking twice with the same key never pays twice.
A timeout is not a failure: the payout job leaves the withdrawal `processing` and the reconciler asks the
gateway what happened (fetch_payout) before it ever sends again, with the same key.

* FakePayoutGateway (default): keeps its state in the cache (Redis), so a test, the web process and a worker
  see the same gateway. It succeeds, fails or times out on demand: FakePayoutGateway.plan("timeout", ...).
* RazorpayXGateway: RazorpayX-style HTTP API (POST /v1/payouts with X-Payout-Idempotency; GET /payouts/:id).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string

PROCESSED, PROCESSING, FAILED = "processed", "processing", "failed"


class GatewayError(Exception):
    """The gateway could not be asked (refused connection, 5xx): nothing is known; try again later."""


class GatewayTimeout(GatewayError):
    """Asked, but no answer came back: the payout may or may not exist. Reconcile, never resend blindly."""


@dataclass(frozen=True)
class PayoutRequest:
    idempotency_key: str  # the withdrawal's uuid
    amount: Decimal
    method: str  # bank / upi / gift_voucher / mobile_recharge
    destination: dict = field(default_factory=dict)
    beneficiary_name: str = ""
    narration: str = "CouponAli cashback"


@dataclass(frozen=True)
class PayoutResult:
    status: str  # processed / processing / failed
    gateway_payout_id: str | None = None
    utr: str | None = None
    failure_reason: str | None = None
    gateway_status: str | None = None


class PayoutGateway:
    name = "base"
    # The withdrawal methods (wallet.models.Withdrawal.Method values) this gateway can pay. Shoppers are offered
    # only these (wallet.selectors.payout_method_choices) and withdrawal_request refuses any other, so that a
    # withdrawal is never taken that the gateway must fail and refund.
    methods: frozenset[str] = frozenset()

    def create_payout(self, request: PayoutRequest) -> PayoutResult:  # pragma: no cover - interface
        raise NotImplementedError

    def fetch_payout(self, request: PayoutRequest, *, gateway_payout_id: str | None) -> PayoutResult | None:
        """What the gateway knows about this payout; None when it never received it."""
        raise NotImplementedError  # pragma: no cover - interface


def payout_gateway() -> PayoutGateway:
    return import_string(settings.PAYOUT_GATEWAY)()


def payout_gateway_methods() -> frozenset[str]:
    """What the configured gateway can pay (its class attribute: no client is built)."""
    return import_string(settings.PAYOUT_GATEWAY).methods


# ---------------------------------------------------------------- fake


class FakePayoutGateway(PayoutGateway):
    """A stand-in for a bank: outcomes on demand, state in the cache so that every process agrees.

    Outcomes (consumed one per *new* payout, default settings.PAYOUT_FAKE_OUTCOME = "success"):
    "success" pays; "fail" refuses; "pending" accepts and pays when asked again; "timeout" pays but the answer
    is lost; "timeout_unsent" loses the request itself (nothing is paid).
    """

    name = "fake"
    methods = frozenset({"bank", "upi", "gift_voucher", "mobile_recharge"})
    PREFIX = "fakepayout:"

    @classmethod
    def plan(cls, *outcomes: str) -> None:
        """Queue the outcomes of the next new payouts (tests and demos)."""
        current = cache.get(cls.PREFIX + "plan") or []
        cache.set(cls.PREFIX + "plan", current + list(outcomes), timeout=None)

    @classmethod
    def reset(cls) -> None:
        cache.delete(cls.PREFIX + "plan")

    @classmethod
    def _next_outcome(cls) -> str:
        # Tests drive this from one process at a time; a lost race only changes which payout gets which
        # planned outcome, never the money (that is the idempotency key's job).
        plan = cache.get(cls.PREFIX + "plan") or []
        if not plan:
            return settings.PAYOUT_FAKE_OUTCOME
        cache.set(cls.PREFIX + "plan", plan[1:], timeout=None)
        return plan[0]

    @classmethod
    def sent(cls, idempotency_key: str) -> dict | None:
        """The payout the fake bank holds for this key (None if it never received one)."""
        raw = cache.get(cls.PREFIX + "payout:" + idempotency_key)
        return json.loads(raw) if raw else None

    @classmethod
    def money_sent_count(cls, idempotency_key: str) -> int:
        """How many times money left for this key: the test of "never paid twice"."""
        return int(cache.get(cls.PREFIX + "count:" + idempotency_key) or 0)

    def _result(self, record: dict) -> PayoutResult:
        return PayoutResult(
            status=record["status"],
            gateway_payout_id=record["id"],
            utr=record.get("utr"),
            failure_reason=record.get("failure_reason"),
            gateway_status=record["status"],
        )

    def create_payout(self, request: PayoutRequest) -> PayoutResult:
        key = self.PREFIX + "payout:" + request.idempotency_key
        existing = cache.get(key)
        if existing:
            return self._result(json.loads(existing))
        outcome = self._next_outcome()
        if outcome == "timeout_unsent":
            raise GatewayTimeout("fake gateway: the request was lost")
        record: dict[str, object] = {
            "id": "fpout_" + secrets.token_hex(8),
            "amount": str(request.amount),
            "method": request.method,
        }
        if outcome == "fail":
            record.update(status=FAILED, failure_reason="Beneficiary bank declined the transfer")
        elif outcome == "pending":
            record.update(status=PROCESSING, settle_on_fetch=True)
        else:
            record.update(status=PROCESSED, utr="FAKEUTR" + secrets.token_hex(6).upper())
        # SET NX: a concurrent create with the same key loses and returns the stored payout.
        if not cache.add(key, json.dumps(record), timeout=None):
            return self._result(json.loads(cache.get(key)))
        if record["status"] != FAILED:
            count_key = self.PREFIX + "count:" + request.idempotency_key
            cache.add(count_key, 0, timeout=None)
            cache.incr(count_key)
        if outcome == "timeout":
            raise GatewayTimeout("fake gateway: the answer was lost")
        return self._result(record)

    def fetch_payout(self, request: PayoutRequest, *, gateway_payout_id: str | None) -> PayoutResult | None:
        key = self.PREFIX + "payout:" + request.idempotency_key
        raw = cache.get(key)
        if not raw:
            return None
        record = json.loads(raw)
        if record.get("settle_on_fetch") and record["status"] == PROCESSING:
            record.update(status=PROCESSED, utr="FAKEUTR" + secrets.token_hex(6).upper(), settle_on_fetch=False)
            cache.set(key, json.dumps(record), timeout=None)
        return self._result(record)


# ---------------------------------------------------------------- RazorpayX


class RazorpayXGateway(PayoutGateway):
    """RazorpayX Payouts (composite API: the fund account travels with the payout).

    Status query: GET /payouts/:id when we know the id; when the first answer was lost we do not, so the
    same POST is repeated with the same X-Payout-Idempotency key and body, which RazorpayX answers with the
    original payout instead of creating a second one.
    """

    name = "razorpayx"
    methods = frozenset({"bank", "upi"})  # IMPS to a bank account, UPI to a VPA; no vouchers or recharges
    STATUS = {
        "processed": PROCESSED,
        "queued": PROCESSING,
        "pending": PROCESSING,
        "processing": PROCESSING,
        "scheduled": PROCESSING,
        "rejected": FAILED,
        "cancelled": FAILED,
        "failed": FAILED,
        "reversed": FAILED,
    }

    def __init__(self):
        self.base_url = settings.RAZORPAYX_BASE_URL.rstrip("/")
        self.auth = (settings.RAZORPAYX_KEY_ID, settings.RAZORPAYX_KEY_SECRET)
        self.account_number = settings.RAZORPAYX_ACCOUNT_NUMBER
        self.timeout = (settings.PAYOUT_CONNECT_TIMEOUT, settings.PAYOUT_READ_TIMEOUT)

    def _body(self, request: PayoutRequest) -> dict:
        dest = request.destination
        contact = {"name": request.beneficiary_name or "CouponAli user", "type": "customer"}
        if request.method == "upi":
            fund_account = {"account_type": "vpa", "vpa": {"address": dest["vpa"]}, "contact": contact}
            mode = "UPI"
        elif request.method == "bank":
            fund_account = {
                "account_type": "bank_account",
                "bank_account": {
                    "name": dest.get("account_holder_name") or contact["name"],
                    "ifsc": dest["ifsc"],
                    "account_number": dest["account_number"],
                },
                "contact": contact,
            }
            mode = "IMPS"
        else:
            raise ValueError(f"RazorpayX does not pay out by {request.method}")
        return {
            "account_number": self.account_number,
            "amount": int((request.amount * 100).to_integral_value()),  # paise
            "currency": "INR",
            "mode": mode,
            "purpose": "cashback",
            "fund_account": fund_account,
            "queue_if_low_balance": True,
            "reference_id": request.idempotency_key[:40],
            "narration": request.narration[:30],
        }

    def _parse(self, data: dict) -> PayoutResult:
        raw_status = str(data.get("status", "")).lower()
        status = self.STATUS.get(raw_status, PROCESSING)
        details = data.get("status_details") or {}
        return PayoutResult(
            status=status,
            gateway_payout_id=data.get("id"),
            utr=data.get("utr"),
            failure_reason=(details.get("description") if status == FAILED else None),
            gateway_status=raw_status,
        )

    def _call(self, method: str, path: str, **kwargs):
        try:
            response = requests.request(method, self.base_url + path, auth=self.auth, timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            raise GatewayTimeout(str(exc)) from exc
        except requests.RequestException as exc:
            # The request may have left: treated like a timeout (reconciled by the same idempotency key).
            raise GatewayTimeout(str(exc)) from exc
        if response.status_code >= 500:
            raise GatewayError(f"RazorpayX answered {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise GatewayError("RazorpayX answered something that is not JSON") from exc
        return response.status_code, data

    def create_payout(self, request: PayoutRequest) -> PayoutResult:
        try:
            body = self._body(request)
        except (KeyError, ValueError) as exc:
            return PayoutResult(status=FAILED, failure_reason=f"cannot pay out: {exc}")
        status, data = self._call(
            "POST", "/payouts", json=body, headers={"X-Payout-Idempotency": request.idempotency_key}
        )
        if status >= 400:
            error = data.get("error") or {}
            return PayoutResult(
                status=FAILED,
                failure_reason=error.get("description") or f"RazorpayX answered {status}",
                gateway_status=error.get("code"),
            )
        return self._parse(data)

    def fetch_payout(self, request: PayoutRequest, *, gateway_payout_id: str | None) -> PayoutResult | None:
        if gateway_payout_id:
            status, data = self._call("GET", f"/payouts/{gateway_payout_id}")
            if status == 404:
                return None
            if status >= 400:
                raise GatewayError(f"RazorpayX answered {status}")
            return self._parse(data)
        # Unknown id: the idempotent repeat returns the original payout (or creates it if it never arrived,
        # which is exactly once either way).
        return self.create_payout(request)

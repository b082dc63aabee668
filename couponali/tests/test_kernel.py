"""The kernel's one home of each cross-app rule, named by these tests: the money quantum (couponali.money), the
client address (couponali.ratelimit.client_ip), "enqueue a task by name after commit" (couponali.celery), the
task names (couponali.task_names), the audit actions (couponali.audit) and the API's error mapping
(couponali.api_errors)."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

import catalog.selectors
from accounts import errors
from accounts.factories import UserFactory
from couponali import money, task_names
from couponali.api_errors import exception_handler
from couponali.audit import AuditAction, AuditLog, audit_log
from couponali.celery import app, enqueue_on_commit
from couponali.idempotency import IdempotencyRefused, idempotent
from couponali.ratelimit import RateLimited, client_ip, client_ip_address, valid_ip

ROOT = Path(settings.BASE_DIR)


# ---------------------------------------------------------------- money


def test_the_money_quantum_is_one_paisa_everywhere():
    assert Decimal("0.01") == money.PAISA
    assert catalog.selectors.PAISA is money.PAISA  # the cashback rule uses the kernel's quantum
    assert money.quantize_paise(Decimal("10.005")) == Decimal("10.01")  # half up unless told otherwise
    assert money.quantize_paise("10.009", rounding="ROUND_DOWN") == Decimal("10.00")
    assert money.cashback_amount_floor(Decimal("33.3399")) == Decimal("33.33")  # never rounds up
    assert money.cashback_amount_floor(7) == Decimal("7.00")
    assert money.is_whole_paise(Decimal("12.30")) and not money.is_whole_paise(Decimal("12.305"))


# ---------------------------------------------------------------- client address


@pytest.mark.parametrize(
    ("hops", "forwarded", "remote", "expected", "stored"),
    [
        (0, "198.51.100.9", "203.0.113.7", "203.0.113.7", "203.0.113.7"),  # no proxy trusted: the peer
        (1, "198.51.100.9, 192.0.2.1", "10.0.0.2", "192.0.2.1", "192.0.2.1"),  # one proxy: the last hop it saw
        (2, "198.51.100.9, 192.0.2.1", "10.0.0.2", "198.51.100.9", "198.51.100.9"),
        (1, "not-an-address", "10.0.0.2", "not-an-address", None),  # never stored in an inet column
        (0, "", "2001:DB8::1", "2001:DB8::1", "2001:db8::1"),  # normalised for storage
    ],
)
def test_one_client_ip_rule(hops, forwarded, remote, expected, stored):
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    with override_settings(RATELIMIT_TRUSTED_PROXIES=hops):
        assert client_ip(request) == expected
        assert client_ip_address(request) == stored


def test_valid_ip():
    assert valid_ip("192.0.2.1") == "192.0.2.1"
    assert valid_ip("") is None and valid_ip(None) is None and valid_ip("300.1.1.1") is None


# ---------------------------------------------------------------- tasks by name


@pytest.mark.django_db(transaction=True)
def test_a_task_queued_by_name_runs_only_after_the_commit(monkeypatch):
    queued: list[tuple[str, dict]] = []
    monkeypatch.setattr("couponali.celery.enqueue", lambda name, **kwargs: queued.append((name, kwargs)) or True)
    with transaction.atomic():
        enqueue_on_commit(task_names.Referrals.RECORD_SIGNUP, user_id=7)
        assert queued == []  # nothing leaves before the commit
    assert queued == [("referrals.record_signup", {"user_id": 7})]
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(task_names.Referrals.RECORD_SIGNUP, user_id=8)
        raise RuntimeError("rolled back")
    assert len(queued) == 1  # a rolled-back transaction queues nothing


def test_every_task_name_constant_is_a_registered_task():
    names = [
        value
        for holder in (task_names.Accounts, task_names.Referrals, task_names.Wallet)
        for key, value in vars(holder).items()
        if key.isupper()
    ]
    assert names and all(name in app.tasks for name in names), set(names) - set(app.tasks)


# ---------------------------------------------------------------- audit actions


def _literal_audit_actions() -> set[str]:
    """Every string literal passed as ``action=`` to audit_log anywhere in the project's code."""
    found: set[str] = set()
    packages = [p for p in ROOT.iterdir() if (p / "__init__.py").exists()]
    for path in (path for package in packages for path in package.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "audit_log":
                for keyword in node.keywords:
                    if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                        found.add(str(keyword.value.value))
    return found


def test_every_audit_action_written_is_a_member_of_the_one_list():
    assert _literal_audit_actions() <= set(AuditAction.values)


@pytest.mark.django_db
def test_audit_log_writes_one_row_with_the_action():
    audit_log(actor_id=None, action=AuditAction.RLS_BYPASS, metadata={"reason": "test"})
    row = AuditLog.objects.get()
    assert row.action == "rls.bypass" and row.metadata == {"reason": "test"}
    assert AuditLog.__module__ == "couponali.models"  # the kernel's model (table audit_logs, schema-checked)


# ---------------------------------------------------------------- API errors


def _error(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


@pytest.mark.parametrize(
    ("exc", "status", "body"),
    [
        (errors.InvalidCredentials(), 401, _error("not_authenticated", errors.InvalidCredentials.default)),
        (errors.TokenInvalid(), 401, _error("not_authenticated", errors.TokenInvalid.default)),
        (errors.VerificationRequired(), 403, _error("permission_denied", errors.VerificationRequired.default)),
        (errors.CodeExpired(), 400, _error("invalid", errors.CodeExpired.default)),
        (IdempotencyRefused("used", http_status=422), 422, _error("unprocessable", "used")),
    ],
)
def test_the_one_exception_handler_answers_from_the_class_status(exc, status, body):
    response = exception_handler(exc, {})
    assert (response.status_code, response.data) == (status, body)


def test_an_error_code_on_the_class_is_part_of_the_answer():
    class Broke(Exception):
        http_status = 409
        error_code = "insufficient_balance"

    response = exception_handler(Broke("Not enough money."), {})
    assert response.status_code == 409
    assert response.data == _error("insufficient_balance", "Not enough money.")


def test_a_rate_limit_answers_429_with_retry_after():
    response = exception_handler(RateLimited(42, "accounts-token"), {})
    assert response.status_code == 429 and response["Retry-After"] == "42"
    assert response.data == _error("rate_limited", "Too many attempts; try again in 42 s.")


def test_anything_else_is_left_to_drf():
    assert exception_handler(ValueError("boom"), {}) is None


# ---------------------------------------------------------------- idempotency


@pytest.mark.django_db
def test_the_page_decorator_answers_by_the_kind_of_view_not_by_the_path():
    calls: list[str] = []

    @idempotent
    def page(request):
        calls.append(request.POST["amount"])
        return HttpResponse("done", status=201)

    user = UserFactory()

    def post(amount: str):
        # an /api/-looking path on purpose: the decorator must not look at it
        request = RequestFactory().post("/api/v1/anything/", {"amount": amount}, HTTP_IDEMPOTENCY_KEY="k-1")
        request.user = user
        return page(request)

    first, again, other = post("300"), post("300"), post("301")
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (201, 201, "true")
    assert calls == ["300"]  # ran once
    assert other.status_code == 422 and other["Content-Type"].startswith("text/plain")

"""Abuse limits: 429 with Retry-After on sign-in, sign-up, OTP send/verify, password reset, referral sign-ups
and API sign-in; account lockout after failed sign-ins, also under parallel attempts."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.core import mail
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.factories import UserFactory
from accounts.models import Notification, User
from accounts.tests.conftest import PASSWORD
from couponali.models import AuditLog

LIMITS = {
    "signin": "3/minute",
    "signup": "2/minute",
    "referral-signup-ip": "1/minute",
    "referral-signup-code": "5/day",
    "otp-send": "3/10minutes",
    "otp-send-ip": "10/10minutes",
    "otp-verify": "2/minute",
    "password-reset": "2/minute",
    "password-reset-target": "3/hour",
    "token": "2/minute",
    "token-refresh": "2/minute",
}


@pytest.fixture
def tight_limits(settings):
    settings.ACCOUNTS_RATE_LIMITS = LIMITS


def _assert_429(response):
    assert response.status_code == 429, response.status_code
    assert 0 < int(response["Retry-After"]) <= 60


@pytest.mark.django_db
def test_signin_is_rate_limited_per_ip(client, tight_limits):
    for _ in range(3):
        assert client.post("/accounts/login/", {"identifier": "x@example.in", "password": "p"}).status_code == 400
    response = client.post("/accounts/login/", {"identifier": "x@example.in", "password": "p"})
    _assert_429(response)
    assert "Too many attempts" in response.content.decode()
    # another address is not affected
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post("/accounts/login/", {"identifier": "x@example.in", "password": "p"}).status_code == 400


@pytest.mark.django_db
def test_signup_is_rate_limited(client, tight_limits):
    for n in range(2):
        client.post("/accounts/signup/", {"identifier": f"98111222{n:02d}", "password": "Monsoon-Mangoes-42"})
    _assert_429(client.post("/accounts/signup/", {"identifier": "9811122299", "password": "Monsoon-Mangoes-42"}))
    assert User.objects.count() == 2


@pytest.mark.django_db
def test_referral_signups_are_limited_per_ip(client, tight_limits):
    UserFactory(referral_code="PRIYA7K3Q")
    data = {"password": "Monsoon-Mangoes-42", "referral_code": "PRIYA7K3Q"}
    assert client.post("/accounts/signup/", {**data, "identifier": "9811122201"}).status_code == 302
    _assert_429(client.post("/accounts/signup/", {**data, "identifier": "9811122202"}))
    assert not User.objects.filter(mobile="9811122202").exists()


@pytest.mark.django_db
def test_otp_verify_is_rate_limited_per_ip(client, tight_limits):
    client.post("/accounts/signup/", {"identifier": "9811122233", "password": "Monsoon-Mangoes-42"})
    for _ in range(2):
        assert client.post("/accounts/verify/", {"code": "000001"}).status_code == 400
    _assert_429(client.post("/accounts/verify/", {"code": "000001"}))


@pytest.mark.django_db
def test_password_reset_is_rate_limited(client, tight_limits):
    for _ in range(2):
        assert client.post("/accounts/password/reset/", {"identifier": "a@example.in"}).status_code == 200
    _assert_429(client.post("/accounts/password/reset/", {"identifier": "a@example.in"}))


@pytest.mark.django_db
def test_api_token_sign_in_is_rate_limited_with_a_json_answer(client, tight_limits):
    for _ in range(2):
        client.post(
            "/api/v1/auth/token/", {"username": "a@example.in", "password": "x"}, content_type="application/json"
        )
    response = client.post(
        "/api/v1/auth/token/", {"username": "a@example.in", "password": "x"}, content_type="application/json"
    )
    _assert_429(response)
    assert response.json()["error"]["code"] == "rate_limited" and int(response["Retry-After"]) > 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_signin_limit_holds_under_parallel_requests(tight_limits):
    barrier = threading.Barrier(20)

    def attempt(_):
        try:
            barrier.wait(timeout=30)
            return Client().post("/accounts/login/", {"identifier": "x@example.in", "password": "p"}).status_code
        finally:
            close_old_connections()

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(attempt, range(20)))
    assert codes.count(429) == 17 and codes.count(400) == 3


# ---------------------------------------------------------------- lockout


@pytest.mark.django_db
def test_account_is_locked_after_five_failures_and_the_owner_is_told(client, django_capture_on_commit_callbacks):

    user = UserFactory(email="owner@example.in", email_verified_at=timezone.now())
    for _ in range(4):
        response = client.post("/accounts/login/", {"identifier": "owner@example.in", "password": "wrong-one"})
        assert "do not match" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/login/", {"identifier": "owner@example.in", "password": "wrong-one"})
    assert "Too many failed sign-ins for this account" in response.content.decode()
    user.refresh_from_db()
    assert user.locked_until is not None and user.locked_until > timezone.now()
    # even the right password is refused while locked
    response = client.post("/accounts/login/", {"identifier": "owner@example.in", "password": PASSWORD})
    assert response.status_code == 400 and "_auth_user_id" not in client.session
    # the owner is told, in the app and by e-mail, and the lock is audited
    assert Notification.objects.filter(user=user, title="Sign-in to your account was paused").count() == 1
    assert mail.outbox[-1].to == ["owner@example.in"]
    assert AuditLog.objects.filter(action="user.locked", entity_id=user.pk).count() == 1
    # when the lock has run out the right password works again
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - timezone.timedelta(seconds=1))
    assert client.post("/accounts/login/", {"identifier": "owner@example.in", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_unknown_addresses_lock_the_same_way(client):
    answers = [
        client.post("/accounts/login/", {"identifier": "ghost@example.in", "password": "wrong-one"}).content.decode()
        for _ in range(6)
    ]
    assert all("do not match" in a for a in answers[:4])
    assert all("Too many failed sign-ins for this account" in a for a in answers[4:])


@pytest.mark.django_db
def test_staff_can_unlock_an_account_in_the_admin(admin_client):
    user = UserFactory(locked_until=timezone.now() + timezone.timedelta(minutes=10))
    response = admin_client.post(
        "/admin/accounts/user/", {"action": "unlock_selected", "_selected_action": [user.pk]}, follow=True
    )
    assert "Unlocked 1 account(s)." in response.content.decode()
    user.refresh_from_db()
    assert user.locked_until is None
    assert AuditLog.objects.filter(action="user.unlock", entity_id=user.pk).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_parallel_failed_sign_ins_lock_the_account_once():
    user = UserFactory(email="owner@example.in")
    barrier = threading.Barrier(20)

    def attempt(_):
        try:
            barrier.wait(timeout=30)
            services.signin_attempt(identifier="owner@example.in", password="wrong-one")
        except services.AccountLocked:
            return "locked"
        except services.InvalidCredentials:
            return "invalid"
        finally:
            close_old_connections()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(20)))
    # four failures are counted as plain failures; every later one finds the limit crossed
    assert results.count("invalid") == 4 and results.count("locked") == 16
    assert Notification.objects.filter(user=user, title="Sign-in to your account was paused").count() == 1
    assert AuditLog.objects.filter(action="user.locked", entity_id=user.pk).count() == 1


@pytest.mark.django_db
def test_admin_login_is_protected_by_the_lockout_too(client):
    UserFactory(email="boss@couponali.in", is_staff=True, is_superuser=True)
    for _ in range(5):
        client.post("/admin/login/", {"username": "boss@couponali.in", "password": "guess"})
    response = client.post("/admin/login/", {"username": "boss@couponali.in", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_password_reset_lifts_the_lock_and_forgets_old_failures(client, django_capture_on_commit_callbacks):

    user = UserFactory(email="owner@example.in", email_verified_at=timezone.now())
    for _ in range(5):
        client.post("/accounts/login/", {"identifier": "owner@example.in", "password": "wrong-one"})
    user.refresh_from_db()
    assert user.locked_until is not None
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"identifier": "owner@example.in"})
    path = re.search(r"(/accounts/password/reset/[^\s]+/)", mail.outbox[-1].body).group(1)
    client.post(path, {"password": "Monsoon-Mangoes-42", "password2": "Monsoon-Mangoes-42"})
    # one wrong password after the reset does not lock again, and the new password works
    client.post("/accounts/login/", {"identifier": "owner@example.in", "password": "wrong-one"})
    response = client.post("/accounts/login/", {"identifier": "owner@example.in", "password": "Monsoon-Mangoes-42"})
    assert response.status_code == 302


BURST_WRONG = 36


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_parallel_burst_never_signs_in_after_the_locking_failure(monkeypatch):
    """36 wrong passwords and the right one at once, through the page and the API, 20 times: the right one
    signs in only if it was decided before the fifth failure, and no password is checked once locked."""
    failures = settings.ACCOUNTS_LOCKOUT_FAILURES
    # The order in which passwords are checked, recorded as they are checked. Under the row lock that is
    # the order of the verdicts; without it the checks overlap and this order shows the race.
    verdicts: list[bool] = []
    record = threading.Lock()
    real_check = User.check_password

    def check_password(user, raw):
        ok = real_check(user, raw)
        with record:
            verdicts.append(ok)
        return ok

    monkeypatch.setattr(User, "check_password", check_password)

    def attempt(trial: int, n: int, email: str, password: str, barrier: threading.Barrier) -> bool:
        """One sign-in, half through the page and half through the API, each from its own address."""
        client = Client(REMOTE_ADDR=f"10.{trial}.{n // 250}.{n % 250}")
        try:
            barrier.wait(timeout=30)
            if n % 2:
                response = client.post(
                    "/api/v1/auth/token/", {"username": email, "password": password}, content_type="application/json"
                )
                assert response.status_code in (200, 401), response.content
                return response.status_code == 200
            response = client.post("/accounts/login/", {"identifier": email, "password": password})
            assert response.status_code in (302, 400), response.status_code
            return response.status_code == 302
        finally:
            close_old_connections()

    signed_in_trials = 0
    with ThreadPoolExecutor(max_workers=BURST_WRONG + 1) as pool:
        for trial in range(20):
            user = UserFactory(email=f"burst{trial}@example.in", email_verified_at=timezone.now())
            verdicts.clear()
            barrier = threading.Barrier(BURST_WRONG + 1)
            right_at = trial % (BURST_WRONG + 1)  # the right password's place in the burst moves each trial
            futures = [
                pool.submit(attempt, trial, n, user.email, PASSWORD if n == right_at else "wrong-one", barrier)
                for n in range(BURST_WRONG + 1)
            ]
            signed_in = [f.result() for f in futures]
            # only the right password can ever sign in
            assert not any(ok for n, ok in enumerate(signed_in) if n != right_at)
            if signed_in[right_at]:
                signed_in_trials += 1
                # it was decided while fewer than five failures had been counted ...
                before = verdicts[: verdicts.index(True)]
                assert len(before) < failures and not any(before), verdicts
                # ... and the rest of the burst locked the account again
                after = verdicts[verdicts.index(True) + 1 :]
                assert len(after) == failures and not any(after), verdicts
            else:
                # the fifth failure locked the account: no password (the right one included) was checked after
                assert verdicts == [False] * failures, verdicts
            user.refresh_from_db()
            assert user.locked_until is not None and user.locked_until > timezone.now()
    # the burst really raced the right password against the failures (it lost at least once)
    assert signed_in_trials < 20

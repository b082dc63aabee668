"""Mobile OTP: hashed, 10-minute expiry, 5 tries even under 20 parallel guesses, single use, resend limits."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from accounts import services
from accounts.factories import UserFactory, VerificationCodeFactory
from accounts.models import User, VerificationCode
from accounts.tests.conftest import otp_from


def _guess_in_parallel(code_id: int, guesses: list[str]) -> list[str]:
    """Each guess in its own thread with its own database connection, released together."""
    barrier = threading.Barrier(len(guesses))

    def attempt(guess: str) -> str:
        try:
            barrier.wait(timeout=30)
            services.verification_confirm_code(verification_id=code_id, code=guess)
            return "ok"
        except services.CodeInvalid:
            return "wrong"
        except services.TooManyAttempts:
            return "locked"
        except services.CodeExpired:
            return "expired"
        finally:
            close_old_connections()

    with ThreadPoolExecutor(max_workers=len(guesses)) as pool:
        return list(pool.map(attempt, guesses))


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_twenty_parallel_wrong_guesses_get_exactly_five_tries_then_the_right_code_is_refused():
    # given a live code
    row = VerificationCodeFactory()
    wrong = [f"{(int(row.code) + i) % 1_000_000:06d}" for i in range(1, 21)]
    # when 20 wrong guesses arrive at once
    results = _guess_in_parallel(row.pk, wrong)
    # then exactly 5 were checked and the other 15 refused without a check
    assert results.count("wrong") == 5
    assert results.count("locked") == 15
    row.refresh_from_db()
    assert row.attempts == 5 and row.consumed_at is None
    # and even the right code does not work any more
    with pytest.raises(services.TooManyAttempts):
        services.verification_confirm_code(verification_id=row.pk, code=row.code)
    assert User.objects.get(pk=row.user_id).mobile_verified_at is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_code_works_once_even_when_twenty_requests_send_it_at_once():
    row = VerificationCodeFactory()
    results = _guess_in_parallel(row.pk, [row.code] * 20)
    assert results.count("ok") == 1
    assert results.count("expired") == 19  # consumed: "expired or already used"
    assert User.objects.get(pk=row.user_id).mobile_verified_at is not None


@pytest.mark.django_db
def test_right_code_after_four_wrong_ones_still_works():
    row = VerificationCodeFactory()
    for _ in range(4):
        with pytest.raises(services.CodeInvalid) as info:
            services.verification_confirm_code(verification_id=row.pk, code="000000" if row.code != "000000" else "1")
    assert info.value.remaining == 1
    services.verification_confirm_code(verification_id=row.pk, code=row.code)
    assert User.objects.get(pk=row.user_id).mobile_verified_at is not None


@pytest.mark.django_db
def test_code_expires_after_ten_minutes(sms_outbox, django_capture_on_commit_callbacks):
    user = UserFactory(mobile="9811122233")
    with django_capture_on_commit_callbacks(execute=True):
        row = services.verification_start(user_id=user.pk, channel="sms")
    code = otp_from(sms_outbox, to="9811122233")
    # the code lives ten minutes
    assert abs((row.expires_at - row.created_at) - timedelta(minutes=10)) < timedelta(seconds=2)
    # when those ten minutes have passed
    VerificationCode.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    # then the right code is refused and nothing is verified
    with pytest.raises(services.CodeExpired):
        services.verification_confirm_code(verification_id=row.pk, code=code)
    user.refresh_from_db()
    assert user.mobile_verified_at is None


@pytest.mark.django_db
def test_a_new_code_replaces_the_old_one(sms_outbox, django_capture_on_commit_callbacks):
    user = UserFactory(mobile="9811122233")
    with django_capture_on_commit_callbacks(execute=True):
        first = services.verification_start(user_id=user.pk, channel="sms")
    old_code = otp_from(sms_outbox)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.verification_resend(verification_id=first.pk)
    new_code = otp_from(sms_outbox)
    with pytest.raises(services.CodeExpired):
        services.verification_confirm_code(verification_id=first.pk, code=old_code)
    services.verification_confirm_code(verification_id=second.pk, code=new_code)


@pytest.mark.django_db
def test_no_column_holds_the_code(sms_outbox, django_capture_on_commit_callbacks):

    user = UserFactory(mobile="9811122233")
    with django_capture_on_commit_callbacks(execute=True):
        row = services.verification_start(user_id=user.pk, channel="sms")
    code = otp_from(sms_outbox)
    with connection.cursor() as cur:
        cur.execute("SELECT row_to_json(v)::text FROM verification_codes v WHERE id = %s", [row.pk])
        (raw,) = cur.fetchone()
    assert code not in raw


@pytest.mark.django_db
def test_resend_is_limited_per_number(client, sms_outbox, django_capture_on_commit_callbacks):
    # sign-up sends the first code; two resends are allowed in 10 minutes, the third gets 429
    def post(path, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data or {})

    post("/accounts/signup/", {"identifier": "9811122233", "password": "Monsoon-Mangoes-42"})
    first, second, third = (post("/accounts/verify/resend/") for _ in range(3))
    assert first.status_code == second.status_code == 302
    assert third.status_code == 429 and int(third["Retry-After"]) > 0
    assert len([m for m in sms_outbox if m.to == "9811122233"]) == 3


@pytest.mark.django_db
def test_verify_page_counts_wrong_codes_and_says_how_many_are_left(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", {"identifier": "9811122233", "password": "Monsoon-Mangoes-42"})
    code = otp_from(sms_outbox)
    wrong = "111111" if code != "111111" else "222222"
    response = client.post("/accounts/verify/", {"code": wrong})
    assert response.status_code == 400 and "4 attempts left" in response.content.decode()
    for _ in range(4):
        client.post("/accounts/verify/", {"code": wrong})
    response = client.post("/accounts/verify/", {"code": code})
    assert "Too many wrong attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session

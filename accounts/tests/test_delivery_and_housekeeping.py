"""SMS backends (console, file, a provider's HTTP API faked with ``responses``) and the purge job."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import responses
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts import services, sms
from accounts.factories import UserFactory, UserSessionFactory, VerificationCodeFactory
from accounts.models import UserSession, VerificationCode
from accounts.tasks import purge_expired
from couponali import rls


def test_console_backend_prints_the_message(settings, capsys):
    settings.SMS_BACKEND = "accounts.sms.ConsoleSmsBackend"
    sms.send_sms(to="9876543210", body="123456 is your CouponAli verification code.")
    assert "[sms] to +919876543210: 123456 is your CouponAli verification code." in capsys.readouterr().out


def test_file_backend_writes_one_file_a_message(settings, tmp_path):
    settings.SMS_BACKEND = "accounts.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = tmp_path
    sms.send_sms(to="9876543210", body="hello")
    (written,) = tmp_path.iterdir()
    assert json.loads(written.read_text())["body"] == "hello" and written.name.endswith("-9876543210.json")


@responses.activate
def test_http_backend_posts_to_the_provider_and_fails_loudly(settings):
    settings.SMS_BACKEND = "accounts.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = "https://sms.example/v1/send"
    settings.SMS_HTTP_API_KEY = "key-123"
    responses.add(responses.POST, "https://sms.example/v1/send", json={"status": "queued"})
    sms.send_sms(to="9876543210", body="hello")
    call = responses.calls[0].request
    assert json.loads(call.body) == {"sender": "CPNALI", "to": "919876543210", "message": "hello"}
    assert call.headers["Authorization"] == "Bearer key-123"
    responses.replace(responses.POST, "https://sms.example/v1/send", status=503)
    with pytest.raises(sms.SmsDeliveryFailed, match="503"):
        sms.send_sms(to="9876543210", body="hello")


@pytest.mark.django_db
def test_delivery_skips_a_code_that_was_used_or_replaced(sms_outbox):
    row = VerificationCodeFactory()
    assert services.verification_deliver(verification_id=row.pk, secret=row.code) is True
    VerificationCode.objects.filter(pk=row.pk).update(superseded_at=timezone.now())
    assert services.verification_deliver(verification_id=row.pk, secret=row.code) is False
    assert len(sms_outbox) == 1


@pytest.mark.django_db
def test_purge_removes_only_long_expired_codes_and_sessions():
    user = UserFactory()
    old = timezone.now() - timedelta(days=40)
    VerificationCodeFactory(user=user, expires_at=old)
    fresh_code = VerificationCodeFactory(user=user)
    with rls.bypass(reason="test setup"):
        UserSessionFactory(user=user, expires_at=old)
        UserSessionFactory(user=user, revoked_at=old)
        live = UserSessionFactory(user=user)
    Session.objects.create(session_key="expired-session-key", session_data="", expire_date=timezone.now())
    live_django = Session.objects.create(
        session_key="live-session-key", session_data="", expire_date=timezone.now() + timedelta(days=1)
    )
    result = purge_expired.delay().get()
    assert result == {"verification_codes": 1, "user_sessions": 2, "django_sessions": 1}
    assert list(Session.objects.values_list("pk", flat=True)) == [live_django.pk]
    assert list(VerificationCode.objects.values_list("pk", flat=True)) == [fresh_code.pk]
    with rls.bypass(reason="test check"):
        assert list(UserSession.objects.values_list("pk", flat=True)) == [live.pk]

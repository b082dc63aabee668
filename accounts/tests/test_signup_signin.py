"""Sign-up with e-mail or mobile (and a referral link), verification, sign-in and sign-out, no enumeration."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core import mail
from django.utils import timezone

from accounts.factories import UserFactory
from accounts.models import Notification, User, UserSession, VerificationCode
from accounts.tests.conftest import PASSWORD, link_from, otp_from
from couponali import rls
from couponali.models import AuditLog
from referrals.models import Referral

NEW_PASSWORD = "Monsoon-Mangoes-42"


def _signup(client, identifier, password=NEW_PASSWORD, **extra):
    return client.post("/accounts/signup/", {"identifier": identifier, "password": password, **extra})


@pytest.mark.django_db
def test_signup_with_mobile_then_otp_verifies_and_signs_in(client, sms_outbox, django_capture_on_commit_callbacks):
    # when someone signs up with a +91 mobile number
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client, "+91 98765-43210", full_name="Priya Sharma")
    # then an unverified account exists, nobody is signed in yet and an OTP went out by SMS
    assert response.status_code == 302 and response["Location"].startswith("/accounts/verify/")
    user = User.objects.get(mobile="9876543210")
    assert user.email is None and user.mobile_verified_at is None and user.check_password(NEW_PASSWORD)
    assert user.referral_code and user.full_name == "Priya Sharma"
    assert "_auth_user_id" not in client.session
    code = otp_from(sms_outbox, to="9876543210")
    page = client.get("/accounts/verify/")
    assert "98XXXXXX10" in page.content.decode()
    # and the stored code is a hash, never the code
    row = VerificationCode.objects.get(user=user)
    assert code not in row.secret_hash and row.secret_hash != code

    # when the code is entered
    response = client.post("/accounts/verify/", {"code": code})
    # then the mobile is verified and the person is signed in with a recorded session
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.mobile_verified_at is not None and user.is_verified
    assert client.session["_auth_user_id"] == str(user.pk)
    with rls.scope(user_id=user.pk):
        assert UserSession.objects.filter(user=user, kind="web", revoked_at__isnull=True).count() == 1
    assert AuditLog.objects.filter(action="user.verify_mobile", entity_id=user.pk).exists()


@pytest.mark.django_db
def test_referral_link_is_remembered_through_signup(client, django_capture_on_commit_callbacks):
    referrer = UserFactory(referral_code="PRIYA7K3Q")
    # given a visitor who arrived through a referral link and browsed on
    client.get("/?ref=PRIYA7K3Q")
    client.get("/accounts/login/")
    # then the sign-up form is pre-filled with the code from the cookie
    assert 'value="PRIYA7K3Q"' in client.get("/accounts/signup/").content.decode()
    # when they sign up with it
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client, "asha@example.in", referral_code="PRIYA7K3Q")
    assert response.status_code == 302
    # then the fact is recorded, and the referrals app's task (queued by name after commit) made the referral
    user = User.objects.get(email="asha@example.in")
    assert user.referred_by_user_id == referrer.pk
    assert Referral.objects.filter(referrer_user=referrer, referred_user=user, status="pending").exists()
    assert response.cookies["ca_ref"].value == ""  # used up


@pytest.mark.django_db
def test_unknown_referral_code_is_refused_and_nothing_is_created(client):
    response = _signup(client, "ravi@example.in", referral_code="NOSUCHCODE")
    assert response.status_code == 200
    assert "This referral code is not valid" in response.content.decode()
    assert not User.objects.filter(email="ravi@example.in").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("mobile", ["98765 4321", "5876543210", "+1 9876543210", "98765432101", "98x6543210"])
def test_invalid_mobile_numbers_are_refused(client, mobile):
    response = _signup(client, mobile)
    assert response.status_code == 200
    assert "Indian mobile number" in response.content.decode()
    assert User.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("mobile", ["9876543210", "+919876543210", "09876543210", "+91 98765 43210", "919876543210"])
def test_indian_mobile_formats_are_accepted(client, mobile):
    assert _signup(client, mobile).status_code == 302
    assert User.objects.filter(mobile="9876543210").exists()


@pytest.mark.django_db
def test_weak_password_is_refused(client):
    response = _signup(client, "ravi@example.in", password="12345678")
    assert response.status_code == 200
    assert not User.objects.filter(email="ravi@example.in").exists()


@pytest.mark.django_db
def test_signup_with_email_sends_a_link_that_verifies_and_signs_in(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client, "Asha@Example.in")
    assert response.status_code == 302
    user = User.objects.get(email="asha@example.in")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["asha@example.in"]
    path = link_from(mail.outbox[0].body, "/accounts/verify/email/")
    # a GET (a mail scanner prefetching) does not consume the link
    assert client.get(path).status_code == 200
    user.refresh_from_db()
    assert user.email_verified_at is None
    # the person confirms in another browser: verified and signed in there
    other = client.__class__()
    response = other.post(path)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert other.session["_auth_user_id"] == str(user.pk)
    # a used link cannot be used again
    assert client.post(path).status_code == 400


@pytest.mark.django_db
def test_signup_with_a_known_address_looks_the_same_and_tells_the_owner(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    owner = UserFactory(mobile="9876543210", email="owner@example.in")
    # when someone signs up with an existing and with a new number
    with django_capture_on_commit_callbacks(execute=True):
        known = _signup(client, "9876543210")
    known_page = client.get(known["Location"])
    stranger = client.__class__()
    with django_capture_on_commit_callbacks(execute=True):
        fresh = stranger.post("/accounts/signup/", {"identifier": "9123456780", "password": NEW_PASSWORD})
    fresh_page = stranger.get(fresh["Location"])
    # then both answers are the same redirect and the same page (apart from the masked number)
    assert known.status_code == fresh.status_code == 302 and known["Location"] == fresh["Location"]
    assert known_page.status_code == fresh_page.status_code == 200

    def page(response, masked):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode()).replace(masked, "N")

    assert page(known_page, "98XXXXXX10") == page(fresh_page, "91XXXXXX80")
    # but no second account exists; the owner got a notice instead of a code, and nothing can verify it
    assert User.objects.filter(mobile="9876543210").count() == 1
    assert not any("verification code" in m.body for m in sms_outbox if m.to == "9876543210")
    assert Notification.objects.filter(user=owner, title__startswith="Someone tried to sign up").exists()
    for guess in ("000000", "123456"):
        client.post("/accounts/verify/", {"code": guess})
    owner.refresh_from_db()
    assert owner.mobile_verified_at is None and "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("identifier", ["shopper@example.in", "9876543210"])
def test_signin_with_email_or_mobile_and_signout(client, verified_user, identifier):
    User.objects.filter(pk=verified_user.pk).update(email="shopper@example.in", mobile="9876543210")
    response = client.post(
        "/accounts/login/", {"identifier": identifier, "password": PASSWORD, "next": "/accounts/kyc/"}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/kyc/"
    with rls.scope(user_id=verified_user.pk):
        row = UserSession.objects.get(user=verified_user, revoked_at__isnull=True)
    assert "Hi," in client.get("/accounts/profile/").content.decode()
    # sign-out revokes the session row
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session
    with rls.scope(user_id=verified_user.pk):
        row.refresh_from_db()
    assert row.revoked_at is not None and row.revocation_reason == "signed_out"


@pytest.mark.django_db
def test_wrong_password_and_unknown_account_get_the_same_answer(client, verified_user):
    wrong = client.post("/accounts/login/", {"identifier": verified_user.email, "password": "nope-nope-nope"})
    unknown = client.post("/accounts/login/", {"identifier": "nobody@example.in", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 400
    message = "That e-mail/mobile and password do not match an account."
    assert message in wrong.content.decode() and message in unknown.content.decode()


@pytest.mark.django_db
def test_unverified_account_must_confirm_before_signing_in(client, sms_outbox, django_capture_on_commit_callbacks):
    user = UserFactory(mobile="9812345678", email=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/login/", {"identifier": "9812345678", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/verify/")
    assert "_auth_user_id" not in client.session
    client.post("/accounts/verify/", {"code": otp_from(sms_outbox, to="9812345678")})
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_unsafe_next_is_ignored(client, verified_user):
    response = client.post(
        "/accounts/login/", {"identifier": verified_user.email, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_admin_login_also_records_a_session(client):
    staff = UserFactory(is_staff=True, is_superuser=True, email="boss@couponali.in")
    assert client.post("/admin/login/", {"username": "boss@couponali.in", "password": PASSWORD}).status_code == 302
    with rls.scope(user_id=staff.pk):
        assert UserSession.objects.filter(user=staff, revoked_at__isnull=True).count() == 1
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_every_browser_sign_in_stores_only_a_hash_with_device_info(client, verified_user):
    ua = (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0.0.0 Mobile Safari/537.36"
    )
    client.post(
        "/accounts/login/",
        {"identifier": verified_user.email, "password": PASSWORD},
        HTTP_USER_AGENT=ua,
        REMOTE_ADDR="49.36.120.15",
    )

    secret = client.session["_ca_session"]
    with rls.scope(user_id=verified_user.pk):
        row = UserSession.objects.get(user=verified_user)
    assert row.token == hashlib.sha256(secret.encode()).hexdigest() and secret not in row.token
    assert row.device_info["browser"].startswith("Chrome") and row.device_info["os"].startswith("Android")
    assert row.device_info["device"] == "mobile" and str(row.ip_address) == "49.36.120.15"
    assert row.expires_at > timezone.now() + timezone.timedelta(days=13)

"""Profile, password reset by e-mail or SMS link, account deletion, and that every account page is linked."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts import crypto
from accounts.factories import NotificationFactory, UserFactory, UserKYCFactory
from accounts.models import User, UserKYC, UserSession, VerificationCode
from accounts.tests.conftest import PASSWORD, link_from
from couponali import rls
from couponali.models import AuditLog

NEW = "Monsoon-Mangoes-42"


@pytest.fixture
def shopper(db):
    return UserFactory(email="priya@example.in", mobile="9876543210", email_verified_at=timezone.now())


def _signed_in(user) -> Client:
    browser = Client()
    assert browser.post("/accounts/login/", {"identifier": user.email, "password": PASSWORD}).status_code == 302
    return browser


@pytest.mark.django_db
def test_profile_shows_badges_and_saves_details(shopper):
    browser = _signed_in(shopper)
    html = browser.get("/accounts/profile/").content.decode()
    assert "priya@example.in" in html and html.count("badge-verified") == 1 and "Verify with a code" in html
    response = browser.post(
        "/accounts/profile/",
        {
            "full_name": "Priya S",
            "avatar_url": "https://img.example/p.png",
            "date_of_birth": "1994-03-08",
            "gender": "female",
        },
    )
    assert response.status_code == 302
    shopper.refresh_from_db()
    assert (shopper.full_name, shopper.date_of_birth, shopper.gender) == ("Priya S", date(1994, 3, 8), "female")
    too_young = (timezone.localdate() - timedelta(days=365 * 5)).isoformat()
    response = browser.post("/accounts/profile/", {"full_name": "x", "date_of_birth": too_young})
    assert response.status_code == 200 and "at least 13" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("identifier", ["priya@example.in", "9876543210"])
def test_password_reset_by_link_sets_a_new_password_and_signs_out_everywhere(
    identifier, shopper, sms_outbox, django_capture_on_commit_callbacks
):
    other_device = _signed_in(shopper)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"identifier": identifier})
    assert response.status_code == 200 and "If " in response.content.decode()
    text = mail.outbox[-1].body if "@" in identifier else sms_outbox[-1].body
    path = link_from(text, "/accounts/password/reset/")
    assert client.get(path).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, {"password": NEW, "password2": NEW})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    shopper.refresh_from_db()
    assert shopper.check_password(NEW)
    # every session was revoked, the link is spent, and the owner is told
    assert other_device.get("/accounts/profile/").status_code == 302
    assert client.get(path).status_code == 400
    assert AuditLog.objects.filter(action="user.password_reset", entity_id=shopper.pk).exists()
    assert mail.outbox[-1].subject == "Your password was changed"


@pytest.mark.django_db
def test_password_reset_answers_the_same_for_unknown_addresses(client, shopper, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/accounts/password/reset/", {"identifier": "priya@example.in"})
        unknown = client.post("/accounts/password/reset/", {"identifier": "ghost@example.in"})
    assert known.status_code == unknown.status_code == 200
    assert known.content.decode().replace("prXXX", "M") == unknown.content.decode().replace("ghXXX", "M")
    assert [m.to for m in mail.outbox] == [["priya@example.in"]]


@pytest.mark.django_db
def test_expired_reset_link_is_refused(client, shopper, django_capture_on_commit_callbacks):

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"identifier": "priya@example.in"})
    path = link_from(mail.outbox[-1].body, "/accounts/password/reset/")
    VerificationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(path, {"password": NEW, "password2": NEW}).status_code == 400
    shopper.refresh_from_db()
    assert shopper.check_password(PASSWORD)


@pytest.mark.django_db
def test_deleting_the_account_soft_deletes_and_scrubs_personal_data(shopper):
    with rls.bypass(reason="test setup"):
        UserKYCFactory(user=shopper, pan="ABCPK1234F")
    NotificationFactory(user=shopper)
    User.objects.filter(pk=shopper.pk).update(
        google_id="g-123", full_name="Priya Sharma", date_of_birth=date(1994, 3, 8)
    )
    browser, elsewhere = _signed_in(shopper), _signed_in(shopper)
    # a wrong password or no confirmation changes nothing
    assert browser.post("/accounts/profile/delete/", {"password": "nope", "confirm": "DELETE"}).status_code == 200
    assert browser.post("/accounts/profile/delete/", {"password": PASSWORD, "confirm": "yes"}).status_code == 200
    assert User.objects.filter(pk=shopper.pk).exists()
    response = browser.post("/accounts/profile/delete/", {"password": PASSWORD, "confirm": "DELETE"})
    assert response.status_code == 302
    # the row stays (soft-deleted) with the personal data gone
    gone = User.all_objects.get(pk=shopper.pk)
    assert gone.deleted_at is not None and not gone.is_active and not User.objects.filter(pk=shopper.pk).exists()
    assert gone.email.endswith("@users.couponali.invalid") and gone.mobile is None
    assert (gone.full_name, gone.date_of_birth, gone.google_id) == (None, None, None)
    assert not gone.has_usable_password() and gone.referral_code
    assert not gone.notifications.exists()
    # KYC keeps only what tax records need
    with rls.bypass(reason="test check"):
        kyc = UserKYC.objects.get(user_id=shopper.pk)
        sessions = list(UserSession.objects.filter(user_id=shopper.pk))
    assert crypto.decrypt(kyc.pan_number) == "ABCPK1234F" and kyc.pan_hash
    assert (kyc.account_number, kyc.upi_id, kyc.address_line1, kyc.pincode) == (None, None, None, None)
    assert sessions and all(s.revoked_at is not None for s in sessions)
    # signed out everywhere, cannot sign in again, and the address is free for a new account
    assert elsewhere.get("/accounts/profile/").status_code == 302
    assert (
        Client().post("/accounts/login/", {"identifier": "priya@example.in", "password": PASSWORD}).status_code == 400
    )
    assert Client().post("/accounts/signup/", {"identifier": "priya@example.in", "password": NEW}).status_code == 302
    assert User.objects.get(email="priya@example.in").pk != shopper.pk
    assert AuditLog.objects.filter(action="user.delete", entity_id=shopper.pk).exists()


@pytest.mark.django_db
def test_every_account_page_is_reachable_by_a_link(shopper):
    anonymous = Client()
    home = anonymous.get("/").content.decode()
    assert 'href="/accounts/login/"' in home and 'href="/accounts/signup/"' in home
    assert 'href="/accounts/password/reset/"' in anonymous.get("/accounts/login/").content.decode()
    browser = _signed_in(shopper)
    header = browser.get("/").content.decode()
    for path in ("/accounts/profile/", "/accounts/kyc/", "/accounts/sessions/", "/accounts/notifications/"):
        assert f'href="{path}"' in header, path
        assert browser.get(path).status_code == 200
    profile = browser.get("/accounts/profile/").content.decode()
    for path in ("/accounts/profile/password/", "/accounts/profile/delete/"):
        assert f'href="{path}"' in profile and browser.get(path).status_code == 200
    assert 'action="/accounts/logout/"' in header


@pytest.mark.django_db
def test_pages_need_sign_in(client):
    for path in ("/accounts/profile/", "/accounts/sessions/", "/accounts/notifications/", "/accounts/profile/delete/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.django_db
def test_staff_deleting_a_user_in_the_admin_closes_the_account_properly(admin_client, shopper):
    response = admin_client.post(f"/admin/accounts/user/{shopper.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    gone = User.all_objects.get(pk=shopper.pk)
    assert gone.deleted_at is not None and gone.mobile is None and gone.email.endswith(".invalid")
    log = AuditLog.objects.get(action="user.delete", entity_id=shopper.pk)
    assert log.actor_user_id != shopper.pk


@pytest.mark.django_db
def test_staff_can_revoke_sessions_in_the_admin(admin_client, shopper):
    browser = _signed_in(shopper)
    with rls.bypass(reason="test"):
        row = UserSession.objects.get(user=shopper)
    response = admin_client.post(
        "/admin/accounts/usersession/", {"action": "revoke_selected", "_selected_action": [row.pk]}, follow=True
    )
    assert "Revoked 1 session(s)." in response.content.decode()
    assert browser.get("/accounts/profile/").status_code == 302
    with rls.bypass(reason="test"):
        row.refresh_from_db()
    assert row.revocation_reason == "revoked_by_staff"
    # the admin never shows the token hash
    assert row.token not in admin_client.get(f"/admin/accounts/usersession/{row.pk}/change/").content.decode()

"""Google and Facebook sign-in through allauth, with the providers' HTTP answers faked (``responses``)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import responses
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.factories import UserFactory, UserSessionFactory
from accounts.models import User, UserSession
from accounts.tests.conftest import PASSWORD
from couponali import rls
from couponali.models import AuditLog
from referrals.models import Referral

GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
FB_GRAPH = "https://graph.facebook.com/v19.0"


def _id_token(**claims) -> str:
    now = int(time.time())
    payload = {
        "iss": "https://accounts.google.com",
        "aud": settings.SOCIALACCOUNT_PROVIDERS["google"]["APP"]["client_id"],
        "iat": now,
        "exp": now + 3600,
        "sub": "109876543210987654321",
        "email": "asha.g@gmail.com",
        "email_verified": True,
        "name": "Asha Gupta",
        "picture": "https://lh3.googleusercontent.com/a/asha",
        **claims,
    }
    # Received straight from Google's token endpoint over TLS, so allauth does not check its signature.
    return jwt.encode(payload, "google-signs-with-rsa-in-real-life", algorithm="HS256")


def _google_sign_in(client: Client, **claims):
    start = client.post("/accounts/social/google/login/")
    assert start.status_code == 302 and start["Location"].startswith("https://accounts.google.com/")
    state = parse_qs(urlparse(start["Location"]).query)["state"][0]
    with responses.RequestsMock() as fake:
        fake.add(
            responses.POST,
            GOOGLE_TOKEN_URL,
            json={
                "access_token": "ya29.fake",
                "expires_in": 3599,
                "token_type": "Bearer",
                "id_token": _id_token(**claims),
            },
        )
        return client.get("/accounts/social/google/login/callback/", {"code": "4/0Afake", "state": state})


def _facebook_sign_in(client: Client, me: dict):
    start = client.post("/accounts/social/facebook/login/")
    assert start.status_code == 302 and "facebook.com" in start["Location"]
    state = parse_qs(urlparse(start["Location"]).query)["state"][0]
    with responses.RequestsMock() as fake:
        fake.add(
            responses.GET,
            f"{FB_GRAPH}/oauth/access_token",
            json={"access_token": "EAAfake", "token_type": "bearer", "expires_in": 5000},
        )
        fake.add(responses.GET, f"{FB_GRAPH}/me", json=me)
        return client.get("/accounts/social/facebook/login/callback/", {"code": "fb-code", "state": state})


@pytest.mark.django_db
def test_google_sign_up_creates_a_verified_account_with_google_id(client, django_capture_on_commit_callbacks):
    referrer = UserFactory(referral_code="RAVI9X2Z")
    client.get("/?ref=RAVI9X2Z")
    with django_capture_on_commit_callbacks(execute=True):
        response = _google_sign_in(client)
    assert response.status_code == 302, response.content
    user = User.objects.get(email="asha.g@gmail.com")
    assert user.google_id == "109876543210987654321" and user.email_verified_at is not None
    assert user.full_name == "Asha Gupta" and user.avatar_url.startswith("https://lh3.")
    assert not user.has_usable_password() and user.referral_code
    assert user.referred_by_user_id == referrer.pk
    assert Referral.objects.filter(referrer_user=referrer, referred_user=user).exists()
    assert client.session["_auth_user_id"] == str(user.pk)
    with rls.scope(user_id=user.pk):
        assert UserSession.objects.filter(user=user, kind="web", revoked_at__isnull=True).count() == 1
    # signing in again finds the same account
    client.post("/accounts/logout/")
    assert _google_sign_in(Client()).status_code == 302
    assert User.objects.filter(email="asha.g@gmail.com").count() == 1


@pytest.mark.django_db
def test_google_matches_an_existing_account_by_verified_email(client):
    owner = UserFactory(email="asha.g@gmail.com", email_verified_at=timezone.now(), mobile="9876500000")
    response = _google_sign_in(client)
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.google_id == "109876543210987654321"
    assert owner.check_password(PASSWORD)  # a verified owner keeps the password
    assert client.session["_auth_user_id"] == str(owner.pk) and User.objects.count() == 1
    assert AuditLog.objects.filter(action="user.link_social", entity_id=owner.pk).exists()


@pytest.mark.django_db
def test_google_takes_an_unverified_squatted_address_back_for_its_owner(client):
    """Someone typed the address in without verifying it: Google proves the real owner, so the squatter's
    password and sessions are dropped."""
    squatter_account = UserFactory(email="asha.g@gmail.com", email_verified_at=None)
    with rls.bypass(reason="test setup"):
        UserSessionFactory(user=squatter_account)
    assert _google_sign_in(client).status_code == 302
    squatter_account.refresh_from_db()
    assert squatter_account.email_verified_at is not None and not squatter_account.has_usable_password()
    with rls.bypass(reason="test check"):
        reasons = set(UserSession.objects.filter(user=squatter_account).values_list("revocation_reason", flat=True))
    assert "password_changed" in reasons


@pytest.mark.django_db
def test_google_matches_users_google_id_even_without_an_allauth_link(client):
    owner = UserFactory(email="old@example.in", google_id="109876543210987654321", email_verified_at=timezone.now())
    assert _google_sign_in(client, email="new.address@gmail.com").status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)
    assert not User.objects.filter(email="new.address@gmail.com").exists()


@pytest.mark.django_db
def test_google_without_a_verified_email_cannot_take_over_or_create(client):
    UserFactory(email="asha.g@gmail.com")
    response = _google_sign_in(client, email_verified=False)
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 1 and User.objects.get().google_id is None
    response = _google_sign_in(Client(), email="brand.new@gmail.com", email_verified=False)
    assert response.status_code == 400 and not User.objects.filter(email="brand.new@gmail.com").exists()


@pytest.mark.django_db
def test_facebook_sign_up_records_facebook_id(client):
    response = _facebook_sign_in(
        client, {"id": "10223344556677", "email": "ravi.k@example.in", "name": "Ravi Kumar", "first_name": "Ravi"}
    )
    assert response.status_code == 302, response.content
    user = User.objects.get(email="ravi.k@example.in")
    assert user.facebook_id == "10223344556677" and user.email_verified_at is not None
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_facebook_without_an_email_is_refused(client):
    response = _facebook_sign_in(client, {"id": "10223344556677", "name": "No Mail"})
    assert response.status_code == 400
    assert "did not share a verified e-mail" in response.content.decode()
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_sign_in_page_offers_both_providers(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'action="/accounts/social/google/login/?process=login"' in html
    assert 'action="/accounts/social/facebook/login/?process=login"' in html

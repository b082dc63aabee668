"""Active sessions (browser) and API tokens: revocation takes effect on the next request, refresh tokens
rotate, and a reused refresh token revokes its whole family."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import jwt
import pytest
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone

from accounts import services, tokens
from accounts.factories import UserFactory
from accounts.models import Notification, UserSession
from accounts.tests.conftest import PASSWORD
from couponali import rls
from couponali.models import AuditLog

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


def _sign_in(user, ua=CHROME) -> Client:
    browser = Client(HTTP_USER_AGENT=ua)
    response = browser.post("/accounts/login/", {"identifier": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return browser


def _sessions(user):
    with rls.scope(user_id=user.pk):
        return list(UserSession.objects.filter(user=user).order_by("id"))


@pytest.fixture
def user(db):
    return UserFactory(email="shopper@example.in", email_verified_at=timezone.now())


@pytest.mark.django_db
def test_sessions_page_lists_devices_and_revoking_one_signs_it_out_on_its_next_request(user):
    laptop, phone = _sign_in(user, CHROME), _sign_in(user, IPHONE)
    page = laptop.get("/accounts/sessions/").content.decode()
    assert "Chrome 130 on Windows 10" in page and "Mobile Safari 17 on iOS 17.5" in page
    assert page.count("This device") == 1
    phone_row = next(s for s in _sessions(user) if "iOS" in s.device_info["os"])
    # when the laptop revokes the phone's session
    response = laptop.post(f"/accounts/sessions/{phone_row.pk}/revoke/")
    assert response.status_code == 302
    # then the phone is signed out on its very next request, and the laptop is not
    response = phone.get("/accounts/profile/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in phone.session
    assert laptop.get("/accounts/profile/").status_code == 200
    assert AuditLog.objects.filter(action="session.revoke", entity_id=phone_row.pk).exists()


@pytest.mark.django_db
def test_an_expired_session_is_signed_out_on_its_next_request(user):
    browser = _sign_in(user)
    with rls.bypass(reason="test: age the session"):
        UserSession.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = browser.get("/accounts/profile/")
    assert response.status_code == 302 and "_auth_user_id" not in browser.session


@pytest.mark.django_db
def test_revoke_all_other_sessions_keeps_this_one(user):
    browsers = [_sign_in(user) for _ in range(3)]
    response = browsers[0].post("/accounts/sessions/revoke-others/")
    assert response.status_code == 302
    assert browsers[0].get("/accounts/profile/").status_code == 200
    assert all(b.get("/accounts/profile/").status_code == 302 for b in browsers[1:])
    live = [s for s in _sessions(user) if s.revoked_at is None]
    assert len(live) == 1


@pytest.mark.django_db
def test_revoking_another_users_session_is_not_possible(user):
    other = UserFactory(email_verified_at=timezone.now())
    victim = _sign_in(other)
    row = _sessions(other)[0]
    attacker = _sign_in(user)
    assert attacker.post(f"/accounts/sessions/{row.pk}/revoke/").status_code == 404
    assert victim.get("/accounts/profile/").status_code == 200


@pytest.mark.django_db
def test_password_change_signs_out_the_other_sessions(user):
    here, elsewhere = _sign_in(user), _sign_in(user)
    response = here.post(
        "/accounts/profile/password/",
        {"current_password": PASSWORD, "password": "Monsoon-Mangoes-42", "password2": "Monsoon-Mangoes-42"},
    )
    assert response.status_code == 302
    assert here.get("/accounts/profile/").status_code == 200
    assert elsewhere.get("/accounts/profile/").status_code == 302


@pytest.mark.django_db
def test_a_session_key_stolen_from_the_cache_is_useless_without_its_row(user):
    """A Django session without a user_sessions row (e.g. the row was deleted) is not accepted."""
    browser = _sign_in(user)
    with rls.bypass(reason="test"):
        UserSession.objects.filter(user=user).delete()
    assert browser.get("/accounts/profile/").status_code == 302


# ---------------------------------------------------------------- API tokens


def _token(api: Client, user, password=PASSWORD):
    return api.post(
        "/api/v1/auth/token/", {"username": user.email, "password": password}, content_type="application/json"
    )


def _me(api: Client, access: str):
    return api.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {access}")


def _refresh(api: Client, refresh: str):
    return api.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, content_type="application/json")


@pytest.mark.django_db
def test_api_token_sign_in_refresh_rotation_and_me(client, user):
    response = _token(client, user)
    assert response.status_code == 200, response.content
    first = response.json()
    assert first["token_type"] == "Bearer" and 0 < first["access_expires_in"] <= 600
    me = _me(client, first["access"])
    assert me.status_code == 200 and me.json()["email"] == "shopper@example.in"
    # the refresh token is stored only as a hash, in an API session row
    (row,) = _sessions(user)
    assert row.kind == "api" and row.token == tokens.token_hash(first["refresh"])
    # refreshing rotates: a new refresh token, the old row revoked as "rotated", same family
    second = _refresh(client, first["refresh"]).json()
    assert second["refresh"] != first["refresh"]
    rows = _sessions(user)
    assert [r.revocation_reason for r in rows] == ["rotated", None]
    assert rows[1].family_id == rows[0].family_id and rows[1].rotated_from_id == rows[0].pk
    assert _me(client, second["access"]).status_code == 200
    # the family keeps the first token's expiry (rotation does not extend it)
    assert abs(rows[1].expires_at - rows[0].expires_at) < timedelta(seconds=2)


@pytest.mark.django_db
def test_reusing_a_refresh_token_revokes_the_whole_family(client, user, django_capture_on_commit_callbacks):
    first = _token(client, user).json()
    second = _refresh(client, first["refresh"]).json()
    # a thief replays the first (already rotated) refresh token
    with django_capture_on_commit_callbacks(execute=True):
        replay = _refresh(client, first["refresh"])
    assert replay.status_code == 401
    # then every generation is revoked: the owner's current refresh and access tokens stop working too
    assert {r.revocation_reason for r in _sessions(user)} == {"rotated", "reuse_detected"}
    assert all(r.revoked_at is not None for r in _sessions(user))
    assert _refresh(client, second["refresh"]).status_code == 401
    assert _me(client, second["access"]).status_code == 401
    assert AuditLog.objects.filter(action="session.refresh_reuse").exists()
    assert Notification.objects.filter(user=user, title="We signed out an app session").exists()


@pytest.mark.django_db
def test_other_families_survive_a_reuse(client, user):
    phone = _token(client, user).json()
    tablet = _token(client, user).json()
    _refresh(client, phone["refresh"])
    _refresh(client, phone["refresh"])  # reuse: only the phone's family goes
    assert _me(client, tablet["access"]).status_code == 200
    assert _refresh(client, tablet["refresh"]).status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_two_parallel_refreshes_with_one_token_count_as_reuse(user):
    pair = services.token_issue(user_id=user.pk, user_agent="app", ip="203.0.113.9")
    barrier = threading.Barrier(2)

    def refresh(_):
        try:
            barrier.wait(timeout=30)
            services.token_refresh(refresh_token=pair.refresh, user_agent="app", ip=None)
            return "ok"
        except services.TokenInvalid:
            return "refused"
        finally:
            close_old_connections()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(refresh, range(2)))
    assert results == ["ok", "refused"]
    # the loser presented a token that had just been rotated: the family is gone, winner included
    assert all(r.revoked_at is not None for r in _sessions(user))


@pytest.mark.django_db
def test_revoked_session_rejects_its_access_token_on_the_next_request(client, user):
    pair = _token(client, user).json()
    (row,) = _sessions(user)
    browser = _sign_in(user)
    # the user revokes the app session from the website
    browser.post(f"/accounts/sessions/{row.pk}/revoke/")
    response = _me(client, pair["access"])
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_sign_out_from_the_app_revokes_the_family(client, user):
    pair = _token(client, user).json()
    response = client.post("/api/v1/auth/token/revoke/", {"refresh": pair["refresh"]}, content_type="application/json")
    assert response.status_code == 204
    assert _me(client, pair["access"]).status_code == 401
    assert _refresh(client, pair["refresh"]).status_code == 401


@pytest.mark.django_db
def test_expired_or_forged_access_tokens_are_refused(client, user, settings):

    pair = _token(client, user).json()
    claims = jwt.decode(pair["access"], options={"verify_signature": False})
    expired = jwt.encode({**claims, "exp": int(timezone.now().timestamp()) - 5}, settings.ACCOUNTS_JWT_SIGNING_KEY)
    forged = jwt.encode(claims, "x" * 40)
    for token in (expired, forged, "not-a-jwt"):
        assert _me(client, token).status_code == 401
    # a refresh token is not an access token
    assert _me(client, pair["refresh"]).status_code == 401


@pytest.mark.django_db
def test_token_sign_in_wrong_password_and_unverified_account(client, user):
    assert _token(client, user, password="wrong-wrong-wrong").status_code == 401
    unverified = UserFactory(email="new@example.in")
    response = _token(client, unverified)
    assert response.status_code == 403
    assert _sessions(unverified) == []


@pytest.mark.django_db
def test_api_lists_and_revokes_sessions(client, user):
    pair = _token(client, user).json()
    _sign_in(user)
    listed = client.get("/api/v1/auth/sessions/", HTTP_AUTHORIZATION=f"Bearer {pair['access']}").json()
    assert sorted(s["kind"] for s in listed) == ["api", "web"]
    assert [s["current"] for s in listed if s["kind"] == "api"] == [True]
    web = next(s for s in listed if s["kind"] == "web")
    response = client.post(f"/api/v1/auth/sessions/{web['id']}/revoke/", HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert response.status_code == 204


@pytest.mark.django_db
def test_openapi_schema_documents_the_token_endpoints_and_bearer_auth(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/auth/token/revoke/",
        "/api/v1/auth/me/",
        "/api/v1/auth/sessions/",
    ):
        assert path in schema["paths"], path
    scheme = schema["components"]["securitySchemes"]["accessToken"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    # signing in needs no token; /me needs one
    assert schema["paths"]["/api/v1/auth/token/"]["post"].get("security", []) in ([], [{}])
    assert {"accessToken": []} in schema["paths"]["/api/v1/auth/me/"]["get"]["security"]

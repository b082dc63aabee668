"""The API's shape: one error body for every failure (400, 401, 404, 405, 410, 429, 500), the throttle per key,
per user and per address on the site's Redis limits, and cursor pagination."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import RequestFactory

from couponali import views
from couponali.api_throttling import throttle_identity
from offers.factories import OfferFactory


def _is_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


@pytest.mark.django_db
def test_an_unknown_api_path_answers_404_in_the_error_format_and_a_page_path_stays_html(anon):
    _is_error(anon.get("/api/v1/no-such-thing/"), 404, "not_found")
    page = anon.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_method_the_endpoint_does_not_take_answers_405(anon):
    _is_error(anon.delete("/api/v1/offers/"), 405, "method_not_allowed")


@pytest.mark.django_db
def test_signed_out_answers_401_with_the_scheme_and_a_bad_token_too(anon):
    error = _is_error(anon.get("/api/v1/wallet/"), 401, "not_authenticated")
    assert "credentials" in error["message"]
    bad = anon.get("/api/v1/wallet/", HTTP_AUTHORIZATION="Bearer not-a-jwt")
    _is_error(bad, 401, "authentication_failed")
    assert bad["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_invalid_fields_are_named_in_fields(as_owner):
    error = _is_error(
        as_owner.post("/api/v1/wallet/withdrawals/", {"amount": "-5", "method": "carrier-pigeon"}, format="json"),
        400,
        "invalid",
    )
    assert set(error["fields"]) == {"amount", "method"}
    assert all(isinstance(m, str) for messages in error["fields"].values() for m in messages)


@pytest.mark.django_db
def test_an_invalid_filter_or_cursor_is_a_clear_error_not_a_500(anon):
    _is_error(anon.get("/api/v1/offers/?type=voucher"), 400, "invalid")
    _is_error(anon.get("/api/v1/offers/?cursor=garbage"), 404, "not_found")


def test_a_server_error_under_api_answers_json_and_a_page_html():
    api = views.error_500(RequestFactory().get("/api/v1/offers/"))
    assert api.status_code == 500
    assert api.content.startswith(b'{"error": {"code": "server_error"')
    page = views.error_500(RequestFactory().get("/stores/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_the_throttle_answers_429_with_retry_after_per_user_on_redis(settings, as_owner, as_other, anon):
    settings.API_RATE_LIMITS = {"key": "5/minute", "user": "3/minute", "anon": "2/minute"}
    for _ in range(3):
        assert as_owner.get("/api/v1/wallet/").status_code == 200
    limited = as_owner.get("/api/v1/wallet/")
    error = _is_error(limited, 429, "rate_limited")
    assert 1 <= int(limited["Retry-After"]) <= 60 and "try again" in error["message"]
    # another user has a budget of their own, and anonymous callers count per address
    assert as_other.get("/api/v1/wallet/").status_code == 200
    assert anon.get("/api/v1/categories/").status_code == 200
    assert anon.get("/api/v1/categories/").status_code == 200
    _is_error(anon.get("/api/v1/categories/"), 429, "rate_limited")


def test_the_throttle_counts_an_api_key_under_the_key_then_the_user_then_the_address():
    user = SimpleNamespace(is_authenticated=True, pk=7)
    request = SimpleNamespace(auth=SimpleNamespace(key_id="k_42"), user=user, META={"REMOTE_ADDR": "203.0.113.5"})
    assert throttle_identity(request) == ("key", "k_42")
    request.auth = {"sub": "7"}  # a JWT's claims
    assert throttle_identity(request) == ("user", "7")
    request.auth, request.user = None, SimpleNamespace(is_authenticated=False, pk=None)
    assert throttle_identity(request) == ("anon", "203.0.113.5")


@pytest.mark.django_db
def test_long_lists_page_with_a_cursor(anon, catalogue):
    for _ in range(4):
        OfferFactory(merchant=catalogue["myntra"])
    first = anon.get("/api/v1/offers/?page_size=4").json()
    assert set(first) == {"next", "previous", "results"} and len(first["results"]) == 4
    assert "cursor=" in first["next"] and first["previous"] is None
    second = anon.get(first["next"]).json()
    seen = [o["uuid"] for o in first["results"]] + [o["uuid"] for o in second["results"]]
    assert len(seen) == len(set(seen)) == 6 and second["next"] is None

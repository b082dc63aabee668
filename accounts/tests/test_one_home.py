"""Each accounts rule has one home, and these tests name it: the sign-in gate (User.may_sign_in) for the page and
the API alike, VerificationCode.is_usable and its query form, the device classifier (accounts.devices), the
mobile normaliser (accounts.validators) and the referral-code generator (the user manager)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts import devices
from accounts.factories import UserFactory
from accounts.models import User, VerificationCode
from accounts.tests.conftest import PASSWORD
from accounts.validators import clean_mobile, normalise_mobile

TOKEN_URL = "/api/v1/auth/token/"


def _page_signs_in(user) -> bool:
    browser = Client()
    response = browser.post("/accounts/login/", {"identifier": user.email, "password": PASSWORD})
    return response.status_code == 302 and "_auth_user_id" in browser.session


def _api_signs_in(user) -> bool:
    response = Client().post(TOKEN_URL, {"username": user.email, "password": PASSWORD}, content_type="application/json")
    assert response.status_code in (200, 403), response.content
    return response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "allowed"),
    [
        ("unverified shopper", False),
        ("verified shopper", True),
        ("social shopper", True),
        ("unverified staff", True),
    ],
)
def test_the_page_and_the_api_apply_the_one_sign_in_gate(kind, allowed):
    # given an account of each kind
    fields = {
        "unverified shopper": {},
        "verified shopper": {"email_verified_at": timezone.now()},
        "social shopper": {"google_id": "g-123"},
        "unverified staff": {"is_staff": True},
    }[kind]
    user = UserFactory(email=f"{kind.replace(' ', '-')}@example.in", **fields)
    # then the rule, the page and the API all give the same answer
    assert user.may_sign_in is allowed
    assert _page_signs_in(user) is allowed
    assert _api_signs_in(user) is allowed


@pytest.mark.django_db
def test_the_api_refuses_an_unverified_account_with_the_gate_message():
    user = UserFactory(email="new@example.in")
    response = Client().post(TOKEN_URL, {"username": user.email, "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Verify your e-mail or mobile number on the website first."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "usable"),
    [
        ({}, True),
        ({"consumed_at": "now"}, False),
        ({"superseded_at": "now"}, False),
        ({"expires_at": "past"}, False),
        ({"expires_at": "now"}, False),  # expiry is exclusive: at the very moment it stops working
    ],
)
def test_verification_code_is_usable_and_its_query_form_agree(change, usable):
    now = timezone.now()
    values = {"now": now, "past": now - timedelta(seconds=1)}
    row = VerificationCode.objects.create(
        purpose=VerificationCode.Purpose.SIGNUP,
        channel=VerificationCode.Channel.EMAIL,
        target="someone@example.in",
        secret_hash=f"hash-{sorted(change.items())}",
        **({"expires_at": now + timedelta(minutes=5)} | {field: values[when] for field, when in change.items()}),
    )
    assert row.is_usable(now) is usable
    assert VerificationCode.objects.filter(VerificationCode.usable_q(now), pk=row.pk).exists() is usable


WINDOWS_CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130 Safari/537.36"


@pytest.mark.parametrize(
    ("ua", "kind"),
    [
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36", "mobile"),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Safari/604.1", "tablet"),
        (WINDOWS_CHROME, "desktop"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130 Safari/537.36", "desktop"),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bot"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36", "bot"),
        ("python-requests/2.32", "bot"),
        ("", "bot"),
        (None, "bot"),
    ],
)
def test_one_device_classifier_with_one_vocabulary(ua, kind):
    assert devices.device_type(ua) == kind
    assert devices.device_info(ua)["device"] == kind  # the sessions page says the same
    assert kind in devices.DEVICE_TYPES


def test_the_device_vocabulary_is_the_seed_one_plus_bot():
    # offer_clicks.device_type in the seed: 'mobile', 'desktop', 'tablet'
    assert set(devices.DEVICE_TYPES) == {"mobile", "desktop", "tablet", "bot"}


def test_device_type_is_cached_per_user_agent_and_bounded():
    devices.device_type(WINDOWS_CHROME)
    hits = devices.classify.cache_info().hits
    assert devices.device_type(WINDOWS_CHROME) == "desktop"
    assert devices.classify.cache_info().hits == hits + 1
    # a huge header is classified by its start and cached under that, not under the whole string
    assert devices.device_type(WINDOWS_CHROME + " x" * 10_000) == "desktop"


@pytest.mark.parametrize("raw", ["+91 98765-43210", "098765 43210", "9876543210", "91 9876543210"])
def test_mobile_numbers_are_normalised_in_the_validators(raw):
    assert normalise_mobile(raw) == "9876543210"
    assert clean_mobile(raw) == "9876543210"


@pytest.mark.django_db
def test_referral_codes_come_from_the_user_manager():
    taken = UserFactory(full_name="Priya Sharma")
    code = User.objects.referral_code_generate(name="Priya Sharma")
    assert code.startswith("PRIYA") and len(code) == 9 and code != taken.referral_code
    assert User.objects.create_user(email="anil@example.in", password=PASSWORD).referral_code.startswith("ANIL")

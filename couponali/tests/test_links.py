"""Absolute links: every one is built on SITE_URL (couponali.links), which in development follows PORT."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts import sms
from accounts.factories import UserFactory
from catalog.factories import MerchantFactory
from cms.factories import CmsPageFactory
from couponali import links
from couponali.tests.test_settings import _run
from offers.factories import OfferFactory

SITE = "http://127.0.0.1:9000"
# Absolute URLs in a text, and the ones that point at us under any other base (the old port 8000, the test
# client's "testserver").
URL_RE = re.compile(r"https?://[^\s\"'<>]+")
OURS_RE = re.compile(r"https?://(127\.0\.0\.1|localhost|testserver)[:/]")


def _our_links(text: str) -> list[str]:
    return [u for u in URL_RE.findall(text) if OURS_RE.match(u)]


def _site_url_of(**env: str) -> str:
    result = _run(
        ["-c", "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"],
        DJANGO_SETTINGS_MODULE="couponali.settings.development",
        # Required by the settings; nothing connects to them.
        DATABASE_URL="postgresql://u@127.0.0.1:1/db",
        REDIS_URL="redis://127.0.0.1:1/0",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_development_site_url_follows_port_and_site_url_overrides_it():
    assert _site_url_of(PORT="9000", SITE_URL="") == "http://127.0.0.1:9000"
    assert _site_url_of(PORT="9000", HOST="0.0.0.0", SITE_URL="") == "http://127.0.0.1:9000"  # noqa: S104
    assert _site_url_of(PORT="9000", SITE_URL="https://staging.couponali.in/") == "https://staging.couponali.in"


def test_a_malformed_site_url_is_refused_with_what_to_set():
    result = _run(
        ["manage.py", "check"],
        DJANGO_SETTINGS_MODULE="couponali.settings.development",
        DATABASE_URL="postgresql://u@127.0.0.1:1/db",
        REDIS_URL="redis://127.0.0.1:1/0",
        SITE_URL="couponali.in",
    )
    assert result.returncode != 0
    assert "SITE_URL must be the site's absolute base URL, like https://couponali.in" in result.stderr


def test_absolute_url_keeps_urls_that_are_already_absolute(settings):
    settings.SITE_URL = SITE + "/"
    assert links.absolute_url("/stores/myntra/") == SITE + "/stores/myntra/"
    assert links.absolute_url("stores/") == SITE + "/stores/"
    assert links.absolute_url("https://cdn.example.net/logo.png") == "https://cdn.example.net/logo.png"


@pytest.mark.django_db
def test_every_absolute_link_uses_site_url(client, settings, django_capture_on_commit_callbacks):
    # given a server on port 9000
    settings.SITE_URL = SITE
    sms.outbox.clear()
    offer = OfferFactory(merchant=MerchantFactory(slug="myntra", logo_url="/static/img/stores/myntra.svg"))
    MerchantFactory(slug="ajio", logo="stores/ajio-0123456789ab.webp")  # an uploaded logo (catalog.logos)
    CmsPageFactory(slug="grievance-officer", is_published=True, published_at=timezone.now())
    now = timezone.now()
    shopper = UserFactory(email="priya@example.in", mobile="9876543210", email_verified_at=now, mobile_verified_at=now)
    found: dict[str, list[str]] = {}

    # e-mail verification link (sign-up), password reset by e-mail and by SMS, a notification's e-mail copy
    # (one block each: a newer reset code supersedes an older one that was not sent yet)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/accounts/signup/", {"identifier": "asha@example.in", "password": "Monsoon-Mangoes-42"})
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/accounts/password/reset/", {"identifier": "priya@example.in"})
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/accounts/password/reset/", {"identifier": "9876543210"})
    with django_capture_on_commit_callbacks(execute=True):
        account_services.notify(user_id=shopper.pk, title="KYC", body="Check it.", url="/accounts/kyc/", email=True)
    for n, message in enumerate(mail.outbox):
        found[f"mail {n} {message.subject}"] = _our_links(message.body)
    for n, message in enumerate(sms.outbox):
        found[f"sms {n}"] = _our_links(message.body)
    # the referral share link
    client.force_login(shopper)
    found["referrals"] = _our_links(client.get(reverse("referrals:home")).content.decode())
    client.logout()
    # canonical and og: links, robots.txt and the sitemap (index and a section)
    for path in [
        "/",
        "/stores/myntra/",
        "/stores/ajio/",
        reverse("offer", args=[offer.uuid]),
        "/pages/grievance-officer/",
        "/robots.txt",
        "/sitemap.xml",
    ]:
        found[path] = _our_links(client.get(path).content.decode())
    found["sitemap-stores"] = _our_links(client.get("/sitemap-stores.xml").content.decode())

    # then every link to us is on SITE_URL, and each kind of link is there
    everything = [u for urls in found.values() for u in urls]
    assert everything and all(u.startswith(SITE + "/") for u in everything), found
    for expected in [
        "/accounts/verify/email/",
        "/accounts/password/reset/",
        "/accounts/kyc/",
        f"/accounts/signup/?ref={shopper.referral_code}",
        "/stores/myntra/",
        "/static/img/stores/myntra.svg",
        "/media/stores/ajio-0123456789ab.webp",
        "/pages/grievance-officer/",
        f"/offers/{offer.uuid}/",
        "/sitemap.xml",
        "/sitemap-stores.xml",
    ]:
        assert any(expected in u for u in everything), (expected, found)
    assert sum("/accounts/password/reset/" in u for u in everything) == 2  # the e-mail and the SMS

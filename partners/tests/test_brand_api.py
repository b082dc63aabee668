"""The brand endpoints: who gets in (401/403/404 as documented) and what a brand can do to its own stores' offers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.authz import SYSTEM
from accounts.factories import UserFactory
from analytics.services import analytics_refresh
from couponali import rls
from couponali.audit import AuditAction
from couponali.models import AuditLog
from offers.factories import OfferClickFactory
from offers.models import Offer
from partners import services
from partners.models import ApiKey, Scope
from wallet.factories import CashbackEventFactory
from wallet.services import cashback_confirm

from .conftest import key_client, make_key

pytestmark = pytest.mark.django_db


def _endpoints(offer):
    """(method, url, body, scope) of every partner endpoint, on an offer of the brand's own store."""
    return [
        ("get", "/api/v1/partner/offers/", None, Scope.OFFERS_WRITE),
        (
            "post",
            "/api/v1/partner/offers/",
            {"store": "myntra", "title": "x", "offer_type": "deal"},
            Scope.OFFERS_WRITE,
        ),
        ("get", f"/api/v1/partner/offers/{offer.uuid}/", None, Scope.OFFERS_WRITE),
        ("patch", f"/api/v1/partner/offers/{offer.uuid}/", {"title": "New"}, Scope.OFFERS_WRITE),
        ("post", f"/api/v1/partner/offers/{offer.uuid}/expire/", None, Scope.OFFERS_WRITE),
        ("get", "/api/v1/partner/reports/daily/", None, Scope.REPORTS_READ),
        ("get", "/api/v1/partner/webhooks/", None, Scope.WEBHOOKS_MANAGE),
        (
            "post",
            "/api/v1/partner/webhooks/",
            {"url": "https://hooks.example.in/x", "events": ["offer.changed"]},
            Scope.WEBHOOKS_MANAGE,
        ),
    ]


def _call(client, method, url, body):
    return getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)


def test_every_endpoint_refuses_anonymous_requests_with_401(offer):
    for method, url, body, _scope in _endpoints(offer):
        response = _call(APIClient(), method, url, body)
        assert response.status_code == 401, (method, url)
        assert response["WWW-Authenticate"].startswith(("Bearer", "Api-Key"))


def test_every_endpoint_refuses_a_key_without_its_scope_with_403(brand, offer):
    for method, url, body, scope in _endpoints(offer):
        others = [s for s in Scope.values if s != scope]
        response = _call(key_client(make_key(brand, *others)), method, url, body)
        assert response.status_code == 403, (method, url)
    offer.refresh_from_db()
    assert offer.title == "Flat 20% off" and offer.expires_at > timezone.now()


def test_every_endpoint_refuses_expired_revoked_and_wrong_keys_with_401(brand, offer, expired_key):
    revoked = make_key(brand)
    services.api_key_revoke(actor=SYSTEM, key=ApiKey.objects.get(prefix=revoked.split(".")[0]))
    good = make_key(brand)
    wrong_secret = good.split(".")[0] + ".not-the-secret"
    for full in (expired_key, revoked, wrong_secret, "unknownprefix.secret", "no-dot-at-all"):
        for method, url, body, _scope in _endpoints(offer):
            assert _call(key_client(full), method, url, body).status_code == 401, (full, method, url)


def test_a_shoppers_token_is_not_a_partner_key_401(offer):
    shopper = UserFactory(email_verified_at=timezone.now())
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": shopper.email, "password": "correct horse battery"}, format="json"
    )
    assert token.status_code == 200, token.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}")
    for method, url, body, _scope in _endpoints(offer):
        response = _call(client, method, url, body)
        assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Api-Key"), (method, url)


def test_another_stores_offer_is_404_and_creating_for_it_is_403(api, other_offer, other_store):
    for method, url, body in [
        ("get", f"/api/v1/partner/offers/{other_offer.uuid}/", None),
        ("patch", f"/api/v1/partner/offers/{other_offer.uuid}/", {"title": "Hijacked"}),
        ("post", f"/api/v1/partner/offers/{other_offer.uuid}/expire/", None),
    ]:
        assert _call(api, method, url, body).status_code == 404
    response = api.post("/api/v1/partner/offers/", {"store": "ajio", "title": "x", "offer_type": "deal"}, format="json")
    assert response.status_code == 403
    # an unknown store gets the same answer (no existence leak)
    response = api.post("/api/v1/partner/offers/", {"store": "nope", "title": "x", "offer_type": "deal"}, format="json")
    assert response.status_code == 403
    other_offer.refresh_from_db()
    assert other_offer.title == "Ajio deal" and Offer.objects.filter(merchant=other_store).count() == 1
    listed = api.get("/api/v1/partner/offers/").json()
    assert str(other_offer.uuid) not in {o["id"] for o in listed["results"]}


def test_brand_creates_lists_updates_and_expires_its_offers(api, brand, offer):
    # when: a coupon code is created
    body = {
        "store": "myntra",
        "title": "EXTRA 10 on shoes",
        "offer_type": "code",
        "coupon_code": "SHOE10",
        "cashback_type": "percentage",
        "cashback_value": "7.50",
        "expires_at": (timezone.now() + timedelta(days=5)).isoformat(),
    }
    created = api.post("/api/v1/partner/offers/", body, format="json")
    # then
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["store"] == "myntra" and data["coupon_code"] == "SHOE10" and data["is_live"] is True
    row = Offer.objects.get(uuid=data["id"])
    assert AuditLog.objects.filter(
        action=AuditAction.OFFER_CREATED, entity_id=row.pk, actor_user_id=brand.service_user_id
    ).exists()
    listed = api.get("/api/v1/partner/offers/?store=myntra").json()
    assert {o["id"] for o in listed["results"]} == {data["id"], str(offer.uuid)}
    updated = api.patch(f"/api/v1/partner/offers/{row.uuid}/", {"coupon_code": "SHOE15"}, format="json")
    assert updated.status_code == 200 and updated.json()["coupon_code"] == "SHOE15"
    expired = api.post(f"/api/v1/partner/offers/{row.uuid}/expire/")
    assert expired.status_code == 200 and expired.json()["is_live"] is False
    row.refresh_from_db()
    assert row.coupon_code == "SHOE15" and row.expires_at <= timezone.now()


def test_the_offer_rules_are_the_offers_apps_and_a_bad_offer_changes_nothing(api, offer):
    # a code offer without its code; a percentage above 100; the end before the start
    bad = api.post("/api/v1/partner/offers/", {"store": "myntra", "title": "x", "offer_type": "code"}, format="json")
    assert bad.status_code == 400 and "coupon_code" in str(bad.json())
    bad = api.patch(
        f"/api/v1/partner/offers/{offer.uuid}/",
        {"cashback_type": "percentage", "cashback_value": "150"},
        format="json",
    )
    assert bad.status_code == 400 and "cashback_value" in str(bad.json())
    bad = api.patch(
        f"/api/v1/partner/offers/{offer.uuid}/",
        {"expires_at": (offer.starts_at - timedelta(days=1)).isoformat()},
        format="json",
    )
    assert bad.status_code == 400 and "expires_at" in str(bad.json())
    bad = api.patch(f"/api/v1/partner/offers/{offer.uuid}/", {"affiliate_url": "javascript:alert(1)"}, format="json")
    assert bad.status_code == 400
    offer.refresh_from_db()
    assert offer.cashback_value == 6 and offer.affiliate_url.startswith("https://")
    assert Offer.objects.count() == 1


def test_daily_report_of_own_stores(api, store, other_store, offer, other_offer):
    today = timezone.localdate()
    OfferClickFactory.create_batch(3, offer=offer, merchant=store)
    OfferClickFactory.create_batch(2, offer=other_offer, merchant=other_store)
    CashbackEventFactory(merchant=store, offer=offer, cashback_amount="100.00", status="pending")
    paid = CashbackEventFactory(merchant=store, offer=offer, cashback_amount="50.00")
    with rls.bypass(reason="test: confirm a cashback"):
        cashback_confirm(event_id=paid.pk, actor=SYSTEM, source="auto")
    CashbackEventFactory(merchant=other_store, offer=other_offer, cashback_amount="999.00")
    analytics_refresh()
    response = api.get(f"/api/v1/partner/reports/daily/?start={today - timedelta(days=1)}&end={today}")
    assert response.status_code == 200, response.content
    rows = {(r["store"], r["day"]): r for r in response.json()}
    assert set(rows) == {("myntra", str(today - timedelta(days=1))), ("myntra", str(today))}
    day = rows[("myntra", str(today))]
    assert (day["clicks"], day["conversions"], day["confirmed"]) == (3, 2, 1)
    assert (day["pending_amount"], day["paid_amount"]) == ("100.00", "50.00")
    assert api.get("/api/v1/partner/reports/daily/?store=ajio").status_code == 404
    bad = api.get(f"/api/v1/partner/reports/daily/?start={today}&end={today - timedelta(days=3)}")
    assert bad.status_code == 400
    bad = api.get(f"/api/v1/partner/reports/daily/?start={date(2020, 1, 1)}&end={today}")
    assert bad.status_code == 400
    assert api.get("/api/v1/partner/reports/daily/?start=yesterday").status_code == 400


def test_last_used_time_is_written_at_most_once_a_minute(brand, django_assert_max_num_queries):
    full = make_key(brand, Scope.REPORTS_READ)
    key = ApiKey.objects.get(prefix=full.split(".")[0])
    assert key.last_used_at is None
    first = timezone.now()
    assert services.api_key_authenticate(full, now=first) is not None
    with django_assert_max_num_queries(1):  # the lookup only: no UPDATE within the minute
        assert services.api_key_authenticate(full, now=first + timedelta(seconds=30)) is not None
    key.refresh_from_db()
    assert key.last_used_at == first
    services.api_key_authenticate(full, now=first + timedelta(seconds=61))
    key.refresh_from_db()
    assert key.last_used_at == first + timedelta(seconds=61)


def test_only_a_hash_of_the_secret_is_stored(brand):
    full = make_key(brand)
    prefix, secret = full.split(".")
    key = ApiKey.objects.get(prefix=prefix)
    assert secret not in str(ApiKey.objects.filter(pk=key.pk).values().first())
    assert len(key.secret_hash) == 64 and len(secret) >= 43

"""Outgoing webhooks: registration rules (HTTPS, no private networks), deliveries written with the change they
announce, signed, retried with backoff, logged, replayable by permitted staff."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
import responses
from django.test import override_settings
from django.utils import timezone

from accounts.authz import SYSTEM, PermissionRefused
from accounts.factories import UserFactory, grant_permissions
from couponali import rls
from offers.services import offer_update
from partners import services
from partners.factories import PartnerOrganisationFactory
from partners.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from partners.webhooks import WebhookUrlRefused, webhook_url_check
from wallet.factories import CashbackEventFactory
from wallet.services import cashback_reject

from .conftest import key_client, make_key

pytestmark = pytest.mark.django_db

HOOK = "https://hooks.brand.example/couponali"


def verify(*, secret: str, headers, body: bytes, tolerance: int = 300) -> dict:
    """The README's verification recipe, written from the README alone (not from partners.webhooks)."""
    timestamp = headers["X-CouponAli-Timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        raise ValueError("too old")
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    given = dict(part.split("=", 1) for part in headers["X-CouponAli-Signature"].split(","))["v1"]
    if not hmac.compare_digest(expected, given):
        raise ValueError("bad signature")
    return json.loads(body)


def _register(brand, events=("offer.changed",)):
    endpoint, secret = services.webhook_endpoint_create(actor=SYSTEM, organisation=brand, url=HOOK, events=events)
    return endpoint, secret


@override_settings(PARTNER_WEBHOOKS_ALLOW_LOCAL=False)
def test_only_https_urls_on_public_addresses_are_accepted_in_production():
    for url in [
        "http://hooks.brand.example/x",
        "http://localhost:8000/hook",
        "ftp://hooks.brand.example/",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://user:pw@8.8.8.8/hook",
        "https://no-such-host.invalid/hook",
        "not a url",
    ]:
        with pytest.raises(WebhookUrlRefused):
            webhook_url_check(url)
    assert webhook_url_check("https://8.8.8.8/hook") == "https://8.8.8.8/hook"


def test_localhost_http_is_allowed_only_where_the_setting_allows_it():
    assert webhook_url_check("http://localhost:8000/hook") == "http://localhost:8000/hook"
    with pytest.raises(WebhookUrlRefused):
        webhook_url_check("http://hooks.brand.example/x")  # plain http elsewhere: never


def test_registering_through_the_api_shows_the_secret_once_and_refuses_bad_input(brand):
    api = key_client(make_key(brand))
    created = api.post("/api/v1/partner/webhooks/", {"url": HOOK, "events": ["offer.changed"]}, format="json")
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    listed = api.get("/api/v1/partner/webhooks/").json()["results"]
    assert [e["url"] for e in listed] == [HOOK] and "secret" not in listed[0]
    assert secret not in WebhookEndpoint.objects.get().secret_encrypted
    for body in [
        {"url": "http://hooks.brand.example/x", "events": ["offer.changed"]},
        {"url": HOOK, "events": []},
        {"url": HOOK, "events": ["everything"]},
    ]:
        assert api.post("/api/v1/partner/webhooks/", body, format="json").status_code == 400, body
    assert WebhookEndpoint.objects.count() == 1
    endpoint_id = listed[0]["id"]
    other = key_client(make_key(PartnerOrganisationFactory()))
    assert other.delete(f"/api/v1/partner/webhooks/{endpoint_id}/").status_code == 404
    assert api.delete(f"/api/v1/partner/webhooks/{endpoint_id}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


@responses.activate
def test_a_receiver_that_fails_twice_then_succeeds_gets_exactly_one_accepted_delivery(
    brand, offer, django_capture_on_commit_callbacks
):
    # given: a brand listening to offer changes, and a receiver that fails twice, then accepts
    _endpoint, secret = _register(brand)
    responses.add(responses.POST, HOOK, status=500)
    responses.add(responses.POST, HOOK, status=503)
    responses.add(responses.POST, HOOK, status=204)
    # when: the offer changes (the first attempt is sent after commit)
    with django_capture_on_commit_callbacks(execute=True):
        offer_update(actor=brand.service_user, offer_id=offer.pk, data={"title": "Flat 25% off"})
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    first_retry = delivery.next_attempt_at
    # nothing is due before the backoff has passed
    assert services.webhook_due_ids(now=first_retry - timedelta(seconds=1)) == []
    services.webhook_deliver(delivery_id=delivery.pk, now=first_retry - timedelta(seconds=1))
    assert len(responses.calls) == 1
    # the retries, each when due
    for _ in range(2):
        due = delivery.next_attempt_at
        assert services.webhook_due_ids(now=due) == [delivery.pk]
        delivery = services.webhook_deliver(delivery_id=delivery.pk, now=due)
    # then: three attempts, one accepted; later sweeps send nothing more
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED and delivery.attempts == 3
    assert services.webhook_due_ids(now=timezone.now() + timedelta(days=2)) == []
    services.webhook_deliver(delivery_id=delivery.pk, now=timezone.now() + timedelta(days=2))
    assert [c.response.status_code for c in responses.calls] == [500, 503, 204]
    log = list(WebhookAttempt.objects.filter(delivery=delivery).values_list("number", "response_code", "ok"))
    assert log == [(1, 500, False), (2, 503, False), (3, 204, True)]
    assert all(a.duration_ms >= 0 for a in WebhookAttempt.objects.all())
    # backoff: the second retry waits twice as long as the first
    gap1 = first_retry - delivery.created_at
    assert timedelta(seconds=55) < gap1 < timedelta(minutes=2)
    # and every attempt carried the same body, verifiable with the documented recipe
    for call in responses.calls:
        body = verify(secret=secret, headers=call.request.headers, body=call.request.body)
        assert body["event"] == "offer.changed" and body["data"]["title"] == "Flat 25% off"
        assert body["data"]["uuid"] == str(offer.uuid) and body["data"]["change"] == "updated"
        assert call.request.headers["X-CouponAli-Delivery"] == str(delivery.uuid)
    with pytest.raises(ValueError, match="bad signature"):
        verify(secret="whsec_wrong", headers=responses.calls[2].request.headers, body=responses.calls[2].request.body)


def test_backoff_doubles_and_gives_up_after_24_hours(brand, offer):
    assert [services.retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert services.retry_delay(20) == timedelta(hours=4)
    _register(brand)
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, HOOK, status=500)
        offer_update(actor=brand.service_user, offer_id=offer.pk, data={"title": "Gone soon"})
        delivery = WebhookDelivery.objects.get()
        now = timezone.now()
        while delivery.status == WebhookDelivery.Status.PENDING:
            now = max(now, delivery.next_attempt_at)
            delivery = services.webhook_deliver(delivery_id=delivery.pk, now=now)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.give_up_at - delivery.created_at == timedelta(hours=24)
    assert now <= delivery.give_up_at and 10 <= delivery.attempts <= 16


def test_only_the_brands_of_the_store_receive_its_events(brand, offer, other_offer):
    _register(brand, events=("offer.changed", "cashback.status_changed", "conversion.recorded"))
    staff = grant_permissions(UserFactory(is_staff=True), "offers.change_offer")
    offer_update(actor=staff, offer_id=other_offer.pk, data={"title": "Not the brand's"})
    assert not WebhookDelivery.objects.exists()
    # a cashback of the brand's store changes status
    event = CashbackEventFactory(merchant=offer.merchant, offer=offer)
    with rls.bypass(reason="test"):
        cashback_reject(event_id=event.pk, reason="returned", actor=SYSTEM)
    delivery = WebhookDelivery.objects.get(event="cashback.status_changed")
    data = json.loads(delivery.payload)["data"]
    assert (data["id"], data["status"], data["store"]) == (event.pk, "rejected", "myntra")
    assert "user" not in json.dumps(data)  # no shopper data leaves


def test_a_rolled_back_change_announces_nothing(brand, offer):
    _register(brand)
    with pytest.raises(RuntimeError), rls.bypass(reason="test"):
        offer_update(actor=brand.service_user, offer_id=offer.pk, data={"title": "Rolled back"})
        raise RuntimeError("the caller's transaction fails")
    assert not WebhookDelivery.objects.exists()


def test_replay_needs_the_permission_and_sends_the_same_delivery_again(brand, offer, admin_client):
    _register(brand)
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, HOOK, status=200)
        offer_update(actor=brand.service_user, offer_id=offer.pk, data={"title": "Replayed"})
        delivery = WebhookDelivery.objects.get()
        services.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    with pytest.raises(PermissionRefused):
        services.webhook_delivery_replay(actor=UserFactory(is_staff=True), delivery=delivery)
    # the admin action (a superuser holds the permission)
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, HOOK, status=200)
        response = admin_client.post(
            "/admin/partners/webhookdelivery/", {"action": "replay", "_selected_action": [delivery.pk]}
        )
        assert response.status_code == 302
        delivery.refresh_from_db()
        assert delivery.status == "pending" and delivery.next_attempt_at is not None
        services.webhook_deliver(delivery_id=delivery.pk)
        assert len(mock.calls) == 1 and mock.calls[0].request.headers["X-CouponAli-Delivery"] == str(delivery.uuid)
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 2
    # staff without the permission see no replay action
    viewer = grant_permissions(UserFactory(is_staff=True), "partners.view_webhookdelivery")
    admin_client.force_login(viewer)
    page = admin_client.get("/admin/partners/webhookdelivery/")
    assert page.status_code == 200 and b'value="replay"' not in page.content

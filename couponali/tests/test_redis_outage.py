"""Redis goes away mid-run and comes back: the click-out, postbacks and pages keep answering and recording, and
nobody is signed out (issue 9, part D).

The test runs its own Valkey (devtools.testing.ThrowawayRedis) and points every Redis user at it: the cache
(and so the sessions' cache and the listing generation), the rate limits, the impression buffers and the Celery
broker. It stops that server, runs the traffic, starts it again on the same port (empty, as after a restart
without persistence) and runs more traffic.
"""

from __future__ import annotations

import logging
import time
import uuid

import pytest
from django.conf import settings
from django.test import Client, override_settings

from accounts.factories import UserFactory
from catalog.cache import forget_local_generation
from catalog.factories import MerchantFactory
from couponali import rls
from devtools.testing import ThrowawayRedis, celery_broker
from offers import clickout
from offers.factories import OfferFactory
from offers.models import OfferClick
from referrals.factories import ReferralFactory
from referrals.models import Referral
from referrals.tasks import sweep
from wallet.api import postback_signature
from wallet.models import CashbackEvent, WalletTransaction


@pytest.fixture
def redis_server(tmp_path):
    server = ThrowawayRedis(tmp_path)
    server.start()
    caches = {"default": {**settings.CACHES["default"], "LOCATION": server.url}}
    logging_filters = logging.getLogger("couponali.redis").filters
    for throttle in logging_filters:
        throttle.reset()  # an earlier test's warnings must not hold back this test's first one
    clickout.clear_cache()
    forget_local_generation()
    try:
        # The broker first: Celery reads its settings once, and must keep the suite's broker URL to go back to.
        with (
            celery_broker(server.url),
            override_settings(
                REDIS_URL=server.url, RATELIMIT_STORAGE_URL=server.url, CACHES=caches, CLICKOUT_RATE_LIMIT="1000/minute"
            ),
        ):
            yield server
    finally:
        server.stop()
        clickout.clear_cache()
        forget_local_generation()
        for throttle in logging_filters:
            throttle.reset()


def click_out(client: Client, offer, n: int, ip: str = "198.51.100.7") -> list[int]:
    return [client.get(f"/go/{offer.uuid}/", REMOTE_ADDR=ip).status_code for _ in range(n)]


def signed_postback(click_id: uuid.UUID, transaction_id: str) -> dict:
    params = {
        "sub_id": str(click_id),
        "transaction_id": transaction_id,
        "sale_amount": "1000",
        "commission": "60",  # covers the offer's 6%: paid without staff review
        "status": "validated",
    }
    signature = postback_signature(settings.POSTBACK_SECRETS["cuelinks"], params)
    response = Client().post("/api/v1/postbacks/cuelinks/", params, HTTP_X_POSTBACK_SIGNATURE=f"sha256={signature}")
    assert response.status_code == 200, response.content
    return response.json()


def signed_in_as(client: Client, path: str = "/"):
    response = client.get(path)
    assert response.status_code == 200
    return response.wsgi_request.user


# transaction=True: requests commit for real, so work queued after commit (tasks, cache deletes) really runs.
@pytest.mark.django_db(transaction=True)
def test_click_outs_postbacks_and_sessions_survive_a_redis_outage(redis_server, caplog):
    # given: a referred shopper signed in, a store with an offer, all with Redis up
    merchant = MerchantFactory(
        affiliate_network="cuelinks", tracking_url_template="https://t.example.net/?s={click_id}&u={user_id}"
    )
    offer = OfferFactory(merchant=merchant)
    referrer = UserFactory()
    shopper = UserFactory(referred_by_user=referrer)
    ReferralFactory(referrer_user=referrer, referred_user=shopper)
    browser, anonymous = Client(), Client()
    browser.force_login(shopper)
    assert signed_in_as(browser) == shopper
    assert click_out(anonymous, offer, 5) == [302] * 5

    # when: Redis stops
    redis_server.stop()
    caplog.set_level(logging.WARNING, logger="couponali.redis")
    started = time.monotonic()

    # then: anonymous click-outs (the lean path) and a signed-in one answer 302 and are recorded
    assert click_out(anonymous, offer, 30) == [302] * 30
    response = browser.get(f"/go/{offer.uuid}/", REMOTE_ADDR="198.51.100.8")
    assert response.status_code == 302
    mine = OfferClick.objects.get(user=shopper)
    assert response["Location"] == f"https://t.example.net/?s={mine.click_id}&u={shopper.pk}"
    assert OfferClick.objects.filter(user__isnull=True).count() == 35
    # a signed postback for that click answers and the cashback is recorded and credited
    answer = signed_postback(mine.click_id, "CL-OUTAGE-1")
    assert answer["outcome"] == "confirmed"
    event = CashbackEvent.objects.get(affiliate_transaction_id="CL-OUTAGE-1")
    assert (event.user_id, event.status) == (shopper.pk, CashbackEvent.Status.PAID)
    with rls.bypass(reason="test check"):
        assert WalletTransaction.objects.filter(user=shopper, reference_id=event.pk).count() == 1
    # pages answer from the database, and the session is still valid
    assert Client().get("/").status_code == 200
    assert signed_in_as(browser) == shopper
    assert signed_in_as(browser, "/wallet/") == shopper
    outage_seconds = time.monotonic() - started

    # the outage is logged, throttled: one line per kind, not one per request
    messages = [r.getMessage() for r in caplog.records if r.name == "couponali.redis"]
    assert sum("rate limits are not enforced" in m for m in messages) == 1
    assert sum("task not queued" in m and "referrals.cashback_settled" in m for m in messages) == 1
    # the referral bonus task could not be queued: nothing was paid yet, the sweep will find it
    assert Referral.objects.get(referred_user=shopper).status == Referral.Status.PENDING

    # when: Redis comes back, empty, on the same port
    redis_server.start()

    # then: the session is still valid (the database holds it), and click-outs work with no failed request
    assert signed_in_as(browser) == shopper
    assert click_out(anonymous, offer, 100) == [302] * 100
    assert OfferClick.objects.filter(user__isnull=True).count() == 135
    assert browser.get(f"/go/{offer.uuid}/", REMOTE_ADDR="198.51.100.8").status_code == 302
    # rate limits are enforced again
    with override_settings(CLICKOUT_RATE_LIMIT="3/minute"):
        assert click_out(Client(), offer, 4, ip="198.51.100.99") == [302, 302, 302, 429]
    # a postback after recovery queues its task on the broker again
    second = OfferClick.objects.filter(user=shopper).latest("id")
    caplog.clear()
    assert signed_postback(second.click_id, "CL-OUTAGE-2")["outcome"] == "confirmed"
    assert not [r for r in caplog.records if r.name == "couponali.redis"]
    # the hourly referral sweep does what the lost task would have done: the referral is active and the
    # referrer has the joining bonus plus the share of each of the two cashbacks
    sweep()
    assert Referral.objects.get(referred_user=shopper).status == Referral.Status.ACTIVE
    with rls.bypass(reason="test check"):
        bonuses = WalletTransaction.objects.filter(user=referrer, type="referral_bonus")
        sources = sorted(bonuses.values_list("reference_type", flat=True))
    assert sources == ["cashback_event", "cashback_event", "referral"]
    # the outage cost little per request (refused connects, not redis-py's default ten retries with backoff)
    assert outage_seconds < 5

"""Background jobs: impressions written in batches, counters aggregated, expiry, partitions; a real worker."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from devtools.testing import celery_worker
from offers import buffers, services, tasks
from offers.factories import OfferClickFactory, OfferFactory
from offers.models import ImpressionBatch, Offer, OfferView


@pytest.mark.django_db
def test_pages_buffer_impressions_and_the_job_writes_them_once(client):
    offers = [OfferFactory(is_featured=True) for _ in range(3)]
    client.get("/", HTTP_USER_AGENT="UA-home", REMOTE_ADDR="203.0.113.9")
    client.get(f"/offers/{offers[0].uuid}/")
    # nothing written by the pages themselves
    assert OfferView.objects.count() == 0
    assert buffers.impressions_buffered() == 3 + 1  # three cards on home, one offer page

    written = services.impressions_flush()

    assert written == 4 and OfferView.objects.count() == 4
    home_views = OfferView.objects.filter(user_agent="UA-home")
    assert {v.offer_id for v in home_views} == {o.pk for o in offers}
    assert {str(v.ip_address) for v in home_views} == {"203.0.113.9"}
    assert buffers.impressions_buffered() == 0
    assert services.impressions_flush() == 0 and OfferView.objects.count() == 4


@pytest.mark.django_db
def test_a_batch_interrupted_after_its_rows_were_written_is_not_written_again():
    offer = OfferFactory()
    services.impressions_record([offer.pk, offer.pk], user_id=None, ip_address=None, user_agent="x")
    buffers.impressions_take_batch()
    [batch_key] = buffers.impressions_pending_batches()
    # a run that wrote the batch and died before dropping it from Redis
    ImpressionBatch.objects.create(batch_id=batch_key.rsplit(":", 1)[-1], rows=2)
    assert services.impressions_flush() == 0
    assert OfferView.objects.count() == 0 and buffers.impressions_pending_batches() == []


@pytest.mark.django_db
def test_impressions_of_deleted_offers_are_skipped():
    offer = OfferFactory()
    services.impressions_record([offer.pk, 987654321], user_id=123456789, ip_address="bad-ip?", user_agent="x")
    assert services.impressions_flush() == 1
    view = OfferView.objects.get()
    assert view.user_id is None


@pytest.mark.django_db
def test_counters_are_aggregated_once_and_feed_used_today(client, django_capture_on_commit_callbacks):
    # Noon of today, India time: clicks "five minutes ago" then fall on the day that "used today" reads, even
    # when the suite runs just after midnight IST (a run at 00:03 IST once put them on yesterday).
    now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    offer = OfferFactory(is_featured=True)
    other = OfferFactory()
    for _ in range(3):
        OfferClickFactory(offer=offer, created_at=now - timedelta(minutes=5))
    OfferClickFactory(offer=other, created_at=now - timedelta(minutes=5))
    fresh = OfferClickFactory(offer=offer, created_at=now)  # still "in flight": left for the next run
    OfferView.objects.create(offer=offer, created_at=now - timedelta(minutes=3))

    with django_capture_on_commit_callbacks(execute=True):
        run = services.offer_counters_aggregate(now=now)

    assert (run.clicks, run.views, run.offers_touched) == (4, 1, 2)
    offer.refresh_from_db()
    assert (offer.clicks_count, offer.views_count) == (3, 1)
    # running again counts nothing twice
    assert services.offer_counters_aggregate(now=now).clicks == 0
    offer.refresh_from_db()
    assert offer.clicks_count == 3
    # the next run picks up the click that was in flight
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_counters_aggregate(now=now + timedelta(minutes=2))
    offer.refresh_from_db()
    assert offer.clicks_count == 4 and fresh
    # and the cards say how many used it today
    assert buffers.used_today([offer.pk, other.pk]) == {offer.pk: 4, other.pk: 1}
    assert "4 used today" in client.get("/").content.decode()


@pytest.mark.django_db
def test_click_out_does_not_touch_the_offer_row(client):
    offer = OfferFactory()
    before = Offer.objects.values_list("updated_at", "clicks_count").get(pk=offer.pk)
    client.get(f"/go/{offer.uuid}/")
    assert Offer.objects.values_list("updated_at", "clicks_count").get(pk=offer.pk) == before


@pytest.mark.django_db
def test_expiry_job_takes_expired_offers_out_of_the_cached_home(client, django_capture_on_commit_callbacks):
    offer = OfferFactory(title="Ends very soon", is_featured=True, expires_at=timezone.now() + timedelta(hours=2))
    assert "Ends very soon" in client.get("/").content.decode()  # now cached
    # the offer is expired behind the cache's back (no admin save, no invalidation)
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "Ends very soon" in client.get("/").content.decode()  # the cached copy
    with django_capture_on_commit_callbacks(execute=True):
        assert services.offers_expire() == 1
    assert "Ends very soon" not in client.get("/").content.decode()
    assert services.offers_expire() == 0  # nothing new since the last run


@pytest.mark.django_db
def test_tasks_are_scheduled():
    tasks_scheduled = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "offers.tasks.flush_impressions",
        "offers.tasks.aggregate_counters",
        "offers.tasks.expire_offers",
        "offers.tasks.ensure_click_partitions",
    } <= tasks_scheduled
    assert tasks.ensure_click_partitions() == []  # the migration made the coming months already


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_impressions_flush_through_a_real_worker(client):

    offer = OfferFactory()
    client.get(f"/offers/{offer.uuid}/")
    with celery_worker():
        tasks.flush_impressions.delay()
        deadline = time.monotonic() + 30
        while not OfferView.objects.filter(offer=offer).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    assert OfferView.objects.filter(offer=offer).count() == 1
    assert ImpressionBatch.objects.count() == 1

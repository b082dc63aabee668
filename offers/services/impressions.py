"""Impressions: buffered in Redis by the pages, written to offer_views by the flush job."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from couponali.ratelimit import valid_ip
from offers import buffers
from offers.models import ImpressionBatch, Offer


def impressions_record(offer_ids: Iterable[int], *, user_id: int | None, ip_address: str | None, user_agent: str):
    """Buffer impressions of these offers (one Redis round trip); impressions_flush writes them."""
    buffers.impressions_push(list(offer_ids), user_id=user_id, ip_address=ip_address, user_agent=user_agent)


def impressions_flush() -> int:
    """Write buffered impressions to offer_views, one batch per transaction; returns the rows written.

    Exactly once: the batch id is inserted into offer_impression_batches in the same transaction as its rows; a
    batch whose id is already there (written by a run that died before dropping it from Redis) is only dropped.
    """
    buffers.impressions_take_batch()
    written = 0
    for batch_key in buffers.impressions_pending_batches():
        batch_id = batch_key.rsplit(":", 1)[-1]
        items = buffers.impressions_read_batch(batch_key)
        with transaction.atomic():
            _, created = ImpressionBatch.objects.get_or_create(batch_id=batch_id, defaults={"rows": len(items)})
            if created and items:
                written += _insert_views(items)
        buffers.impressions_drop_batch(batch_key)
    return written


def _insert_views(items) -> int:
    offer_ids = {i[0] for i in items}
    user_ids = {i[1] for i in items if i[1]}
    # Rows of offers or users deleted since the impression are skipped, not fatal.
    known_offers = set(Offer.all_objects.filter(pk__in=offer_ids).values_list("pk", flat=True))
    known_users = set(get_user_model().all_objects.filter(pk__in=user_ids).values_list("pk", flat=True))
    rows = [
        (
            offer_id,
            user_id if user_id in known_users else None,
            valid_ip(ip),
            ua or None,
            datetime.fromtimestamp(ts, tz=UTC),
        )
        for offer_id, user_id, ip, ua, ts in items
        if offer_id in known_offers
    ]
    if not rows:
        return 0
    copy_sql = "COPY offer_views (offer_id, user_id, ip_address, user_agent, created_at) FROM STDIN"
    with connection.cursor() as cur, cur.copy(copy_sql) as copy:
        for row in rows:
            copy.write_row(row)
    return len(rows)

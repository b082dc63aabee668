"""Counters and expiry: clicks/views aggregated onto offers, expired offers taken out of cached listings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from catalog.cache import listing_changed
from offers import buffers
from offers.models import CounterWatermark, Offer

COUNTER_LAG = timedelta(minutes=1)  # rows younger than this may still be in flight; the next run takes them
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _watermark(name: str) -> CounterWatermark:
    CounterWatermark.objects.bulk_create([CounterWatermark(name=name, position=EPOCH)], ignore_conflicts=True)
    return CounterWatermark.objects.select_for_update().get(name=name)


_CLICK_COUNTS = """
WITH per_day AS (
    SELECT offer_id, (created_at AT TIME ZONE %s)::date AS day, count(*) AS n
    FROM offer_clicks WHERE created_at >= %s AND created_at < %s
    GROUP BY 1, 2
), bumped AS (
    UPDATE offers o SET clicks_count = o.clicks_count + t.n
    FROM (SELECT offer_id, sum(n)::int AS n FROM per_day GROUP BY offer_id) t
    WHERE o.id = t.offer_id
)
SELECT offer_id, day, n FROM per_day
"""

_VIEW_COUNTS = """
UPDATE offers o SET views_count = o.views_count + t.n
FROM (SELECT offer_id, count(*)::int AS n FROM offer_views WHERE created_at >= %s AND created_at < %s
      GROUP BY offer_id) t
WHERE o.id = t.offer_id
"""


@dataclass
class CounterRun:
    clicks: int = 0
    views: int = 0
    offers_touched: int = 0


def offer_counters_aggregate(*, now: datetime | None = None) -> CounterRun:
    """Add the clicks and views created since the last run to offers.clicks_count / views_count, and today's
    clicks to the "used today" counts. Incremental on created_at with a watermark row locked and moved in the
    same transaction, so running twice (or twice at once) never counts a row twice. Rows younger than
    COUNTER_LAG are left for the next run, so a click still committing is not skipped."""
    now = now or timezone.now()
    upto = now - COUNTER_LAG
    run = CounterRun()
    per_day: dict[tuple[int, date], int] = {}
    with transaction.atomic():
        mark = _watermark("clicks")
        if upto > mark.position:
            with connection.cursor() as cur:
                cur.execute(_CLICK_COUNTS, [timezone.get_default_timezone_name(), mark.position, upto])
                for offer_id, day, n in cur.fetchall():
                    per_day[(offer_id, day)] = per_day.get((offer_id, day), 0) + n
            run.clicks = sum(per_day.values())
            run.offers_touched = len({k[0] for k in per_day})
            mark.position = upto
            mark.save(update_fields=["position", "updated_at"])
        today = timezone.localdate()
        recent = {k: v for k, v in per_day.items() if k[1] >= today - timedelta(days=1)}
        transaction.on_commit(lambda: buffers.used_today_add(recent))
    with transaction.atomic():
        mark = _watermark("views")
        if upto > mark.position:
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM offer_views WHERE created_at >= %s AND created_at < %s",
                    [mark.position, upto],
                )
                run.views = cur.fetchone()[0]
                if run.views:
                    cur.execute(_VIEW_COUNTS, [mark.position, upto])
            mark.position = upto
            mark.save(update_fields=["position", "updated_at"])
    return run


def offers_expire(*, now: datetime | None = None) -> int:
    """Take offers whose expiry passed since the last run out of every cached listing (bump the listing
    generation). Listing queries already filter on expires_at, so an expired offer is never listed from the
    database and never redirects; this removes it from the cached home sections and store lists too.
    Returns how many offers expired since the last run."""
    now = now or timezone.now()
    with transaction.atomic():
        mark = _watermark("expiry")
        expired = Offer.objects.filter(expires_at__gte=mark.position, expires_at__lt=now).count()
        mark.position = now
        mark.save(update_fields=["position", "updated_at"])
        if expired:
            listing_changed()
    return expired

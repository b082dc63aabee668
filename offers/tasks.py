"""Periodic jobs of the offers app (scheduled in CELERY_BEAT_SCHEDULE). Each is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from couponali.audit import audit_partitions_ensure

from . import pagecache, services

log = logging.getLogger(__name__)


@shared_task(name="offers.tasks.flush_impressions", ignore_result=True)
def flush_impressions() -> int:
    """Write buffered impressions to offer_views (exactly once per batch)."""
    written = services.impressions_flush()
    if written:
        log.info("impressions: %s rows written to offer_views", written)
    return written


@shared_task(name="offers.tasks.aggregate_counters", ignore_result=True)
def aggregate_counters() -> dict:
    """Fold new clicks and views into offers.clicks_count / views_count and the "used today" counts."""
    run = services.offer_counters_aggregate()
    return {"clicks": run.clicks, "views": run.views, "offers": run.offers_touched}


@shared_task(name="offers.tasks.expire_offers", ignore_result=True)
def expire_offers() -> int:
    """Drop offers that just expired from every cached listing."""
    return services.offers_expire()


@shared_task(name="offers.tasks.ensure_click_partitions", ignore_result=True)
def ensure_click_partitions() -> list:
    """Keep this month's and the next months' partitions of offer_clicks and audit_logs ready (the one partition
    job; its name predates the audit log's partitions)."""
    months = settings.CLICK_PARTITION_MONTHS_AHEAD
    made = services.click_partitions_ensure(months=months) + audit_partitions_ensure(months=months)
    created = [name for name, new in made if new]
    if created:
        log.info("partitions created: %s", ", ".join(created))
    return created


@shared_task(name="offers.tasks.refresh_search_words", ignore_result=True)
def refresh_search_words() -> int:
    """Rebuild the word list that search corrects typos against."""
    return services.search_words_refresh()


@shared_task(name=pagecache.RENDER_TASK, ignore_result=True)
def render_page_copy(environ: dict[str, str], key: str = "") -> bool:
    """Render the next copy of a public page whose copy has grown stale (queued by the request that claimed it:
    offers.pagecache.refresh_if_stale), here rather than in the web worker that served the stale copy."""
    return pagecache.render_copy(environ, key)

"""Celery jobs of the analytics app (thin: they call a service)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="analytics.refresh_views", ignore_result=True)
def refresh_views() -> None:
    """Beat, every 15 minutes: recompute the dashboard's views. Safe to run twice (a second refresh of a view
    queues behind the first and recomputes the same rows)."""
    services.analytics_refresh()

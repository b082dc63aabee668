"""Writes of the analytics app: recomputing the materialized views.

The web app, Celery beat and `manage.py refresh_analytics` all connect as the app role, which cannot REFRESH a
view it does not own; they call analytics_refresh(view), a SECURITY DEFINER function owned by the owner role
that refreshes only the three analytics views (why: analytics migration 0001).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.db import connection, transaction

from .models import ANALYTICS_VIEWS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshResult:
    view: str
    concurrently: bool  # False: the view's first refresh, which populates it and cannot be concurrent
    seconds: float


def analytics_refresh(*, views: tuple[str, ...] | list[str] = ANALYTICS_VIEWS) -> list[RefreshResult]:
    """Refresh each view in its own transaction, CONCURRENTLY once it has been populated: pages reading it
    meanwhile are not blocked and see the old rows until the refresh commits. Safe to run twice at once (the
    second refresh of a view waits for the first)."""
    unknown = [v for v in views if v not in ANALYTICS_VIEWS]
    if unknown:
        raise ValueError(f"not an analytics view: {', '.join(unknown)} (known: {', '.join(ANALYTICS_VIEWS)})")
    results = []
    for view in views:
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT analytics_refresh(%s)", [view])
            concurrently = bool(cur.fetchone()[0])
        result = RefreshResult(view=view, concurrently=concurrently, seconds=time.monotonic() - started)
        log.info("refreshed %s (%s) in %.2f s", view, "concurrently" if concurrently else "first", result.seconds)
        results.append(result)
    return results

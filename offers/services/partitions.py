"""offer_clicks partitions: one per month, created ahead by a beat job."""

from __future__ import annotations

from datetime import UTC, date

from django.db import connection, transaction
from django.utils import timezone


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def click_partitions_ensure(*, months: int = 3, start: date | None = None) -> list[tuple[str, bool]]:
    """Make sure offer_clicks has a partition for the month of ``start`` (default: this month, UTC) and the next
    ``months`` months; returns (partition name, created now?) per month. Runs as the app role through the
    SECURITY DEFINER function offer_clicks_create_partition (offers migration 0003)."""
    if months < 0:
        raise ValueError("months must not be negative")
    first = (start or timezone.now().astimezone(UTC).date()).replace(day=1)
    out = []
    for i in range(months + 1):
        month = _add_months(first, i)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT offer_clicks_create_partition(%s)", [month])
            created = bool(cur.fetchone()[0])
        out.append((f"offer_clicks_y{month:%Y}m{month:%m}", created))
    return out

"""Monthly range partitions, created ahead by a beat job (offer_clicks, audit_logs).

Each partitioned table has a SECURITY DEFINER function ``<table>_create_partition(month date) RETURNS boolean``
(created by its migration) that creates and attaches the month's partition, moving that month's rows out of the
DEFAULT partition; the app role may EXECUTE it but owns no table. This module only calls it, month by month.
"""

from __future__ import annotations

from datetime import UTC, date

from django.db import connection, transaction
from django.utils import timezone

# The tables with monthly partitions and the function that creates one (a fixed list: the names are SQL).
PARTITION_FUNCTIONS: dict[str, str] = {
    "offer_clicks": "offer_clicks_create_partition",
    "audit_logs": "audit_logs_create_partition",
}


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def monthly_partitions_ensure(*, table: str, months: int, start: date | None = None) -> list[tuple[str, bool]]:
    """Make sure ``table`` has a partition for the month of ``start`` (default: this month, UTC) and the next
    ``months`` months; returns (partition name, created now?) per month."""
    function = PARTITION_FUNCTIONS[table]
    if months < 0:
        raise ValueError("months must not be negative")
    first = (start or timezone.now().astimezone(UTC).date()).replace(day=1)
    out = []
    for i in range(months + 1):
        month = add_months(first, i)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"SELECT {function}(%s)", [month])  # the name comes from the fixed list above
            created = bool(cur.fetchone()[0])
        out.append((f"{table}_y{month:%Y}m{month:%m}", created))
    return out

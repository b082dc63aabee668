"""offer_clicks partitions: one per month, created ahead by a beat job (couponali.partitions)."""

from __future__ import annotations

from datetime import date

from couponali.partitions import monthly_partitions_ensure


def click_partitions_ensure(*, months: int = 3, start: date | None = None) -> list[tuple[str, bool]]:
    """Make sure offer_clicks has a partition for the month of ``start`` (default: this month, UTC) and the next
    ``months`` months; returns (partition name, created now?) per month. Runs as the app role through the
    SECURITY DEFINER function offer_clicks_create_partition (offers migration 0003)."""
    return monthly_partitions_ensure(table="offer_clicks", months=months, start=start)

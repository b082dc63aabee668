"""The analytics app reads three materialized views (migration 0001) built from the other apps' tables; it owns
no table of its own.

Only the daily summary has a model: its day is a natural primary key, and the model carries the dashboard's
permissions. The other two views, keyed by (store, day) and (store, month), are read with SQL in selectors.py.
"""

from __future__ import annotations

from django.db import models


class DailyCashbackSummary(models.Model):
    """One row per day (India time) of cashback events reported that day, by their current status."""

    day = models.DateField(primary_key=True)
    conversions = models.BigIntegerField()
    pending_amount = models.DecimalField(max_digits=14, decimal_places=2)
    confirmed_amount = models.DecimalField(max_digits=14, decimal_places=2)
    paid_amount = models.DecimalField(max_digits=14, decimal_places=2)
    reversed_amount = models.DecimalField(max_digits=14, decimal_places=2)
    rejected_amount = models.DecimalField(max_digits=14, decimal_places=2)
    commission_amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        managed = False
        db_table = "mv_daily_cashback_summary"
        verbose_name = "daily cashback summary"
        verbose_name_plural = "daily cashback summaries"
        # No add/change/delete/view: the view is read only through the dashboard, which these two decide.
        default_permissions = ()
        permissions = [
            ("view_dashboard", "Can view the analytics dashboard"),
            ("export_data", "Can export analytics data (CSV)"),
        ]

    def __str__(self) -> str:
        return f"cashback on {self.day}"


# The materialized views of migration 0001, in the order they are refreshed.
ANALYTICS_VIEWS = ("mv_daily_cashback_summary", "mv_top_merchants", "mv_conversion_funnel")

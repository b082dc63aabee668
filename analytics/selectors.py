"""Reads for the dashboard: the three materialized views (migration 0001) and two live work-queue counts.

The views hold what the last refresh computed (services.analytics_refresh, every 15 minutes by Celery beat); a
view never refreshed yet reads as empty and is reported as such instead of failing. Figures per day come from
mv_conversion_funnel (views, clicks, conversions, confirmed; summed over stores) and mv_daily_cashback_summary
(cashback amounts by status); top stores from mv_top_merchants over the months the range touches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Sum

from accounts.models import User
from catalog.selectors import merchants_listed
from wallet.models import CashbackEvent
from wallet.selectors import withdrawals_to_approve

from .models import ANALYTICS_VIEWS, DailyCashbackSummary

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class DayFigures:
    day: date
    views: int = 0
    clicks: int = 0
    conversions: int = 0
    confirmed: int = 0
    pending_amount: Decimal = ZERO
    confirmed_amount: Decimal = ZERO
    paid_amount: Decimal = ZERO
    reversed_amount: Decimal = ZERO
    rejected_amount: Decimal = ZERO
    commission_amount: Decimal = ZERO


@dataclass(frozen=True)
class MerchantFigures:
    merchant_id: int
    name: str
    slug: str
    clicks: int
    conversions: int
    commission: Decimal
    cashback: Decimal

    @property
    def conversion_rate(self) -> Decimal | None:
        """Conversions per 100 clicks over the whole period (None without clicks)."""
        if not self.clicks:
            return None
        return (Decimal(100) * self.conversions / self.clicks).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Funnel:
    views: int = 0
    clicks: int = 0
    conversions: int = 0
    confirmed: int = 0

    def steps(self) -> list[tuple[str, int]]:
        return [
            ("Offer views", self.views),
            ("Clicks", self.clicks),
            ("Conversions", self.conversions),
            ("Confirmed", self.confirmed),
        ]


@dataclass(frozen=True)
class WorkQueues:
    withdrawals_pending: int
    kyc_pending: int


@dataclass(frozen=True)
class Dashboard:
    start: date
    end: date
    days: list[DayFigures]
    merchants: list[MerchantFigures]
    funnel: Funnel
    queues: WorkQueues
    unpopulated: list[str] = field(default_factory=list)

    def chart_data(self) -> dict:
        """What dashboard.js draws (passed through json_script; amounts as strings, never floats)."""
        return {
            "days": [d.day.isoformat() for d in self.days],
            "clicks": [d.clicks for d in self.days],
            "conversions": [d.conversions for d in self.days],
            "pending": [str(d.pending_amount) for d in self.days],
            "paid": [str(d.paid_amount) for d in self.days],
            "merchants": {
                "names": [m.name for m in self.merchants],
                "commission": [str(m.commission) for m in self.merchants],
                "cashback": [str(m.cashback) for m in self.merchants],
            },
            "funnel": {"steps": [s for s, _ in self.funnel.steps()], "values": [n for _, n in self.funnel.steps()]},
        }


def views_unpopulated() -> list[str]:
    """The analytics views that were never refreshed (reading one would fail)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT matviewname FROM pg_matviews WHERE schemaname = 'public' AND matviewname = ANY(%s) "
            "AND NOT ispopulated ORDER BY matviewname",
            [list(ANALYTICS_VIEWS)],
        )
        return [r[0] for r in cur.fetchall()]


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def daily_figures(*, start: date, end: date, unpopulated: list[str] | None = None) -> list[DayFigures]:
    """One row per day from ``start`` to ``end`` (both included), zeros where nothing happened."""
    unpopulated = views_unpopulated() if unpopulated is None else unpopulated
    funnel: dict[date, tuple[int, int, int, int]] = {}
    if "mv_conversion_funnel" not in unpopulated:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT day, sum(views), sum(clicks), sum(conversions), sum(confirmed) FROM mv_conversion_funnel "
                "WHERE day BETWEEN %s AND %s GROUP BY day",
                [start, end],
            )
            funnel = {day: (int(views), int(clicks), int(conv), int(conf)) for day, views, clicks, conv, conf in cur}
    money: dict[date, DailyCashbackSummary] = {}
    if "mv_daily_cashback_summary" not in unpopulated:
        money = {s.day: s for s in DailyCashbackSummary.objects.filter(day__range=(start, end))}
    out = []
    for day in _days(start, end):
        views, clicks, conversions, confirmed = funnel.get(day, (0, 0, 0, 0))
        s = money.get(day)
        out.append(
            DayFigures(
                day=day,
                views=views,
                clicks=clicks,
                conversions=conversions,
                confirmed=confirmed,
                pending_amount=s.pending_amount if s else ZERO,
                confirmed_amount=s.confirmed_amount if s else ZERO,
                paid_amount=s.paid_amount if s else ZERO,
                reversed_amount=s.reversed_amount if s else ZERO,
                rejected_amount=s.rejected_amount if s else ZERO,
                commission_amount=s.commission_amount if s else ZERO,
            )
        )
    return out


def top_merchants(
    *, start: date, end: date, limit: int | None = 10, unpopulated: list[str] | None = None
) -> list[MerchantFigures]:
    """Stores by commission earned (then conversions, clicks) over the calendar months the range touches
    (mv_top_merchants is per month); ``limit=None`` for all of them."""
    unpopulated = views_unpopulated() if unpopulated is None else unpopulated
    if "mv_top_merchants" in unpopulated:
        return []
    with connection.cursor() as cur:
        cur.execute(
            "SELECT t.merchant_id, m.name, m.slug, sum(t.clicks), sum(t.conversions), sum(t.commission), "
            "sum(t.cashback) FROM mv_top_merchants t JOIN merchants m ON m.id = t.merchant_id "
            "WHERE t.month BETWEEN date_trunc('month', %s::date)::date AND %s::date "
            "GROUP BY t.merchant_id, m.name, m.slug "
            "ORDER BY sum(t.commission) DESC, sum(t.conversions) DESC, sum(t.clicks) DESC, m.name "
            "LIMIT %s",
            [start, end, limit],
        )
        return [
            MerchantFigures(
                merchant_id=r[0],
                name=r[1],
                slug=r[2],
                clicks=int(r[3]),
                conversions=int(r[4]),
                commission=r[5],
                cashback=r[6],
            )
            for r in cur.fetchall()
        ]


def funnel_totals(days: list[DayFigures]) -> Funnel:
    return Funnel(
        views=sum(d.views for d in days),
        clicks=sum(d.clicks for d in days),
        conversions=sum(d.conversions for d in days),
        confirmed=sum(d.confirmed for d in days),
    )


def work_queues() -> WorkQueues:
    """Live counts (not from the views): withdrawals waiting for a finance approver, KYC waiting for review.
    user_kyc is under row-level security, so its count comes from a function that returns only the number
    (analytics migration 0001)."""
    with connection.cursor() as cur:
        cur.execute("SELECT analytics_kyc_pending_count()")
        kyc = int(cur.fetchone()[0])
    withdrawals = withdrawals_to_approve().count()
    return WorkQueues(withdrawals_pending=withdrawals, kyc_pending=kyc)


def dashboard(*, start: date, end: date, merchants_limit: int = 10) -> Dashboard:
    unpopulated = views_unpopulated()
    days = daily_figures(start=start, end=end, unpopulated=unpopulated)
    return Dashboard(
        start=start,
        end=end,
        days=days,
        merchants=top_merchants(start=start, end=end, limit=merchants_limit, unpopulated=unpopulated),
        funnel=funnel_totals(days),
        queues=work_queues(),
        unpopulated=unpopulated,
    )


@dataclass(frozen=True)
class StoreDayFigures:
    store: str
    day: date
    views: int = 0
    clicks: int = 0
    conversions: int = 0
    confirmed: int = 0
    pending_amount: Decimal = ZERO
    paid_amount: Decimal = ZERO
    rejected_amount: Decimal = ZERO
    reversed_amount: Decimal = ZERO
    commission_amount: Decimal = ZERO


# Cashback of the given stores per day (India time, the day the conversion was reported, like mv_conversion_funnel's
# conversions). There is no per-store money view, so this reads cashback_events live: a brand asks for a few stores
# and a few weeks, which idx on (merchant_id) serves.
_STORE_CASHBACK_SQL = """
SELECT merchant_id, (created_at AT TIME ZONE %(tz)s)::date AS day,
       coalesce(sum(cashback_amount) FILTER (WHERE status IN ('pending', 'confirmed')), 0),
       coalesce(sum(cashback_amount) FILTER (WHERE status = 'paid'), 0),
       coalesce(sum(cashback_amount) FILTER (WHERE status = 'rejected'), 0),
       coalesce(sum(cashback_amount) FILTER (WHERE status = 'reversed'), 0),
       coalesce(sum(commission_amount) FILTER (WHERE status NOT IN ('rejected', 'reversed')), 0)
FROM cashback_events
WHERE merchant_id = ANY(%(ids)s) AND created_at >= %(start)s::date AT TIME ZONE %(tz)s
      AND created_at < (%(end)s::date + 1) AT TIME ZONE %(tz)s
GROUP BY 1, 2
"""


def store_daily_figures(*, stores: dict[int, str], start: date, end: date) -> list[StoreDayFigures]:
    """Per store (``{id: slug}``) and day from ``start`` to ``end``: the funnel (mv_conversion_funnel, as of its
    last refresh) and the cashback amounts by status (live). Zeros where nothing happened."""
    ids = list(stores)
    funnel: dict[tuple[int, date], tuple[int, int, int, int]] = {}
    if ids and "mv_conversion_funnel" not in views_unpopulated():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT merchant_id, day, views, clicks, conversions, confirmed FROM mv_conversion_funnel "
                "WHERE merchant_id = ANY(%s) AND day BETWEEN %s AND %s",
                [ids, start, end],
            )
            funnel = {(m, d): (int(v), int(c), int(n), int(k)) for m, d, v, c, n, k in cur}
    money: dict[tuple[int, date], tuple[Decimal, ...]] = {}
    if ids:
        with connection.cursor() as cur:
            cur.execute(_STORE_CASHBACK_SQL, {"ids": ids, "start": start, "end": end, "tz": settings.TIME_ZONE})
            money = {(row[0], row[1]): tuple(row[2:]) for row in cur}
    out = []
    for merchant_id, slug in sorted(stores.items(), key=lambda item: item[1]):
        for day in _days(start, end):
            views, clicks, conversions, confirmed = funnel.get((merchant_id, day), (0, 0, 0, 0))
            pending, paid, rejected, reversed_, commission = money.get((merchant_id, day), (ZERO,) * 5)
            out.append(
                StoreDayFigures(
                    store=slug,
                    day=day,
                    views=views,
                    clicks=clicks,
                    conversions=conversions,
                    confirmed=confirmed,
                    pending_amount=pending,
                    paid_amount=paid,
                    rejected_amount=rejected,
                    reversed_amount=reversed_,
                    commission_amount=commission,
                )
            )
    return out


# ---------------------------------------------------------------- the home page's trust figures

TRUST_CACHE_KEY = "analytics:trust-figures"
TRUST_CACHE_SECONDS = 900  # the figures move slowly; the home page reads them from Redis


@dataclass(frozen=True)
class TrustFigures:
    """What the home page says about us, computed from our own data: shoppers signed up, cashback paid to them
    (confirmed into wallets, or paid out), stores listed."""

    shoppers: int
    cashback_paid: Decimal
    stores: int


def trust_figures_compute() -> TrustFigures:
    paid = CashbackEvent.objects.filter(
        status__in=(CashbackEvent.Status.CONFIRMED, CashbackEvent.Status.PAID)
    ).aggregate(total=Sum("cashback_amount"))["total"]
    return TrustFigures(
        shoppers=User.objects.filter(is_staff=False, is_active=True).count(),
        # Whole rupees, rounded down: a headline figure never overstates what was paid.
        cashback_paid=(paid or ZERO).quantize(Decimal("1"), rounding=ROUND_DOWN),
        stores=merchants_listed().count(),
    )


def trust_figures() -> TrustFigures:
    """:func:`trust_figures_compute`, cached for TRUST_CACHE_SECONDS (three counts at most every 15 minutes)."""
    figures = cache.get(TRUST_CACHE_KEY)
    if not isinstance(figures, TrustFigures):
        figures = trust_figures_compute()
        cache.set(TRUST_CACHE_KEY, figures, TRUST_CACHE_SECONDS)
    return figures

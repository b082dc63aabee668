"""The admin's analytics dashboard: its figures equal the same numbers counted from the base tables, who may
see and export them, and how the app role refreshes the views."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import ProgrammingError, connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from accounts.factories import UserFactory, grant_permissions
from accounts.models import UserKYC
from analytics import tasks
from analytics.models import ANALYTICS_VIEWS
from analytics.selectors import work_queues
from couponali import rls
from couponali.celery import app as celery_app
from offers.models import OfferClick, OfferView
from wallet.models import CashbackEvent, Withdrawal

from .data import build_sample

D = Decimal
EARNED = ~Q(status__in=["rejected", "reversed"])


def analyst(*extra: str):
    user = UserFactory.create(is_staff=True)
    return grant_permissions(user, "analytics.view_dashboard", *extra)


def chart_data(html: str) -> dict:
    match = re.search(r'<script id="analytics-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the page carries no chart data"
    return json.loads(match.group(1))


def per_day(qs, start: date, end: date, **aggregates) -> dict[date, dict]:
    rows = (
        qs.filter(created_at__date__range=(start, end))
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(**aggregates)
    )
    return {r["day"]: r for r in rows}


def truth(start: date, end: date) -> dict:
    """The dashboard's figures counted again from offer_views, offer_clicks and cashback_events."""
    clicks = per_day(OfferClick.objects, start, end, n=Count("id"))
    events = per_day(
        CashbackEvent.objects,
        start,
        end,
        n=Count("id"),
        pending=Sum("cashback_amount", filter=Q(status="pending"), default=D("0")),
        paid=Sum("cashback_amount", filter=Q(status="paid"), default=D("0")),
    )
    days = [date.fromordinal(o) for o in range(start.toordinal(), end.toordinal() + 1)]
    in_range = {"created_at__date__range": (start, end)}
    month_start = start.replace(day=1)
    months = {"created_at__date__gte": month_start, "created_at__date__lte": end}
    stores: dict[str, dict] = defaultdict(lambda: {"commission": D("0"), "cashback": D("0"), "clicks": 0, "n": 0})
    for r in OfferClick.objects.filter(**months).values("offer__merchant__name").annotate(n=Count("id")):
        stores[r["offer__merchant__name"]]["clicks"] = r["n"]
    for e in (
        CashbackEvent.objects.filter(**months)
        .values("merchant__name")
        .annotate(
            n=Count("id"),
            commission=Sum("commission_amount", filter=EARNED, default=D("0")),
            cashback=Sum("cashback_amount", filter=EARNED, default=D("0")),
        )
    ):
        stores[e["merchant__name"]].update(n=e["n"], commission=e["commission"], cashback=e["cashback"])
    return {
        "days": [d.isoformat() for d in days],
        "clicks": [clicks.get(d, {}).get("n", 0) for d in days],
        "conversions": [events.get(d, {}).get("n", 0) for d in days],
        "pending": [events.get(d, {}).get("pending", D("0")) for d in days],
        "paid": [events.get(d, {}).get("paid", D("0")) for d in days],
        "stores": dict(stores),
        "funnel": [
            OfferView.objects.filter(**in_range).count(),
            OfferClick.objects.filter(**in_range).count(),
            CashbackEvent.objects.filter(**in_range).count(),
            CashbackEvent.objects.filter(status__in=["confirmed", "paid"], **in_range).count(),
        ],
        "withdrawals_pending": Withdrawal.objects.filter(status="pending").count(),
    }


@pytest.mark.django_db
def test_the_dashboard_figures_equal_the_counts_from_the_base_tables(client):
    # given stores with views, clicks and cashback events on several days, and the views refreshed
    sample = build_sample()
    call_command("refresh_analytics", stdout=io.StringIO())
    expected = truth(sample.start, sample.end)
    assert sum(expected["clicks"]) == 7 and sum(expected["conversions"]) == 7  # the sample is really in range
    # when an analyst opens the dashboard for the period
    client.force_login(analyst())
    response = client.get("/admin/analytics/", {"start": sample.start, "end": sample.end})
    # then every figure drawn equals the count from the base tables
    assert response.status_code == 200
    drawn = chart_data(response.content.decode())
    assert drawn["days"] == expected["days"]
    assert drawn["clicks"] == expected["clicks"]
    assert drawn["conversions"] == expected["conversions"]
    assert [D(x) for x in drawn["pending"]] == expected["pending"]
    assert [D(x) for x in drawn["paid"]] == expected["paid"]
    assert drawn["funnel"]["values"] == expected["funnel"]
    drawn_stores = dict(zip(drawn["merchants"]["names"], drawn["merchants"]["commission"], strict=True))
    assert {name: D(v) for name, v in drawn_stores.items()} == {
        name: s["commission"] for name, s in expected["stores"].items()
    }
    board = response.context["analytics"]
    for m in board.merchants:
        s = expected["stores"][m.name]
        assert (m.clicks, m.conversions, m.cashback) == (s["clicks"], s["n"], s["cashback"])
    # the store that earned most comes first; a reversed or rejected event earns nothing
    assert [m.name for m in board.merchants] == ["Myntra", "=Ajio"]
    assert board.merchants[0].commission == D("234.94")  # 55 pending + 149.94 paid + 30 confirmed, not the 20 reversed
    assert board.queues.withdrawals_pending == expected["withdrawals_pending"] == 2
    assert board.queues.kyc_pending == 3
    html = response.content.decode()
    for canvas in ("analytics-activity", "analytics-cashback", "analytics-merchants", "analytics-funnel"):
        assert f'id="{canvas}"' in html
    assert "vendor/chart.umd.min.js" in html and "analytics/dashboard.js" in html


@pytest.mark.django_db
def test_the_views_show_the_last_refresh_until_the_next_one(client):
    sample = build_sample()
    call_command("refresh_analytics", stdout=io.StringIO())
    before = truth(sample.start, sample.end)
    # a new click after the refresh is not on the dashboard yet...
    OfferClick.objects.create(offer=sample.stores[0].offers.first(), merchant=sample.stores[0])
    client.force_login(analyst())
    drawn = chart_data(client.get("/admin/analytics/", {"start": sample.start, "end": sample.end}).content.decode())
    assert drawn["clicks"] == before["clicks"]
    # ...and is after the next one
    call_command("refresh_analytics", stdout=io.StringIO())
    drawn = chart_data(client.get("/admin/analytics/", {"start": sample.start, "end": sample.end}).content.decode())
    assert sum(drawn["clicks"]) == sum(before["clicks"]) + 1
    assert drawn["clicks"] == truth(sample.start, sample.end)["clicks"]


@pytest.mark.django_db
def test_the_admin_index_shows_the_dashboard_only_to_staff_with_the_permission(client):
    build_sample()
    call_command("refresh_analytics", stdout=io.StringIO())
    client.force_login(analyst())
    page = client.get("/admin/").content.decode()
    assert 'id="analytics-data"' in page and "Withdrawals waiting for approval" in page
    assert chart_data(page)["funnel"]["values"][0] > 0
    # without the export permission: no CSV links
    assert "export.csv" not in page

    client.force_login(UserFactory(is_staff=True))
    page = client.get("/admin/").content.decode()
    assert "analytics-data" not in page and "chart.umd.min.js" not in page

    client.force_login(analyst("analytics.export_data"))
    assert "export.csv" in client.get("/admin/").content.decode()


@pytest.mark.django_db
def test_staff_without_the_permissions_get_403_on_the_dashboard_and_the_export(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/admin/analytics/").status_code == 403
    assert client.get("/admin/analytics/export.csv").status_code == 403
    # viewing is not exporting
    client.force_login(analyst())
    assert client.get("/admin/analytics/").status_code == 200
    assert client.get("/admin/analytics/export.csv").status_code == 403
    # export without view is refused too
    client.force_login(grant_permissions(UserFactory(is_staff=True), "analytics.export_data"))
    assert client.get("/admin/analytics/export.csv").status_code == 403
    # a shopper, even holding the permission, and a visitor go to the admin's sign-in
    client.force_login(grant_permissions(UserFactory(), "analytics.view_dashboard"))
    assert client.get("/admin/analytics/").status_code == 302
    client.logout()
    response = client.get("/admin/analytics/export.csv")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_csv_export_per_day_and_per_store_equals_the_base_tables(client):
    sample = build_sample()
    call_command("refresh_analytics", stdout=io.StringIO())
    expected = truth(sample.start, sample.end)
    client.force_login(analyst("analytics.export_data"))

    response = client.get("/admin/analytics/export.csv", {"start": sample.start, "end": sample.end})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["day"] for r in rows] == expected["days"]
    assert [int(r["clicks"]) for r in rows] == expected["clicks"]
    assert [int(r["conversions"]) for r in rows] == expected["conversions"]
    assert [D(r["cashback_pending"]) for r in rows] == expected["pending"]
    assert [D(r["cashback_paid"]) for r in rows] == expected["paid"]
    assert sum(int(r["offer_views"]) for r in rows) == expected["funnel"][0]
    assert sum(int(r["confirmed"]) for r in rows) == expected["funnel"][3]

    response = client.get(
        "/admin/analytics/export.csv", {"start": sample.start, "end": sample.end, "kind": "merchants"}
    )
    rows = {r["slug"]: r for r in csv.DictReader(io.StringIO(response.content.decode()))}
    assert rows["ajio"]["store"] == "'=Ajio"  # not a formula in a spreadsheet
    for slug, name in [("myntra", "Myntra"), ("ajio", "=Ajio")]:
        s = expected["stores"][name]
        assert (int(rows[slug]["clicks"]), int(rows[slug]["conversions"])) == (s["clicks"], s["n"])
        assert (D(rows[slug]["commission"]), D(rows[slug]["cashback"])) == (s["commission"], s["cashback"])
        assert D(rows[slug]["conversion_rate_percent"]) == (D(100) * s["n"] / s["clicks"]).quantize(D("0.01"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-02-30"},
        {"start": "yesterday"},
        {"start": "2026-05-10", "end": "2026-05-01"},
        {"start": "2020-01-01", "end": "2026-01-01"},
    ],
)
def test_a_bad_period_is_a_clear_error_not_a_500(client, query):
    client.force_login(analyst("analytics.export_data"))
    page = client.get("/admin/analytics/", query)
    assert page.status_code == 200
    assert "errornote" in page.content.decode() and "Showing the last 30 days" in page.content.decode()
    export = client.get("/admin/analytics/export.csv", query)
    assert export.status_code == 400 and export.content
    assert client.get("/admin/analytics/export.csv", {"kind": "everything"}).status_code == 400


@pytest.mark.django_db
def test_the_app_role_refreshes_only_through_the_function():
    # the app role owns no view (nor, on PostgreSQL 17+, holds MAINTAIN), so a direct REFRESH is refused...
    assert connection.settings_dict["USER"] != settings.DATABASE_OWNER["USER"]
    with pytest.raises(ProgrammingError, match=r"permission denied|must be owner"), transaction.atomic():
        connection.cursor().execute("REFRESH MATERIALIZED VIEW CONCURRENTLY mv_top_merchants")
    # ...the function refreshes the analytics views, and nothing else
    with pytest.raises(Exception, match="not an analytics view"), transaction.atomic():
        connection.cursor().execute("SELECT analytics_refresh('users')")
    out = io.StringIO()
    call_command("refresh_analytics", "--view", "mv_top_merchants", stdout=out)
    assert out.getvalue().startswith("mv_top_merchants: refreshed")
    call_command("refresh_analytics", stdout=out)
    # and it may read them
    with connection.cursor() as cur:
        for view in ANALYTICS_VIEWS:
            cur.execute(f"SELECT count(*) FROM {view}")  # noqa: S608 - our constant names


@pytest.mark.django_db
def test_the_kyc_count_is_the_pending_rows_whoever_asks():
    build_sample()
    # the request of an analyst sees no user_kyc row (row-level security)...
    with rls.scope(user_id=None):
        assert UserKYC.objects.count() == 0
        # ...yet the dashboard's count is the true one
        counted = work_queues().kyc_pending
    with rls.bypass(reason="test: count KYC"):
        assert counted == UserKYC.objects.filter(status=UserKYC.Status.PENDING).count() == 3
    # and the count leaves the caller's RLS settings as they were
    with rls.scope(user_id=None):
        work_queues()
        assert rls.current()["rls_bypass"] == "off"


@pytest.mark.django_db
def test_celery_beat_refreshes_the_views_with_the_task(client):
    entry = settings.CELERY_BEAT_SCHEDULE["analytics-refresh-views"]
    assert entry["task"] == "analytics.refresh_views" and entry["task"] in celery_app.tasks
    sample = build_sample()
    tasks.refresh_views.delay()  # eager in tests
    client.force_login(analyst())
    drawn = chart_data(client.get("/admin/analytics/", {"start": sample.start, "end": sample.end}).content.decode())
    assert drawn["clicks"] == truth(sample.start, sample.end)["clicks"]


def test_refresh_analytics_has_help(capsys):
    with pytest.raises(SystemExit):
        call_command("refresh_analytics", "--help")
    out = capsys.readouterr().out
    assert "CONCURRENTLY" in out and "--view" in out

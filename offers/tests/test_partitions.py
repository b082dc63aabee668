"""offer_clicks monthly partitions: routing, creation by the app role, moving rows out of the default."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from offers import tasks
from offers.factories import OfferClickFactory
from offers.services import click_partitions_ensure


def partition_of(click) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT tableoid::regclass::text FROM offer_clicks WHERE id = %s", [click.pk])
        return cur.fetchone()[0]


def partitions() -> set[str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'offer_clicks'::regclass"
        )
        return {r[0] for r in cur.fetchall()}


@pytest.mark.django_db
def test_a_click_lands_in_its_months_partition_not_the_default():
    now = timezone.now().astimezone(UTC)
    click = OfferClickFactory()
    assert partition_of(click) == f"offer_clicks_y{now:%Y}m{now:%m}"


@pytest.mark.django_db
def test_the_app_role_creates_partitions_and_rows_move_out_of_the_default():
    with connection.cursor() as cur:
        cur.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        user, superuser = cur.fetchone()
    assert user == connection.settings_dict["USER"] and not superuser
    # given clicks in a month that has no partition yet (they land in the default)
    early = OfferClickFactory(created_at=datetime(2031, 5, 1, 0, 0, tzinfo=UTC))
    late = OfferClickFactory(created_at=datetime(2031, 5, 31, 23, 59, 59, tzinfo=UTC))
    june = OfferClickFactory(created_at=datetime(2031, 6, 1, 0, 0, tzinfo=UTC))
    assert {partition_of(c) for c in (early, late, june)} == {"offer_clicks_default"}
    # when the partition for May 2031 is created
    made = click_partitions_ensure(months=0, start=date(2031, 5, 17))
    # then May's rows moved into it, June's stayed in the default, and nothing was lost
    assert made == [("offer_clicks_y2031m05", True)]
    assert partition_of(early) == partition_of(late) == "offer_clicks_y2031m05"
    assert partition_of(june) == "offer_clicks_default"
    # and a new May click is routed there directly; running again creates nothing
    assert partition_of(OfferClickFactory(created_at=datetime(2031, 5, 9, tzinfo=UTC))) == "offer_clicks_y2031m05"
    assert click_partitions_ensure(months=1, start=date(2031, 5, 1)) == [
        ("offer_clicks_y2031m05", False),
        ("offer_clicks_y2031m06", True),
    ]
    assert partition_of(june) == "offer_clicks_y2031m06"


@pytest.mark.django_db
def test_create_partitions_command():
    out = StringIO()
    call_command("create_partitions", "--months", "2", "--start", "2032-11", stdout=out)
    text = out.getvalue()
    assert "offer_clicks_y2032m11: created" in text
    assert "offer_clicks_y2033m01: created" in text
    assert "audit_logs_y2032m11: created" in text and "audit_logs_y2033m01: created" in text
    assert "6 partition(s) ready, 6 created now." in text
    assert {"offer_clicks_y2032m11", "offer_clicks_y2032m12", "offer_clicks_y2033m01"} <= partitions()
    out = StringIO()
    call_command("create_partitions", "--months", "0", "--start", "2032-11", stdout=out)
    assert "offer_clicks_y2032m11: exists" in out.getvalue()


@pytest.mark.django_db
def test_the_migration_and_default_command_keep_the_coming_months_ready():
    call_command("create_partitions", stdout=StringIO())
    now = timezone.now().astimezone(UTC)
    assert f"offer_clicks_y{now:%Y}m{now:%m}" in partitions()
    assert len([p for p in partitions() if p != "offer_clicks_default"]) >= 4


@pytest.mark.django_db
def test_the_one_partition_job_keeps_audit_logs_ready_too(monkeypatch, settings):
    assert tasks.ensure_click_partitions() == []  # the migrations made the coming months of both tables already
    # when the beat job runs in a month whose partitions nobody has made yet
    settings.CLICK_PARTITION_MONTHS_AHEAD = 1
    monkeypatch.setattr("couponali.partitions.timezone.now", lambda: datetime(2033, 7, 5, 12, 0, tzinfo=UTC))
    created = tasks.ensure_click_partitions()
    # then it made that month and the next for offer_clicks and audit_logs alike
    assert sorted(created) == [
        "audit_logs_y2033m07",
        "audit_logs_y2033m08",
        "offer_clicks_y2033m07",
        "offer_clicks_y2033m08",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--months", "-1"], "between 0 and 120"),
        (["--months", "500"], "between 0 and 120"),
        (["--start", "2026-13"], "YYYY-MM"),
        (["--start", "soon"], "YYYY-MM"),
        (["--start", "1999-01"], "YYYY-MM"),
    ],
)
def test_create_partitions_rejects_bad_input(args, message):
    before = partitions()
    with pytest.raises(CommandError, match=message):
        call_command("create_partitions", *args, stdout=StringIO())
    assert partitions() == before


@pytest.mark.django_db
@pytest.mark.parametrize("function", ["offer_clicks_create_partition", "audit_logs_create_partition"])
def test_the_partition_function_is_not_executable_by_public(function):
    with connection.cursor() as cur:
        cur.execute(
            "SELECT has_function_privilege('public', %s::regprocedure, 'EXECUTE'), "
            "prosecdef FROM pg_proc WHERE proname = %s",
            [f"{function}(date)", function],
        )
        assert cur.fetchone() == (False, True)

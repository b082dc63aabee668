"""refresh_analytics refreshes the views CONCURRENTLY: pages reading a view are never blocked by its refresh.

Real threads on their own database connections. A concurrent refresh holds an EXCLUSIVE lock on the view,
which a plain SELECT (ACCESS SHARE) does not conflict with; a plain REFRESH would hold ACCESS EXCLUSIVE and the
readers below would wait for it (and, with their lock_timeout, fail)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from analytics.models import ANALYTICS_VIEWS
from analytics.services import analytics_refresh
from couponali.db import as_owner
from wallet.models import CashbackEvent

from .data import build_sample, event

VIEW = "mv_daily_cashback_summary"
SUM = f"SELECT coalesce(sum(conversions), 0) FROM {VIEW}"  # noqa: S608 - a constant


def _in_thread(target, *args):
    """Run ``target`` in a thread with its own connection; its result or exception lands in the returned dict."""
    out: dict = {}

    def run():
        try:
            out["result"] = target(*args)
        except BaseException as exc:  # reported to the test, not swallowed
            out["error"] = exc
        finally:
            out["finished_at"] = time.monotonic()
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    out["thread"] = thread
    return out


def _unpopulate_all():
    # Only the owner may do this; the views start as the migration leaves them on a new database.
    with as_owner(), connection.cursor() as cur:
        for view in ANALYTICS_VIEWS:
            cur.execute(f"REFRESH MATERIALIZED VIEW {view} WITH NO DATA")


def _locks_of_refresh_on(view: str) -> list[tuple[int, str, bool]]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid, mode, granted FROM pg_locks WHERE locktype = 'relation' AND relation = %s::regclass",
            [view],
        )
        return cur.fetchall()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_first_refresh_populates_and_later_ones_are_concurrent():
    build_sample()
    _unpopulate_all()
    first = analytics_refresh()
    assert [(r.view, r.concurrently) for r in first] == [(v, False) for v in ANALYTICS_VIEWS]
    again = analytics_refresh()
    assert [(r.view, r.concurrently) for r in again] == [(v, True) for v in ANALYTICS_VIEWS]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_refresh_completes_while_a_page_holds_a_read_on_the_view():
    sample = build_sample()
    analytics_refresh()
    analytics_refresh()
    with connection.cursor() as cur:
        cur.execute(SUM)
        before = cur.fetchone()[0]
    store = sample.stores[0]
    event(
        merchant=store,
        offer=store.offers.first(),
        user=CashbackEvent.objects.first().user,
        created_at=CashbackEvent.objects.first().created_at,
        status="pending",
        cashback="5.00",
        commission="7.00",
    )
    holding, release = threading.Event(), threading.Event()

    def reader():
        # a page's read in an open repeatable-read transaction: it holds ACCESS SHARE on the view throughout
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute(SUM)
            first = cur.fetchone()[0]
            holding.set()
            assert release.wait(30)
            cur.execute(SUM)
            return first, cur.fetchone()[0]

    read = _in_thread(reader)
    assert holding.wait(10)
    # when the refresh runs while that read is open
    refresh = _in_thread(analytics_refresh)
    refresh["thread"].join(20)
    # then it has finished, concurrently, while the reader still holds its lock
    assert not refresh["thread"].is_alive(), "the refresh waited for the reader"
    assert "error" not in refresh, refresh.get("error")
    assert all(r.concurrently for r in refresh["result"])
    assert read["thread"].is_alive()
    release.set()
    read["thread"].join(10)
    assert "error" not in read, read.get("error")
    # the reader saw one consistent snapshot; a new read sees the refreshed rows
    assert read["result"] == (before, before)
    with connection.cursor() as cur:
        cur.execute(SUM)
        assert cur.fetchone()[0] == before + 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_pages_read_the_view_while_a_refresh_is_in_progress():
    build_sample()
    analytics_refresh()
    analytics_refresh()
    conversions = CashbackEvent.objects.count()
    locked, release = threading.Event(), threading.Event()

    def blocker():
        # holds the refresh in the middle of its work: it has locked the view and waits to read cashback_events
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("LOCK TABLE cashback_events IN ACCESS EXCLUSIVE MODE")
            locked.set()
            assert release.wait(30)

    block = _in_thread(blocker)
    assert locked.wait(10)
    refresh = _in_thread(lambda: analytics_refresh(views=(VIEW,)))
    try:
        # wait until the refresh holds its lock on the view and is stuck behind the blocker
        deadline = time.monotonic() + 15
        refresh_locks: list = []
        while time.monotonic() < deadline:
            refresh_locks = [(mode, granted) for _pid, mode, granted in _locks_of_refresh_on(VIEW)]
            if refresh_locks:
                break
            time.sleep(0.05)
        assert refresh_locks == [("ExclusiveLock", True)], (refresh_locks, refresh.get("error"))  # not AccessExclusive
        assert refresh["thread"].is_alive()
        # when a page reads the view meanwhile (failing fast instead of waiting, were it blocked)
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL lock_timeout = '2s'")
            cur.execute(SUM)
            rows = cur.fetchone()[0]
        # then it is answered at once, from the last refresh, while the refresh is still in progress
        assert time.monotonic() - started < 2
        assert rows == conversions
        assert refresh["thread"].is_alive()
    finally:
        release.set()
        block["thread"].join(10)
        refresh["thread"].join(20)
    assert "error" not in block, block.get("error")
    assert "error" not in refresh, refresh.get("error")
    assert [r.concurrently for r in refresh["result"]] == [True]

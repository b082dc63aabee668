"""Group commit of click rows (offers/click_writer.py): clicks that arrive together share one INSERT, every thread
returns only once its own row is committed, and one bad row never costs the others theirs."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest
from django.db import DatabaseError, IntegrityError, OperationalError, connection

from devtools.testing import database_url
from offers import services
from offers.click_writer import GroupCommitWriter
from offers.clickout import target_for_offer
from offers.factories import OfferFactory
from offers.models import OfferClick

WAIT = 10  # seconds; a hung writer fails the test instead of hanging the run


class GatedInsert:
    """An insert function whose first call blocks until ``queued`` writers are waiting behind it, so that the
    batching is deterministic; records every call's rows and fails the rows ``bad`` matches."""

    def __init__(self, *, writer_ref, queued: int = 0, bad=lambda row: False, error=IntegrityError):
        self.calls: list[list] = []
        self.writer_ref = writer_ref
        self.queued = queued
        self.bad = bad
        self.error = error
        self.written: list = []
        self._lock = threading.Lock()

    def __call__(self, rows):
        with self._lock:
            first = not self.calls
            self.calls.append(list(rows))
        if first and self.queued:
            deadline = time.monotonic() + WAIT
            while len(self.writer_ref()._queue) < self.queued:
                assert time.monotonic() < deadline, "the other writers never queued"
                time.sleep(0.001)
        if any(self.bad(row) for row in rows):
            raise self.error("bad row in batch")
        with self._lock:
            self.written.extend(rows)


def run_threads(target, args_list):
    results: dict[int, BaseException | None] = {}

    def run(i, arg):
        try:
            target(arg)
            results[i] = None
        except BaseException as exc:  # the test inspects it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, arg)) for i, arg in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
        assert not t.is_alive(), "a writer thread hung"
    return [results[i] for i in range(len(args_list))]


def test_writes_that_arrive_during_a_write_share_the_next_statement():
    writer = None
    insert = GatedInsert(writer_ref=lambda: writer, queued=7)
    writer = GroupCommitWriter(insert)

    first = threading.Thread(target=writer.write, args=(("row", 0),))
    first.start()
    while not insert.calls:  # the first writer leads and is now inside its (gated) INSERT
        time.sleep(0.001)
    results = run_threads(writer.write, [("row", i) for i in range(1, 8)])
    first.join(WAIT)

    assert results == [None] * 7
    assert [len(call) for call in insert.calls] == [1, 7]  # one row alone, then the seven that queued meanwhile
    assert sorted(insert.written) == [("row", i) for i in range(8)]
    assert (writer.batches, writer.rows) == (2, 8)
    assert writer._writing is False and writer._queue == []


def test_a_writer_returns_only_after_its_own_row_is_written():
    writer = None
    insert = GatedInsert(writer_ref=lambda: writer, queued=3)
    writer = GroupCommitWriter(insert)
    seen_written: dict = {}

    def write(row):
        writer.write(row)
        seen_written[row] = row in insert.written  # checked the moment write() returns

    run_threads(write, [("row", i) for i in range(4)])
    assert seen_written == {("row", i): True for i in range(4)}


def test_one_bad_row_fails_alone_and_the_rest_of_its_batch_is_written():
    writer = None
    insert = GatedInsert(writer_ref=lambda: writer, queued=4, bad=lambda row: row == ("row", 3))
    writer = GroupCommitWriter(insert)

    results = run_threads(writer.write, [("row", i) for i in range(5)])

    assert isinstance(results[3], IntegrityError)
    assert [r for i, r in enumerate(results) if i != 3] == [None] * 4
    assert sorted(insert.written) == [("row", i) for i in range(5) if i != 3]
    # the writer keeps working afterwards
    writer.write(("row", 9))
    assert ("row", 9) in insert.written


def test_a_lost_connection_fails_every_row_of_the_batch_without_retrying():
    writer = None
    insert = GatedInsert(writer_ref=lambda: writer, queued=3, bad=lambda row: True, error=OperationalError)
    writer = GroupCommitWriter(insert)

    results = run_threads(writer.write, [("row", i) for i in range(4)])

    assert all(isinstance(r, OperationalError) for r in results)
    assert sum(len(call) for call in insert.calls) == 4  # each row tried once: no row-by-row retry
    assert insert.written == []
    assert writer._writing is False and writer._queue == []


def test_an_unexpected_error_reaches_every_waiting_thread_and_frees_the_writer():
    writer = GroupCommitWriter(lambda rows: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        writer.write(("row", 1))
    assert writer._writing is False
    ok = GroupCommitWriter(lambda rows: None)
    ok.write(("row", 2))
    assert (ok.batches, ok.rows) == (1, 1)


def test_batches_never_exceed_max_batch():
    writer = None
    insert = GatedInsert(writer_ref=lambda: writer, queued=9)
    writer = GroupCommitWriter(insert, max_batch=4)
    results = run_threads(writer.write, [("row", i) for i in range(10)])
    assert results == [None] * 10
    assert max(len(call) for call in insert.calls) <= 4
    assert sorted(insert.written) == [("row", i) for i in range(10)]


# ---------------------------------------------------------------- against PostgreSQL, in autocommit


def _row(offer, click_id, *, offer_id=None):
    target = target_for_offer(offer.uuid)
    return (
        offer_id or target.offer_id,
        target.merchant_id,
        None,
        click_id,
        "198.51.100.4",
        "pytest",
        None,
        "desktop",
        target.rate.type,
        target.rate.value if target.rate.type else None,
        target.rate.cap,
        target.rate.source,
    )


def _in_own_thread(fn):
    """Run fn on a thread's own Django connection (as a gunicorn thread does) and give the connection back."""

    def run(arg):
        try:
            fn(arg)
        finally:
            connection.close()

    return run


@pytest.mark.django_db(transaction=True)
def test_clicks_from_many_threads_are_committed_in_shared_statements(monkeypatch):
    offer = OfferFactory()
    writer = None
    gated = GatedInsert(writer_ref=lambda: writer, queued=11)

    def insert(rows):
        gated(rows)  # holds the first statement until eleven more clicks wait
        services._insert_click_rows(rows)

    writer = GroupCommitWriter(insert)
    monkeypatch.setattr(services, "click_writer", writer)
    ids = [uuid.uuid4() for _ in range(12)]

    def record(click_id):
        services.click_record(
            target=target_for_offer(offer.uuid),
            click_id=click_id,
            user_id=None,
            ip_address="198.51.100.4",
            user_agent="pytest",
            referrer="",
            device_type="desktop",
        )
        # committed when click_record returns: another connection sees it at once
        with psycopg.connect(database_url()) as other:
            assert other.execute("SELECT 1 FROM offer_clicks WHERE click_id = %s", [click_id]).fetchone()

    results = run_threads(_in_own_thread(record), ids)

    assert results == [None] * 12
    assert [len(call) for call in gated.calls] == [1, 11]
    assert set(OfferClick.objects.values_list("click_id", flat=True)) == set(ids)


@pytest.mark.django_db(transaction=True)
def test_a_click_on_a_vanished_offer_fails_alone_in_its_batch(monkeypatch):
    offer = OfferFactory()
    writer = None
    gated = GatedInsert(writer_ref=lambda: writer, queued=3)

    def insert(rows):
        gated(rows)
        services._insert_click_rows(rows)

    writer = GroupCommitWriter(insert)
    good = [uuid.uuid4() for _ in range(3)]
    bad = uuid.uuid4()
    rows = [_row(offer, good[0]), _row(offer, good[1]), _row(offer, bad, offer_id=10**12), _row(offer, good[2])]

    results = run_threads(_in_own_thread(writer.write), rows)

    assert isinstance(results[2], IntegrityError)  # the offer_id foreign key
    assert [results[i] for i in (0, 1, 3)] == [None, None, None]
    assert set(OfferClick.objects.values_list("click_id", flat=True)) == set(good)


@pytest.mark.django_db(transaction=True)
def test_click_rows_are_never_written_inside_an_open_transaction():
    offer = OfferFactory()
    connection.set_autocommit(False)
    try:
        with pytest.raises(DatabaseError, match="autocommit only"):
            services._insert_click_rows([_row(offer, uuid.uuid4())])
    finally:
        connection.rollback()
        connection.set_autocommit(True)
    assert not OfferClick.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("group_commit", [True, False])
def test_the_click_out_commits_its_row_with_or_without_group_commit(client, settings, monkeypatch, group_commit):
    settings.CLICKOUT_GROUP_COMMIT = group_commit
    writer = GroupCommitWriter(services._insert_click_rows)
    monkeypatch.setattr(services, "click_writer", writer)
    offer = OfferFactory()
    for _ in range(3):
        response = client.get(f"/go/{offer.uuid}/")
        assert response.status_code == 302
        assert response["Content-Length"] == "0"  # not sent chunked
    assert OfferClick.objects.filter(offer=offer).count() == 3
    assert writer.rows == (3 if group_commit else 0)

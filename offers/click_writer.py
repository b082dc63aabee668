"""Group commit for click rows: the clicks that arrive while one is being written share the next INSERT.

Every click-out must commit its offer_clicks row before the shopper gets the 302. One INSERT and one COMMIT per
click would make PostgreSQL's commit (a WAL flush), a pooled connection and a network round trip the price of
every click. Instead, in each process, the request threads that record a click at the same moment share the
work, the way PostgreSQL groups commits itself:

* a thread that finds nobody writing becomes the *leader*: it takes every click queued so far (its own first),
  writes them with one multi-row INSERT on its own connection (autocommit: committed when it returns) and
  wakes their threads;
* a thread that finds a write in progress queues its click and waits; when the write in progress finishes, the
  first waiting thread becomes the next leader and writes the batch that queued meanwhile.

So no click waits for more than the write in progress and its own, a quiet site writes every click at once
(a batch of one), and a busy one writes as many per statement as arrived during the previous one. Each thread
returns only once its own row is committed, or raises the error that kept its row out: when a batch fails on
a constraint (say a click on an offer deleted a moment ago), its rows are written again one by one, so one bad
row never costs the others theirs. A broken connection fails the whole batch (nothing of it is committed,
PostgreSQL rolls the statement back), and every thread of it answers with that error.

The price of sharing: a click waits for the statement ahead of it, so an INSERT that hangs holds up the clicks
of its process that queue meanwhile (without group commit it would hold up only its own request). Nothing in a
click INSERT waits on other transactions in practice (offers are soft-deleted, so the offer_id foreign key check
never meets a deleting transaction), and the connections' TCP keepalives (settings.DATABASE_KEEPALIVES) fail a
statement on a vanished server within about a minute.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from django.db import DatabaseError, InterfaceError, OperationalError

Row = Sequence[object]


class _Waiter:
    __slots__ = ("error", "lead", "row", "wake")

    def __init__(self, row: Row):
        self.row = row
        self.wake = threading.Event()
        self.lead = False  # woken to lead the next batch, rather than because its row is written
        self.error: BaseException | None = None


class GroupCommitWriter:
    """Write rows through ``insert_rows(rows)`` (one statement, committed when it returns), several threads'
    rows per call. ``write(row)`` returns when that row is committed."""

    def __init__(self, insert_rows: Callable[[list[Row]], None], *, max_batch: int = 64):
        self._insert_rows = insert_rows
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiter] = []
        self._writing = False
        # statistics, for the tests and the benchmark: statements run and rows written through them
        self.batches = 0
        self.rows = 0

    @property
    def queued(self) -> int:
        """Rows waiting for the write in progress to finish."""
        with self._lock:
            return len(self._queue)

    @property
    def idle(self) -> bool:
        """Nothing being written and nothing waiting."""
        with self._lock:
            return not self._writing and not self._queue

    def write(self, row: Row) -> None:
        me = _Waiter(row)
        with self._lock:
            self._queue.append(me)
            leading = not self._writing
            self._writing = True
        if not leading:
            me.wake.wait()
            if not me.lead:
                if me.error is not None:
                    raise _copy(me.error) from me.error
                return
        # Leading: the queue starts with this thread's row (the previous leader handed over to the first waiter;
        # a fresh leader found the queue empty).
        with self._lock:
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
        try:
            self._write_batch(batch)
        finally:
            with self._lock:
                if self._queue:
                    successor = self._queue[0]
                    successor.lead = True
                    successor.wake.set()
                else:
                    self._writing = False
            for waiter in batch:
                if waiter is not me:
                    waiter.wake.set()
        if me.error is not None:
            raise me.error

    def _write_batch(self, batch: list[_Waiter]) -> None:
        try:
            self._insert_rows([w.row for w in batch])
        except (OperationalError, InterfaceError) as exc:
            # the connection is gone: nothing of the statement was committed
            for waiter in batch:
                waiter.error = exc
            return
        except DatabaseError as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
            for waiter in batch:  # find the rows at fault; the others are written
                try:
                    self._insert_rows([waiter.row])
                except DatabaseError as row_exc:
                    waiter.error = row_exc
            return
        except BaseException as exc:
            for waiter in batch:
                waiter.error = exc
            raise
        with self._lock:
            self.batches += 1
            self.rows += len(batch)


def _copy(exc: BaseException) -> BaseException:
    """A fresh exception of the same class for a waiting thread (one exception object is not raised in several
    threads at once: each raise rewrites its traceback)."""
    try:
        return type(exc)(*exc.args)
    except Exception:  # a class whose constructor wants other arguments
        return DatabaseError(str(exc))

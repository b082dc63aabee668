"""The click row's SQL, sent to libpq directly: the multi-row INSERT that offers.click_writer batches clicks into.

Outside the ORM on purpose: the click-out is the hottest write of the site, and this path sends one blocking libpq
call per batch (the GIL released while PostgreSQL works) with text parameters, as a statement prepared once per
pooled connection and batch size (CLICKOUT_PREPARED_INSERT; switch it off behind a pooler that cannot keep
prepared statements). bench/clickout.py measures what it buys.
"""

from __future__ import annotations

import functools
import threading
import weakref

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection
from psycopg import pq

_INSERT_CLICK_INTO = (
    "INSERT INTO offer_clicks (offer_id, merchant_id, user_id, click_id, ip_address, user_agent, referrer_url, "
    "device_type, cashback_type, cashback_value, cashback_cap, cashback_source)"
)
_COLUMN_COUNT = 12
INSERT_CLICK = _INSERT_CLICK_INTO + " VALUES (" + ", ".join(["%s"] * _COLUMN_COUNT) + ")"


@functools.cache
def _batch_statement(size: int) -> tuple[bytes, bytes]:
    """Name and text of the INSERT of ``size`` rows (at most click_writer.max_batch) in libpq's numbered-parameter
    form."""
    rows = ", ".join(
        "(" + ", ".join(f"${n * _COLUMN_COUNT + i}" for i in range(1, _COLUMN_COUNT + 1)) + ")" for n in range(size)
    )
    sql = _INSERT_CLICK_INTO + " VALUES " + rows
    return f"couponali_offer_clicks_insert_v3_{size}".encode(), sql.encode()


# Server connections (libpq handles) and the batch sizes whose statement is prepared on each; they live as long
# as the pool keeps them.
_prepared_on: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_prepared_lock = threading.Lock()


def insert_click_rows(rows: list) -> None:
    """One INSERT of the rows on this thread's pooled connection, in autocommit: committed when it returns.

    It goes straight to libpq (one blocking call, the GIL released while PostgreSQL works), with text parameters,
    as a statement prepared once per connection and batch size (CLICKOUT_PREPARED_INSERT; switch it off behind a
    pooler that cannot keep prepared statements)."""
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = connection.connection
        if not connection.get_autocommit() or raw.info.transaction_status != pq.TransactionStatus.IDLE:
            raise DatabaseError("click rows are written in autocommit only (they must be committed on return)")
        encoding = raw.info.encoding
        params = [None if v is None else str(v).encode(encoding) for row in rows for v in row]
        name, sql = _batch_statement(len(rows))
        pgconn = raw.pgconn
        if not settings.CLICKOUT_PREPARED_INSERT:
            result = pgconn.exec_params(sql, params)
        else:
            with _prepared_lock:
                prepared = _prepared_on.setdefault(pgconn, set())
            if name not in prepared:
                _check(pgconn.prepare(name, sql), encoding)
                prepared.add(name)
            result = pgconn.exec_prepared(name, params)
            if (
                result.status != pq.ExecStatus.COMMAND_OK
                and result.error_field(pq.DiagnosticField.SQLSTATE) == b"26000"
            ):
                # the server forgot its prepared statements (a pooler or DISCARD ALL): prepare this one again
                prepared.clear()
                _check(pgconn.prepare(name, sql), encoding)
                prepared.add(name)
                result = pgconn.exec_prepared(name, params)
        _check(result, encoding)


def _check(result, encoding: str) -> None:
    if result.status != pq.ExecStatus.COMMAND_OK:
        raise psycopg.errors.error_from_result(result, encoding=encoding)

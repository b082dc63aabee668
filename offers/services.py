"""Writes for offers: click-outs, store-visit offers, impressions, counters, expiry, partitions, feed imports."""

from __future__ import annotations

import functools
import threading
import uuid
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import psycopg
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from psycopg import pq

from catalog.cache import listing_changed
from catalog.models import Category, Merchant
from catalog.services import merchant_get_or_create_for_feed
from couponali.audit import AuditAction, audit_log
from couponali.ratelimit import valid_ip

from . import buffers
from .click_writer import GroupCommitWriter
from .clickout import ClickTarget
from .feeds import FeedOffer, FeedRowError, parse_feed_row
from .models import CounterWatermark, ImpressionBatch, Offer

STORE_VISIT_NETWORK = "couponali"
COUNTER_LAG = timedelta(minutes=1)  # rows younger than this may still be in flight; the next run takes them
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

# ---------------------------------------------------------------- click-out

_INSERT_CLICK_INTO = (
    "INSERT INTO offer_clicks (offer_id, merchant_id, user_id, click_id, ip_address, user_agent, referrer_url, "
    "device_type, cashback_type, cashback_value, cashback_cap, cashback_source)"
)
_COLUMN_COUNT = 12
_INSERT_CLICK = _INSERT_CLICK_INTO + " VALUES (" + ", ".join(["%s"] * _COLUMN_COUNT) + ")"


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


def _insert_click_rows(rows: list) -> None:
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


click_writer = GroupCommitWriter(_insert_click_rows)


def click_record(
    *,
    target: ClickTarget,
    click_id: uuid.UUID,
    user_id: int | None,
    ip_address: str | None,
    user_agent: str,
    referrer: str,
    device_type: str,
) -> None:
    """Write one offer_clicks row: the database routes it to the month's partition and stamps created_at. Outside a
    transaction (the click-out runs in autocommit) the row is committed when this returns, which the click-out
    relies on: the row exists before the shopper is redirected.

    This is the hottest write of the site, so outside a transaction it goes through ``click_writer``: the clicks
    that arrive together in this process share one INSERT and one commit (group commit, see
    offers/click_writer.py). Inside a transaction (tests, or a caller's atomic block) it is an ordinary INSERT
    that joins that transaction."""
    row = (
        target.offer_id,
        target.merchant_id,
        user_id,
        click_id,
        ip_address or None,
        (user_agent or "")[:1000] or None,
        (referrer or "")[:2000] or None,
        device_type[:20],
        target.rate.type,
        target.rate.value if target.rate.type else None,
        target.rate.cap,
        target.rate.source,
    )
    if connection.in_atomic_block or not connection.settings_dict["AUTOCOMMIT"]:
        with connection.cursor() as cur:
            cur.execute(_INSERT_CLICK, row)
    elif settings.CLICKOUT_GROUP_COMMIT:
        click_writer.write(row)
    else:
        _insert_click_rows([row])


def offer_store_visit_ensure(*, merchant_id: int) -> Offer:
    """The store's hidden "store visit" offer, which store-level click-outs are recorded against
    (offer_clicks.offer_id is NOT NULL). Created on first use; concurrent callers get the same row (the
    (network, network_offer_id) pair is unique). It has no cashback rule of its own, so the store's commission or
    default applies; it is never listed."""
    key = f"store-visit:{merchant_id}"
    existing = Offer.all_objects.filter(network=STORE_VISIT_NETWORK, network_offer_id=key).first()
    if existing is not None:
        return existing
    merchant = Merchant.objects.get(pk=merchant_id)
    try:
        with transaction.atomic():
            return Offer.objects.create(
                merchant=merchant,
                title=f"Visit {merchant.name}"[:255],
                description="Store-level click-out (not listed).",
                offer_type=Offer.Type.DEAL,
                is_store_visit=True,
                network=STORE_VISIT_NETWORK,
                network_offer_id=key,
            )
    except IntegrityError:
        return Offer.all_objects.get(network=STORE_VISIT_NETWORK, network_offer_id=key)


# ---------------------------------------------------------------- impressions


def impressions_record(offer_ids: Iterable[int], *, user_id: int | None, ip_address: str | None, user_agent: str):
    """Buffer impressions of these offers (one Redis round trip); impressions_flush writes them."""
    buffers.impressions_push(list(offer_ids), user_id=user_id, ip_address=ip_address, user_agent=user_agent)


def impressions_flush() -> int:
    """Write buffered impressions to offer_views, one batch per transaction; returns the rows written.

    Exactly once: the batch id is inserted into offer_impression_batches in the same transaction as its rows; a
    batch whose id is already there (written by a run that died before dropping it from Redis) is only dropped.
    """
    buffers.impressions_take_batch()
    written = 0
    for batch_key in buffers.impressions_pending_batches():
        batch_id = batch_key.rsplit(":", 1)[-1]
        items = buffers.impressions_read_batch(batch_key)
        with transaction.atomic():
            _, created = ImpressionBatch.objects.get_or_create(batch_id=batch_id, defaults={"rows": len(items)})
            if created and items:
                written += _insert_views(items)
        buffers.impressions_drop_batch(batch_key)
    return written


def _insert_views(items) -> int:
    offer_ids = {i[0] for i in items}
    user_ids = {i[1] for i in items if i[1]}
    # Rows of offers or users deleted since the impression are skipped, not fatal.
    known_offers = set(Offer.all_objects.filter(pk__in=offer_ids).values_list("pk", flat=True))
    from django.contrib.auth import get_user_model

    known_users = set(get_user_model().all_objects.filter(pk__in=user_ids).values_list("pk", flat=True))
    rows = [
        (
            offer_id,
            user_id if user_id in known_users else None,
            valid_ip(ip),
            ua or None,
            datetime.fromtimestamp(ts, tz=UTC),
        )
        for offer_id, user_id, ip, ua, ts in items
        if offer_id in known_offers
    ]
    if not rows:
        return 0
    copy_sql = "COPY offer_views (offer_id, user_id, ip_address, user_agent, created_at) FROM STDIN"
    with connection.cursor() as cur, cur.copy(copy_sql) as copy:
        for row in rows:
            copy.write_row(row)
    return len(rows)


# ---------------------------------------------------------------- counters and expiry


def _watermark(name: str) -> CounterWatermark:
    CounterWatermark.objects.bulk_create([CounterWatermark(name=name, position=EPOCH)], ignore_conflicts=True)
    return CounterWatermark.objects.select_for_update().get(name=name)


_CLICK_COUNTS = """
WITH per_day AS (
    SELECT offer_id, (created_at AT TIME ZONE %s)::date AS day, count(*) AS n
    FROM offer_clicks WHERE created_at >= %s AND created_at < %s
    GROUP BY 1, 2
), bumped AS (
    UPDATE offers o SET clicks_count = o.clicks_count + t.n
    FROM (SELECT offer_id, sum(n)::int AS n FROM per_day GROUP BY offer_id) t
    WHERE o.id = t.offer_id
)
SELECT offer_id, day, n FROM per_day
"""

_VIEW_COUNTS = """
UPDATE offers o SET views_count = o.views_count + t.n
FROM (SELECT offer_id, count(*)::int AS n FROM offer_views WHERE created_at >= %s AND created_at < %s
      GROUP BY offer_id) t
WHERE o.id = t.offer_id
"""


@dataclass
class CounterRun:
    clicks: int = 0
    views: int = 0
    offers_touched: int = 0


def offer_counters_aggregate(*, now: datetime | None = None) -> CounterRun:
    """Add the clicks and views created since the last run to offers.clicks_count / views_count, and today's
    clicks to the "used today" counts. Incremental on created_at with a watermark row locked and moved in the
    same transaction, so running twice (or twice at once) never counts a row twice. Rows younger than
    COUNTER_LAG are left for the next run, so a click still committing is not skipped."""
    now = now or timezone.now()
    upto = now - COUNTER_LAG
    run = CounterRun()
    per_day: dict[tuple[int, date], int] = {}
    with transaction.atomic():
        mark = _watermark("clicks")
        if upto > mark.position:
            with connection.cursor() as cur:
                cur.execute(_CLICK_COUNTS, [timezone.get_default_timezone_name(), mark.position, upto])
                for offer_id, day, n in cur.fetchall():
                    per_day[(offer_id, day)] = per_day.get((offer_id, day), 0) + n
            run.clicks = sum(per_day.values())
            run.offers_touched = len({k[0] for k in per_day})
            mark.position = upto
            mark.save(update_fields=["position", "updated_at"])
        today = timezone.localdate()
        recent = {k: v for k, v in per_day.items() if k[1] >= today - timedelta(days=1)}
        transaction.on_commit(lambda: buffers.used_today_add(recent))
    with transaction.atomic():
        mark = _watermark("views")
        if upto > mark.position:
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM offer_views WHERE created_at >= %s AND created_at < %s",
                    [mark.position, upto],
                )
                run.views = cur.fetchone()[0]
                if run.views:
                    cur.execute(_VIEW_COUNTS, [mark.position, upto])
            mark.position = upto
            mark.save(update_fields=["position", "updated_at"])
    return run


def offers_expire(*, now: datetime | None = None) -> int:
    """Take offers whose expiry passed since the last run out of every cached listing (bump the listing
    generation). Listing queries already filter on expires_at, so an expired offer is never listed from the
    database and never redirects; this removes it from the cached home sections and store lists too.
    Returns how many offers expired since the last run."""
    now = now or timezone.now()
    with transaction.atomic():
        mark = _watermark("expiry")
        expired = Offer.objects.filter(expires_at__gte=mark.position, expires_at__lt=now).count()
        mark.position = now
        mark.save(update_fields=["position", "updated_at"])
        if expired:
            listing_changed()
    return expired


# ---------------------------------------------------------------- search words

_SEARCH_WORDS = """
INSERT INTO offer_search_words (word, ndoc)
SELECT word, ndoc FROM ts_stat($q$
    SELECT to_tsvector('simple', coalesce(o.title, '') || ' ' || coalesce(o.description, ''))
      FROM offers o JOIN merchants m ON m.id = o.merchant_id
     WHERE o.deleted_at IS NULL AND NOT o.is_store_visit AND m.deleted_at IS NULL AND m.is_active
       AND (o.expires_at IS NULL OR o.expires_at > now())
$q$)
WHERE length(word) BETWEEN 4 AND 100 AND word ~ '^[[:alpha:]]+$'
"""


def search_words_refresh() -> int:
    """Rebuild the list of words used by live offers (search corrects unknown query words to them). One
    transaction: searches see the old list until it commits; concurrent runs queue on an advisory lock."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('offer_search_words'))")
        cur.execute("DELETE FROM offer_search_words")
        cur.execute(_SEARCH_WORDS)
        return cur.rowcount


# ---------------------------------------------------------------- partitions


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def click_partitions_ensure(*, months: int = 3, start: date | None = None) -> list[tuple[str, bool]]:
    """Make sure offer_clicks has a partition for the month of ``start`` (default: this month, UTC) and the next
    ``months`` months; returns (partition name, created now?) per month. Runs as the app role through the
    SECURITY DEFINER function offer_clicks_create_partition (offers migration 0003)."""
    if months < 0:
        raise ValueError("months must not be negative")
    first = (start or timezone.now().astimezone(UTC).date()).replace(day=1)
    out = []
    for i in range(months + 1):
        month = _add_months(first, i)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT offer_clicks_create_partition(%s)", [month])
            created = bool(cur.fetchone()[0])
        out.append((f"offer_clicks_y{month:%Y}m{month:%m}", created))
    return out


# ---------------------------------------------------------------- feed import


@dataclass
class FeedLineError:
    number: int
    reason: str


@dataclass
class ImportReport:
    label: str = "line"
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[FeedLineError] = field(default_factory=list)
    stores_created: list[str] = field(default_factory=list)
    unknown_categories: set[str] = field(default_factory=set)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged


_FEED_FIELDS = (
    "merchant_id",
    "category_id",
    "title",
    "description",
    "offer_type",
    "coupon_code",
    "cashback_type",
    "cashback_value",
    "max_cashback",
    "affiliate_url",
    "terms_conditions",
    "starts_at",
    "expires_at",
)


class _Lookups:
    def __init__(self, network: str, report: ImportReport):
        self.network = network
        self.report = report
        self.merchants: dict[str, Merchant] = {}
        self.categories: dict[str, Category] = {}
        for c in Category.objects.all():
            self.categories.setdefault(c.slug.lower(), c)
            self.categories.setdefault(c.name.lower(), c)

    def merchant(self, name: str) -> Merchant:
        key = name.strip().lower()
        if key not in self.merchants:
            merchant, created = merchant_get_or_create_for_feed(name=name, network=self.network)
            if created:
                self.report.stores_created.append(merchant.name)
            self.merchants[key] = merchant
        return self.merchants[key]

    def category(self, name: str | None) -> Category | None:
        if not name:
            return None
        found = self.categories.get(name.strip().lower())
        if found is None:
            self.report.unknown_categories.add(name)
        return found


def _upsert(item: FeedOffer, network: str, lookups: _Lookups) -> str:
    merchant = lookups.merchant(item.merchant)
    category = lookups.category(item.category)
    values = {
        "merchant_id": merchant.pk,
        "category_id": category.pk if category else None,
        "title": item.title,
        "description": item.description,
        "offer_type": item.offer_type,
        "coupon_code": item.coupon_code,
        "cashback_type": item.cashback_type,
        "cashback_value": item.cashback_value,
        "max_cashback": item.max_cashback,
        "affiliate_url": item.affiliate_url,
        "terms_conditions": item.terms_conditions,
        "starts_at": item.starts_at,
        "expires_at": item.expires_at,
    }
    # Deleted offers are matched too: a feed updates them but never brings one back.
    offer = (
        Offer.all_objects.select_for_update()
        .defer("search_vector")
        .filter(network=network, network_offer_id=item.network_offer_id)
        .first()
    )
    if offer is None:
        Offer.objects.create(network=network, network_offer_id=item.network_offer_id, **values)
        return "created"
    changed = [name for name, value in values.items() if getattr(offer, name) != value]
    if not changed:
        return "unchanged"
    for name in changed:
        setattr(offer, name, values[name])
    offer.save(update_fields=[*changed, "updated_at"])
    return "updated"


def offers_import_feed(
    *,
    rows: Iterable[tuple[int, dict]],
    network: str,
    label: str = "line",
    source: str = "",
    on_row: Callable[[], None] | None = None,
) -> ImportReport:
    """Create or update offers from validated feed lines, keyed by (network, the network's offer id); safe to run
    twice. A bad line is reported with its number and every reason and changes nothing (validation comes first;
    each good line is written in a savepoint of its own, so a database refusal skips just that line). Stores not
    seen before are created inactive. One audit row per run; listings are invalidated on commit."""
    network = network.strip().lower()
    report = ImportReport(label=label)
    with transaction.atomic():
        lookups = _Lookups(network, report)
        for number, raw in rows:
            try:
                item = parse_feed_row(raw)
            except FeedRowError as exc:
                report.errors.append(FeedLineError(number, str(exc)))
            else:
                try:
                    with transaction.atomic():
                        outcome = _upsert(item, network, lookups)
                except DatabaseError as exc:
                    lookups.merchants.clear()  # a store created in the rolled-back savepoint is gone again
                    report.errors.append(FeedLineError(number, f"refused by the database: {exc}".strip()[:300]))
                else:
                    setattr(report, outcome, getattr(report, outcome) + 1)
            if on_row is not None:
                on_row()
        audit_log(
            actor_id=None,
            action=AuditAction.OFFERS_IMPORT_FEED,
            entity_type="offer_feed",
            metadata={
                "network": network,
                "source": source,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "bad_lines": [e.number for e in report.errors],
                "stores_created": report.stores_created,
            },
        )
        if report.created or report.updated:
            listing_changed()
    return report

"""Writes of SEO redirects. Every stored active redirect reaches its final target in one hop:

* a redirect to a path that is itself redirected is saved pointing at that redirect's target (a chain is
  flattened), and the redirects that pointed at the new source are moved on to the new target;
* a redirect that would come back to where it started (directly or through others) is refused.

Saves run under a table lock (SHARE ROW EXCLUSIVE: readers go on, writers wait), so two saves at the same moment
cannot build a loop between them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import connection, transaction

from accounts.services import audit_log

from ..models import SeoRedirect
from ..redirect_table import redirects_changed

STATUSES = {s.value for s in SeoRedirect.Status}
MAX_HOPS = 50  # the table is flat by construction; this only bounds a walk over rows written by hand


class RedirectRefused(Exception):
    """The redirect cannot be saved as it is; the message says why. Nothing was changed."""


def _source(value: str) -> str:
    path = (value or "").strip()
    if not path.startswith("/") or path.startswith("//"):
        raise RedirectRefused(f"The old path must start with a single /, e.g. /stores/old-name/ (got {value!r}).")
    if "?" in path or "#" in path:
        raise RedirectRefused(f"The old path is matched exactly, without a query string or #fragment ({value!r}).")
    if any(c.isspace() for c in path):
        raise RedirectRefused(f"The old path contains spaces ({value!r}).")
    return path


def _target(value: str) -> str:
    target = (value or "").strip()
    parts = urlsplit(target)
    if any(c.isspace() for c in target):
        raise RedirectRefused(f"The target contains spaces ({value!r}).")
    if target.startswith("/") and not target.startswith("//"):
        return target
    if parts.scheme in ("http", "https") and parts.netloc:
        return target
    raise RedirectRefused(f"The target must be a path starting with / or an http(s) URL (got {value!r}).")


def _local_path(target: str) -> str | None:
    """The path a target leads to on this site (None for another site)."""
    return urlsplit(target).path if target.startswith("/") else None


@dataclass(frozen=True)
class Plan:
    source: str
    target: str
    status: int
    keep_query: bool
    repoint: list[int]  # active redirects that led to `source` and now lead to `target`


def _plan(
    *, source_path: str, target_path: str, http_status: int, keep_query: bool, is_active: bool, redirect_id
) -> Plan:
    source, target = _source(source_path), _target(target_path)
    if http_status not in STATUSES:
        raise RedirectRefused(f"The status must be one of {', '.join(map(str, sorted(STATUSES)))}.")
    if _local_path(target) == source:
        raise RedirectRefused(f"{source} would redirect to itself.")
    clash = SeoRedirect.objects.filter(source_path=source).exclude(pk=redirect_id).first()
    if clash is not None:
        raise RedirectRefused(f"{source} already redirects to {clash.target_path}; edit that redirect instead.")
    if not is_active:
        return Plan(source, target, http_status, keep_query, [])
    active = {
        row.source_path: row
        for row in SeoRedirect.objects.filter(is_active=True).exclude(pk=redirect_id).only("source_path", "target_path")
    }
    # Forward: follow the target through other redirects to its end; coming back to `source` is a loop.
    seen = {source}
    hop = _local_path(target)
    for _ in range(MAX_HOPS):
        if hop is None or hop not in active:
            break
        target = active[hop].target_path
        hop = _local_path(target)
        if hop in seen:
            raise RedirectRefused(f"{source} → {target_path} would make a redirect loop (through {target}).")
        seen.add(hop)
    else:
        raise RedirectRefused(f"{source} → {target_path} goes through more than {MAX_HOPS} redirects.")
    # Backward: redirects that lead to `source` now lead straight to the final target.
    repoint = []
    for row in active.values():
        if _local_path(row.target_path) == source:
            if row.source_path == _local_path(target):
                raise RedirectRefused(f"{row.source_path} already redirects to {source}: that would be a loop.")
            repoint.append(row.pk)
    return Plan(source, target, http_status, keep_query, repoint)


def seo_redirect_check(
    *,
    source_path: str,
    target_path: str,
    http_status: int = 301,
    keep_query: bool = False,
    is_active: bool = True,
    redirect_id: int | None = None,
) -> None:
    """Raise RedirectRefused if the redirect could not be saved (forms call it to show the reason early)."""
    _plan(
        source_path=source_path,
        target_path=target_path,
        http_status=http_status,
        keep_query=keep_query,
        is_active=is_active,
        redirect_id=redirect_id,
    )


def _lock_table() -> None:
    with connection.cursor() as cur:
        cur.execute("LOCK TABLE seo_redirects IN SHARE ROW EXCLUSIVE MODE")


def _save_locked(*, plan: Plan, is_active: bool, redirect_id: int | None, actor_id: int | None) -> SeoRedirect:
    fields = {
        "source_path": plan.source,
        "target_path": plan.target,
        "http_status": plan.status,
        "keep_query": plan.keep_query,
        "is_active": is_active,
    }
    if redirect_id is None:
        row = SeoRedirect.objects.create(**fields)
    else:
        row = SeoRedirect.objects.get(pk=redirect_id)
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()
    if plan.repoint:
        SeoRedirect.objects.filter(pk__in=plan.repoint).update(target_path=plan.target)
    audit_log(
        actor_id=actor_id,
        action="seo.redirect_saved",
        entity_type="seo_redirect",
        entity_id=row.pk,
        metadata={**fields, "repointed": plan.repoint},
    )
    redirects_changed()
    return row


def seo_redirect_save(
    *,
    source_path: str,
    target_path: str,
    http_status: int = 301,
    keep_query: bool = False,
    is_active: bool = True,
    redirect_id: int | None = None,
    actor_id: int | None,
) -> SeoRedirect:
    """Create (or, with ``redirect_id``, change) a redirect; chains are flattened, loops refused."""
    with transaction.atomic():
        _lock_table()
        plan = _plan(
            source_path=source_path,
            target_path=target_path,
            http_status=http_status,
            keep_query=keep_query,
            is_active=is_active,
            redirect_id=redirect_id,
        )
        return _save_locked(plan=plan, is_active=is_active, redirect_id=redirect_id, actor_id=actor_id)


def seo_redirect_delete(*, redirect_ids: list[int], actor_id: int | None) -> int:
    with transaction.atomic():
        _lock_table()
        rows = list(SeoRedirect.objects.filter(pk__in=redirect_ids).values("pk", "source_path", "target_path"))
        SeoRedirect.objects.filter(pk__in=[r["pk"] for r in rows]).delete()
        for r in rows:
            audit_log(
                actor_id=actor_id,
                action="seo.redirect_deleted",
                entity_type="seo_redirect",
                entity_id=r["pk"],
                metadata={"source_path": r["source_path"], "target_path": r["target_path"]},
            )
        redirects_changed()
    return len(rows)


def seo_redirect_for_rename(*, old_path: str, new_path: str, actor_id: int | None) -> SeoRedirect | None:
    """A page moved from ``old_path`` to ``new_path`` (a store's or category's slug was renamed): the old URL
    answers 301 to the new one. A redirect away from ``new_path`` (the page lived there before) is removed,
    since that URL is live again. Call it in the transaction of the rename."""
    if old_path == new_path:
        return None
    with transaction.atomic():
        _lock_table()
        stale = list(SeoRedirect.objects.filter(source_path=new_path).values_list("pk", flat=True))
        if stale:
            seo_redirect_delete(redirect_ids=stale, actor_id=actor_id)
        existing = SeoRedirect.objects.filter(source_path=old_path).values_list("pk", flat=True).first()
        plan = _plan(
            source_path=old_path,
            target_path=new_path,
            http_status=301,
            keep_query=True,
            is_active=True,
            redirect_id=existing,
        )
        return _save_locked(plan=plan, is_active=True, redirect_id=existing, actor_id=actor_id)


CSV_COLUMNS = ("source_path", "target_path", "http_status", "keep_query")
_TRUE, _FALSE = {"1", "yes", "true", "y"}, {"", "0", "no", "false", "n"}


class ImportRefused(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def seo_redirects_import(*, data: bytes, actor_id: int | None) -> int:
    """Import a CSV (header: source_path,target_path[,http_status][,keep_query]); a row whose source exists
    updates it. All or nothing: any bad line refuses the whole file, with one message per bad line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(["The file is not UTF-8 text (save it as CSV UTF-8)."]) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if "source_path" not in header or "target_path" not in header:
        raise ImportRefused(["The first line must name the columns: source_path,target_path,http_status,keep_query."])
    errors: list[str] = []
    count = 0
    with transaction.atomic():
        _lock_table()
        for line_no, raw in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
            try:
                status_text = row.get("http_status") or "301"
                if not status_text.isdigit():
                    raise RedirectRefused(f"http_status {status_text!r} is not a number")
                keep = (row.get("keep_query") or "").lower()
                if keep not in _TRUE | _FALSE:
                    raise RedirectRefused(f"keep_query {keep!r} is not yes/no")
                existing = SeoRedirect.objects.filter(source_path=row.get("source_path", "").strip()).first()
                # each line sees the lines before it, so chains within the file are flattened too
                with transaction.atomic():
                    plan = _plan(
                        source_path=row.get("source_path", ""),
                        target_path=row.get("target_path", ""),
                        http_status=int(status_text),
                        keep_query=keep in _TRUE,
                        is_active=True,
                        redirect_id=existing.pk if existing else None,
                    )
                    _save_locked(
                        plan=plan, is_active=True, redirect_id=existing.pk if existing else None, actor_id=actor_id
                    )
                count += 1
            except RedirectRefused as exc:
                errors.append(f"line {line_no}: {exc}")
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ImportRefused(errors)
    if count == 0:
        raise ImportRefused(["The file has no redirect lines."])
    return count

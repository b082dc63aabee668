"""Admin building blocks shared by the apps (soft deletion with a deleted-rows view and restore; actions that
answer 403 to a user without their permission) and the read-only pages of the kernel tables: the audit log and
the idempotency keys."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import cast

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.text import smart_split, unescape_string_literal

from .models import AuditLog, IdempotencyKey
from .money import format_inr


@dataclass(frozen=True)
class MoneyLine:
    """One row of a money confirmation page: whose money, what moves, how much."""

    shopper: object  # the user (shown by str(); e-mail or mobile)
    what: str
    amount: Decimal


CONFIRM_FIELD = "confirmed"
"""The POST field that says "I have seen the confirmation page": without it a money action only shows it."""


def confirmed(request) -> bool:
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "yes"


def money_confirmation(
    modeladmin,
    request,
    *,
    title: str,
    lines: Iterable[MoneyLine],
    hidden: Iterable[tuple[str, str]],
    cancel_url: str,
    form=None,
    note: str = "",
) -> TemplateResponse:
    """The page shown before any money moves: each affected shopper with the amount, the total, and a form
    that posts ``hidden`` again with ``confirmed=yes`` (plus ``form``'s fields, e.g. a reason). Cancel is a
    link back: nothing is posted, nothing changes."""
    lines = list(lines)
    return TemplateResponse(
        request,
        "admin/confirm_money.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "lines": lines,
            "total": sum((line.amount for line in lines), Decimal("0")),
            "shoppers": len({str(line.shopper) for line in lines}),
            "hidden": list(hidden),
            "form": form,
            "note": note,
            "cancel_url": cancel_url,
            "confirm_field": CONFIRM_FIELD,
            "opts": modeladmin.opts,
        },
    )


def action_hidden(action: str, queryset) -> list[tuple[str, str]]:
    """The fields that post a changelist action again for the same rows."""
    return [("action", action), *((ACTION_CHECKBOX_NAME, str(pk)) for pk in queryset.values_list("pk", flat=True))]


def json_fields(field: str, description: str | None = None, *, hide: tuple[str, ...] = ()):
    """A read-only display of a JSON column as "key: value" lines instead of raw JSON; keys in ``hide`` (and any
    key naming a secret or ciphertext: "encrypted", "secret", "token", "signature") are left out."""

    @admin.display(description=description or field.replace("_", " "))
    def display(*args):  # (obj) in readonly_fields, (modeladmin, obj) as a ModelAdmin attribute
        value = getattr(args[-1], field)
        if value in (None, "", {}, []):
            return "—"
        if not isinstance(value, dict):
            return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        secret = ("encrypted", "secret", "token", "signature", *hide)
        rows = [(k.replace("_", " "), v) for k, v in value.items() if not any(s in k.lower() for s in secret)]
        return format_html_join("", "<div>{}: {}</div>", ((k, _plain(v)) for k, v in rows)) or "—"

    display.__name__ = display.__qualname__ = f"{field}_display"
    return display


def _plain(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    return "—" if value in (None, "") else str(value)


def inr_column(field: str, description: str | None = None):
    """A list_display column showing a money field as ₹ with Indian grouping (couponali.money.format_inr),
    sortable by the field: ``list_display = ("user", inr_column("amount"), ...)``."""

    @admin.display(description=description or field.replace("_", " "), ordering=field)
    def column(obj):
        value = getattr(obj, field)
        return "—" if value is None else format_inr(value)

    column.__name__ = column.__qualname__ = field
    return column


def table_row_estimate(table: str, using: str = "default") -> int:
    """The planner's row count of a table (pg_class.reltuples, kept by autovacuum/ANALYZE), summed over the
    partitions of a partitioned one. -1 when the table has never been analysed (no estimate)."""
    with connections[using].cursor() as cur:
        cur.execute(
            """
            SELECT c.reltuples::bigint, (SELECT sum(p.reltuples)::bigint FROM pg_inherits i
                                         JOIN pg_class p ON p.oid = i.inhrelid
                                         WHERE i.inhparent = c.oid AND p.reltuples >= 0)
            FROM pg_class c WHERE c.oid = to_regclass(%s)
            """,
            [table],
        )
        row = cur.fetchone()
    if row is None:
        return -1
    own, partitions = row
    if partitions is not None:
        return int(partitions)
    return int(own)


class EstimatedCountPaginator(Paginator):
    """Pagination of a large table without a full COUNT(*) on every page load. An unfiltered list takes the
    planner's estimate once the table holds more than ``exact_up_to`` rows; a filtered one counts at most
    ``exact_up_to`` + 1 matching rows (a LIMITed subquery), so a broad filter on a huge table costs a bounded
    scan and shows "10,001" rather than the exact total. Narrower filters count exactly."""

    exact_up_to = 10_000

    @cached_property
    def count(self) -> int:
        qs = cast(QuerySet, self.object_list)
        if not qs.query.where:
            estimate = table_row_estimate(qs.model._meta.db_table, qs.db)
            if estimate > self.exact_up_to:
                return estimate
        return qs.order_by()[: self.exact_up_to + 1].count()


class LargeTableAdminMixin:
    """For changelists of tables that grow without bound (clicks, cashback events, users, audit logs): no
    second COUNT(*) of the whole table for "N total" and the paginator above. Keep list_filter and
    search_fields on indexed columns and name the joins in list_select_related.

    Search: each search field is its own subquery on the primary key (``pk IN (...) OR pk IN (...)``), so each
    can use its own index (Django's one WHERE with an OR across joined tables cannot). ``"=field"`` means an
    exact match, tried only when the term is a valid value for the field (a click id must be a UUID); other
    fields match a part, case-insensitively (give them a trigram index)."""

    show_full_result_count = False
    paginator: type[Paginator] = EstimatedCountPaginator

    def get_search_results(self, request, queryset, search_term):
        specs = self.get_search_fields(request)
        if not specs or not search_term.strip():
            return queryset, False
        base = self.model._base_manager.all()
        for term in smart_split(search_term):
            bit = unescape_string_literal(term) if term[:1] in "\"'" and term[0] == term[-1] else term
            matches = Q()
            for spec in specs:
                lookup = self._search_lookup(spec, bit)
                if lookup is not None:
                    matches |= Q(pk__in=base.filter(**lookup).values("pk"))
            queryset = queryset.filter(matches) if matches else queryset.none()
        return queryset, False

    def _search_lookup(self, spec: str, term: str) -> dict | None:
        name = spec.removeprefix("=")
        if not spec.startswith("="):
            return {f"{name}__icontains": term}
        field = get_fields_from_path(self.model, name)[-1]  # type: ignore[attr-defined]
        try:
            value = field.to_python(term)
        except ValidationError:
            return None
        return {name: value}


class PermissionCheckedActionsMixin:
    """Actions declare their permissions (``@admin.action(permissions=[...])`` and ``has_<x>_permission``):
    Django then offers only the ones the user may use. A POST naming any other action - a forged form, or
    a page left open after the permission was withdrawn - is answered 403 instead of Django's silent "No
    action selected", so that a refusal is visible; the service behind the action checks again anyway."""

    def changelist_view(self, request, extra_context=None):
        name = request.POST.get("action") if request.method == "POST" else None
        if name and name not in self.get_actions(request):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("live", "Live"), ("deleted", "Deleted"), ("all", "All")]

    def choices(self, changelist):
        # "Live" is the default, so the unfiltered choice is labelled as such.
        value = self.value() or "live"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "live"
        if value == "live":
            return queryset.filter(deleted_at__isnull=True)
        if value == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


class SoftDeleteAdmin(admin.ModelAdmin):
    """Deleting sets deleted_at; the 'deleted' filter shows deleted rows; 'Restore' brings them back."""

    actions = ["restore_selected"]

    def get_queryset(self, request):
        qs = self.model.all_objects.get_queryset()
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_list_filter(self, request):
        return [DeletedFilter, *super().get_list_filter(request)]

    def delete_model(self, request, obj):
        obj.delete()

    def delete_queryset(self, request, queryset):
        queryset.filter(deleted_at__isnull=True).update(deleted_at=timezone.now())

    @admin.action(description="Restore selected (undelete)")
    def restore_selected(self, request, queryset):
        count = queryset.filter(deleted_at__isnull=False).update(deleted_at=None)
        self.message_user(request, f"Restored {count} row(s).", messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that nobody edits by hand: append-only logs and records written by the code."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def choices_filter(field: str, choices, title: str | None = None) -> type[admin.SimpleListFilter]:
    """A list filter on ``field`` offering known ``choices`` ((value, label) pairs, e.g. an enum's), instead of
    Django's default for a plain column, a SELECT DISTINCT over the whole table on every page load."""

    class ChoicesFilter(admin.SimpleListFilter):
        parameter_name = f"{field}__exact"

        def lookups(self, request, model_admin):
            return list(choices)

        def queryset(self, request, queryset):
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    ChoicesFilter.title = title or field.replace("_", " ")
    ChoicesFilter.__name__ = ChoicesFilter.__qualname__ = f"{field.title().replace('_', '')}ChoicesFilter"
    return ChoicesFilter


class IndexedValuesFilter(admin.SimpleListFilter):
    """The distinct values of an indexed column found by walking its index (a recursive CTE taking the next
    larger value each step: one index probe per distinct value) instead of a DISTINCT reading every row.
    Subclass with ``title`` and ``parameter_name = "<column>__exact"``; the column must lead a b-tree index."""

    def _column(self) -> str:
        return str(self.parameter_name).removesuffix("__exact")

    def lookups(self, request, model_admin):
        field = model_admin.model._meta.get_field(self._column())
        table, column = model_admin.model._meta.db_table, field.column
        qn = connections["default"].ops.quote_name
        sql = (
            f"WITH RECURSIVE v(x) AS (SELECT min({qn(column)}) FROM {qn(table)} "  # noqa: S608 - names from _meta
            f"UNION ALL SELECT (SELECT min({qn(column)}) FROM {qn(table)} WHERE {qn(column)} > v.x) "
            f"FROM v WHERE v.x IS NOT NULL) SELECT x FROM v WHERE x IS NOT NULL LIMIT 200"
        )
        with connections["default"].cursor() as cur:
            cur.execute(sql)
            return [(value, value) for (value,) in cur.fetchall()]

    def queryset(self, request, queryset):
        return queryset.filter(**{self._column(): self.value()}) if self.value() else queryset


class AuditEntityFilter(IndexedValuesFilter):
    title = "entity"
    parameter_name = "entity_type__exact"  # leads idx_audit_logs_entity


@admin.register(AuditLog)
class AuditLogAdmin(LargeTableAdminMixin, ReadOnlyAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ("created_at", "actor_user", "action", "entity_type", "entity_id")
    list_filter = (choices_filter("action", AuditLog.Action.choices), AuditEntityFilter, "created_at")
    list_select_related = ("actor_user",)
    search_fields = ("actor_user__email",)
    search_help_text = "Part of the acting user's e-mail (filter by action and entity on the right)."
    raw_id_fields = ("actor_user",)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ("key", "user", "response_status", "created_at")
    list_filter = ("response_status", "created_at")
    search_fields = ("key", "user__email")

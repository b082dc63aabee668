"""Admin building blocks shared by the apps (the audit of every admin change, soft deletion with a deleted-rows
view and restore; actions that answer 403 to a user without their permission) and the read-only pages of the
kernel tables: the audit log (filters, per-object history, CSV export) and the idempotency keys."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import cast

from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.socialaccount.admin import SocialAccountAdmin, SocialAppAdmin, SocialTokenAdmin
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import smart_split, unescape_string_literal

from . import masking
from .admin_audit import AuditedModelAdmin
from .audit import AuditAction, audit_log, entity_type_of
from .models import AuditLog, IdempotencyKey
from .money import format_inr


@dataclass(frozen=True)
class MoneyLine:
    """One row of a money confirmation page: whose money, what moves, how much."""

    shopper: object  # the user (shown by str(); e-mail or mobile); None: a row that would reach nobody
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
            "shoppers": len({str(line.shopper) for line in lines if line.shopper is not None}),
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

    Search: a field of a joined table is its own subquery on the primary key (``pk IN (...) OR ...``), so that it
    can use its own index (Django's one WHERE with an OR across joined tables cannot); the table's own fields
    are plain conditions, which PostgreSQL combines as index bitmaps (a subquery per own field made each term a
    hashed scan: a two-word user search took 275 ms at 100,000 users, bench/README.md). ``"=field"`` means an
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
                if lookup is None:
                    continue
                if "__" in spec.removeprefix("="):  # a joined table's column: a subquery of its own
                    matches |= Q(pk__in=base.filter(**lookup).values("pk"))
                else:  # the table's own column: a plain condition, which PostgreSQL ORs and ANDs as bitmaps
                    matches |= Q(**lookup)
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


__all__ = [
    "AuditedModelAdmin",
    "DeletedFilter",
    "PermissionCheckedActionsMixin",
    "ReadOnlyAdmin",
    "SoftDeleteAdmin",
]
MONEY_MIN_DIGITS = 10
"""A DECIMAL(n, 2) with n of at least 10 is an amount of rupees (the seed's money columns); a DECIMAL(5, 2) is a
percentage and keeps Django's own display."""


def _is_money(field: models.Field) -> bool:
    return (
        isinstance(field, models.DecimalField)
        and field.decimal_places == 2
        and (field.max_digits or 0) >= MONEY_MIN_DIGITS
    )


def _money_field(model, name) -> models.Field | None:
    try:
        field = model._meta.get_field(name) if isinstance(name, str) else None
    except FieldDoesNotExist:
        return None
    return field if field is not None and _is_money(field) else None


def _inr_readonly(wrapper, model, *, all_readonly: bool) -> None:
    """Swap the read-only amount fields of a change page (``helpers.AdminForm``) or of one of its inlines
    (``helpers.InlineAdminFormSet``) for :func:`inr_column` displays, in its fieldsets and its read-only list
    alike; editable amounts stay inputs. ``all_readonly``: a view-only page, where every field is read-only."""
    readonly = list(wrapper.readonly_fields)
    swapped: dict[str, object] = {}

    def swap(name):
        if isinstance(name, (list, tuple)):
            return type(name)(swap(n) for n in name)
        field = _money_field(model, name)
        if field is None or not (all_readonly or name in readonly):
            return name
        if name not in swapped:
            swapped[name] = inr_column(name, str(field.verbose_name))
        return swapped[name]

    wrapper.fieldsets = [(title, {**opts, "fields": swap(opts["fields"])}) for title, opts in wrapper.fieldsets]
    wrapper.readonly_fields = [swapped.get(n, n) if isinstance(n, str) else n for n in readonly]
    wrapper.readonly_fields += [c for c in swapped.values() if c not in wrapper.readonly_fields]


class InrAmountsMixin:
    """Change lists show every rupee amount with lakh grouping, like the pages, e-mails and CSVs do: the amount
    columns of ``list_display`` are swapped for :func:`inr_column` (ordering and labels kept). Change pages
    too: their read-only amount fields (and those of their inlines) are shown the same way."""

    def get_list_display(self, request):
        columns = []
        for name in super().get_list_display(request):
            field = _money_field(self.model, name)
            columns.append(inr_column(name, str(field.verbose_name)) if field else name)
        return columns

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        adminform = context.get("adminform")
        if adminform is not None:
            view_only = not add and obj is not None and not self.has_change_permission(request, obj)
            _inr_readonly(adminform, self.model, all_readonly=view_only)
        for inline in context.get("inline_admin_formsets", ()):
            _inr_readonly(inline, inline.opts.model, all_readonly=not inline.has_change_permission)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


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


class SoftDeleteAdmin(PermissionCheckedActionsMixin, AuditedModelAdmin, admin.ModelAdmin):
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

    # Restoring undoes a delete: the same permission (without it, anyone who may view the list could restore).
    @admin.action(description="Restore selected (undelete)", permissions=["delete"])
    def restore_selected(self, request, queryset):
        count = queryset.filter(deleted_at__isnull=False).update(deleted_at=None)
        self.message_user(request, f"Restored {count} row(s).", messages.SUCCESS)


class ReadOnlyAdmin(InrAmountsMixin, AuditedModelAdmin, admin.ModelAdmin):
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


# ---------------------------------------------------------------- the audit log

EXPORT_PERMISSION = "couponali.export_auditlog"
EXPORT_MAX_ROWS = 100_000  # a larger export must be narrowed by the filters (a date range, an actor...)


def _text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items()) or "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def metadata_rows(metadata: dict | None) -> list[tuple[str, str, str | None]]:
    """An audit row's metadata as (field, before, after) for the changed fields, then (key, value, None) for the
    rest: how the admin and the CSV show it, never as raw JSON."""
    data = masking.mask_metadata(metadata)  # rows written before the rule existed are masked when shown
    before, after = data.pop("before", None), data.pop("after", None)
    rows: list[tuple[str, str, str | None]] = []
    if isinstance(before, dict) or isinstance(after, dict):
        before, after = before or {}, after or {}
        for key in dict.fromkeys([*before, *after]):
            rows.append((str(key), _text(before.get(key)), _text(after.get(key))))
    if "from" in data and "to" in data:
        rows.append(("value", _text(data.pop("from")), _text(data.pop("to"))))
    rows.extend((str(key), _text(value), None) for key, value in data.items())
    return rows


def metadata_text(metadata: dict | None) -> str:
    return "; ".join(f"{k}: {b} → {a}" if a is not None else f"{k}: {b}" for k, b, a in metadata_rows(metadata))


class ActionFilter(admin.SimpleListFilter):
    """The actions from AuditAction (the one list): no query over a large table to build the choices."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return sorted(AuditAction.choices)

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class EntityTypeFilter(admin.SimpleListFilter):
    """Entity types as the models name them (couponali.audit.entity_type_of); any other value works in the URL."""

    title = "entity type"
    parameter_name = "entity_type"

    def lookups(self, request, model_admin):
        names = {entity_type_of(model) for model in apps.get_models()}
        if self.value():
            names.add(self.value())
        return [(name, name.replace("_", " ")) for name in sorted(names)]

    def queryset(self, request, queryset):
        return queryset.filter(entity_type=self.value()) if self.value() else queryset


class ActorFilter(admin.SimpleListFilter):
    """Staff members (a short list) and "nobody" (the system: jobs, webhooks); any user id works in the URL."""

    title = "actor"
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        staff = apps.get_model("accounts", "User").objects.filter(is_staff=True).order_by("email")
        return [("none", "System (no actor)"), *((str(u.pk), u.email or f"user #{u.pk}") for u in staff[:200])]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(actor_user__isnull=True)
        if value and value.isdigit():
            return queryset.filter(actor_user_id=int(value))
        return queryset


@admin.register(AuditLog)
class AuditLogAdmin(LargeTableAdminMixin, ReadOnlyAdmin):
    """Read-only: the audit log is append-only (the app role has no UPDATE or DELETE on it). Filter by actor,
    action, entity and date; an object's *History* opens this list filtered to it; *Export CSV* (permission
    couponali.export_auditlog) downloads what the filters select."""

    list_display = ("created_at", "actor_user", "action", "entity", "changes_summary", "ip_address", "request_id")
    # A date filter of fixed ranges (today, past 7 days, this month...) rather than a date hierarchy, which reads the
    # whole log for its years and months on every page.
    list_filter = (ActionFilter, EntityTypeFilter, ActorFilter, "created_at")
    search_fields = ("=request_id", "=action", "=entity_type", "actor_user__email")
    list_select_related = ("actor_user",)
    fields = ("created_at", "actor_user", "action", "entity_type", "entity_id", "changes", "ip_address", "request_id")
    readonly_fields = fields

    def lookup_allowed(self, lookup, value, request=None):
        return lookup in {"entity_id", "entity_type", "actor_user_id", "request_id"} or super().lookup_allowed(
            lookup, value, request
        )

    @admin.display(description="entity")
    def entity(self, obj):
        if not obj.entity_type:
            return "—"
        return f"{obj.entity_type} #{obj.entity_id}" if obj.entity_id is not None else obj.entity_type

    @admin.display(description="details")
    def changes_summary(self, obj):
        text = metadata_text(obj.metadata)
        return text if len(text) <= 160 else text[:159] + "…"

    @admin.display(description="details")
    def changes(self, obj):
        rows = metadata_rows(obj.metadata)
        if not rows:
            return "—"
        body = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (field, before, "→" if after is not None else "", after if after is not None else "")
                for field, before, after in rows
            ),
        )
        return format_html(
            '<table class="audit-changes"><thead><tr><th>field</th><th>before</th><th></th><th>after</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            body,
        )

    def get_urls(self):
        export = path("export/", self.admin_site.admin_view(self.export_view), name="couponali_auditlog_export")
        return [export, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        context = {
            **(extra_context or {}),
            "can_export": request.user.has_perm(EXPORT_PERMISSION),
            "export_url": reverse(f"{self.admin_site.name}:couponali_auditlog_export"),
        }
        entity_type, entity_id = request.GET.get("entity_type"), request.GET.get("entity_id")
        if entity_type and entity_id:
            context["title"] = f"History of {entity_type.replace('_', ' ')} #{entity_id}"
        return super().changelist_view(request, context)

    def export_view(self, request):
        """The rows the changelist's filters select, as CSV; the export itself is audited."""
        if not (self.has_view_permission(request) and request.user.has_perm(EXPORT_PERMISSION)):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request).select_related("actor_user").order_by("-created_at", "-id")
        rows = list(queryset[: EXPORT_MAX_ROWS + 1])
        if len(rows) > EXPORT_MAX_ROWS:
            self.message_user(
                request,
                f"More than {EXPORT_MAX_ROWS:,} rows match: narrow the filters (a date, an actor) and export again.",
                messages.ERROR,
            )
            return HttpResponse(
                status=303,
                headers={
                    "Location": reverse(f"{self.admin_site.name}:couponali_auditlog_changelist")
                    + "?"
                    + request.GET.urlencode()
                },
            )
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            ["created_at", "actor", "action", "entity_type", "entity_id", "details", "ip_address", "request_id"]
        )
        for row in rows:
            writer.writerow(
                [
                    row.created_at.isoformat(),
                    row.actor_user.email if row.actor_user else "",
                    row.action,
                    row.entity_type or "",
                    "" if row.entity_id is None else row.entity_id,
                    metadata_text(row.metadata),
                    row.ip_address or "",
                    row.request_id or "",
                ]
            )
        audit_log(
            actor_id=request.user.pk,
            action=AuditAction.AUDIT_EXPORT,
            entity_type="audit_log",
            metadata={"filters": dict(request.GET.items()), "rows": len(rows)},
        )
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{timezone.now():%Y%m%d-%H%M}.csv"'
        return response


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ("key", "user", "response_status", "created_at")
    list_filter = ("response_status", "created_at")
    search_fields = ("key", "user__email")


# ---------------------------------------------------------------- other apps' models, audited too


class AuditedGroupAdmin(AuditedModelAdmin, GroupAdmin):
    pass


class AuditedEmailAddressAdmin(AuditedModelAdmin, EmailAddressAdmin):
    pass


class AuditedSocialAppAdmin(AuditedModelAdmin, SocialAppAdmin):
    pass


class AuditedSocialAccountAdmin(AuditedModelAdmin, SocialAccountAdmin):
    pass


class AuditedSocialTokenAdmin(AuditedModelAdmin, SocialTokenAdmin):
    pass


# Registered by django.contrib.auth and allauth (listed before this app in INSTALLED_APPS): registered again
# with the audit mixin, so that a change to a group's permissions or a sign-in app's keys is audited like ours.
for _model, _admin_class in (
    (Group, AuditedGroupAdmin),
    (EmailAddress, AuditedEmailAddressAdmin),
    (SocialApp, AuditedSocialAppAdmin),
    (SocialAccount, AuditedSocialAccountAdmin),
    (SocialToken, AuditedSocialTokenAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)

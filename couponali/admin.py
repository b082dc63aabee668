"""Admin building blocks shared by the apps (the audit of every admin change, soft deletion with a deleted-rows
view and restore; actions that answer 403 to a user without their permission) and the read-only pages of the
kernel tables: the audit log (filters, per-object history, CSV export) and the idempotency keys."""

from __future__ import annotations

import csv
import io

from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.socialaccount.admin import SocialAccountAdmin, SocialAppAdmin, SocialTokenAdmin
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from . import masking
from .admin_audit import AuditedModelAdmin
from .audit import AuditAction, audit_log, entity_type_of
from .models import AuditLog, IdempotencyKey

__all__ = [
    "AuditedModelAdmin",
    "DeletedFilter",
    "PermissionCheckedActionsMixin",
    "ReadOnlyAdmin",
    "SoftDeleteAdmin",
]


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


class SoftDeleteAdmin(AuditedModelAdmin, admin.ModelAdmin):
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


class ReadOnlyAdmin(AuditedModelAdmin, admin.ModelAdmin):
    """Rows that nobody edits by hand: append-only logs and records written by the code."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
class AuditLogAdmin(ReadOnlyAdmin):
    """Read-only: the audit log is append-only (the app role has no UPDATE or DELETE on it). Filter by actor,
    action, entity and date; an object's *History* opens this list filtered to it; *Export CSV* (permission
    couponali.export_auditlog) downloads what the filters select."""

    list_display = ("created_at", "actor_user", "action", "entity", "changes_summary", "ip_address", "request_id")
    list_filter = (ActionFilter, EntityTypeFilter, ActorFilter)
    date_hierarchy = "created_at"
    search_fields = ("=request_id", "=action", "=entity_type", "actor_user__email")
    list_select_related = ("actor_user",)
    show_full_result_count = False  # no COUNT(*) of the whole log on every page
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

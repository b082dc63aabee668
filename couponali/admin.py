"""Admin building blocks shared by the apps (soft deletion with a deleted-rows view and restore; actions that
answer 403 to a user without their permission) and the read-only pages of the kernel tables: the audit log and
the idempotency keys."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.utils import timezone

from .models import AuditLog, IdempotencyKey
from .money import format_inr

MONEY_MIN_DIGITS = 10
"""A DECIMAL(n, 2) with n of at least 10 is an amount of rupees (the seed's money columns); a DECIMAL(5, 2) is a
percentage and keeps Django's own display."""


def _is_money(field: models.Field) -> bool:
    return (
        isinstance(field, models.DecimalField)
        and field.decimal_places == 2
        and (field.max_digits or 0) >= MONEY_MIN_DIGITS
    )


def inr_column(name: str, label: str):
    """A change-list column showing the amount field ``name`` as "₹1,23,456.78" (couponali.money.format_inr),
    sortable by the field."""

    @admin.display(description=label, ordering=name)
    def column(obj):
        value = getattr(obj, name)
        return "" if value is None else format_inr(value)

    column.__name__ = f"{name}_inr"
    return column


class InrAmountsMixin:
    """Change lists show every rupee amount with lakh grouping, like the pages, e-mails and CSVs do: the amount
    columns of ``list_display`` are swapped for :func:`inr_column` (ordering and labels kept)."""

    def get_list_display(self, request):
        columns = []
        for name in super().get_list_display(request):
            try:
                field = self.model._meta.get_field(name) if isinstance(name, str) else None
            except FieldDoesNotExist:
                field = None
            columns.append(inr_column(name, str(field.verbose_name)) if field and _is_money(field) else name)
        return columns


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


class ReadOnlyAdmin(InrAmountsMixin, admin.ModelAdmin):
    """Rows that nobody edits by hand: append-only logs and records written by the code."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ("created_at", "actor_user", "action", "entity_type", "entity_id")
    list_filter = ("action", "entity_type", "created_at")
    search_fields = ("action", "entity_type", "actor_user__email")
    raw_id_fields = ("actor_user",)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ("key", "user", "response_status", "created_at")
    list_filter = ("response_status", "created_at")
    search_fields = ("key", "user__email")

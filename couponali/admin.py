"""Admin building blocks shared by the apps: soft deletion with a deleted-rows view and restore; actions
that answer 403 to a user without their permission."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils import timezone


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

"""Every change made through the admin is written to the audit log, with the changed fields' values before and
after, in the transaction of the change: :class:`AuditedModelAdmin`, a mixin in the bases of every registered
ModelAdmin (couponali/tests/test_admin_audit.py checks that none is missing).

* add / change: the object is read as the admin loads it (``get_object``, before the form touches it) and again
  from the database after ``save_model``/``save_related`` (so a change a service makes is seen too);
  ``log_addition`` / ``log_change`` - which Django calls inside the change view's transaction - write the row
  (``admin.add`` / ``admin.change``). ``list_editable`` rows, which the admin does not load through
  ``get_object``, are recorded from their forms' initial and cleaned values. Inline rows added, changed or
  deleted with an object get rows of their own (``save_formset``), with their values before and after and the
  object they were edited with (``metadata.with``); the object's own row lists them under ``related``.
* delete: ``log_deletions`` (called before the deletion, by the delete page and the *delete selected* action)
  writes an ``admin.delete`` row per object with its last values.
* actions: each action is wrapped so that the selected rows are read before and after it runs, one
  ``admin.action`` row per object that changed (or disappeared), naming the action.
* *History* on an object's page opens the audit log filtered to that object.

Values are masked by the one rule (couponali.masking) before they are written: secrets and KYC values never
reach the audit log.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from . import masking
from .audit import AuditAction, audit_log, audit_log_many, diff, entity_type_of

MAX_TEXT = 1000  # characters of a long text value kept in the audit row (a page body, a note)
# Columns whose every change is noise: kept current by triggers, or counters the jobs move.
SKIPPED_FIELDS = frozenset({"updated_at"})
BEFORE_ATTR = "audit_before"  # request attribute: {(label, pk): snapshot} read by get_object
LOGGED_ATTR = "audit_logged"  # request attribute: {(label, pk)} already written by log_deletions


def _sorted(values: list) -> list:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


# (types, conversion to JSON), first match wins; anything else is shown as str().
_PLAIN = (
    ((Decimal, uuid.UUID), str),
    ((datetime.datetime, datetime.date, datetime.time), lambda v: v.isoformat()),
    ((bytes, memoryview), lambda v: f"<{len(v)} bytes>"),
    ((FieldFile,), lambda v: v.name or None),
    ((models.Model,), lambda v: v.pk),
    ((dict,), lambda v: {str(k): plain(item) for k, item in v.items()}),
    ((list, tuple), lambda v: [plain(item) for item in v]),
    # a many-to-many value (a form's queryset, a set of rows): the sorted primary keys
    ((models.QuerySet, set, frozenset), lambda v: _sorted([plain(item) for item in v])),
)


def plain(value):
    """A field value as JSON: Decimal and dates as strings, files by name, binary by size."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    for types, convert in _PLAIN:
        if isinstance(value, types):
            return convert(value)
    return str(value)


def snapshot(obj, *, many_to_many: bool = False) -> dict:
    """The object's field values (raw: masked only when written), keyed by column attribute (``user_id``)."""
    values = {
        field.attname: plain(field.value_from_object(obj))
        for field in obj._meta.concrete_fields
        if field.attname not in SKIPPED_FIELDS and not field.primary_key
    }
    if many_to_many and obj.pk is not None:
        for field in obj._meta.many_to_many:
            values[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
    return values


def _shown(value):
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "…"
    return value


def masked_change(model, before: dict, after: dict) -> dict:
    """The changed fields' before/after values, masked (the values are compared raw, so a secret that changed
    shows as "[hidden] -> [hidden]")."""
    table = model._meta.db_table
    change = diff(before, after)
    return {
        side: {k: _shown(masking.mask_value(k, v, table=table)) for k, v in values.items()}
        for side, values in change.items()
    }


def _entity_id(obj) -> int | None:
    return obj.pk if isinstance(obj.pk, int) else None


def _key(obj) -> tuple[str, str]:
    return (obj._meta.label, str(obj.pk))


def _stash(request, name: str, factory):
    if not hasattr(request, name):
        setattr(request, name, factory())
    return getattr(request, name)


def _describe(obj) -> dict:
    data = {"object": str(obj)[:200]}
    if not isinstance(obj.pk, int):
        data["pk"] = str(obj.pk)
    return data


def _form_change(form) -> tuple[dict, dict]:
    fields = [f for f in form.changed_data if f not in SKIPPED_FIELDS]
    return (
        {f: plain(form.initial.get(f)) for f in fields},
        {f: plain(form.cleaned_data.get(f)) for f in fields},
    )


def _audited_action(func, name: str):
    """``func`` run with the selection read before and after: one admin.action row per object it changed."""

    @functools.wraps(func)
    def run(modeladmin, request, queryset):
        model = queryset.model
        with transaction.atomic():
            before = {obj.pk: snapshot(obj) for obj in queryset}
            response = func(modeladmin, request, queryset)
            after = {obj.pk: snapshot(obj) for obj in model._base_manager.filter(pk__in=list(before))}
            logged = _stash(request, LOGGED_ATTR, set)
            entries = []
            for pk, old in before.items():
                if (model._meta.label, str(pk)) in logged or not isinstance(pk, int):
                    continue
                new = after.get(pk)
                change = masked_change(model, old, new or {})
                if change["before"] or change["after"]:
                    entries.append((pk, {"action": name, **change, **({"deleted": True} if new is None else {})}))
            if entries:
                audit_log_many(
                    actor_id=request.user.pk,
                    action=AuditAction.ADMIN_ACTION,
                    entity_type=entity_type_of(model),
                    entries=entries,
                )
        return response

    return run


class AuditedModelAdmin:
    """Mixin for every ModelAdmin (in its bases, before ``admin.ModelAdmin``): an audit row with before/after for
    each add, change, delete and action. See the module docstring."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            many = request.method == "POST"
            _stash(request, BEFORE_ATTR, dict)[_key(obj)] = snapshot(obj, many_to_many=many)
        return obj

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        if form is not None and getattr(form, "instance", None) is not None:
            _stash(request, "audit_forms", dict)[_key(form.instance)] = _form_change(form)
        return message

    def _fresh(self, obj):
        return type(obj)._base_manager.filter(pk=obj.pk).first() or obj

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        change = masked_change(type(obj), {}, snapshot(self._fresh(obj), many_to_many=True))
        audit_log(
            actor_id=request.user.pk,
            action=AuditAction.ADMIN_ADD,
            entity_type=entity_type_of(type(obj)),
            entity_id=_entity_id(obj),
            metadata={**_describe(obj), **change},
        )
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        before = getattr(request, BEFORE_ATTR, {}).pop(_key(obj), None)
        if before is not None:
            fresh = self._fresh(obj)
            change = masked_change(type(obj), before, snapshot(fresh, many_to_many=bool(obj._meta.many_to_many)))
        else:  # a list_editable row: its form knows what changed
            old, new = getattr(request, "audit_forms", {}).get(_key(obj), ({}, {}))
            change = masked_change(type(obj), old, new)
        inlines = self._inline_summary(obj, message)
        if not (change["before"] or change["after"] or inlines):
            return entry
        audit_log(
            actor_id=request.user.pk,
            action=AuditAction.ADMIN_CHANGE,
            entity_type=entity_type_of(type(obj)),
            entity_id=_entity_id(obj),
            metadata={**_describe(obj), **change, **({"related": inlines} if inlines else {})},
        )
        return entry

    def save_formset(self, request, form, formset, change):
        """Inline rows (a store's commissions, an order's refunds...) get audit rows of their own with the changed
        fields' values before and after, naming the object they were edited with; the parent's row lists them."""
        model = formset.model
        deleting = set(map(id, formset.deleted_forms))
        before = {  # read before the save: a deleted row's pk is gone afterwards
            id(f.instance): (f.instance.pk, snapshot(model._base_manager.get(pk=f.instance.pk)))
            for f in formset.initial_forms
            if f.instance.pk is not None and (f.has_changed() or id(f) in deleting)
        }
        super().save_formset(request, form, formset, change)
        parent = {"with": {"entity_type": entity_type_of(type(form.instance)), "entity_id": _entity_id(form.instance)}}
        rows = [(AuditAction.ADMIN_ADD, obj, obj.pk, {}, self._fresh(obj)) for obj in formset.new_objects]
        rows += [
            (AuditAction.ADMIN_CHANGE, obj, obj.pk, before.get(id(obj), (None, {}))[1], self._fresh(obj))
            for obj, _fields in formset.changed_objects
        ]
        rows += [
            (AuditAction.ADMIN_DELETE, obj, *before.get(id(obj), (None, {})), None) for obj in formset.deleted_objects
        ]
        for action, obj, pk, old, fresh in rows:
            after = snapshot(fresh, many_to_many=True) if fresh is not None else {}
            change = masked_change(model, old, after)
            if not (change["before"] or change["after"]):
                continue
            audit_log(
                actor_id=request.user.pk,
                action=action,
                entity_type=entity_type_of(model),
                entity_id=pk if isinstance(pk, int) else None,
                metadata={**_describe(obj), **change, **parent},
            )

    @staticmethod
    def _inline_summary(obj, message) -> list[str]:
        """Inline rows added, changed or deleted with the object (from Django's change message)."""
        if not isinstance(message, list):
            return []
        out = []
        for item in message:
            for verb, data in item.items():
                if isinstance(data, dict) and "object" in data:
                    out.append(f"{verb} {data.get('name', '')} {data['object']}".strip()[:200])
        return out

    def log_deletions(self, request, queryset):
        result = super().log_deletions(request, queryset)
        objects = list(queryset)
        if not objects:
            return result
        model = type(objects[0])
        logged = _stash(request, LOGGED_ATTR, set)
        entries = []
        for obj in objects:
            logged.add(_key(obj))
            change = masked_change(model, snapshot(obj), {})
            metadata = {**_describe(obj), **change}
            if isinstance(obj.pk, int):
                entries.append((obj.pk, metadata))
            else:
                audit_log(
                    actor_id=request.user.pk,
                    action=AuditAction.ADMIN_DELETE,
                    entity_type=entity_type_of(model),
                    metadata=metadata,
                )
        if entries:
            audit_log_many(
                actor_id=request.user.pk,
                action=AuditAction.ADMIN_DELETE,
                entity_type=entity_type_of(model),
                entries=entries,
            )
        return result

    def get_actions(self, request):
        actions = super().get_actions(request)
        return {name: (_audited_action(func, name), name, desc) for name, (func, _, desc) in actions.items()}

    def history_view(self, request, object_id, extra_context=None):
        """The object's audit rows: the audit log's list filtered to this object (who, what, before -> after)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such object.")
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        if not request.user.has_perm("couponali.view_auditlog"):
            raise PermissionDenied
        url = reverse(f"{self.admin_site.name}:couponali_auditlog_changelist")
        return redirect(f"{url}?{urlencode({'entity_type': entity_type_of(type(obj)), 'entity_id': obj.pk})}")

    # Not about the audit: here because every ModelAdmin has this class in its bases. A list filter may bring
    # scripts and styles, as a widget does (``changelist_media(admin_site)`` on the filter class, e.g. the store
    # filter's select2, catalog.admin_filters.StoreFilter): they are merged into the admin's own media, so the page
    # head loads them in order (jQuery, select2, django.jQuery, then the scripts that use them).
    @property
    def media(self):
        media = super().media + forms.Media(css={"all": ["couponali/admin_lists.css"]})
        for entry in self.list_filter:
            spec = entry[1] if isinstance(entry, (tuple, list)) else entry
            extra = getattr(spec, "changelist_media", None)
            if extra is not None:
                media += extra(self.admin_site)
        return media

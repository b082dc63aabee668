"""The store (merchant) list filter of every admin list about stores' rows: the store is picked by typing its name
(Django admin's own select2 and the ``admin:autocomplete`` view, which asks the store admin: its view permission, its
queryset and its search), so a list of 2,000 stores is never rendered. The choice travels as ``?store=<id>``; without
JavaScript the box takes a store id.

The autocomplete lists what the store admin's queryset holds for the user: every store for staff holding
``catalog.view_merchant`` or ``catalog.change_merchant`` from a role, only the granted ones for a merchant manager
(``StoreScopedAdminMixin``). Staff who may not view stores get no filter."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.forms.utils import flatatt

from .models import Merchant, MerchantCommission

MAX_ID = 2**63 - 1
"""merchants.id is a bigint: a larger number names no store (and must not reach the database)."""


def _store_widget(admin_site) -> AutocompleteSelect:
    # The autocomplete view resolves the store admin through a foreign key to the store; the commissions' is the
    # catalogue's own (no limit_choices_to), whatever list the filter is on.
    return AutocompleteSelect(MerchantCommission._meta.get_field("merchant"), admin_site)


class StoreFilter(admin.SimpleListFilter):
    """Narrows a changelist to one store's rows. ``store_lookup`` is the row's store in a queryset filter: the store
    id column when the table has an indexed one, else the path through an indexed key (clicks: their offer's)."""

    title = "store"
    parameter_name = "store"
    template = "admin/catalog/store_filter.html"
    store_lookup = "merchant_id"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.request = request
        self.store_admin = model_admin.admin_site.get_model_admin(Merchant)
        self.widget = _store_widget(model_admin.admin_site)

    @classmethod
    def changelist_media(cls, admin_site) -> forms.Media:
        """What the changelist loads in its head (couponali.admin_audit.AuditedModelAdmin.media): select2 and
        Django's autocomplete script, in the order Django's own autocomplete widget loads them, then ours."""
        # Listed with the script it uses: the merge orders files only by the lists they appear in together.
        return _store_widget(admin_site).media + forms.Media(js=["admin/js/autocomplete.js", "catalog/store_filter.js"])

    def lookups(self, request, model_admin):
        return ()  # no list of stores: they are found by typing

    def has_output(self) -> bool:
        return self.store_admin.has_view_permission(self.request)

    def store_id(self) -> int | None:
        """The chosen store's id, or None for every store (nothing chosen, or not a store id at all)."""
        value = (self.value() or "").strip()
        if not (value.isascii() and value.isdigit()):
            return None
        store_id = int(value)
        return store_id if 0 < store_id <= MAX_ID else None

    def queryset(self, request, queryset):
        store_id = self.store_id()
        if store_id is None:
            return queryset
        return queryset.filter(**{self.store_lookup: store_id})

    def choices(self, changelist):
        """One entry: the "All" link, with what the template's form needs (the other parameters of the list, the
        chosen store and its name, select2's attributes)."""
        store_id = self.store_id()
        name = None
        if store_id is not None:
            # The one query of the filter; through the store admin, so a store the user may not see has no name.
            visible = self.store_admin.get_queryset(self.request).filter(pk=store_id)
            name = visible.values_list("name", flat=True).first()
        raw = (self.value() or "").strip()
        yield {
            "selected": store_id is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "All",
            "store_id": "" if store_id is None else str(store_id),  # as typed: no number formatting
            "store_name": name,
            "not_an_id": raw if raw and store_id is None else "",
            "keep": [
                (key, value)
                for key, values in changelist.filter_params.items()
                if key != self.parameter_name
                for value in values
            ],
            "select_attrs": flatatt(self._select_attrs()),
        }

    def _select_attrs(self) -> dict:
        attrs = self.widget.build_attrs({}, {"aria-label": "Store", "data-width": "100%"})
        # Not Django's "admin-autocomplete" class: autocomplete.js would set it up on page load, before
        # store_filter.js has swapped the id box for it.
        attrs["class"] = "store-filter-select"
        return attrs

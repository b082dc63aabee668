"""The store filter of the admin lists (issue 12, catalog.admin_filters.StoreFilter), over HTTP with the seeded
roles: ``?store=<id>`` narrows every list about stores' rows to that store's; the autocomplete behind it lists only
the stores the user may see (a merchant manager's granted ones); staff who may not view stores get no filter; a bad
value shows a page, never an error; the filter costs one query whatever the rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.factories import UserFactory, grant_permissions, grant_role
from accounts.models import Department
from catalog.factories import (
    InventoryFactory,
    MerchantCommissionFactory,
    MerchantFactory,
    ProductFactory,
    ProductVariantFactory,
)
from catalog.models import Merchant
from cms.factories import SupportTicketFactory
from couponali import rls
from offers.factories import OfferClickFactory, OfferFactory, OfferViewFactory, StoreGrantFactory
from offers.services import store_grant
from wallet.factories import CashbackEventFactory

pytestmark = pytest.mark.django_db

DEPARTMENTS = {"finance": ("finance",), "support": ("support",), "content-editor": ("content",)}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff(role: str):
    return grant_role(UserFactory.create(is_staff=True), role, departments=DEPARTMENTS.get(role, ()))


def _ticket(store: Merchant):
    with rls.bypass(reason="test setup"):
        return SupportTicketFactory(merchant=store, department=Department.objects.get(slug="finance"))


@dataclass(frozen=True)
class Listing:
    path: str
    role: str  # the seeded role that works with this list
    row: Callable[[Merchant], object]  # makes one row of the store


LISTS = {
    "offers": Listing("offers/offer", "content-editor", lambda s: OfferFactory(merchant=s)),
    "clicks": Listing("offers/offerclick", "support", lambda s: OfferClickFactory(offer=OfferFactory(merchant=s))),
    "views": Listing("offers/offerview", "analyst", lambda s: OfferViewFactory(offer=OfferFactory(merchant=s))),
    "commissions": Listing("catalog/merchantcommission", "analyst", lambda s: MerchantCommissionFactory(merchant=s)),
    "gift cards": Listing("catalog/product", "content-editor", lambda s: ProductFactory(merchant=s)),
    "variants": Listing(
        "catalog/productvariant", "content-editor", lambda s: ProductVariantFactory(product=ProductFactory(merchant=s))
    ),
    "stock": Listing(
        "catalog/inventory", "super-admin", lambda s: InventoryFactory(product=ProductFactory(merchant=s))
    ),
    "cashback events": Listing("wallet/cashbackevent", "finance", lambda s: CashbackEventFactory(merchant=s)),
    "support tickets": Listing("cms/supportticket", "finance", _ticket),
    "store grants": Listing("offers/storegrant", "super-admin", lambda s: StoreGrantFactory(object_pk=str(s.pk))),
}


def shown(response) -> set:
    assert response.status_code == 200
    assert "cl" in response.context, "not the changelist (an error page?)"
    return {obj.pk for obj in response.context["cl"].result_list}


def select_attrs(html: str) -> dict[str, str]:
    tag = re.search(r"<select[^>]*store-filter-select[^>]*>", html)
    assert tag, "no store filter on the page"
    return {k: unescape(v) for k, v in re.findall(r'([\w-]+)="([^"]*)"', tag.group(0))}


@pytest.mark.parametrize("name", list(LISTS))
def test_the_store_filter_narrows_each_list_to_the_store_s_rows(name):
    listing = LISTS[name]
    myntra, ajio = MerchantFactory(name="Myntra"), MerchantFactory(name="Ajio")
    mine, theirs = listing.row(myntra), listing.row(ajio)
    client = client_for(staff(listing.role))
    url = f"/admin/{listing.path}/"

    assert shown(client.get(url)) >= {mine.pk, theirs.pk}

    response = client.get(url, {"store": myntra.pk})
    assert shown(response) == {mine.pk}
    html = response.content.decode()
    # the chosen store is named, the box holds its id for the next search, and "All" goes back to every row
    assert re.search(r'class="selected store-filter-chosen">\s*Myntra', html)
    assert f'<option value="{myntra.pk}" selected>Myntra</option>' in html
    assert re.search(r'<a href="\?">All</a>', html)
    assert shown(client.get(url, {"store": ajio.pk})) == {theirs.pk}


def test_the_filter_keeps_the_list_s_other_parameters_in_its_form_and_loads_django_s_select2_in_order():
    client = client_for(staff("finance"))
    store = MerchantFactory(name="Nykaa")
    CashbackEventFactory(merchant=store, status="pending")

    html = client.get("/admin/wallet/cashbackevent/", {"status__exact": "pending", "store": store.pk}).content.decode()

    # without JavaScript the form is a store id box that submits the other filters with it
    form = re.search(r'<form class="store-filter".*?</form>', html, re.S).group(0)
    assert '<input type="hidden" name="status__exact" value="pending">' in form
    assert f'name="store" value="{store.pk}"' in form
    assert 'type="hidden" name="store"' not in form
    # with it, the select2 box of Django's autocomplete widget (Django's static files, no CDN), set up by our script
    scripts = re.findall(r'<script src="/static/([^"]+)"', html)
    order = ["jquery", "select2.full", "jquery.init", "autocomplete.js", "catalog/store_filter.js"]
    positions = [next(i for i, s in enumerate(scripts) if part in s) for part in order]
    assert positions == sorted(positions), scripts
    assert "admin/css/vendor/select2/select2" in html and "admin/css/autocomplete.css" in html
    attrs = select_attrs(html)
    assert attrs["data-ajax--url"] == "/admin/autocomplete/"
    assert "admin-autocomplete" not in attrs["class"]  # set up by store_filter.js, not on page load


def test_the_autocomplete_offers_a_merchant_manager_only_the_granted_stores():
    myntra, ajio = MerchantFactory(name="Myntra"), MerchantFactory(name="Ajio")
    OfferFactory(merchant=myntra)
    manager = grant_role(UserFactory(is_staff=True), "merchant-manager")
    store_grant(user_id=manager.pk, merchant_id=myntra.pk, actor=grant_role(UserFactory(is_staff=True), "super-admin"))
    client = client_for(manager)

    # the filter is on the manager's offers list, and the JSON it asks for names only Myntra
    attrs = select_attrs(client.get("/admin/offers/offer/").content.decode())
    query = {"app_label": attrs["data-app-label"], "model_name": attrs["data-model-name"]}
    query["field_name"] = attrs["data-field-name"]
    everything = client.get(attrs["data-ajax--url"], {**query, "term": ""})
    assert everything.status_code == 200
    assert [r["id"] for r in everything.json()["results"]] == [str(myntra.pk)]
    assert client.get(attrs["data-ajax--url"], {**query, "term": "Ajio"}).json()["results"] == []

    # another store typed into the address: no rows, and its name is not shown
    response = client.get("/admin/offers/offer/", {"store": ajio.pk})
    assert shown(response) == set()
    assert "Ajio" not in response.content.decode()

    # a support agent (store-wide catalog.view_merchant) is offered every store
    support = client_for(staff("support"))
    ids = {r["id"] for r in support.get(attrs["data-ajax--url"], {**query, "term": ""}).json()["results"]}
    assert ids >= {str(myntra.pk), str(ajio.pk)}


def test_finance_gets_the_filter_on_cashback_events_and_the_store_search_behind_it():
    store = MerchantFactory(name="Tata CLiQ")
    client = client_for(staff("finance"))

    attrs = select_attrs(client.get("/admin/wallet/cashbackevent/").content.decode())
    query = {k.removeprefix("data-").replace("-", "_"): attrs[k] for k in ("data-app-label", "data-model-name")}
    response = client.get(attrs["data-ajax--url"], {**query, "field_name": attrs["data-field-name"], "term": "CLiQ"})

    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(store.pk), "text": "Tata CLiQ"}]


def test_staff_who_may_not_view_stores_get_no_filter_and_no_store_search():
    store, other = MerchantFactory(name="Myntra"), MerchantFactory(name="Ajio")
    mine, theirs = CashbackEventFactory(merchant=store), CashbackEventFactory(merchant=other)
    viewer = client_for(grant_permissions(UserFactory(is_staff=True), "wallet.view_cashbackevent"))

    page = viewer.get("/admin/wallet/cashbackevent/")
    assert shown(page) >= {mine.pk, theirs.pk}
    assert "store-filter" not in page.content.decode()
    # the parameter is not theirs to use: ignored, the page still opens
    assert shown(viewer.get("/admin/wallet/cashbackevent/", {"store": store.pk})) >= {mine.pk, theirs.pk}
    # and the store search answers 403
    query = {"app_label": "catalog", "model_name": "merchantcommission", "field_name": "merchant", "term": ""}
    assert viewer.get("/admin/autocomplete/", query).status_code == 403


@pytest.mark.parametrize("path", ["wallet/cashbackevent", "offers/offerclick", "offers/offer", "cms/supportticket"])
@pytest.mark.parametrize(
    ("value", "rows"),
    [
        ("abc", "all"),
        ("1.5", "all"),
        ("-3", "all"),
        ("0", "all"),
        ("", "all"),
        ("١٢", "all"),  # digits, but not ASCII ones
        ("99999999999999999999999999", "all"),  # beyond bigint: not an id
        ("9223372036854775807", "none"),  # an id no store has
    ],
)
def test_a_bad_store_value_shows_a_page_not_an_error(admin_client, path, value, rows):
    store = MerchantFactory(name="Myntra")
    row = {
        "wallet/cashbackevent": lambda: CashbackEventFactory(merchant=store),
        "offers/offerclick": lambda: OfferClickFactory(offer=OfferFactory(merchant=store)),
        "offers/offer": lambda: OfferFactory(merchant=store),
        "cms/supportticket": lambda: _ticket(store),
    }[path]()

    response = admin_client.get(f"/admin/{path}/", {"store": value})

    assert shown(response) == ({row.pk} if rows == "all" else set())
    html = response.content.decode()
    if rows == "none":
        assert "Store #9223372036854775807 (not found)" in html
    elif value.strip():
        assert "is not a store id" in html


def test_the_filter_costs_one_query_and_counts_no_stores(client, django_assert_max_num_queries):
    stores = MerchantFactory.create_batch(30)
    for store in stores[:5]:
        CashbackEventFactory(merchant=store, status="pending")
        OfferClickFactory(offer=OfferFactory(merchant=store), device_type="mobile")
    client.force_login(staff("super-admin"))

    for path, other in (("wallet/cashbackevent", {"status__exact": "pending"}), ("offers/offerclick", {})):
        other = other or {"device_type__exact": "mobile"}
        client.get(f"/admin/{path}/", other)  # what the process caches on the first request
        with CaptureQueriesContext(connection) as without:
            client.get(f"/admin/{path}/", other)
        with CaptureQueriesContext(connection) as with_store, django_assert_max_num_queries(10):
            response = client.get(f"/admin/{path}/", {**other, "store": stores[0].pk})
        assert len(shown(response)) == 1
        # one query more: the chosen store's name, not a count or a list of the stores
        assert len(with_store.captured_queries) == len(without.captured_queries) + 1, path
        on_stores = [q["sql"] for q in with_store.captured_queries if 'FROM "merchants"' in q["sql"]]
        assert len(on_stores) == 1 and "COUNT(" not in on_stores[0], on_stores

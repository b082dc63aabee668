"""Store grants (issue 12): a merchant manager edits only the stores granted to them (django-guardian object
grants) and those stores' offers and commissions; another store's rows are not listed and answer 403, by
link, typed URL or forged form. Grants are given and taken back through a checked, audited service."""

from __future__ import annotations

import pytest
from django.forms import MultiWidget
from django.test import Client

from accounts import authz
from accounts.factories import UserFactory, grant_role
from catalog.factories import CategoryFactory, MerchantCommissionFactory, MerchantFactory
from catalog.models import Merchant, MerchantCommission
from couponali.models import AuditLog
from offers.factories import OfferFactory
from offers.models import Offer, StoreGrant
from offers.services import store_grant, store_revoke

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(response) -> dict:
    """What the admin's change form would post back unchanged (split date/time widgets included)."""
    form = response.context["adminform"].form
    data: dict = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, MultiWidget):
            for i, part in enumerate(field.widget.decompress(value) or []):
                data[f"{name}_{i}"] = "" if part is None else part
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else value
    return data


@pytest.fixture
def stores():
    return MerchantFactory(name="Myntra", slug="myntra"), MerchantFactory(name="Ajio", slug="ajio")


@pytest.fixture
def manager(stores):
    """A merchant manager granted Myntra only (by a super admin, through the service)."""
    granter = grant_role(UserFactory(is_staff=True), "super-admin")
    user = grant_role(UserFactory(is_staff=True, email="meera@couponali.in"), "merchant-manager")
    store_grant(user_id=user.pk, merchant_id=stores[0].pk, actor=granter)
    return user


def test_a_merchant_manager_lists_and_edits_only_the_granted_stores_offers(stores, manager):
    myntra, ajio = stores
    mine = OfferFactory(merchant=myntra, title="Myntra: flat 30% off")
    theirs = OfferFactory(merchant=ajio, title="Ajio: buy 2 get 1")
    client = client_for(manager)
    index = client.get("/admin/").content.decode()
    assert 'href="/admin/offers/offer/"' in index and 'href="/admin/catalog/merchant/"' in index
    page = client.get("/admin/offers/offer/").content.decode()
    assert "Myntra: flat 30% off" in page and "Ajio: buy 2 get 1" not in page
    assert client.get("/admin/catalog/merchant/").content.decode().count("/change/") >= 1
    assert "Ajio" not in client.get("/admin/catalog/merchant/").content.decode()

    # the granted store's offer: page opens, an edit is saved
    response = client.get(f"/admin/offers/offer/{mine.pk}/change/")
    assert response.status_code == 200
    data = {**form_data(response), "title": "Myntra: flat 40% off"}
    assert client.post(f"/admin/offers/offer/{mine.pk}/change/", data).status_code == 302
    assert Offer.objects.get(pk=mine.pk).title == "Myntra: flat 40% off"

    # another store's offer: 403 on the page, on a forged edit and on a forged delete; nothing changes
    assert client.get(f"/admin/offers/offer/{theirs.pk}/change/").status_code == 403
    forged = {**data, "merchant": ajio.pk, "title": "hijacked"}
    assert client.post(f"/admin/offers/offer/{theirs.pk}/change/", forged).status_code == 403
    assert client.post(f"/admin/offers/offer/{theirs.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Offer.objects.get(pk=theirs.pk).title == "Ajio: buy 2 get 1"
    # moving their own offer to another store, or adding one there, is refused by the form (store not offered)
    response = client.post(f"/admin/offers/offer/{mine.pk}/change/", {**data, "merchant": ajio.pk})
    assert response.status_code == 200 and Offer.objects.get(pk=mine.pk).merchant_id == myntra.pk
    response = client.post("/admin/offers/offer/add/", {**data, "merchant": ajio.pk, "title": "new"})
    assert response.status_code == 200 and not Offer.objects.filter(title="new").exists()
    # a bulk delete of both selects only what they may touch
    client.post("/admin/offers/offer/", {"action": "delete_selected", "_selected_action": [theirs.pk], "post": "yes"})
    assert Offer.all_objects.get(pk=theirs.pk).deleted_at is None
    # the stores themselves: their own page opens, another's is 403
    assert client.get(f"/admin/catalog/merchant/{myntra.pk}/change/").status_code == 200
    assert client.get(f"/admin/catalog/merchant/{ajio.pk}/change/").status_code == 403


def test_a_merchant_manager_edits_only_the_granted_stores_commissions(stores, manager):
    myntra, ajio = stores
    category = CategoryFactory()
    mine = MerchantCommissionFactory(merchant=myntra, category=category, cashback_percentage=70)
    theirs = MerchantCommissionFactory(merchant=ajio, category=category, cashback_percentage=70)
    client = client_for(manager)
    page = client.get("/admin/catalog/merchantcommission/").content.decode()
    assert f"/admin/catalog/merchantcommission/{mine.pk}/change/" in page
    assert f"/admin/catalog/merchantcommission/{theirs.pk}/change/" not in page
    form = {
        "merchant": myntra.pk,
        "category": category.pk,
        "commission_type": "percentage",
        "commission_value": "9.00",
        "cashback_percentage": "75",
        "valid_from": "",
        "valid_until": "",
    }
    assert client.post(f"/admin/catalog/merchantcommission/{mine.pk}/change/", form).status_code == 302
    assert MerchantCommission.objects.get(pk=mine.pk).cashback_percentage == 75
    forged = {**form, "merchant": ajio.pk}
    assert client.post(f"/admin/catalog/merchantcommission/{theirs.pk}/change/", forged).status_code == 403
    assert MerchantCommission.objects.get(pk=theirs.pk).cashback_percentage == 70


def test_without_a_grant_a_merchant_manager_sees_no_store(stores):
    user = grant_role(UserFactory(is_staff=True), "merchant-manager")
    client = client_for(user)
    assert 'href="/admin/offers/offer/"' not in client.get("/admin/").content.decode()
    assert client.get("/admin/offers/offer/").status_code == 403
    assert client.get(f"/admin/catalog/merchant/{stores[0].pk}/change/").status_code == 403


def test_grants_are_given_in_the_admin_only_by_those_who_may_edit_the_stores(stores, manager):
    _myntra, ajio = stores
    # the manager cannot grant themselves another store: no page, no service
    client = client_for(manager)
    assert client.post("/admin/offers/storegrant/add/", {"user": manager.pk, "merchant": ajio.pk}).status_code == 403
    with pytest.raises(authz.PermissionRefused):
        store_grant(user_id=manager.pk, merchant_id=ajio.pk, actor=manager)
    # a super admin grants it in the admin; the grant is audited and takes effect on the next request
    admin = grant_role(UserFactory(is_staff=True), "super-admin")
    response = client_for(admin).post("/admin/offers/storegrant/add/", {"user": manager.pk, "merchant": ajio.pk})
    assert response.status_code == 302
    assert AuditLog.objects.filter(action="store.granted", entity_id=ajio.pk, actor_user=admin).exists()
    assert client.get(f"/admin/catalog/merchant/{ajio.pk}/change/").status_code == 200
    listing = client_for(admin).get("/admin/offers/storegrant/").content.decode()
    assert "Ajio" in listing and "Myntra" in listing
    # and takes it back
    assert store_revoke(user_id=manager.pk, merchant_id=ajio.pk, actor=admin)
    assert AuditLog.objects.filter(action="store.revoked", entity_id=ajio.pk).exists()
    assert client.get(f"/admin/catalog/merchant/{ajio.pk}/change/").status_code == 403
    assert StoreGrant.objects.filter(user=manager).count() == 1
    # grants go to staff only
    shopper = UserFactory()
    response = client_for(admin).post("/admin/offers/storegrant/add/", {"user": shopper.pk, "merchant": ajio.pk})
    assert response.status_code == 200 and not StoreGrant.objects.filter(user=shopper).exists()


def test_store_wide_staff_are_not_limited_by_grants(stores):
    editor = grant_role(UserFactory(is_staff=True), "content-editor")
    OfferFactory(merchant=stores[1], title="Ajio: buy 2 get 1")
    assert "Ajio: buy 2 get 1" in client_for(editor).get("/admin/offers/offer/").content.decode()
    assert Merchant.objects.count() == 2

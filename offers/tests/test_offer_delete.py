"""Deleting and restoring offers (offers.services.editing.offers_delete / offers_restore), from the admin as from
any other caller: the actor is checked on every offer's store, all or nothing, each change is audited and
announced to the brand's webhooks, and restoring needs the delete permission."""

from __future__ import annotations

import pytest
from django.test import Client
from guardian.shortcuts import assign_perm

from accounts.authz import PermissionRefused
from accounts.factories import UserFactory, grant_permissions, grant_role
from catalog.factories import MerchantFactory
from catalog.models import Merchant
from couponali import events
from couponali.models import AuditLog
from offers.factories import OfferFactory
from offers.models import Offer
from offers.services import MANAGE_STORE_OFFERS, offers_delete, offers_restore, store_grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    """The offer_changed announcements (what the brand's webhooks hear), as (offer id, change)."""
    heard: list[tuple[int, str]] = []

    def receiver(sender, offer_id, merchant_id, change, **kwargs):
        heard.append((offer_id, change))

    events.offer_changed.connect(receiver, dispatch_uid="test_offer_delete")
    yield heard
    events.offer_changed.disconnect(dispatch_uid="test_offer_delete")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def deleted(offer: Offer) -> bool:
    return Offer.all_objects.get(pk=offer.pk).deleted_at is not None


def test_a_merchant_manager_deletes_and_restores_the_granted_stores_offers_in_the_admin(announced):
    myntra, ajio = MerchantFactory(name="Myntra"), MerchantFactory(name="Ajio")
    granter = grant_role(UserFactory(is_staff=True), "super-admin")
    manager = grant_role(UserFactory(is_staff=True), "merchant-manager")
    store_grant(user_id=manager.pk, merchant_id=myntra.pk, actor=granter)
    mine, theirs = OfferFactory(merchant=myntra), OfferFactory(merchant=ajio)
    client = client_for(manager)

    assert client.post(f"/admin/offers/offer/{mine.pk}/delete/", {"post": "yes"}).status_code == 302
    assert deleted(mine) and not deleted(theirs)
    row = AuditLog.objects.get(action="offer.deleted", entity_id=mine.pk)
    assert row.actor_user_id == manager.pk and row.metadata["store"] == myntra.slug
    assert (mine.pk, "deleted") in announced

    page = client.get("/admin/offers/offer/?deleted=deleted").content.decode()
    assert "restore_selected" in page
    r = client.post(
        "/admin/offers/offer/?deleted=deleted", {"action": "restore_selected", "_selected_action": [mine.pk]}
    )
    assert r.status_code == 302 and not deleted(mine)
    assert AuditLog.objects.filter(action="offer.restored", entity_id=mine.pk, actor_user=manager).exists()
    assert (mine.pk, "restored") in announced


def test_the_service_checks_every_offers_store_and_changes_all_or_nothing(announced):
    myntra, ajio = MerchantFactory(), MerchantFactory()
    brand = UserFactory()
    assign_perm(MANAGE_STORE_OFFERS, brand, myntra)
    brand = type(brand).objects.get(pk=brand.pk)
    mine, theirs = OfferFactory(merchant=myntra), OfferFactory(merchant=ajio)

    with pytest.raises(PermissionRefused):
        offers_delete(actor=brand, offer_ids=[mine.pk, theirs.pk])
    assert not deleted(mine) and not deleted(theirs)
    assert not AuditLog.objects.filter(action="offer.deleted").exists() and not announced
    for actor in (None, UserFactory(), UserFactory(is_staff=True)):
        with pytest.raises(PermissionRefused):
            offers_delete(actor=actor, offer_ids=[mine.pk])

    assert offers_delete(actor=brand, offer_ids=[mine.pk]) == 1
    assert offers_delete(actor=brand, offer_ids=[mine.pk]) == 0  # deleted already: nothing more is written
    assert AuditLog.objects.filter(action="offer.deleted", entity_id=mine.pk).count() == 1
    staff = grant_permissions(UserFactory(is_staff=True), "offers.delete_offer")
    assert offers_delete(actor=staff, offer_ids=[theirs.pk]) == 1
    assert offers_restore(actor=staff, offer_ids=[mine.pk, theirs.pk]) == 2
    assert not deleted(mine) and not deleted(theirs)
    assert [c for _, c in announced] == ["deleted", "deleted", "restored", "restored"]


@pytest.mark.parametrize(
    ("url", "model", "view_perm", "factory"),
    [
        ("/admin/offers/offer/", Offer, "offers.view_offer", OfferFactory),
        ("/admin/catalog/merchant/", Merchant, "catalog.view_merchant", MerchantFactory),
    ],
)
def test_staff_who_may_only_view_cannot_restore(url, model, view_perm, factory):
    """Restore undoes a delete, so it needs the delete permission: a view-only member of staff is not offered
    the action, and a forged POST is refused (403) and restores nothing."""
    row = factory()
    row.delete()
    viewer = grant_permissions(UserFactory(is_staff=True), view_perm)
    client = client_for(viewer)
    assert "restore_selected" not in client.get(f"{url}?deleted=deleted").content.decode()
    forged = client.post(f"{url}?deleted=deleted", {"action": "restore_selected", "_selected_action": [row.pk]})
    assert forged.status_code == 403  # a refusal that shows (couponali.admin.PermissionCheckedActionsMixin)
    assert model.all_objects.get(pk=row.pk).deleted_at is not None
    assert not AuditLog.objects.filter(actor_user=viewer).exists()

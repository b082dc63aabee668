"""Offers written one at a time (offers.services.editing): who may, the rules (the feed's), the audit row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.authz import PermissionRefused
from accounts.factories import UserFactory, grant_permissions
from catalog.factories import MerchantFactory
from couponali.audit import AuditAction
from couponali.models import AuditLog
from offers.factories import OfferFactory
from offers.models import Offer
from offers.services import MANAGE_STORE_OFFERS, OfferInvalid, offer_create, offer_expire, offer_update

pytestmark = pytest.mark.django_db


def test_staff_need_the_model_permission_and_brands_the_stores_object_permission():
    store, other = MerchantFactory(), MerchantFactory()
    data = {"title": "Deal", "offer_type": "deal"}
    for actor in (UserFactory(), UserFactory(is_staff=True), None):
        with pytest.raises(PermissionRefused):
            offer_create(actor=actor, merchant=store, data=data)
    staff = grant_permissions(UserFactory(is_staff=True), "offers.add_offer")
    assert offer_create(actor=staff, merchant=store, data=data).merchant == store
    brand = UserFactory()
    assign_perm(MANAGE_STORE_OFFERS, brand, store)
    brand = type(brand).objects.get(pk=brand.pk)
    offer = offer_create(actor=brand, merchant=store, data=data)
    with pytest.raises(PermissionRefused):
        offer_create(actor=brand, merchant=other, data=data)
    foreign = OfferFactory(merchant=other)
    with pytest.raises(PermissionRefused):
        offer_update(actor=brand, offer_id=foreign.pk, data={"title": "x"})
    with pytest.raises(PermissionRefused):
        offer_expire(actor=brand, offer_id=foreign.pk)
    assert AuditLog.objects.filter(
        action=AuditAction.OFFER_CREATED, entity_id=offer.pk, actor_user_id=brand.pk
    ).exists()


def test_the_rules_are_the_feeds_and_every_problem_is_named_by_field():
    store = MerchantFactory()
    staff = grant_permissions(UserFactory(is_staff=True), "offers.add_offer", "offers.change_offer")
    with pytest.raises(OfferInvalid) as caught:
        offer_create(
            actor=staff,
            merchant=store,
            data={"title": "", "offer_type": "code", "cashback_type": "percentage", "cashback_value": "101"},
        )
    assert set(caught.value.fields) == {"title", "coupon_code", "cashback_value"}
    with pytest.raises(OfferInvalid) as caught:
        offer_create(actor=staff, merchant=store, data={"title": "x", "offer_type": "deal", "is_featured": True})
    assert "is_featured" in str(caught.value)
    offer = OfferFactory(merchant=store)
    with pytest.raises(OfferInvalid):
        offer_update(actor=staff, offer_id=offer.pk, data={"expires_at": offer.starts_at - timedelta(hours=1)})
    assert not Offer.objects.exclude(pk=offer.pk).exists()


def test_expire_ends_a_live_offer_once_and_keeps_an_earlier_end():
    staff = grant_permissions(UserFactory(is_staff=True), "offers.change_offer")
    offer = OfferFactory()
    now = timezone.now()
    expired = offer_expire(actor=staff, offer_id=offer.pk, at=now)
    assert expired.expires_at == now and not expired.is_live_at(now)
    again = offer_expire(actor=staff, offer_id=offer.pk, at=now + timedelta(days=1))
    assert again.expires_at == now
    assert AuditLog.objects.filter(action=AuditAction.OFFER_EXPIRED, entity_id=offer.pk).count() == 1

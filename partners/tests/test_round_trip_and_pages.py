"""The partner-key round trip through the admin, the partner's own /partners/ page, and who may manage keys."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.authz import PermissionRefused
from accounts.factories import UserFactory, grant_permissions
from couponali.audit import AuditAction
from couponali.models import AuditLog
from offers.models import Offer
from partners import services
from partners.factories import PartnerMemberFactory, PartnerOrganisationFactory
from partners.models import ApiKey, PartnerOrganisation

from .conftest import key_client

pytestmark = pytest.mark.django_db


def _created_key(response) -> str:
    found = re.search(r'<code id="api-key"[^>]*>([0-9a-f]{12}\.[A-Za-z0-9_-]+)</code>', response.content.decode())
    assert found, response.content.decode()[:2000]
    return found.group(1)


def test_partner_key_round_trip(admin_client, store, other_offer):
    # staff create a brand organisation bound to the store, then a key for it, in the admin
    response = admin_client.post(
        "/admin/partners/partnerorganisation/add/",
        {
            "name": "Myntra brand team",
            "slug": "myntra-team",
            "kind": "brand",
            "is_active": "on",
            "stores": [store.pk],
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    organisation = PartnerOrganisation.objects.get(slug="myntra-team")
    assert AuditLog.objects.filter(action=AuditAction.PARTNER_STORE_GRANTED, entity_id=organisation.pk).exists()
    response = admin_client.post(
        "/admin/partners/apikey/add/",
        {"organisation": organisation.pk, "name": "catalogue sync", "scopes": ["offers:write"], "expires_at": ""},
    )
    assert response.status_code == 200
    full = _created_key(response)
    assert AuditLog.objects.filter(action=AuditAction.PARTNER_KEY_CREATED).count() == 1
    # the key is not shown again
    key = ApiKey.objects.get(prefix=full.split(".")[0])
    assert full.split(".")[1] not in admin_client.get(f"/admin/partners/apikey/{key.pk}/change/").content.decode()
    api = key_client(full)
    # the brand creates and updates an offer of its store
    created = api.post(
        "/api/v1/partner/offers/", {"store": store.slug, "title": "Flat 300 off", "offer_type": "deal"}, format="json"
    )
    assert created.status_code == 201, created.content
    offer_id = created.json()["id"]
    updated = api.patch(f"/api/v1/partner/offers/{offer_id}/", {"title": "Flat 400 off"}, format="json")
    assert updated.status_code == 200 and Offer.objects.get(uuid=offer_id).title == "Flat 400 off"
    # refused on another store's offer
    assert api.patch(f"/api/v1/partner/offers/{other_offer.uuid}/", {"title": "x"}, format="json").status_code == 404
    # staff revoke the key in the admin: 401 from then on
    response = admin_client.post("/admin/partners/apikey/", {"action": "revoke_keys", "_selected_action": [key.pk]})
    assert response.status_code == 302
    assert api.get("/api/v1/partner/offers/").status_code == 401
    assert AuditLog.objects.filter(action=AuditAction.PARTNER_KEY_REVOKED, entity_id=key.pk).exists()


def test_partner_admin_user_manages_keys_on_the_partners_page(brand):
    member = PartnerMemberFactory(organisation=brand).user
    browser = Client()
    browser.force_login(member)
    page = browser.get("/partners/")
    assert page.status_code == 200 and brand.name in page.content.decode()
    assert b'href="/partners/"' in browser.get("/accounts/profile/").content  # reachable from the account pages
    # create: shown once, in the answer to the POST
    response = browser.post("/partners/", {"name": "reports", "scopes": ["reports:read"], "expires_in_days": "30"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    full = re.search(r"<code>([0-9a-f]{12}\.[A-Za-z0-9_-]+)</code>", response.content.decode()).group(1)
    assert full not in browser.get("/partners/").content.decode()
    key = ApiKey.objects.get(prefix=full.split(".")[0])
    assert key.created_by_id == member.pk and key.scopes == ["reports:read"] and key.expires_at is not None
    assert key_client(full).get("/api/v1/partner/reports/daily/").status_code == 200
    # bad input: nothing created, the form says why
    response = browser.post("/partners/", {"name": "", "scopes": []})
    assert response.status_code == 200 and ApiKey.objects.count() == 1
    # revoke
    response = browser.post(f"/partners/keys/{key.uuid}/revoke/")
    assert response.status_code == 302
    assert key_client(full).get("/api/v1/partner/reports/daily/").status_code == 401
    # another organisation's key cannot be revoked from here
    other_key, _ = services.api_key_create(
        actor=PartnerMemberFactory().user,
        organisation=PartnerOrganisation.objects.exclude(pk=brand.pk).get(),
        name="theirs",
        scopes=["catalogue:read"],
    )
    assert browser.post(f"/partners/keys/{other_key.uuid}/revoke/").status_code == 404
    other_key.refresh_from_db()
    assert other_key.revoked_at is None


def test_the_partners_page_is_for_partner_admin_users_only(brand):
    assert Client().get("/partners/").status_code == 302  # to sign in
    shopper = Client()
    shopper.force_login(UserFactory())
    assert shopper.get("/partners/").status_code == 403
    assert shopper.post("/partners/", {"name": "x", "scopes": ["offers:write"]}).status_code == 403
    assert not ApiKey.objects.exists()


def test_who_may_create_and_revoke_keys(brand):
    other = PartnerOrganisationFactory()
    member_of_other = PartnerMemberFactory(organisation=other).user
    refused = [
        UserFactory(),  # a shopper
        UserFactory(is_staff=True),  # staff without the permission
        member_of_other,  # another organisation's admin
        brand.service_user,  # one of the organisation's own keys: a key never mints keys
        None,
    ]
    for actor in refused:
        with pytest.raises(PermissionRefused):
            services.api_key_create(actor=actor, organisation=brand, name="x", scopes=["offers:write"])
    staff = grant_permissions(UserFactory(is_staff=True), "partners.add_apikey")
    key, _full = services.api_key_create(actor=staff, organisation=brand, name="x", scopes=["offers:write"])
    with pytest.raises(PermissionRefused):
        services.api_key_revoke(actor=member_of_other, key=key)
    with pytest.raises(PermissionRefused):
        services.api_key_revoke(actor=staff, key=key)  # creating is not revoking
    member = PartnerMemberFactory(organisation=brand).user
    assert services.api_key_revoke(actor=member, key=key).revoked_at is not None
    for scopes in ([], ["offers:write", "admin:all"]):
        with pytest.raises(services.PartnerError):
            services.api_key_create(actor=staff, organisation=brand, name="x", scopes=scopes)
    assert ApiKey.objects.count() == 1

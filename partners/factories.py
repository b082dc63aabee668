from __future__ import annotations

import factory
from factory.django import DjangoModelFactory
from guardian.shortcuts import assign_perm

from accounts.factories import UserFactory
from offers.services import MANAGE_STORE_OFFERS

from .models import PartnerMember, PartnerOrganisation


class PartnerOrganisationFactory(DjangoModelFactory):
    class Meta:
        model = PartnerOrganisation

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")
    kind = PartnerOrganisation.Kind.BRAND
    service_user = factory.SubFactory(UserFactory, email=factory.Sequence(lambda n: f"svc{n}@partners.invalid"))


class PartnerMemberFactory(DjangoModelFactory):
    class Meta:
        model = PartnerMember

    organisation = factory.SubFactory(PartnerOrganisationFactory)
    user = factory.SubFactory(UserFactory)


def brand_of(*stores) -> PartnerOrganisation:
    """A brand organisation bound to these stores (the object permission on its service user)."""
    organisation = PartnerOrganisationFactory.create()
    for store in stores:
        assign_perm(MANAGE_STORE_OFFERS, organisation.service_user, store)
    return organisation

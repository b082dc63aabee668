from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from accounts.factories import UserFactory

from .models import Referral


class ReferralFactory(DjangoModelFactory):
    class Meta:
        model = Referral

    referrer_user = factory.SubFactory(UserFactory)
    referred_user = factory.SubFactory(UserFactory)

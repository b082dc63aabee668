from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.factories import UserFactory
from catalog.factories import MerchantFactory
from catalog.models import Merchant

from .models import CounterWatermark, ImpressionBatch, Offer, OfferClick, OfferView, SearchWord, StoreGrant


class OfferFactory(DjangoModelFactory):
    class Meta:
        model = Offer

    merchant = factory.SubFactory(MerchantFactory)
    title = factory.Sequence(lambda n: f"Flat 20% off on order {n}")
    offer_type = Offer.Type.CODE
    coupon_code = factory.Sequence(lambda n: f"SAVE{n:04d}")
    cashback_type = "percentage"
    cashback_value = Decimal("6.00")
    max_cashback = Decimal("300.00")
    affiliate_url = factory.LazyAttribute(lambda o: f"https://www.{o.merchant.slug}.example.in/sale")
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    is_verified = True


class OfferClickFactory(DjangoModelFactory):
    class Meta:
        model = OfferClick

    offer = factory.SubFactory(OfferFactory)
    merchant = factory.SelfAttribute("offer.merchant")
    ip_address = "203.0.113.20"
    user_agent = "Mozilla/5.0 (Linux; Android 14) Chrome/130 Mobile"
    device_type = "mobile"


class OfferViewFactory(DjangoModelFactory):
    class Meta:
        model = OfferView

    offer = factory.SubFactory(OfferFactory)
    ip_address = "203.0.113.21"


class CounterWatermarkFactory(DjangoModelFactory):
    class Meta:
        model = CounterWatermark
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"stream-{n}")
    position = factory.LazyFunction(timezone.now)


class ImpressionBatchFactory(DjangoModelFactory):
    class Meta:
        model = ImpressionBatch

    batch_id = factory.Sequence(lambda n: f"{n:032x}")
    rows = 10


class SearchWordFactory(DjangoModelFactory):
    class Meta:
        model = SearchWord
        django_get_or_create = ("word",)

    word = factory.Sequence(lambda n: f"word{n}")
    ndoc = 3


class StoreGrantFactory(DjangoModelFactory):
    """A store granted to a staff member (tests of the admin list; the service is offers.services.store_grant)."""

    class Meta:
        model = StoreGrant

    user = factory.SubFactory(UserFactory, is_staff=True)
    content_type = factory.LazyFunction(lambda: ContentType.objects.get_for_model(Merchant))
    permission = factory.LazyFunction(
        lambda: Permission.objects.get(content_type__app_label="catalog", codename="change_merchant")
    )
    object_pk = factory.LazyFunction(lambda: str(MerchantFactory.create().pk))

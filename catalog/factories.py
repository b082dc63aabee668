from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from .models import Category, Inventory, Merchant, MerchantCommission, Product, ProductVariant


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    type = Category.Type.BOTH


class MerchantFactory(DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Store {n}")
    slug = factory.Sequence(lambda n: f"store-{n}")
    website_url = factory.LazyAttribute(lambda o: f"https://www.{o.slug}.example.in/")
    affiliate_network = Merchant.Network.ADMITAD
    affiliate_id = "ca-1001"
    tracking_url_template = "https://track.example.net/click?aff={affiliate_id}&subid={click_id}&url={url}"
    default_cashback_type = "percentage"
    default_cashback_value = Decimal("5.00")


class MerchantCommissionFactory(DjangoModelFactory):
    class Meta:
        model = MerchantCommission

    merchant = factory.SubFactory(MerchantFactory)
    category = factory.SubFactory(CategoryFactory)
    commission_type = "percentage"
    commission_value = Decimal("8.00")
    cashback_percentage = Decimal("75.00")


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Gift card {n}")
    slug = factory.Sequence(lambda n: f"gift-card-{n}")
    sku = factory.Sequence(lambda n: f"EGV{n:08d}")
    merchant = factory.SubFactory(MerchantFactory)
    card_type = Product.CardType.E_GIFT
    delivery_method = Product.Delivery.EMAIL
    validity_days = 365
    gallery_images = factory.LazyFunction(list)


class ProductVariantFactory(DjangoModelFactory):
    class Meta:
        model = ProductVariant

    product = factory.SubFactory(ProductFactory)
    denomination = Decimal("500.00")
    cost_price = Decimal("485.00")
    selling_price = Decimal("500.00")


class InventoryFactory(DjangoModelFactory):
    class Meta:
        model = Inventory

    product = factory.SubFactory(ProductFactory)
    variant = factory.SubFactory(ProductVariantFactory, product=factory.SelfAttribute("..product"))
    quantity = 100

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.factories import UserFactory
from catalog.factories import ProductFactory, ProductVariantFactory

from .models import GiftCard, GiftCardRedemption, Order, OrderItem, OrderRefund, Payment, PaymentWebhookEvent
from .services.gift_cards import gift_card_code_generate


class OrderFactory(DjangoModelFactory):
    class Meta:
        model = Order

    order_number = factory.Sequence(lambda n: f"ORD-2026-{n:06d}")
    user = factory.SubFactory(UserFactory)
    subtotal = Decimal("1000.00")
    total_amount = Decimal("1000.00")
    delivery_email = factory.SelfAttribute("user.email")


class OrderItemFactory(DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    variant = factory.SubFactory(ProductVariantFactory, product=factory.SelfAttribute("..product"))
    product_name = factory.SelfAttribute("product.name")
    product_sku = factory.SelfAttribute("product.sku")
    denomination = Decimal("500.00")
    quantity = 2
    unit_price = Decimal("500.00")
    total_price = Decimal("1000.00")


class PaymentFactory(DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    user = factory.SelfAttribute("order.user")
    amount = factory.SelfAttribute("order.total_amount")
    payment_method = "upi"
    gateway = "razorpay"
    gateway_order_id = factory.Sequence(lambda n: f"order_{n:014d}")


class GiftCardFactory(DjangoModelFactory):
    class Meta:
        model = GiftCard

    code = factory.LazyFunction(gift_card_code_generate)
    initial_value = Decimal("1000.00")
    remaining_value = Decimal("1000.00")
    user = factory.SubFactory(UserFactory)


class OrderRefundFactory(DjangoModelFactory):
    class Meta:
        model = OrderRefund

    order = factory.SubFactory(OrderFactory)
    amount = Decimal("100.00")
    wallet_amount = Decimal("100.00")
    status = OrderRefund.Status.PROCESSED
    reason = "Customer asked"


class PaymentWebhookEventFactory(DjangoModelFactory):
    class Meta:
        model = PaymentWebhookEvent

    gateway = "razorpay"
    event_id = factory.Sequence(lambda n: f"evt_{n:014d}")
    event = "payment.captured"
    payload = factory.LazyFunction(lambda: {"event": "payment.captured", "payload": {}})


class GiftCardRedemptionFactory(DjangoModelFactory):
    """A card's value moved into a wallet (rows are made by orders.services.gift_cards; this is for tests)."""

    class Meta:
        model = GiftCardRedemption

    gift_card = factory.SubFactory(GiftCardFactory)
    user = factory.SelfAttribute("gift_card.user")
    kind = GiftCardRedemption.Kind.WALLET
    amount = Decimal("100.00")

"""Gift-card orders, their items and payments, and CouponAli's own gift cards (seed tables 11-13, 20)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from catalog.models import Product, ProductVariant
from couponali.models import ZERO, CreatedAtField, CreatedModel, MoneyField, TimeStampedModel, UuidField, counter, flag
from couponali.money import format_inr


class Order(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        PROCESSING = "processing", "Processing"
        FULFILLED = "fulfilled", "Fulfilled"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"
        CANCELLED = "cancelled", "Cancelled"

    class PaymentStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"

    class FulfillmentStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    uuid = UuidField()
    order_number = models.CharField(max_length=50, unique=True, db_index=False)
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="orders", db_index=False)
    subtotal = models.DecimalField(max_digits=10, decimal_places=2)
    discount_amount = MoneyField(default=ZERO)
    wallet_used = MoneyField(default=ZERO)
    tax_amount = MoneyField(default=ZERO)
    total_amount = models.DecimalField(max_digits=10, decimal_places=2)
    promo_code = models.CharField(max_length=50, null=True, blank=True)
    status = models.CharField(max_length=50, choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING)
    payment_status = models.CharField(
        max_length=50, choices=PaymentStatus.choices, default=PaymentStatus.PENDING, db_default=PaymentStatus.PENDING
    )
    fulfillment_status = models.CharField(
        max_length=50,
        choices=FulfillmentStatus.choices,
        default=FulfillmentStatus.PENDING,
        db_default=FulfillmentStatus.PENDING,
    )
    delivery_email = models.EmailField(max_length=255, null=True, blank=True)
    delivery_mobile = models.CharField(max_length=15, null=True, blank=True)
    delivery_address = models.JSONField(null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    admin_notes = models.TextField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Not in the seed: what the last fulfilment attempt ran into and how many attempts there were, so staff
    # see a stuck order in the admin (orders.services.fulfilment).
    fulfillment_error = models.TextField(null=True, blank=True)
    fulfillment_attempts = counter()

    class Meta:
        db_table = "orders"
        permissions = [
            ("retry_fulfilment", "Can retry the fulfilment of an order (audited)"),
            ("resend_vouchers", "Can send an order's vouchers again (audited)"),
            ("void_vouchers", "Can void the vouchers of refunded items (audited)"),
            ("refund_order", "Can refund an order (gateway and wallet)"),
        ]
        indexes = [
            models.Index(fields=["user"], name="idx_orders_user"),
            models.Index(fields=["status"], name="idx_orders_status"),
            models.Index(fields=["order_number"], name="idx_orders_order_number"),
            models.Index(fields=["-created_at"], name="idx_orders_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_amount__gte=0) & Q(wallet_used__gte=0), name="orders_amounts_nonnegative"
            ),
            # What the gateway is asked for (total - wallet) can never be negative.
            models.CheckConstraint(
                condition=Q(wallet_used__lte=models.F("total_amount")), name="orders_wallet_within_total"
            ),
        ]

    def __str__(self) -> str:
        return self.order_number


class OrderItem(CreatedModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", db_index=False)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    variant = models.ForeignKey(ProductVariant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    product_name = models.CharField(max_length=255, null=True, blank=True)
    product_sku = models.CharField(max_length=100, null=True, blank=True)
    denomination = MoneyField()
    quantity = models.IntegerField(default=1, db_default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    total_price = models.DecimalField(max_digits=10, decimal_places=2)
    voucher_codes = models.JSONField(null=True, blank=True)
    fulfillment_status = models.CharField(max_length=50, default="pending", db_default="pending")
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "order_items"
        indexes = [models.Index(fields=["order"], name="idx_order_items_order")]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="order_items_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_name}"


class Payment(TimeStampedModel):
    class Status(models.TextChoices):
        INITIATED = "initiated", "Initiated"
        SUCCESS = "success", "Success"
        FAILED = "failed", "Failed"
        PENDING = "pending", "Pending"
        REFUNDED = "refunded", "Refunded"

    uuid = UuidField()
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments", db_index=False)
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="payments", db_index=False)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="INR", db_default="INR")
    payment_method = models.CharField(max_length=50, null=True, blank=True)
    gateway = models.CharField(max_length=50, null=True, blank=True)
    gateway_order_id = models.CharField(max_length=255, null=True, blank=True)
    gateway_payment_id = models.CharField(max_length=255, null=True, blank=True)
    gateway_signature = models.CharField(max_length=500, null=True, blank=True)
    status = models.CharField(
        max_length=50, choices=Status.choices, default=Status.INITIATED, db_default=Status.INITIATED
    )
    gateway_response = models.JSONField(null=True, blank=True)
    error_message = models.TextField(null=True, blank=True)
    refund_amount = MoneyField()
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "payments"
        indexes = [
            models.Index(fields=["order"], name="idx_payments_order"),
            models.Index(fields=["user"], name="idx_payments_user"),
            models.Index(fields=["gateway_order_id"], name="idx_payments_gateway_order"),
        ]
        constraints = [
            # One captured payment per gateway payment id: a webhook and a callback for the same payment
            # cannot both fulfil the order.
            models.UniqueConstraint(
                fields=["gateway", "gateway_payment_id"],
                name="payments_gateway_payment_uniq",
                condition=Q(gateway_payment_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.uuid} ({self.status})"


class OrderRefund(TimeStampedModel):
    """Not in the seed: one staff refund (full or partial) of an order, split into the part paid back through
    the gateway and the part posted back to the wallet. Its id is the wallet posting's reference, and its uuid
    the gateway refund's receipt, so that a retried refund is never paid twice."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sent to the gateway"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed at the gateway"

    uuid = UuidField()
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds", db_index=False)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    gateway_amount = MoneyField(default=ZERO)
    wallet_amount = MoneyField(default=ZERO)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    gateway_refund_id = models.CharField(max_length=255, null=True, blank=True)
    reason = models.TextField()
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "order_refunds"
        indexes = [models.Index(fields=["order"], name="idx_order_refunds_order")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(gateway_amount__gte=0)
                & Q(wallet_amount__gte=0)
                & Q(amount=models.F("gateway_amount") + models.F("wallet_amount")),
                name="order_refunds_split_adds_up",
            ),
            models.UniqueConstraint(
                fields=["gateway_refund_id"],
                name="order_refunds_gateway_id_uniq",
                condition=Q(gateway_refund_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"refund {format_inr(self.amount)} of order {self.order_id}"


class PaymentWebhookEvent(models.Model):
    """Not in the seed: each gateway webhook event processed, by the gateway's event id
    (X-Razorpay-Event-Id). Inserted in the transaction that applies the event, so a repeated delivery finds
    the row (or waits for the first delivery's commit) and changes nothing."""

    gateway = models.CharField(max_length=50)
    event_id = models.CharField(max_length=255)
    event = models.CharField(max_length=100)
    payload = models.JSONField()
    outcome = models.CharField(max_length=255, blank=True, default="")
    received_at = CreatedAtField()

    class Meta:
        db_table = "payment_webhook_events"
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="payment_webhook_event_uniq")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event} {self.event_id}"


class GiftCard(CreatedModel):
    """A CouponAli gift card: staff issue it (orders.services.gift_cards), a shopper redeems its remaining value
    into the wallet or applies it at checkout. ``remaining_value`` only changes under the row's lock."""

    code = models.CharField(max_length=50, unique=True)
    initial_value = models.DecimalField(max_digits=10, decimal_places=2)
    remaining_value = models.DecimalField(max_digits=10, decimal_places=2)
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="gift_cards", db_index=False
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    is_active = flag(True)
    # Not in the seed: the batch a card was issued in (one issue = one batch, exported as one CSV).
    batch = models.UUIDField(null=True, blank=True)

    class Meta:
        db_table = "gift_cards"
        indexes = [
            models.Index(fields=["user"], name="idx_gift_cards_user"),
            models.Index(fields=["batch"], name="idx_gift_cards_batch"),
        ]
        permissions = [("issue_giftcard", "Can issue CouponAli gift cards and export their codes (audited)")]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining_value__gte=0) & Q(remaining_value__lte=models.F("initial_value")),
                name="gift_cards_remaining_within_initial",
            ),
        ]

    def __str__(self) -> str:
        return f"gift card …{self.code[-4:]}"


class GiftCardRedemption(CreatedModel):
    """Not in the seed: each use of a gift card's value, so that what left a card is accounted for (and given
    back when an order fails). Into the wallet: one row per card, credited by one gift_card_redeemed posting.
    At checkout: one live row per (card, order); releasing it returns the amount to the card."""

    class Kind(models.TextChoices):
        WALLET = "wallet", "Into the wallet"
        ORDER = "order", "At checkout"

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        RELEASED = "released", "Released"

    gift_card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="redemptions")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", db_index=False)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="gift_card_redemptions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLIED, db_default=Status.APPLIED)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    # What a refund of the paid order gave back to the card (orders.services.gift_cards.gift_card_refund); the
    # use still stands, for amount - refunded_amount.
    refunded_amount = MoneyField(default=ZERO)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "gift_card_redemptions"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="gift_card_redemption_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="gift_card_redemption_refund_within_amount",
            ),
            models.CheckConstraint(
                condition=(Q(kind="order") & Q(order__isnull=False)) | (Q(kind="wallet") & Q(order__isnull=True)),
                name="gift_card_redemption_order_iff_checkout",
            ),
            # A card's value goes into a wallet once (the posting's unique reference says the same).
            models.UniqueConstraint(
                fields=["gift_card"], condition=Q(kind="wallet"), name="gift_card_one_wallet_redemption"
            ),
            # Applying the same card to the same order twice (a re-submitted checkout) takes its value once.
            models.UniqueConstraint(
                fields=["gift_card", "order"], condition=Q(status="applied"), name="gift_card_one_live_use_per_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{format_inr(self.amount)} of {self.gift_card} ({self.kind}, {self.status})"

"""The wallet ledger, cashback events, withdrawals and payouts (seed tables 14-16, 19, 21)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from couponali.models import ZERO, CreatedModel, MoneyField, TimeStampedModel, UuidField


class WalletTransaction(CreatedModel):
    """One posting of the ledger. Append-only for the app role; corrections are new, reversing rows."""

    class Type(models.TextChoices):
        CASHBACK_EARNED = "cashback_earned", "Cashback earned"
        CASHBACK_REVERSED = "cashback_reversed", "Cashback reversed"
        REFERRAL_BONUS = "referral_bonus", "Referral bonus"
        ORDER_PAYMENT = "order_payment", "Order payment"
        ORDER_REFUND = "order_refund", "Order refund"
        WITHDRAWAL = "withdrawal", "Withdrawal"
        WITHDRAWAL_REVERSED = "withdrawal_reversed", "Withdrawal returned"
        ADMIN_CREDIT = "admin_credit", "Credit by CouponAli"
        ADMIN_DEBIT = "admin_debit", "Debit by CouponAli"

    uuid = UuidField()
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="wallet_transactions", db_index=False
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2, help_text="Positive = credit, negative = debit.")
    type = models.CharField(max_length=50, choices=Type.choices)
    reference_type = models.CharField(max_length=50, null=True, blank=True)
    reference_id = models.BigIntegerField(null=True, blank=True)
    balance_before = models.DecimalField(max_digits=10, decimal_places=2)
    balance_after = models.DecimalField(max_digits=10, decimal_places=2)
    description = models.TextField(null=True, blank=True)
    admin_notes = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "wallet_transactions"
        indexes = [
            models.Index(fields=["user"], name="idx_wallet_user"),
            models.Index(fields=["-created_at"], name="idx_wallet_created"),
            models.Index(fields=["type"], name="idx_wallet_type"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after=F("balance_before") + F("amount")), name="wallet_tx_balance_arithmetic"
            ),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="wallet_tx_balance_nonnegative"),
            models.CheckConstraint(condition=~Q(amount=0), name="wallet_tx_amount_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.amount} (user {self.user_id})"


class WalletBalance(models.Model):
    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="wallet")
    balance = MoneyField(max_digits=12, default=ZERO)
    updated_at = models.DateTimeField(auto_now=True, db_default=models.functions.Now())

    class Meta:
        db_table = "wallet_balances"
        indexes = [models.Index(fields=["user"], name="idx_wallet_balances_user")]
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="wallet_balance_nonnegative")]

    def __str__(self) -> str:
        return f"₹{self.balance} (user {self.user_id})"


class CashbackEvent(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CONFIRMED = "confirmed", "Confirmed"
        PAID = "paid", "Paid"
        REJECTED = "rejected", "Rejected"
        REVERSED = "reversed", "Reversed"

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="cashback_events", db_index=False)
    offer = models.ForeignKey(
        "offers.Offer", null=True, blank=True, on_delete=models.SET_NULL, related_name="cashback_events", db_index=False
    )
    # offer_clicks is partitioned by month, so this cannot be a foreign key (docs/schema-deviations.txt);
    # the cashback service checks that the click exists.
    click_id = models.UUIDField(null=True, blank=True)
    merchant = models.ForeignKey("catalog.Merchant", on_delete=models.PROTECT, related_name="cashback_events")
    transaction_amount = MoneyField()
    commission_amount = MoneyField()
    cashback_amount = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=50, choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING)
    affiliate_transaction_id = models.CharField(max_length=255, null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    rejected_reason = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "cashback_events"
        indexes = [
            models.Index(fields=["user"], name="idx_cashback_user"),
            models.Index(fields=["status"], name="idx_cashback_status"),
            models.Index(fields=["offer"], name="idx_cashback_offer"),
            models.Index(fields=["click_id"], name="idx_cashback_click"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(cashback_amount__gte=0), name="cashback_amount_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"cashback {self.pk} ₹{self.cashback_amount} ({self.status})"


class Withdrawal(TimeStampedModel):
    class Method(models.TextChoices):
        BANK = "bank", "Bank transfer"
        UPI = "upi", "UPI"
        GIFT_VOUCHER = "gift_voucher", "Gift voucher"
        MOBILE_RECHARGE = "mobile_recharge", "Mobile recharge"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    uuid = UuidField()
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="withdrawals", db_index=False)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    method = models.CharField(max_length=50, choices=Method.choices)
    destination_details = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=50, choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING)
    processed_by_admin = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(null=True, blank=True)
    transaction_reference = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        db_table = "withdrawals"
        indexes = [
            models.Index(fields=["user"], name="idx_withdrawals_user"),
            models.Index(fields=["status"], name="idx_withdrawals_status"),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="withdrawal_amount_positive")]

    def __str__(self) -> str:
        return f"withdrawal {self.uuid} ₹{self.amount} ({self.status})"


class Payout(CreatedModel):
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="payouts", db_index=False)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    method = models.CharField(max_length=50)
    reference = models.CharField(max_length=120, null=True, blank=True)

    class Meta:
        db_table = "payouts"
        indexes = [models.Index(fields=["user"], name="idx_payouts_user")]

    def __str__(self) -> str:
        return f"payout ₹{self.amount} to user {self.user_id}"

"""The wallet ledger, cashback events, withdrawals and payouts (seed tables 14-16, 19, 21), plus what the
money flows need around them: conversions that matched no click, the cashback rate seen at click time,
and recoverable debts (the idempotency keys of money-moving POSTs are the kernel's: couponali.models).

Invariants are enforced by the database (constraints here, triggers in migrations 0002): see the README's
"Wallet and cashback" section for the list and wallet/services.py for the lock order.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from couponali.models import ZERO, CreatedModel, MoneyField, TimeStampedModel, UuidField, counter
from couponali.money import format_inr


class PostingType(models.TextChoices):
    CASHBACK_EARNED = "cashback_earned", "Cashback earned"
    CASHBACK_REVERSED = "cashback_reversed", "Cashback reversed"
    REFERRAL_BONUS = "referral_bonus", "Referral bonus"
    REFERRAL_BONUS_REVERSED = "referral_bonus_reversed", "Referral bonus reversed"
    ORDER_PAYMENT = "order_payment", "Order payment"
    ORDER_REFUND = "order_refund", "Order refund"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    WITHDRAWAL_REVERSED = "withdrawal_reversed", "Withdrawal returned"
    DEBT_RECOVERY = "debt_recovery", "Recovery of an earlier reversal"
    ADMIN_CREDIT = "admin_credit", "Credit by CouponAli"
    ADMIN_DEBIT = "admin_debit", "Debit by CouponAli"
    # The remaining value of a CouponAli gift card moved into the wallet (orders.services.gift_cards).
    GIFT_CARD_REDEEMED = "gift_card_redeemed", "Gift card redeemed"


CREDIT_TYPES = (
    PostingType.CASHBACK_EARNED,
    PostingType.REFERRAL_BONUS,
    PostingType.ORDER_REFUND,
    PostingType.WITHDRAWAL_REVERSED,
    PostingType.ADMIN_CREDIT,
    PostingType.GIFT_CARD_REDEEMED,
)
DEBIT_TYPES = (
    PostingType.CASHBACK_REVERSED,
    PostingType.REFERRAL_BONUS_REVERSED,
    PostingType.ORDER_PAYMENT,
    PostingType.WITHDRAWAL,
    PostingType.DEBT_RECOVERY,
    PostingType.ADMIN_DEBIT,
)


class WalletTransaction(CreatedModel):
    """One posting of the ledger. Append-only for the app role; corrections are new, reversing rows."""

    Type = PostingType

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
        permissions = [
            ("adjust_wallettransaction", "Can post a manual wallet adjustment (finance)"),
        ]
        indexes = [
            models.Index(fields=["user"], name="idx_wallet_user"),
            models.Index(fields=["-created_at"], name="idx_wallet_created"),
            models.Index(fields=["type"], name="idx_wallet_type"),
            # The statement: a user's postings newest first; also the chain check's "previous posting".
            models.Index(fields=["user", "-id"], name="idx_wallet_user_seq"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after=F("balance_before") + F("amount")), name="wallet_tx_balance_arithmetic"
            ),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="wallet_tx_balance_nonnegative"),
            models.CheckConstraint(condition=~Q(amount=0), name="wallet_tx_amount_nonzero"),
            # A credit type can only add money and a debit type only take it.
            models.CheckConstraint(
                condition=(Q(type__in=CREDIT_TYPES) & Q(amount__gt=0)) | (Q(type__in=DEBIT_TYPES) & Q(amount__lt=0)),
                name="wallet_tx_sign_matches_type",
            ),
            # One posting per source event and type: a repeated confirmation, retry or replay can never
            # credit twice. Postings without a reference (manual adjustments) are not constrained (NULLs).
            models.UniqueConstraint(
                fields=["reference_type", "reference_id", "type"], name="wallet_tx_one_posting_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {format_inr(self.amount)} (user {self.user_id})"

    @property
    def is_credit(self) -> bool:
        return self.amount > 0

    @property
    def absolute_amount(self):
        return abs(self.amount)


class WalletBalance(models.Model):
    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="wallet")
    balance = MoneyField(max_digits=12, default=ZERO)
    # Not in the seed: what the user still owes after a reversal found too little balance (wallet_debts);
    # recovered from the next credits. Kept here so that every posting reads it with the lock it takes anyway.
    debt = MoneyField(max_digits=12, default=ZERO)
    updated_at = models.DateTimeField(auto_now=True, db_default=models.functions.Now())

    class Meta:
        db_table = "wallet_balances"
        indexes = [models.Index(fields=["user"], name="idx_wallet_balances_user")]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="wallet_balance_nonnegative"),
            models.CheckConstraint(condition=Q(debt__gte=0), name="wallet_debt_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{format_inr(self.balance)} (user {self.user_id})"


class CashbackEvent(TimeStampedModel):
    """A conversion reported by an affiliate network (or entered by staff) for one of our clicks.

    Lifecycle (wallet.services.CASHBACK_TRANSITIONS, also enforced by a trigger): pending → confirmed → paid,
    or pending → rejected, or confirmed/paid → reversed. Confirmation and the wallet credit happen in one
    transaction, so an event rests in `paid` (confirmed_at and paid_at set) once confirmed.
    """

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
    # Not in the seed: which network reported it (the idempotency key is network + transaction id) ...
    network = models.CharField(max_length=50, null=True, blank=True)
    network_status = models.CharField(max_length=50, null=True, blank=True, help_text="Last status as reported.")
    reported_at = models.DateTimeField(null=True, blank=True, help_text="When the last report arrived.")
    # ... and the cashback rule applied (the one advertised at click time when known), so that a revised
    # sale amount is recomputed with the same rule, whatever the offer says today.
    rate_type = models.CharField(max_length=20, null=True, blank=True)
    rate_value = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    rate_cap = MoneyField()
    rate_source = models.CharField(max_length=20, null=True, blank=True)
    # Not in the seed: why a network-reported event waits for staff instead of being paid automatically
    # (its cashback is above CASHBACK_MAX_COMMISSION_MULTIPLE times the reported commission). Set when the
    # report comes in; only a staff confirmation clears it (wallet.services.cashback_hold_reason).
    held_reason = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        db_table = "cashback_events"
        permissions = [
            ("record_cashbackevent", "Can record a conversion (staff entry)"),
            ("confirm_cashbackevent", "Can confirm cashback (credits the wallet)"),
            ("reject_cashbackevent", "Can reject pending cashback"),
            ("reverse_cashbackevent", "Can reverse paid cashback (takes the money back)"),
        ]
        indexes = [
            models.Index(fields=["user"], name="idx_cashback_user"),
            models.Index(fields=["status"], name="idx_cashback_status"),
            models.Index(fields=["offer"], name="idx_cashback_offer"),
            models.Index(fields=["click_id"], name="idx_cashback_click"),
            # The admin's search by the network's order id (the unique key leads with the network).
            models.Index(fields=["affiliate_transaction_id"], name="idx_cashback_txn"),
            # The auto-confirm job scans pending events by age.
            models.Index(fields=["created_at"], name="idx_cashback_pending_age", condition=Q(status="pending")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(cashback_amount__gte=0), name="cashback_amount_nonnegative"),
            # One event per network transaction: a repeated or out-of-order report finds the same row.
            models.UniqueConstraint(fields=["network", "affiliate_transaction_id"], name="cashback_network_txn_uniq"),
            # Paid means confirmed and credited; only paid (or later reversed) events carry paid_at.
            models.CheckConstraint(
                condition=~Q(status="paid") | (Q(paid_at__isnull=False) & Q(confirmed_at__isnull=False)),
                name="cashback_paid_has_dates",
            ),
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True) | Q(status__in=["paid", "reversed"]),
                name="cashback_paid_at_only_when_credited",
            ),
            # A held event is never credited, whichever path (the service or the auto-confirm batch's SQL)
            # tries: staff release the hold in the same UPDATE that confirms it.
            models.CheckConstraint(
                condition=Q(held_reason__isnull=True) | Q(status__in=["pending", "rejected"]),
                name="cashback_held_not_credited",
            ),
        ]

    def __str__(self) -> str:
        return f"cashback {self.pk} {format_inr(self.cashback_amount)} ({self.status})"


class UnmatchedConversion(TimeStampedModel):
    """A well-formed conversion whose click id is not one of our clicks (or has no user, or went to a store of
    another network): kept for staff review, never dropped and never credited. Staff retry the match once the
    click is known."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MATCHED = "matched", "Matched"
        DISMISSED = "dismissed", "Dismissed"

    network = models.CharField(max_length=50)
    affiliate_transaction_id = models.CharField(max_length=255)
    click_ref = models.CharField(max_length=255, help_text="The sub id / click id as the network sent it.")
    reason = models.CharField(max_length=255)
    payload = models.JSONField(default=dict, help_text="The normalised report, enough to replay it.")
    source = models.CharField(max_length=20)
    times_seen = models.IntegerField(default=1, db_default=1)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_default=Status.OPEN)
    matched_event = models.ForeignKey(
        CashbackEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    resolved_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "unmatched_conversions"
        permissions = [
            ("retry_unmatchedconversion", "Can retry matching an unmatched conversion"),
            ("dismiss_unmatchedconversion", "Can dismiss an unmatched conversion"),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="idx_unmatched_status")]
        constraints = [
            models.UniqueConstraint(fields=["network", "affiliate_transaction_id"], name="unmatched_network_txn_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.network} {self.affiliate_transaction_id} ({self.status})"


class WalletDebt(CreatedModel):
    """What a reversal could not take because the balance was too low. Balances never go negative: the
    shortfall is recorded here (and in wallet_balances.debt), shown to staff for review, and recovered from
    the user's next credits (debt_recovery postings)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="wallet_debts", db_index=False)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    outstanding = models.DecimalField(max_digits=10, decimal_places=2)
    reason = models.CharField(max_length=255)
    reference_type = models.CharField(max_length=50)
    reference_id = models.BigIntegerField()
    settled_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    notes = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "wallet_debts"
        indexes = [
            models.Index(fields=["user"], name="idx_wallet_debts_open", condition=Q(outstanding__gt=0)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="wallet_debt_amount_positive"),
            models.CheckConstraint(
                condition=Q(outstanding__gte=0) & Q(outstanding__lte=F("amount")), name="wallet_debt_outstanding_range"
            ),
            models.UniqueConstraint(
                fields=["user", "reference_type", "reference_id"], name="wallet_debt_one_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"debt {format_inr(self.outstanding)}/{format_inr(self.amount)} of user {self.user_id}"


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
    # Not in the seed: the two-person rule for large amounts (fixed at request time) ...
    approvals_required = models.PositiveSmallIntegerField(default=1, db_default=1)
    first_approver = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    first_approved_at = models.DateTimeField(null=True, blank=True)
    # ... and the payout's state at the gateway (the gateway idempotency key is the withdrawal's uuid).
    gateway = models.CharField(max_length=30, null=True, blank=True)
    gateway_payout_id = models.CharField(max_length=100, null=True, blank=True)
    gateway_status = models.CharField(max_length=30, null=True, blank=True)
    payout_attempts = counter()
    payout_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "withdrawals"
        permissions = [
            ("approve_withdrawal", "Can approve a withdrawal (finance)"),
            ("reject_withdrawal", "Can reject a withdrawal (finance)"),
            ("pay_withdrawal", "Can ask the payout gateway about a withdrawal (finance)"),
        ]
        indexes = [
            models.Index(fields=["user"], name="idx_withdrawals_user"),
            models.Index(fields=["status"], name="idx_withdrawals_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="withdrawal_amount_positive"),
            models.CheckConstraint(condition=Q(approvals_required__in=[1, 2]), name="withdrawal_approvals_1_or_2"),
            # Past approval, a two-approver withdrawal names two different people.
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "processing", "completed", "failed"])
                | Q(approvals_required=1)
                | (
                    Q(first_approver__isnull=False)
                    & Q(processed_by_admin__isnull=False)
                    & ~Q(first_approver=F("processed_by_admin"))
                ),
                name="withdrawal_two_distinct_approvers",
            ),
        ]

    def __str__(self) -> str:
        return f"withdrawal {self.uuid} {format_inr(self.amount)} ({self.status})"


class Payout(CreatedModel):
    """A completed disbursement: written once, when the gateway reports a withdrawal paid."""

    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="payouts", db_index=False)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    method = models.CharField(max_length=50)
    reference = models.CharField(max_length=120, null=True, blank=True)
    # Not in the seed: the withdrawal it pays (one payout per withdrawal) and the gateway's own id.
    withdrawal = models.OneToOneField(
        Withdrawal, null=True, blank=True, on_delete=models.PROTECT, related_name="payout"
    )
    gateway = models.CharField(max_length=30, null=True, blank=True)
    gateway_payout_id = models.CharField(max_length=100, null=True, blank=True)

    class Meta:
        db_table = "payouts"
        indexes = [models.Index(fields=["user"], name="idx_payouts_user")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive")]

    def __str__(self) -> str:
        return f"payout {format_inr(self.amount)} to user {self.user_id}"

"""Factories for wallet rows. Ledger rows made here bypass the wallet services: use them only for tests of
reads; anything that moves money goes through wallet.services."""

from __future__ import annotations

import uuid
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.factories import UserFactory
from catalog.factories import MerchantFactory

from .models import (
    CashbackEvent,
    Payout,
    UnmatchedConversion,
    WalletBalance,
    WalletDebt,
    WalletTransaction,
    Withdrawal,
)


class WalletBalanceFactory(DjangoModelFactory):
    class Meta:
        model = WalletBalance
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)


class WalletTransactionFactory(DjangoModelFactory):
    class Meta:
        model = WalletTransaction

    user = factory.SubFactory(UserFactory)
    amount = Decimal("100.00")
    type = WalletTransaction.Type.ADMIN_CREDIT
    balance_before = Decimal("0.00")
    balance_after = factory.LazyAttribute(lambda o: o.balance_before + o.amount)
    description = "Welcome credit"


class CashbackEventFactory(DjangoModelFactory):
    class Meta:
        model = CashbackEvent

    user = factory.SubFactory(UserFactory)
    merchant = factory.SubFactory(MerchantFactory)
    transaction_amount = Decimal("2499.00")
    commission_amount = Decimal("149.94")
    cashback_amount = Decimal("112.45")
    affiliate_transaction_id = factory.Sequence(lambda n: f"AD-{n:06d}")


class WithdrawalFactory(DjangoModelFactory):
    class Meta:
        model = Withdrawal

    user = factory.SubFactory(UserFactory)
    amount = Decimal("500.00")
    method = Withdrawal.Method.UPI
    destination_details = factory.LazyFunction(lambda: {"upi_id": "XXXXXX@okhdfc"})


class PayoutFactory(DjangoModelFactory):
    class Meta:
        model = Payout

    user = factory.SubFactory(UserFactory)
    amount = Decimal("500.00")
    method = "upi"
    reference = factory.Sequence(lambda n: f"UTR{n:012d}")


class UnmatchedConversionFactory(DjangoModelFactory):
    class Meta:
        model = UnmatchedConversion

    network = "admitad"
    affiliate_transaction_id = factory.Sequence(lambda n: f"AD-U{n:05d}")
    click_ref = factory.LazyFunction(lambda: str(uuid.uuid4()))
    reason = "no click with this id"
    source = "postback"
    payload = factory.LazyAttribute(
        lambda o: {
            "click_ref": o.click_ref,
            "transaction_id": o.affiliate_transaction_id,
            "sale_amount": "999.00",
            "commission": "50.00",
            "status": "pending",
            "network_status": "pending",
            "currency": "INR",
        }
    )


class WalletDebtFactory(DjangoModelFactory):
    class Meta:
        model = WalletDebt

    user = factory.SubFactory(UserFactory)
    amount = Decimal("40.00")
    outstanding = Decimal("40.00")
    reason = "cashback reversed after payment"
    reference_type = "cashback_event"
    reference_id = factory.Sequence(lambda n: n + 1)

"""The ledger: postings, snapshots, and what the database refuses whatever the code does."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from accounts.factories import UserFactory
from accounts.models import User
from couponali.models import AuditLog
from wallet.models import WalletBalance, WalletDebt, WalletTransaction
from wallet.reconcile import wallet_reconcile
from wallet.services import InsufficientBalance, wallet_adjust, wallet_claw_back, wallet_post

T = WalletTransaction.Type


def snapshot(user):
    user = User.all_objects.get(pk=user.pk)
    balance = WalletBalance.objects.filter(user=user).values_list("balance", flat=True).first()
    return balance, user.wallet_balance, user.lifetime_earnings


@pytest.mark.django_db
def test_postings_chain_and_keep_every_snapshot_in_step():
    user = UserFactory()
    # when money comes in and goes out
    wallet_post(
        user_id=user.pk, amount=Decimal("100.00"), type=T.REFERRAL_BONUS, reference_type="referral", reference_id=1
    )
    wallet_post(user_id=user.pk, amount=Decimal("-30.50"), type=T.ORDER_PAYMENT, reference_type="order", reference_id=7)
    wallet_post(user_id=user.pk, amount=Decimal("12.25"), type=T.ADMIN_CREDIT)
    # then each posting starts where the previous ended, and all snapshots agree
    rows = list(
        WalletTransaction.objects.filter(user=user)
        .order_by("id")
        .values_list("balance_before", "amount", "balance_after")
    )
    assert rows == [
        (Decimal("0.00"), Decimal("100.00"), Decimal("100.00")),
        (Decimal("100.00"), Decimal("-30.50"), Decimal("69.50")),
        (Decimal("69.50"), Decimal("12.25"), Decimal("81.75")),
    ]
    assert snapshot(user) == (Decimal("81.75"), Decimal("81.75"), Decimal("100.00"))
    assert wallet_reconcile()[0] == []


@pytest.mark.django_db
def test_a_debit_larger_than_the_balance_is_refused_and_changes_nothing():
    user = UserFactory()
    wallet_post(user_id=user.pk, amount=Decimal("20"), type=T.ADMIN_CREDIT)
    with pytest.raises(InsufficientBalance):
        wallet_post(user_id=user.pk, amount=Decimal("-20.01"), type=T.ADMIN_DEBIT)
    assert WalletTransaction.objects.filter(user=user).count() == 1
    assert snapshot(user)[:2] == (Decimal("20.00"), Decimal("20.00"))


@pytest.mark.django_db
def test_one_posting_per_source_event_and_type():
    user = UserFactory()
    first = wallet_post(
        user_id=user.pk, amount=Decimal("45"), type=T.CASHBACK_EARNED, reference_type="cashback_event", reference_id=99
    )
    again = wallet_post(
        user_id=user.pk, amount=Decimal("45"), type=T.CASHBACK_EARNED, reference_type="cashback_event", reference_id=99
    )
    assert first.created and not again.created
    assert again.transaction.pk == first.transaction.pk
    assert snapshot(user)[0] == Decimal("45.00")
    # and the database refuses a second one even when code skips the check
    with pytest.raises(IntegrityError), transaction.atomic():
        WalletTransaction.objects.create(
            user=user,
            amount=Decimal("45"),
            type=T.CASHBACK_EARNED,
            reference_type="cashback_event",
            reference_id=99,
            balance_before=Decimal("45"),
            balance_after=Decimal("90"),
        )


@pytest.mark.django_db
def test_the_app_role_cannot_update_or_delete_postings():
    user = UserFactory()
    posting = wallet_post(user_id=user.pk, amount=Decimal("10"), type=T.ADMIN_CREDIT).transaction
    for sql in (
        "UPDATE wallet_transactions SET amount = 1000 WHERE id = %s",
        "DELETE FROM wallet_transactions WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [posting.pk])
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE wallet_transactions")
    assert WalletTransaction.objects.get(pk=posting.pk).amount == Decimal("10.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "before,amount,after,match",
    [
        ("0", "10", "11", "wallet_tx_balance_arithmetic"),  # after != before + amount
        ("0", "-10", "-10", "wallet_tx_balance_nonnegative"),  # negative balance
        ("5", "10", "15", "ledger chain broken"),  # does not start where the previous ended (0)
        ("0", "0", "0", "wallet_tx_amount_nonzero"),
    ],
)
def test_the_database_refuses_broken_postings(before, amount, after, match):
    user = UserFactory()
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        WalletTransaction.objects.create(
            user=user,
            amount=Decimal(amount),
            type=T.ADMIN_CREDIT if Decimal(amount) > 0 else T.ADMIN_DEBIT,
            balance_before=Decimal(before),
            balance_after=Decimal(after),
        )


@pytest.mark.django_db
def test_credit_types_only_credit_and_debit_types_only_debit():
    user = UserFactory()
    with pytest.raises(IntegrityError, match="wallet_tx_sign_matches_type"), transaction.atomic():
        WalletTransaction.objects.create(
            user=user, amount=Decimal("10"), type=T.WITHDRAWAL, balance_before=Decimal("0"), balance_after=Decimal("10")
        )
    with pytest.raises(ValueError):
        wallet_post(user_id=user.pk, amount=Decimal("10"), type=T.WITHDRAWAL)


@pytest.mark.django_db
def test_the_snapshot_cannot_drift_from_the_ledger():
    user = UserFactory()
    wallet_post(user_id=user.pk, amount=Decimal("10"), type=T.ADMIN_CREDIT)
    with pytest.raises(IntegrityError, match="wallet balance of user"), transaction.atomic():
        WalletBalance.objects.filter(user=user).update(balance=Decimal("1000"))
    with pytest.raises(IntegrityError, match="wallet balance of user"), transaction.atomic():
        WalletBalance.objects.create(user=UserFactory(), balance=Decimal("5"))


@pytest.mark.django_db
def test_claw_back_never_makes_a_balance_negative_and_the_debt_is_recovered_from_the_next_credit():
    user = UserFactory()
    wallet_post(
        user_id=user.pk, amount=Decimal("100"), type=T.CASHBACK_EARNED, reference_type="cashback_event", reference_id=1
    )
    wallet_post(user_id=user.pk, amount=Decimal("-70"), type=T.ORDER_PAYMENT, reference_type="order", reference_id=1)
    # when the ₹100 cashback is reversed with only ₹30 left
    claw = wallet_claw_back(
        user_id=user.pk,
        amount=Decimal("100"),
        type=T.CASHBACK_REVERSED,
        reference_type="cashback_event",
        reference_id=1,
        description="reversed",
        reason="test",
    )
    # then ₹30 is debited, ₹70 is owed, the balance is zero (never negative)
    assert claw.posting.amount == Decimal("-30.00")
    assert claw.debt.amount == Decimal("70.00")
    assert WalletBalance.objects.get(user=user).balance == Decimal("0.00")
    assert WalletBalance.objects.get(user=user).debt == Decimal("70.00")
    # repeated: nothing more
    wallet_claw_back(
        user_id=user.pk,
        amount=Decimal("100"),
        type=T.CASHBACK_REVERSED,
        reference_type="cashback_event",
        reference_id=1,
        description="reversed",
        reason="test",
    )
    assert WalletDebt.objects.filter(user=user).count() == 1
    # when ₹50 comes in, it pays back ₹50 of the debt first
    wallet_post(user_id=user.pk, amount=Decimal("50"), type=T.ADMIN_CREDIT)
    assert WalletBalance.objects.get(user=user).balance == Decimal("0.00")
    assert WalletDebt.objects.get(user=user).outstanding == Decimal("20.00")
    # and ₹40 more settles it and leaves ₹20
    wallet_post(user_id=user.pk, amount=Decimal("40"), type=T.ADMIN_CREDIT)
    debt = WalletDebt.objects.get(user=user)
    assert debt.outstanding == Decimal("0.00") and debt.settled_at is not None
    balance = WalletBalance.objects.get(user=user)
    assert (balance.balance, balance.debt) == (Decimal("20.00"), Decimal("0.00"))
    assert User.all_objects.get(pk=user.pk).lifetime_earnings == Decimal("0.00")
    problems, _ = wallet_reconcile()
    # the test posted cashback for an event that does not exist: reconcile says so, and nothing else
    assert {p.check for p in problems} == {"orphan_credits"}


@pytest.mark.django_db
def test_a_fraction_of_a_paisa_is_refused_not_rounded():
    user = UserFactory()
    with pytest.raises(ValueError, match="whole paise"):
        wallet_post(user_id=user.pk, amount=Decimal("10.005"), type=T.ADMIN_CREDIT)
    assert not WalletTransaction.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_a_manual_adjustment_audits_the_balance_before_and_after(finance):
    user = UserFactory()
    wallet_post(user_id=user.pk, amount=Decimal("10"), type=T.ADMIN_CREDIT)
    posting = wallet_adjust(user_id=user.pk, amount=Decimal("15"), reason="goodwill", actor=finance)
    row = AuditLog.objects.get(action="wallet.adjust", entity_id=posting.pk)
    assert row.actor_user_id == finance.pk and row.metadata["reason"] == "goodwill"
    assert row.metadata["before"] == {"balance": "10.00"} and row.metadata["after"] == {"balance": "25.00"}

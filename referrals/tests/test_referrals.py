"""Referrals: recorded from users.referred_by_user_id by the task the sign-up queues by name; activated by
the friend's first confirmed cashback; bonuses through the ledger; no self-referral, loops, or second referrer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from celery import current_app
from django.db import IntegrityError, transaction

from accounts.authz import SYSTEM
from accounts.factories import UserFactory
from accounts.models import User
from referrals.factories import ReferralFactory
from referrals.models import Referral
from wallet import services
from wallet.models import WalletBalance, WalletTransaction
from wallet.networks import NETWORKS, conversion_parse
from wallet.reconcile import wallet_reconcile
from wallet.tests.conftest import make_click

T = WalletTransaction.Type


@pytest.fixture(autouse=True)
def _tasks_registered():
    current_app.loader.import_default_modules()  # as a worker (or enqueue_task) does


_clicks: dict = {}


def record(user, txn, status, sale="1000"):
    """A report for the order ``txn`` (one click per order, reused by later reports of the same order)."""
    click = _clicks.get((user.pk, txn)) or make_click(user=user)
    _clicks[(user.pk, txn)] = click
    return services.cashback_record(
        conversion=conversion_parse(
            NETWORKS["cuelinks"],
            {
                "sub_id": str(click.click_id),
                "transaction_id": txn,
                "sale_amount": sale,
                # the store pays 10%; the offers pass on 6% (within the commission cap)
                "commission": str(Decimal(sale) / 10),
                "status": status,
            },
        ),
        source="test",
        actor=SYSTEM,
    )


def signup(referrer):
    friend = UserFactory(referred_by_user=referrer)
    # what the accounts sign-up does after commit: queue the task by its name
    current_app.tasks["referrals.record_signup"].delay(user_id=friend.pk)
    return friend


@pytest.mark.django_db
def test_the_signup_task_records_a_pending_referral_once():
    referrer = UserFactory()
    friend = signup(referrer)
    current_app.tasks["referrals.record_signup"].delay(user_id=friend.pk)  # delivered twice (acks_late)
    referral = Referral.objects.get()
    assert (referral.referrer_user_id, referral.referred_user_id, referral.status) == (
        referrer.pk,
        friend.pk,
        "pending",
    )
    # a user who was not referred gets no referral
    current_app.tasks["referrals.record_signup"].delay(user_id=UserFactory().pk)
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_no_self_referral_no_loops_one_referrer():
    a = UserFactory()
    a.referred_by_user = a
    a.save()
    current_app.tasks["referrals.record_signup"].delay(user_id=a.pk)
    assert Referral.objects.count() == 0
    b = signup(UserFactory())
    c = UserFactory(referred_by_user=b)
    current_app.tasks["referrals.record_signup"].delay(user_id=c.pk)
    # b → c exists; c referring b's referrer chain back to c would be a loop: refused by the service ...
    top = Referral.objects.get(referred_user=b).referrer_user
    top.referred_by_user = c
    top.save()
    current_app.tasks["referrals.record_signup"].delay(user_id=top.pk)
    assert not Referral.objects.filter(referred_user=top).exists()
    # ... and by the database, whatever the code does
    with pytest.raises(IntegrityError, match="loop"), transaction.atomic():
        Referral.objects.create(referrer_user=c, referred_user=top)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(referrer_user=UserFactory(), referred_user=b)  # a second referrer
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(referrer_user=a, referred_user=a)


@pytest.mark.django_db
def test_first_confirmed_cashback_activates_and_pays_the_referrer_once(settings, django_capture_on_commit_callbacks):
    settings.REFERRAL_BONUS_PERCENT = Decimal("10")
    settings.REFERRAL_JOINING_BONUS = Decimal("50.00")
    referrer = UserFactory()
    friend = signup(referrer)
    # pending cashback does not activate
    with django_capture_on_commit_callbacks(execute=True):
        record(friend, "F1", "pending")
    assert Referral.objects.get().status == "pending"
    # when the friend's first cashback is confirmed (the wallet queues referrals.cashback_settled by name)
    with django_capture_on_commit_callbacks(execute=True):
        record(friend, "F1", "validated")
    referral = Referral.objects.get()
    assert referral.status == "active" and referral.activated_at is not None
    bonuses = list(
        WalletTransaction.objects.filter(user=referrer, type=T.REFERRAL_BONUS)
        .order_by("id")
        .values_list("reference_type", "amount")
    )
    assert sorted(bonuses) == [("cashback_event", Decimal("6.00")), ("referral", Decimal("50.00"))]
    assert referral.total_earned == Decimal("56.00")
    # a second confirmed cashback pays its percentage only; re-running changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        record(friend, "F2", "validated", sale="2500")
    current_app.tasks["referrals.cashback_settled"].delay(user_ids=[friend.pk])
    current_app.tasks["referrals.sweep"].delay()
    referral.refresh_from_db()
    assert referral.total_earned == Decimal("71.00")  # + 10% of 150.00
    assert WalletBalance.objects.get(user=referrer).balance == Decimal("71.00")
    assert User.all_objects.get(pk=referrer.pk).lifetime_earnings == Decimal("71.00")
    assert wallet_reconcile()[0] == []


@pytest.mark.django_db
def test_a_reversed_friend_cashback_takes_its_bonus_back(settings, django_capture_on_commit_callbacks):
    settings.REFERRAL_BONUS_PERCENT = Decimal("10")
    settings.REFERRAL_JOINING_BONUS = Decimal("0")
    referrer = UserFactory()
    friend = signup(referrer)
    with django_capture_on_commit_callbacks(execute=True):
        result = record(friend, "F1", "validated")
    assert Referral.objects.get().total_earned == Decimal("6.00")
    with django_capture_on_commit_callbacks(execute=True):
        services.cashback_reverse(event_id=result.event_id, reason="returned", actor=SYSTEM)
    referral = Referral.objects.get()
    assert referral.total_earned == Decimal("0.00")
    back = WalletTransaction.objects.get(user=referrer, type=T.REFERRAL_BONUS_REVERSED)
    assert back.amount == Decimal("-6.00")
    assert WalletBalance.objects.get(user=referrer).balance == Decimal("0.00")
    assert wallet_reconcile()[0] == []


@pytest.mark.django_db
def test_reconcile_catches_a_wrong_total_earned():
    ReferralFactory(total_earned=Decimal("5.00"))
    problems, counts = wallet_reconcile()
    assert counts["referral_total_earned"] == 1
    assert "total_earned ₹5 but the ledger says ₹0" in problems[0].message

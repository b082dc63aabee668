"""The auto-confirm job, reconcile_wallets catching every kind of break, the cashback rule (one function
for click-time snapshots and live rows, explicit rounding), and the beat schedule."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from io import StringIO

import pytest
from celery import current_app
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from accounts.authz import SYSTEM
from accounts.factories import UserFactory
from accounts.models import Notification, User
from catalog.factories import CategoryFactory, MerchantCommissionFactory, MerchantFactory
from catalog.selectors import cashback_rate_for
from couponali import rls
from couponali.models import AuditLog
from offers.factories import OfferFactory
from offers.models import OfferClick
from wallet import services, tasks
from wallet.factories import PayoutFactory, WalletTransactionFactory, WithdrawalFactory
from wallet.models import CashbackEvent, WalletTransaction
from wallet.networks import NETWORKS, conversion_parse
from wallet.reconcile import all_checks, wallet_reconcile
from wallet.services.cashback import _click_rule
from wallet.testing import pending_events_create

from .conftest import make_click

T = WalletTransaction.Type


def age(event_id, days):
    CashbackEvent.objects.filter(pk=event_id).update(created_at=timezone.now() - dt.timedelta(days=days))


def record(click, txn, sale="1000", status="pending"):
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


@pytest.mark.django_db
def test_auto_confirm_credits_only_events_past_their_stores_validation_period(shopper):
    store = MerchantFactory(affiliate_network="cuelinks", validation_days=30)
    due = record(make_click(user=shopper, merchant=store), "DUE").event_id
    fresh = record(make_click(user=shopper, merchant=store), "FRESH").event_id
    zero = record(
        make_click(
            user=shopper, offer=OfferFactory(merchant=store, cashback_type="fixed", cashback_value=Decimal("0"))
        ),
        "ZERO",
    ).event_id
    age(due, 31)
    age(fresh, 29)
    age(zero, 45)
    assert tasks.auto_confirm_cashback() == 2
    statuses = dict(CashbackEvent.objects.values_list("id", "status"))
    assert (statuses[due], statuses[fresh], statuses[zero]) == ("paid", "pending", "paid")
    assert WalletTransaction.objects.get(user=shopper).amount == Decimal("60.00")  # none for the zero event
    assert Notification.objects.filter(user=shopper, title="Cashback confirmed").count() == 2
    shopper = User.all_objects.get(pk=shopper.pk)
    assert (shopper.wallet_balance, shopper.pending_cashback, shopper.lifetime_earnings) == (
        Decimal("60.00"),
        Decimal("60.00"),
        Decimal("60.00"),
    )
    # a second run finds nothing
    assert tasks.auto_confirm_cashback() == 0
    assert wallet_reconcile()[0] == []


@pytest.mark.django_db
def test_auto_confirm_chains_several_events_of_one_user_and_pays_debts_first(shopper):
    store = MerchantFactory(affiliate_network="cuelinks", validation_days=10)
    # a debt from an earlier reversal
    old = record(make_click(user=shopper, merchant=store), "OLD", status="validated").event_id
    services.cashback_reverse(event_id=old, reason="returned", actor=SYSTEM)
    assert services.wallet_lock(user_id=shopper.pk).debt == Decimal("0.00")  # it had the money
    services.wallet_post(user_id=shopper.pk, amount=Decimal("100"), type=T.ADMIN_CREDIT)
    services.wallet_post(user_id=shopper.pk, amount=Decimal("-100"), type=T.ADMIN_DEBIT)
    other = record(make_click(user=shopper, merchant=store), "OTHER", status="validated").event_id
    services.wallet_post(user_id=shopper.pk, amount=Decimal("-60"), type=T.ADMIN_DEBIT)
    services.cashback_reverse(event_id=other, reason="returned", actor=SYSTEM)  # balance 0: ₹60 owed
    ids = [
        record(make_click(user=shopper, merchant=store), f"E{n}", sale=str(100 * (n + 1))).event_id for n in range(4)
    ]
    for event_id in ids:
        age(event_id, 11)
    # a second user with several events goes the set-based way
    friend = UserFactory()
    for n in range(3):
        age(record(make_click(user=friend, merchant=store), f"F{n}", sale="500").event_id, 11)
    assert tasks.auto_confirm_cashback(batch_size=2) == 7
    # the friend's three credits chain: 0 → 30 → 60 → 90
    rows = list(
        WalletTransaction.objects.filter(user=friend).order_by("id").values_list("balance_before", "balance_after")
    )
    assert rows == [(Decimal("0"), Decimal("30")), (Decimal("30"), Decimal("60")), (Decimal("60"), Decimal("90"))]
    # the shopper's credits (6+12+18+24 = 60) first paid back the ₹60 debt
    assert services.wallet_lock(user_id=shopper.pk).debt == Decimal("0.00")
    assert WalletTransaction.objects.filter(user=shopper, type=T.DEBT_RECOVERY).count() == 4
    assert wallet_reconcile()[0] == []


@pytest.mark.django_db
def test_bulk_fixture_and_set_based_job_agree_with_reconcile():
    with rls.bypass(reason="test"):
        info = pending_events_create(users=30, per_user=4)
    assert wallet_reconcile()[0] == []
    assert tasks.auto_confirm_cashback(batch_size=50) == info["events"]
    assert wallet_reconcile()[0] == []
    assert Notification.objects.filter(title="Cashback confirmed").count() == info["events"]


@pytest.mark.django_db
def test_reconcile_wallets_reports_every_kind_of_break_and_exits_non_zero():
    healthy = UserFactory()
    services.wallet_post(user_id=healthy.pk, amount=Decimal("10"), type=T.ADMIN_CREDIT)
    out = StringIO()
    call_command("reconcile_wallets", stdout=out)
    assert f"All {len(all_checks())} checks pass." in out.getvalue()  # other apps add their checks
    # given breaks that only code bypassing the services could make
    drifted = UserFactory()
    services.wallet_post(user_id=drifted.pk, amount=Decimal("10"), type=T.ADMIN_CREDIT)
    User.all_objects.filter(pk=drifted.pk).update(wallet_balance=Decimal("123456.78"), pending_cashback=Decimal("5"))
    WalletTransactionFactory(type=T.CASHBACK_EARNED, reference_type="cashback_event", reference_id=424242)
    WithdrawalFactory()  # never debited
    PayoutFactory()  # pays no completed withdrawal
    out = StringIO()
    with pytest.raises(CommandError, match="invariant break"):
        call_command("reconcile_wallets", stdout=out)
    report = out.getvalue()
    for check in ("users_columns", "pending_cashback", "orphan_credits", "withdrawal_postings", "payouts", "snapshot"):
        assert "FAIL" in report and check in report
    # amounts read the Indian way (couponali.money.format_inr), like every other screen
    assert f"user {drifted.pk}: users.wallet_balance ₹1,23,456.78 but wallet_balances says ₹10" in report
    assert "refers to cashback event 424242" in report


@pytest.mark.django_db
@override_settings(CLICKOUT_RATE_LIMIT="1000/minute")
def test_each_click_carries_the_rate_the_site_advertises(client):
    """The click-out writes on the click the rate that every offer card shows (the one rule, cashback_rate_for),
    and that is the rule the wallet applies to the click's conversions."""
    rng = random.Random(5)
    for n in range(40):
        category = CategoryFactory()
        store = MerchantFactory(
            default_cashback_type=rng.choice([None, "percentage", "fixed"]),
            default_cashback_value=Decimal(rng.randint(0, 900)) / 100,
        )
        if rng.random() < 0.6:
            MerchantCommissionFactory(
                merchant=store,
                category=category,
                commission_type=rng.choice(["percentage", "fixed"]),
                commission_value=Decimal(rng.randint(1, 2000)) / 100,
                cashback_percentage=Decimal(rng.randint(1, 10000)) / 100 if rng.random() < 0.9 else None,
                valid_from=timezone.localdate() - dt.timedelta(days=rng.randint(0, 5)),
                valid_until=rng.choice(
                    [None, timezone.localdate() + dt.timedelta(days=3), timezone.localdate() - dt.timedelta(days=1)]
                ),
            )
        offer_rule = rng.random() < 0.4
        offer = OfferFactory(
            merchant=store,
            category=category,
            cashback_type=rng.choice(["percentage", "fixed"]) if offer_rule else None,
            cashback_value=Decimal(rng.randint(1, 1500)) / 100 if offer_rule else None,
            max_cashback=Decimal(rng.randint(50, 500)) if rng.random() < 0.5 else None,
        )
        response = client.get(f"/go/{offer.uuid}/")
        assert response.status_code == 302, n
        click = OfferClick.objects.get(offer=offer)
        advertised = cashback_rate_for(store, offer=offer)
        written = _click_rule(click=click, offer=offer, merchant=store)
        assert (written.type, written.value, written.cap, written.source) == (
            advertised.type,
            advertised.value,
            advertised.cap,
            advertised.source,
        ), n


def test_the_beat_schedule_runs_the_wallet_jobs():
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "wallet.auto_confirm_cashback",
        "wallet.process_payouts",
        "wallet.reconcile_wallets",
        "referrals.sweep",
    } <= tasks_scheduled
    current_app.loader.import_default_modules()
    assert {
        "wallet.auto_confirm_cashback",
        "wallet.pay_withdrawal",
        "wallet.reconcile_payout",
        "wallet.process_payouts",
        "wallet.reconcile_wallets",
        "referrals.record_signup",
        "referrals.cashback_settled",
        "referrals.sweep",
    } <= set(current_app.tasks)


@pytest.mark.django_db
def test_the_nightly_task_audits_breaks(caplog):
    assert tasks.reconcile_wallets()["snapshot"] == 0
    WithdrawalFactory()
    counts = tasks.reconcile_wallets()
    assert counts["withdrawal_postings"] == 1
    assert AuditLog.objects.filter(action="wallet.reconcile_failed").exists()
    assert "reconcile_wallets" in caplog.text

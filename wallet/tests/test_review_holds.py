"""Money safety of conversions (issue 9): a network is matched only to clicks of its own stores, and a cashback
above the commission cap is recorded but held for staff, on every path that could pay it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.authz import SYSTEM
from accounts.factories import UserFactory, grant_permissions
from accounts.models import Notification, User
from catalog.factories import MerchantFactory
from couponali.models import AuditLog
from devtools.testing import shared_path
from wallet import services, tasks
from wallet.api import postback_signature
from wallet.models import CashbackEvent, UnmatchedConversion, WalletBalance, WalletTransaction
from wallet.networks import NETWORKS, conversion_parse
from wallet.reconcile import wallet_reconcile

from .conftest import make_click

T = WalletTransaction.Type


def signed_postback(client, network: str, params: dict):
    signature = postback_signature(settings.POSTBACK_SECRETS[network], params)
    return client.get(f"/api/v1/postbacks/{network}/?{urlencode({**params, 'signature': signature})}")


def flat_click(user, network: str | None, amount: str):
    """A click on a store of ``network`` through an offer paying a flat ``amount``."""
    store = MerchantFactory(affiliate_network=network, validation_days=30)
    return make_click(user=user, merchant=store, cashback_type="fixed", cashback_value=Decimal(amount))


def credits(user) -> list[Decimal]:
    return list(WalletTransaction.objects.filter(user=user, type=T.CASHBACK_EARNED).values_list("amount", flat=True))


# ---------------------------------------------------------------- network mismatch


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("network", "store_network", "params"),
    [
        # the two cases of the issue: vCommission ₹400 on a Cuelinks click, Admitad ₹1,000 on a vCommission click
        ("vcommission", "cuelinks", {"transaction_id": "VC-X1", "sale_amount": "8000", "payout": "400"}),
        ("admitad", "vcommission", {"order_id": "AD-X1", "order_sum": "20000", "payment_sum": "1000"}),
        # a store with no network at all is nobody's to report
        ("cuelinks", None, {"transaction_id": "CL-X1", "sale_amount": "8000", "commission": "400"}),
    ],
)
def test_a_network_cannot_credit_a_click_on_another_networks_store(client, shopper, network, store_network, params):
    # given a click on a store of another network (the offer would pay ₹400 flat)
    click = flat_click(shopper, store_network, "400")
    spec = NETWORKS[network]
    approved = next(k for k, v in spec.statuses.items() if v == "confirmed")
    # when that network sends a correctly signed "approved" postback for it, twice
    for _ in range(2):
        response = signed_postback(
            client, network, {spec.fields["click_id"]: str(click.click_id), **params, "status": approved}
        )
        # then it is accepted (the network stops retrying) but kept for review, not credited
        assert response.status_code == 200, response.content
        assert response.json()["outcome"] == "unmatched"
        assert "network mismatch" in response.json()["detail"]
    row = UnmatchedConversion.objects.get()
    assert row.network == network and row.status == "open" and row.times_seen == 2
    assert row.reason.startswith("network mismatch: the click went to ")
    assert row.reason.endswith(f"a store on {store_network or 'no network'}")
    assert CashbackEvent.objects.count() == 0 and WalletTransaction.objects.count() == 0
    assert User.all_objects.get(pk=shopper.pk).pending_cashback == Decimal("0.00")
    # and a staff retry does not match it either while the store is on another network
    staff = grant_permissions(
        UserFactory(is_staff=True),
        "wallet.retry_unmatchedconversion",
        "wallet.record_cashbackevent",
        "wallet.confirm_cashbackevent",
    )
    result = services.unmatched_retry(unmatched_id=row.pk, actor=staff)
    assert result.outcome == "unmatched" and CashbackEvent.objects.count() == 0


@pytest.mark.django_db
def test_a_report_file_of_one_network_credits_nothing_on_another_networks_clicks(shopper):
    # the Admitad sample's click ids, on a Cuelinks store
    store = MerchantFactory(affiliate_network="cuelinks")
    for n in (1, 2, 3, 4, 5):
        make_click(user=shopper, merchant=store, click_id=f"00000000-0000-4000-8000-{n:012d}")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_cashback",
            str(shared_path("samples") / "admitad_report.csv"),
            "--network",
            "admitad",
            "--no-progress",
            stdout=out,
        )
    reasons = dict(UnmatchedConversion.objects.values_list("affiliate_transaction_id", "reason"))
    assert set(reasons) == {"AD-77120", "AD-77121", "AD-77122"}
    assert all(r.startswith("network mismatch") for r in reasons.values())
    assert CashbackEvent.objects.count() == 0 and WalletTransaction.objects.count() == 0


# ---------------------------------------------------------------- the commission cap


@pytest.mark.django_db
def test_cashback_above_the_commission_is_held_for_review_not_paid(client, shopper):
    # given a click whose offer pays ₹400 flat
    click = flat_click(shopper, "cuelinks", "400")
    params = {"sub_id": str(click.click_id), "transaction_id": "CL-CAP", "sale_amount": "50", "commission": "1"}
    # when the network approves it with a ₹1 commission, twice
    for _ in range(2):
        response = signed_postback(client, "cuelinks", {**params, "status": "validated"})
        assert response.status_code == 200
        body = response.json()
        assert body["outcome"] == "held" and "kept for review" in body["detail"]
    # then the event is recorded at the advertised rate, pending and held, and nothing is credited
    event = CashbackEvent.objects.get()
    assert (event.status, event.cashback_amount, event.network_status) == ("pending", Decimal("400.00"), "validated")
    assert event.held_reason == "cashback ₹400 is above 1× the reported commission ₹1"
    assert credits(shopper) == []
    assert User.all_objects.get(pk=shopper.pk).pending_cashback == Decimal("400.00")
    assert Notification.objects.filter(user=shopper, title="Cashback tracked").count() == 1
    assert AuditLog.objects.get(action="cashback.tracked", entity_id=event.pk).metadata["held"] == event.held_reason
    assert wallet_reconcile()[0] == []


@pytest.mark.django_db
def test_held_events_are_not_auto_confirmed_by_the_batch_nor_the_singles_path(shopper):
    spec = NETWORKS["cuelinks"]

    def report(user, txn: str, amount: str, commission: str):
        click = flat_click(user, "cuelinks", amount)
        params = {"sub_id": str(click.click_id), "transaction_id": txn, "sale_amount": "1000"}
        event_id = services.cashback_record(
            conversion=conversion_parse(spec, {**params, "commission": commission, "status": "pending"}),
            source="test",
            actor=SYSTEM,
        ).event_id
        assert event_id is not None
        # past the store's validation period
        CashbackEvent.objects.filter(pk=event_id).update(created_at=timezone.now() - dt.timedelta(days=31))
        return event_id

    # a debt-free shopper (the set-based batch path): one held event, one within the cap
    held = report(shopper, "CL-HELD", "400", "1")
    fine = report(shopper, "CL-FINE", "40", "50")
    # a shopper who owes a debt (the one-by-one path): one held event
    debtor = UserFactory()
    services.wallet_claw_back(
        user_id=debtor.pk,
        amount=Decimal("10.00"),
        type=T.CASHBACK_REVERSED,
        reference_type="test",
        reference_id=debtor.pk,
        description="earlier reversal",
        reason="test",
    )
    assert WalletBalance.objects.get(user=debtor).debt == Decimal("10.00")
    held_of_debtor = report(debtor, "CL-HELD-2", "400", "1")

    # when the auto-confirm job runs (batch, then singles)
    assert services.cashback_auto_confirm_batch(now=timezone.now()) == 1
    assert services.cashback_auto_confirm_singles(now=timezone.now()) == 0
    assert tasks.auto_confirm_cashback() == 0
    # then only the event within the cap is paid
    statuses = dict(CashbackEvent.objects.values_list("id", "status"))
    assert (statuses[held], statuses[fine], statuses[held_of_debtor]) == ("pending", "paid", "pending")
    assert credits(shopper) == [Decimal("40.00")] and credits(debtor) == []
    # the automatic confirmation refuses a held event, and so does the database (whoever writes the UPDATE)
    with pytest.raises(services.IllegalTransition, match="held for review"):
        services.cashback_confirm(event_id=held_of_debtor, actor=SYSTEM, source="auto")
    with pytest.raises(IntegrityError, match="cashback_held_not_credited"), transaction.atomic():
        now = timezone.now()
        CashbackEvent.objects.filter(pk=held).update(status="paid", confirmed_at=now, paid_at=now)
    assert wallet_reconcile()[0] == []

    # when staff review and confirm it, the hold is released and the advertised amount paid, once
    staff = grant_permissions(UserFactory(is_staff=True), "wallet.confirm_cashbackevent")
    services.cashback_confirm(event_id=held, actor=staff)
    event = CashbackEvent.objects.get(pk=held)
    assert (event.status, event.held_reason) == ("paid", None)
    assert sorted(credits(shopper)) == [Decimal("40.00"), Decimal("400.00")]
    released = AuditLog.objects.get(action="cashback.confirmed", entity_id=held)
    assert released.actor_user_id == staff.pk and released.metadata["released_hold"].startswith("cashback ₹400 ")
    assert wallet_reconcile()[0] == []


@pytest.mark.django_db
def test_the_cap_is_a_configurable_multiple_of_the_reported_commission(shopper, settings):
    spec = NETWORKS["cuelinks"]

    def approve(txn: str, commission: str | None):
        click = flat_click(shopper, "cuelinks", "60")
        params = {"sub_id": str(click.click_id), "transaction_id": txn, "sale_amount": "1000", "status": "validated"}
        if commission is not None:
            params["commission"] = commission
        return services.cashback_record(conversion=conversion_parse(spec, params), source="test", actor=SYSTEM).outcome

    # ₹60 on a ₹40 commission: held at 1×, paid at 1.5×
    assert approve("CL-1", "40") == "held"
    settings.CASHBACK_MAX_COMMISSION_MULTIPLE = Decimal("1.5")
    assert approve("CL-2", "40") == "confirmed"
    assert approve("CL-3", "39.99") == "held"
    # no commission reported counts as ₹0: held, whatever the multiple
    assert approve("CL-4", None) == "held"
    assert CashbackEvent.objects.get(affiliate_transaction_id="CL-4").held_reason.endswith("commission ₹0")
    assert credits(shopper) == [Decimal("60.00")]


@pytest.mark.django_db
def test_a_revised_report_that_lowers_the_commission_holds_the_pending_event(shopper):
    spec = NETWORKS["cuelinks"]
    click = make_click(user=shopper)  # 6% up to ₹300
    params = {"sub_id": str(click.click_id), "transaction_id": "CL-REV"}
    first = services.cashback_record(
        conversion=conversion_parse(spec, {**params, "sale_amount": "1000", "commission": "80", "status": "pending"}),
        source="test",
        actor=SYSTEM,
    )
    assert first.outcome == "created" and CashbackEvent.objects.get().held_reason is None
    # the network revises the sale (₹900) and the commission (₹10): ₹54 cashback on a ₹10 commission
    services.cashback_record(
        conversion=conversion_parse(spec, {**params, "sale_amount": "900", "commission": "10", "status": "pending"}),
        source="test",
        actor=SYSTEM,
    )
    assert CashbackEvent.objects.get().held_reason == "cashback ₹54 is above 1× the reported commission ₹10"
    # a later revision back within the cap does not release it; the approval waits for staff
    late = services.cashback_record(
        conversion=conversion_parse(spec, {**params, "sale_amount": "900", "commission": "80", "status": "validated"}),
        source="test",
        actor=SYSTEM,
    )
    assert late.outcome == "held" and credits(shopper) == []


@pytest.mark.django_db
def test_staff_find_held_events_in_the_admin(admin_client, shopper):
    click = flat_click(shopper, "cuelinks", "400")
    services.cashback_record(
        conversion=conversion_parse(
            NETWORKS["cuelinks"],
            {
                "sub_id": str(click.click_id),
                "transaction_id": "CL-ADM",
                "sale_amount": "50",
                "commission": "1",
                "status": "pending",
            },
        ),
        source="test",
        actor=SYSTEM,
    )
    ok = flat_click(shopper, "cuelinks", "5")
    services.cashback_record(
        conversion=conversion_parse(
            NETWORKS["cuelinks"],
            {
                "sub_id": str(ok.click_id),
                "transaction_id": "CL-OK",
                "sale_amount": "50",
                "commission": "5",
                "status": "pending",
            },
        ),
        source="test",
        actor=SYSTEM,
    )
    html = admin_client.get("/admin/wallet/cashbackevent/?held_reason__isempty=0").content.decode()
    assert "CL-ADM" in html and "is above 1× the reported commission" in html and "CL-OK" not in html


@pytest.mark.django_db
def test_a_report_line_with_a_nul_byte_is_reported_by_line_and_the_others_import(shopper, tmp_path):
    store = MerchantFactory(affiliate_network="cuelinks")
    good, bad = (make_click(user=shopper, merchant=store, cashback_value=Decimal("3.50")) for _ in range(2))
    report = tmp_path / "cuelinks.csv"
    report.write_text(
        "sub_id,transaction_id,sale_amount,commission,status\n"
        f"{good.click_id},CL-GOOD,3499,122.46,pending\n"
        f"{bad.click_id},CL-\x00BAD,3499,122.46,pending\n"
    )
    out = StringIO()
    with pytest.raises(CommandError, match="1 line"):
        call_command("import_cashback", str(report), "--network", "cuelinks", "--no-progress", stdout=out)
    assert "line 3: transaction_id contains a NUL character" in out.getvalue()
    assert list(CashbackEvent.objects.values_list("affiliate_transaction_id", flat=True)) == ["CL-GOOD"]

"""Conversions in: CSV reports, postbacks and staff entry all through cashback_record(); the lifecycle;
the rule advertised at click time; unknown clicks kept for review."""

from __future__ import annotations

import uuid
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from accounts.authz import SYSTEM
from accounts.factories import UserFactory, grant_permissions
from accounts.models import Notification, User
from catalog.factories import CategoryFactory, MerchantCommissionFactory, MerchantFactory
from couponali import rls
from couponali.models import AuditLog
from devtools.testing import shared_path
from offers.factories import OfferFactory
from offers.models import OfferClick
from wallet import services
from wallet.api import postback_signature
from wallet.models import CashbackEvent, UnmatchedConversion, WalletBalance, WalletTransaction
from wallet.networks import NETWORKS, Conversion, conversion_parse
from wallet.reconcile import wallet_reconcile

from .conftest import make_click

SAMPLES = shared_path("samples")
T = WalletTransaction.Type


def placeholder(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def credits_for(event) -> list[WalletTransaction]:
    return list(
        WalletTransaction.objects.filter(reference_type="cashback_event", reference_id=event.pk, type=T.CASHBACK_EARNED)
    )


def assert_reconciled():
    problems, _ = wallet_reconcile()
    assert problems == []


@pytest.mark.django_db
def test_admitad_sample_report_imports_as_documented(shopper):
    # given clicks with the report's placeholder ids (lines 2-4; 5 repeats line 2; 6-8 are bad)
    store = MerchantFactory(default_cashback_type="percentage", default_cashback_value=Decimal("4.00"))
    for n in (1, 2, 3, 4, 5):
        make_click(user=shopper, merchant=store, click_id=placeholder(n))
    out = StringIO()
    # when the report is imported
    with pytest.raises(CommandError, match="3 line"):
        call_command(
            "import_cashback", str(SAMPLES / "admitad_report.csv"), "--network", "admitad", "--no-progress", stdout=out
        )
    report = out.getvalue()
    # then the bad lines are reported exactly as the samples' README lists them
    assert "line 6: subid 'not-a-click-id' is not a click id (UUID)" in report
    assert "line 7: order_sum is empty" in report
    assert "line 8: unknown status 'maybe'" in report
    assert "line 2:" not in report and "line 5:" not in report
    # and the good ones: line 5 moved AD-77120 from pending to approved (one credit); AD-77121 was approved;
    # AD-77122 declined; no event for the bad lines
    events = {e.affiliate_transaction_id: e for e in CashbackEvent.objects.filter(network="admitad")}
    assert set(events) == {"AD-77120", "AD-77121", "AD-77122"}
    assert events["AD-77120"].status == "paid" and events["AD-77121"].status == "paid"
    assert events["AD-77122"].status == "rejected"
    # offer rule 6% (OfferFactory) of ₹2499.00 = 149.94, of ₹899 = 53.94
    assert events["AD-77120"].cashback_amount == Decimal("149.94")
    assert [c.amount for c in credits_for(events["AD-77120"])] == [Decimal("149.94")]
    assert [c.amount for c in credits_for(events["AD-77121"])] == [Decimal("53.94")]
    assert credits_for(events["AD-77122"]) == []
    assert User.all_objects.get(pk=shopper.pk).wallet_balance == Decimal("203.88")
    assert User.all_objects.get(pk=shopper.pk).pending_cashback == Decimal("0.00")
    assert_reconciled()

    # when the same report comes again, nothing changes
    with pytest.raises(CommandError):
        call_command(
            "import_cashback",
            str(SAMPLES / "admitad_report.csv"),
            "--network",
            "admitad",
            "--no-progress",
            stdout=StringIO(),
        )
    assert CashbackEvent.objects.filter(network="admitad").count() == 3
    assert WalletTransaction.objects.filter(user=shopper).count() == 2
    assert_reconciled()


@pytest.mark.django_db
def test_vcommission_sample_report_imports_as_documented(shopper):
    # a vCommission store whose offer passes on 5%: the report's payout (all of it, within the commission cap)
    store = MerchantFactory(affiliate_network="vcommission")
    for n in (11, 12, 13, 14):
        make_click(user=shopper, merchant=store, click_id=placeholder(n), cashback_value=Decimal("5.00"))
    out = StringIO()
    with pytest.raises(CommandError, match="1 line"):
        call_command(
            "import_cashback",
            str(SAMPLES / "vcommission_report.csv"),
            "--network",
            "vcommission",
            "--no-progress",
            stdout=out,
        )
    assert "line 5: payout is negative (-40.00)" in out.getvalue()
    events = {e.affiliate_transaction_id: e.status for e in CashbackEvent.objects.filter(network="vcommission")}
    assert events == {"VC-55012": "paid", "VC-55013": "pending", "VC-55014": "rejected"}
    shopper = User.all_objects.get(pk=shopper.pk)
    assert shopper.wallet_balance == Decimal("64.95")  # 5% of 1299.00
    assert shopper.pending_cashback == Decimal("122.50")  # 5% of 2450.00
    assert_reconciled()


@pytest.mark.django_db
def test_import_refuses_a_file_of_another_network_and_missing_files(tmp_path):
    with pytest.raises(CommandError, match="missing column"):
        call_command(
            "import_cashback", str(SAMPLES / "admitad_report.csv"), "--network", "vcommission", "--no-progress"
        )
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_cashback", str(tmp_path / "nope.csv"), "--network", "admitad")
    with pytest.raises(CommandError, match="unknown network"):
        call_command("import_cashback", str(SAMPLES / "admitad_report.csv"), "--network", "nonesuch")
    assert CashbackEvent.objects.count() == 0


# The rate each sample passes on: all of the commission it reports (6% of 2499, 5% of 1299, 3.5% of 3499).
SAMPLE_RATES = {"admitad": Decimal("6.00"), "vcommission": Decimal("5.00"), "cuelinks": Decimal("3.50")}
SAMPLE_POSTBACKS = {
    "admitad": "subid={click}&order_id=AD-77120&order_sum=2499.00&payment_sum=149.94&currency=INR&status=pending"
    "&action_id=9912",
    "vcommission": "aff_sub={click}&transaction_id=VC-55012&sale_amount=1299&payout=64.95&status=approved",
    "cuelinks": "sub_id={click}&transaction_id=CL-1003&sale_amount=3499&commission=122.46&status=validated",
}


@pytest.mark.django_db
@pytest.mark.parametrize("network", sorted(SAMPLE_POSTBACKS))
def test_sample_postbacks_work_as_they_are(client, shopper, network):
    store = MerchantFactory(affiliate_network=network)
    click = make_click(user=shopper, merchant=store, cashback_value=SAMPLE_RATES[network])
    query = SAMPLE_POSTBACKS[network].format(click=click.click_id)
    secret = settings.POSTBACK_SECRETS[network]
    # when the network calls us (GET, secret in the query string)
    response = client.get(f"/api/v1/postbacks/{network}/?{query}&secret={secret}")
    # then the conversion is recorded for the click's shopper
    assert response.status_code == 200, response.content
    body = response.json()
    event = CashbackEvent.objects.get(pk=body["event"])
    assert event.user_id == shopper.pk and event.click_id == click.click_id and event.network == network
    expected = "pending" if network == "admitad" else "paid"
    assert event.status == expected
    # the same postback again changes nothing
    again = client.get(f"/api/v1/postbacks/{network}/?{query}&secret={secret}")
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
    assert CashbackEvent.objects.filter(network=network).count() == 1
    assert WalletTransaction.objects.filter(user=shopper).count() == (0 if expected == "pending" else 1)
    assert_reconciled()


@pytest.mark.django_db
def test_postbacks_by_post_and_signed(client, shopper):
    click = make_click(user=shopper)
    params = {
        "sub_id": str(click.click_id),
        "transaction_id": "CL-2001",
        "sale_amount": "1000",
        "commission": "60",
        "status": "pending",
    }
    # a signed POST (form body, signature header)
    signature = postback_signature(settings.POSTBACK_SECRETS["cuelinks"], params)
    response = client.post("/api/v1/postbacks/cuelinks/", params, HTTP_X_POSTBACK_SIGNATURE=f"sha256={signature}")
    assert response.status_code == 200 and response.json()["outcome"] == "created"
    # a JSON POST with the secret header confirms it
    response = client.post(
        "/api/v1/postbacks/cuelinks/",
        {**params, "status": "validated"},
        content_type="application/json",
        HTTP_X_POSTBACK_SECRET="test-cl-secret",
    )
    assert response.status_code == 200 and response.json()["outcome"] == "confirmed"


@pytest.mark.django_db
def test_postbacks_without_the_right_secret_or_with_bad_input_change_nothing(client, shopper):
    click = make_click(user=shopper)
    query = SAMPLE_POSTBACKS["vcommission"].format(click=click.click_id)
    assert client.get(f"/api/v1/postbacks/vcommission/?{query}").status_code == 403
    assert client.get(f"/api/v1/postbacks/vcommission/?{query}&secret=wrong").status_code == 403
    assert client.get(f"/api/v1/postbacks/vcommission/?{query}&signature=abc").status_code == 403
    # another network's secret does not open this one
    assert client.get(f"/api/v1/postbacks/vcommission/?{query}&secret=test-admitad-secret").status_code == 403
    assert client.get(f"/api/v1/postbacks/nonesuch/?{query}&secret=x").status_code == 404
    negative = query.replace("payout=64.95", "payout=-5")
    bad = client.get(f"/api/v1/postbacks/vcommission/?{negative}&secret=test-vc-secret")
    assert bad.status_code == 400 and "payout is negative" in bad.json()["error"]["message"]
    assert CashbackEvent.objects.count() == 0 and UnmatchedConversion.objects.count() == 0


@pytest.mark.django_db
def test_approved_before_pending_makes_one_event_and_one_credit(client, shopper):
    click = make_click(user=shopper, merchant=MerchantFactory(affiliate_network="admitad"))
    base = f"subid={click.click_id}&order_id=AD-9&order_sum=1000&payment_sum=60&secret=test-admitad-secret"
    assert client.get(f"/api/v1/postbacks/admitad/?{base}&status=approved").json()["outcome"] == "confirmed"
    late = client.get(f"/api/v1/postbacks/admitad/?{base}&status=pending").json()
    assert late["outcome"] == "unchanged"
    assert client.get(f"/api/v1/postbacks/admitad/?{base}&status=approved").json()["outcome"] == "unchanged"
    event = CashbackEvent.objects.get()
    assert event.status == "paid" and event.paid_at is not None and event.confirmed_at is not None
    assert len(credits_for(event)) == 1
    shopper = User.all_objects.get(pk=shopper.pk)
    assert (shopper.wallet_balance, shopper.pending_cashback) == (Decimal("60.00"), Decimal("0.00"))
    assert_reconciled()


@pytest.mark.django_db
def test_declined_after_payment_reverses_with_a_debit_and_a_debt_when_the_balance_is_short(shopper):
    click = make_click(user=shopper, merchant=MerchantFactory(affiliate_network="admitad"))
    spec = NETWORKS["admitad"]
    params = {"subid": str(click.click_id), "order_id": "AD-1", "order_sum": "2000", "payment_sum": "120"}
    services.cashback_record(
        conversion=conversion_parse(spec, {**params, "status": "approved"}), source="test", actor=SYSTEM
    )
    # the shopper spends most of it
    services.wallet_post(
        user_id=shopper.pk, amount=Decimal("-100"), type=T.ORDER_PAYMENT, reference_type="order", reference_id=1
    )
    # when the network declines the order after all
    result = services.cashback_record(
        conversion=conversion_parse(spec, {**params, "status": "declined"}), source="test", actor=SYSTEM
    )
    assert result.outcome == "reversed"
    event = CashbackEvent.objects.get()
    assert event.status == "reversed" and event.paid_at is not None
    # then ₹20 (all there was) is debited and ₹100 is owed; the balance is zero, not negative
    reversal = WalletTransaction.objects.get(
        reference_type="cashback_event", reference_id=event.pk, type=T.CASHBACK_REVERSED
    )
    assert reversal.amount == Decimal("-20.00")
    assert WalletBalance.objects.get(user=shopper).balance == Decimal("0.00")
    assert WalletBalance.objects.get(user=shopper).debt == Decimal("100.00")
    # a repeated decline does nothing more; an "approved" after it is refused
    services.cashback_record(
        conversion=conversion_parse(spec, {**params, "status": "declined"}), source="test", actor=SYSTEM
    )
    late = services.cashback_record(
        conversion=conversion_parse(spec, {**params, "status": "approved"}), source="test", actor=SYSTEM
    )
    assert late.outcome == "ignored"
    assert WalletTransaction.objects.filter(user=shopper).count() == 3
    assert Notification.objects.filter(user=shopper, title="Cashback reversed").count() == 1
    assert_reconciled()


@pytest.mark.django_db
def test_unknown_clicks_are_kept_for_review_never_credited_and_can_be_matched_later(client, shopper):
    missing = uuid.uuid4()
    query = SAMPLE_POSTBACKS["vcommission"].format(click=missing)
    for _ in range(2):
        response = client.get(f"/api/v1/postbacks/vcommission/?{query}&secret=test-vc-secret")
        assert response.status_code == 200 and response.json()["outcome"] == "unmatched"
    row = UnmatchedConversion.objects.get()
    assert (row.network, row.affiliate_transaction_id, row.times_seen) == ("vcommission", "VC-55012", 2)
    assert CashbackEvent.objects.count() == 0 and WalletTransaction.objects.count() == 0
    # when the click turns up (e.g. restored from a late log) staff retry the match
    store = MerchantFactory(affiliate_network="vcommission")
    make_click(user=shopper, merchant=store, click_id=missing, cashback_value=SAMPLE_RATES["vcommission"])
    staff = grant_permissions(
        UserFactory(is_staff=True),
        "wallet.retry_unmatchedconversion",
        "wallet.record_cashbackevent",
        "wallet.confirm_cashbackevent",  # the network reported it approved: recording it confirms it
    )
    result = services.unmatched_retry(unmatched_id=row.pk, actor=staff)
    assert result.outcome == "confirmed"
    row.refresh_from_db()
    assert row.status == "matched" and row.matched_event_id == result.event_id
    assert_reconciled()


@pytest.mark.django_db
def test_signed_out_clicks_are_kept_for_review(shopper):
    click = make_click(user=None)
    conversion = conversion_parse(
        NETWORKS["cuelinks"],
        {"sub_id": str(click.click_id), "transaction_id": "CL-7", "sale_amount": "100", "status": "pending"},
    )
    assert services.cashback_record(conversion=conversion, source="test", actor=SYSTEM).outcome == "unmatched"
    assert UnmatchedConversion.objects.get().reason == "the click was made signed out"


@pytest.mark.django_db
def test_a_click_id_found_twice_goes_to_review_not_to_a_guess(shopper):
    # offer_clicks cannot enforce click_id uniqueness (partitioned by month), so the service checks it
    click = make_click(user=shopper)
    make_click(user=UserFactory(), click_id=click.click_id)
    conversion = conversion_parse(
        NETWORKS["cuelinks"],
        {"sub_id": str(click.click_id), "transaction_id": "CL-8", "sale_amount": "100", "status": "pending"},
    )
    assert services.cashback_record(conversion=conversion, source="test", actor=SYSTEM).outcome == "unmatched"
    assert UnmatchedConversion.objects.get().reason == "several clicks have this id"
    assert CashbackEvent.objects.count() == 0


@pytest.mark.django_db
def test_the_rule_advertised_at_click_time_is_honoured(client, shopper):
    store = MerchantFactory(
        affiliate_network="vcommission", default_cashback_type="percentage", default_cashback_value=Decimal("3.00")
    )
    offer = OfferFactory(
        merchant=store, cashback_type="percentage", cashback_value=Decimal("10.00"), max_cashback=Decimal("500.00")
    )
    # the shopper clicks out: the click carries the rate the site advertised, "Up to 10% cashback"
    client.force_login(shopper)
    assert client.get(f"/go/{offer.uuid}/").status_code == 302
    click = OfferClick.objects.get(offer=offer, user=shopper)
    assert (click.cashback_type, click.cashback_value, click.cashback_source) == ("percentage", 10, "offer")
    # after the click the offer is cut to 2%
    offer.cashback_value = Decimal("2.00")
    offer.save()
    # and the network confirms a commission lower than what the advertised rate pays out
    conversion = conversion_parse(
        NETWORKS["vcommission"],
        {
            "aff_sub": str(click.click_id),
            "transaction_id": "VC-1",
            "sale_amount": "1999.99",
            "payout": "20.00",
            "status": "approved",
        },
    )
    result = services.cashback_record(conversion=conversion, source="test", actor=SYSTEM)
    event = CashbackEvent.objects.get()
    # then the shopper is owed the advertised 10% (rounded down to the paisa), not 2% ...
    assert event.cashback_amount == Decimal("199.99")
    assert (event.rate_type, event.rate_value, event.rate_source) == ("percentage", Decimal("10.0000"), "offer")
    # ... but more than the commission is not paid automatically: it waits for staff
    assert result.outcome == "held" and event.status == "pending" and credits_for(event) == []
    assert event.held_reason == "cashback ₹199.99 is above 1× the reported commission ₹20"
    # and a staff confirmation pays the advertised amount
    staff = grant_permissions(UserFactory(is_staff=True), "wallet.confirm_cashbackevent")
    services.cashback_confirm(event_id=event.pk, actor=staff)
    assert credits_for(event)[0].amount == Decimal("199.99")


@pytest.mark.django_db
def test_category_commission_then_store_default_apply_when_the_offer_has_no_rule(shopper):
    category = CategoryFactory()
    store = MerchantFactory(
        affiliate_network="cuelinks", default_cashback_type="fixed", default_cashback_value=Decimal("25.00")
    )
    MerchantCommissionFactory(
        merchant=store,
        category=category,
        commission_type="percentage",
        commission_value=Decimal("8.00"),
        cashback_percentage=Decimal("75.00"),
    )
    with_commission = make_click(
        user=shopper, offer=OfferFactory(merchant=store, category=category, cashback_type=None, cashback_value=None)
    )
    without = make_click(
        user=shopper,
        offer=OfferFactory(merchant=store, category=CategoryFactory(), cashback_type=None, cashback_value=None),
    )
    spec = NETWORKS["cuelinks"]
    for click, txn in ((with_commission, "A"), (without, "B")):
        services.cashback_record(
            conversion=conversion_parse(
                spec, {"sub_id": str(click.click_id), "transaction_id": txn, "sale_amount": "1000", "status": "pending"}
            ),
            source="test",
            actor=SYSTEM,
        )
    a = CashbackEvent.objects.get(affiliate_transaction_id="A")
    b = CashbackEvent.objects.get(affiliate_transaction_id="B")
    assert (a.rate_source, a.cashback_amount) == ("commission", Decimal("60.00"))  # 8% x 75% of 1000
    assert (b.rate_source, b.cashback_amount) == ("merchant", Decimal("25.00"))
    assert User.all_objects.get(pk=shopper.pk).pending_cashback == Decimal("85.00")


@pytest.mark.django_db
def test_a_revised_sale_amount_while_pending_recomputes_with_the_same_rule(shopper):
    click = make_click(user=shopper)  # 6% up to ₹300
    spec = NETWORKS["cuelinks"]
    params = {"sub_id": str(click.click_id), "transaction_id": "CL-R", "status": "pending"}
    services.cashback_record(
        conversion=conversion_parse(spec, {**params, "sale_amount": "1000"}), source="test", actor=SYSTEM
    )
    result = services.cashback_record(
        conversion=conversion_parse(spec, {**params, "sale_amount": "600"}), source="test", actor=SYSTEM
    )
    assert result.outcome == "updated"
    assert CashbackEvent.objects.get().cashback_amount == Decimal("36.00")
    assert User.all_objects.get(pk=shopper.pk).pending_cashback == Decimal("36.00")
    assert_reconciled()


@pytest.mark.django_db
def test_illegal_status_moves_are_refused_by_the_service_and_the_database(shopper):
    click = make_click(user=shopper)
    services.cashback_record(
        conversion=conversion_parse(
            NETWORKS["cuelinks"],
            {"sub_id": str(click.click_id), "transaction_id": "CL-X", "sale_amount": "100", "status": "rejected"},
        ),
        source="test",
        actor=SYSTEM,
    )
    event = CashbackEvent.objects.get()
    with pytest.raises(services.IllegalTransition):
        services.cashback_confirm(event_id=event.pk, actor=SYSTEM)
    with pytest.raises(IntegrityError, match="not a legal transition"), transaction.atomic():
        CashbackEvent.objects.filter(pk=event.pk).update(
            status="paid", paid_at=event.created_at, confirmed_at=event.created_at
        )
    with pytest.raises(IntegrityError, match="created pending"), transaction.atomic():
        CashbackEvent.objects.create(user=shopper, merchant=event.merchant, cashback_amount=1, status="paid")
    assert WalletTransaction.objects.count() == 0


@pytest.mark.django_db
def test_staff_confirm_reject_and_reverse(shopper, finance):
    spec = NETWORKS["manual"]
    events = []
    for n in range(3):
        click = make_click(user=shopper)
        result = services.cashback_record(
            conversion=conversion_parse(
                spec,
                {
                    "click_id": str(click.click_id),
                    "transaction_id": f"ORD-{n}",
                    "sale_amount": "500",
                    "status": "pending",
                },
            ),
            source="staff",
            actor=finance,
        )
        events.append(result.event_id)
    services.cashback_confirm(event_id=events[0], actor=finance)
    services.cashback_reject(event_id=events[1], actor=finance, reason="order cancelled")
    services.cashback_confirm(event_id=events[2], actor=finance)
    services.cashback_reverse(event_id=events[2], actor=finance, reason="returned")
    with pytest.raises(services.IllegalTransition):
        services.cashback_confirm(event_id=events[0], actor=finance)
    statuses = dict(CashbackEvent.objects.values_list("id", "status"))
    assert [statuses[e] for e in events] == ["paid", "rejected", "reversed"]
    assert User.all_objects.get(pk=shopper.pk).wallet_balance == Decimal("30.00")
    assert_reconciled()


def test_every_network_maps_the_same_fields():
    for network in NETWORKS.values():
        assert set(network.fields) == {"click_id", "transaction_id", "sale_amount", "commission", "status", "currency"}
        assert set(network.statuses.values()) <= {"pending", "confirmed", "rejected"}
    c = conversion_parse(
        NETWORKS["admitad"],
        {"subid": str(uuid.uuid4()), "order_id": "1", "order_sum": "1,299.555", "status": "APPROVED"},
    )
    assert isinstance(c, Conversion) and c.sale_amount == Decimal("1299.56") and c.status == "confirmed"


@pytest.mark.django_db
def test_postback_works_with_row_level_security_scope(client, shopper):
    """The endpoint runs anonymous (request scope with no user) and acts through an audited bypass."""
    click = make_click(user=shopper, cashback_value=SAMPLE_RATES["cuelinks"])
    query = SAMPLE_POSTBACKS["cuelinks"].format(click=click.click_id)
    client.get(f"/api/v1/postbacks/cuelinks/?{query}&secret=test-cl-secret")
    assert AuditLog.objects.filter(action="rls.bypass", metadata__reason="postback from cuelinks").exists()
    with rls.bypass(reason="test"):
        assert WalletTransaction.objects.filter(user=shopper).count() == 1


@pytest.mark.django_db
def test_import_reports_unreadable_files_without_a_traceback(tmp_path):
    binary = tmp_path / "report.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CommandError, match="not a UTF-8 text file"):
        call_command("import_cashback", str(binary), "--network", "admitad")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CommandError, match="missing column"):
        call_command("import_cashback", str(empty), "--network", "admitad")


@pytest.mark.django_db
def test_a_transaction_id_already_tracked_for_another_click_is_ignored(shopper):
    first, second = make_click(user=shopper), make_click(user=UserFactory())
    spec = NETWORKS["cuelinks"]
    for click in (first, second):
        result = services.cashback_record(
            conversion=conversion_parse(
                spec,
                {
                    "sub_id": str(click.click_id),
                    "transaction_id": "CL-SAME",
                    "sale_amount": "100",
                    "commission": "6",
                    "status": "validated",
                },
            ),
            source="test",
            actor=SYSTEM,
        )
    assert result.outcome == "ignored" and "another click" in result.message
    assert CashbackEvent.objects.get().click_id == first.click_id
    assert WalletTransaction.objects.count() == 1

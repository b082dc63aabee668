"""CouponAli's own gift cards: issue (staff, audited), redeem into the wallet, apply at checkout and release,
expiry, guessing limits and audit, and the pages."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone

from accounts.factories import UserFactory, grant_permissions
from accounts.models import User
from couponali.codes import UNAMBIGUOUS_ALPHABET, group_code
from couponali.models import AuditLog
from orders.factories import GiftCardFactory, OrderFactory
from orders.models import GiftCard, GiftCardRedemption, Order
from orders.services import gift_cards
from wallet.factories import WalletTransactionFactory
from wallet.models import CREDIT_TYPES, PostingType, WalletBalance, WalletTransaction
from wallet.reconcile import all_checks, wallet_reconcile

from .conftest import staff_with

pytestmark = pytest.mark.django_db


def balance(user) -> Decimal:
    row = WalletBalance.objects.filter(user=user).first()
    return row.balance if row else Decimal("0.00")


def failed_attempts(user) -> list[AuditLog]:
    return list(AuditLog.objects.filter(actor_user=user, action="gift_card.attempt_failed").order_by("pk"))


# ---------------------------------------------------------------- issue and export


def test_staff_with_the_permission_issue_a_batch_of_unambiguous_unique_codes():
    staff = staff_with("issue_giftcard")
    expires = timezone.now() + dt.timedelta(days=365)

    cards = gift_cards.gift_cards_issue(actor=staff, count=50, value=Decimal("500"), expires_at=expires, note="Diwali")

    assert len(cards) == 50 == GiftCard.objects.filter(batch=cards[0].batch).count()
    codes = {c.code for c in cards}
    assert len(codes) == 50
    for code in codes:
        assert code.startswith(gift_cards.CODE_PREFIX) and len(code) == 18
        assert set(code) <= set(UNAMBIGUOUS_ALPHABET)
        assert not set(code) & set("0O1IL")
    card = GiftCard.objects.get(pk=cards[0].pk)
    assert (card.initial_value, card.remaining_value, card.expires_at, card.user_id) == (
        Decimal("500.00"),
        Decimal("500.00"),
        expires,
        None,
    )
    audit = AuditLog.objects.get(action="gift_card.issue")
    assert audit.actor_user_id == staff.pk
    assert audit.metadata["count"] == 50 and audit.metadata["batch"] == str(cards[0].batch)
    assert audit.metadata["note"] == "Diwali"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": 0, "value": Decimal("100")}, "between 1 and"),
        ({"count": 1, "value": Decimal("0.50")}, "between ₹1"),
        ({"count": 1, "value": Decimal("100.005")}, "whole paise"),
        ({"count": 1, "value": Decimal("100"), "expires_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, "future"),
        ({"count": 1, "value": Decimal("100"), "user_id": 987654321}, "no user with id 987654321"),
    ],
)
def test_issuing_bad_input_is_refused_with_a_message_and_creates_nothing(kwargs, message):
    with pytest.raises(gift_cards.GiftCardError, match=message):
        gift_cards.gift_cards_issue(actor=staff_with("issue_giftcard"), **kwargs)
    assert not GiftCard.objects.exists()
    assert not AuditLog.objects.filter(action="gift_card.issue").exists()


def test_issuing_and_exporting_need_the_permission_whoever_calls():
    staff = staff_with()  # staff, but without orders.issue_giftcard
    with pytest.raises(PermissionDenied):
        gift_cards.gift_cards_issue(actor=staff, count=1, value=Decimal("100"))
    card = GiftCardFactory()
    with pytest.raises(PermissionDenied):
        gift_cards.gift_cards_export(actor=staff, card_ids=[card.pk])
    shopper = grant_permissions(UserFactory(), "orders.issue_giftcard")
    with pytest.raises(PermissionDenied):  # the permission without staff status is not enough
        gift_cards.gift_cards_issue(actor=shopper, count=1, value=Decimal("100"))
    assert GiftCard.objects.count() == 1


def test_a_batch_exports_as_csv_with_plain_codes_and_the_export_is_audited():
    staff = staff_with("issue_giftcard")
    cards = gift_cards.gift_cards_issue(actor=staff, count=3, value=Decimal("250"))
    GiftCardFactory()  # another batch, not exported

    text = gift_cards.gift_cards_export(actor=staff, batch=cards[0].batch)

    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == gift_cards.CSV_HEADER
    assert sorted(r[0] for r in rows[1:]) == sorted(group_code(c.code) for c in cards)
    assert {r[1] for r in rows[1:]} == {"250.00"}
    audit = AuditLog.objects.get(action="gift_card.export")
    assert audit.actor_user_id == staff.pk and audit.metadata["count"] == 3


# ---------------------------------------------------------------- redeem into the wallet


def test_redeeming_moves_the_whole_remaining_value_into_the_wallet_once(shopper):
    card = GiftCardFactory(user=None, initial_value=Decimal("1000.00"), remaining_value=Decimal("640.00"))

    redemption = gift_cards.gift_card_redeem(code=group_code(card.code).lower(), user_id=shopper.pk, ip="10.0.0.1")

    assert redemption.amount == Decimal("640.00") and redemption.kind == GiftCardRedemption.Kind.WALLET
    card.refresh_from_db()
    assert (card.remaining_value, card.user_id) == (Decimal("0.00"), shopper.pk)
    posting = WalletTransaction.objects.get(user=shopper)
    assert (posting.type, posting.amount, posting.reference_type, posting.reference_id) == (
        PostingType.GIFT_CARD_REDEEMED,
        Decimal("640.00"),
        "gift_card",
        card.pk,
    )
    assert balance(shopper) == Decimal("640.00")
    assert AuditLog.objects.filter(action="gift_card.redeem", entity_id=card.pk, actor_user=shopper).exists()

    # when: the same code again
    with pytest.raises(gift_cards.GiftCardError, match="no value left"):
        gift_cards.gift_card_redeem(code=card.code, user_id=shopper.pk)
    assert balance(shopper) == Decimal("640.00")
    assert [a.metadata["reason"] for a in failed_attempts(shopper)] == ["used"]


@pytest.mark.parametrize(
    ("card_kwargs", "reason", "message"),
    [
        ({"expires_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}, "expired", r"expired on 1 Jan 2026\."),
        ({"is_active": False}, "inactive", "deactivated"),
        ({"remaining_value": Decimal("0.00")}, "used", "no value left"),
    ],
)
def test_an_unusable_card_is_refused_credits_nothing_and_is_audited(shopper, card_kwargs, reason, message):
    card = GiftCardFactory(user=None, **card_kwargs)
    with pytest.raises(gift_cards.GiftCardError, match=message):
        gift_cards.gift_card_redeem(code=card.code, user_id=shopper.pk, ip="10.0.0.9")
    assert balance(shopper) == Decimal("0.00")
    assert not GiftCardRedemption.objects.exists()
    (audit,) = failed_attempts(shopper)
    assert audit.entity_id == card.pk
    assert audit.metadata == {"reason": reason, "code_tail": card.code[-4:], "ip": "10.0.0.9"}


def test_a_card_bound_to_another_account_is_refused(shopper):
    card = GiftCardFactory(user=UserFactory())
    with pytest.raises(gift_cards.GiftCardError, match="another account"):
        gift_cards.gift_card_redeem(code=card.code, user_id=shopper.pk)
    assert GiftCard.objects.get(pk=card.pk).remaining_value == card.remaining_value


def test_guessing_is_rate_limited_per_shopper_even_for_the_right_code(shopper, settings):
    settings.GIFTCARD_GUESS_RATE_LIMIT = "3/hour"
    card = GiftCardFactory(user=None)
    for guess in ("CAAAAA", "CABBBB", "CACCCC"):
        with pytest.raises(gift_cards.GiftCardError, match="don't know this gift card code"):
            gift_cards.gift_card_redeem(code=guess, user_id=shopper.pk)

    with pytest.raises(gift_cards.GiftCardGuessLimited) as limited:
        gift_cards.gift_card_redeem(code=card.code, user_id=shopper.pk)

    assert limited.value.retry_after > 0
    assert balance(shopper) == Decimal("0.00")
    assert [a.metadata["reason"] for a in failed_attempts(shopper)] == ["unknown"] * 3
    assert AuditLog.objects.filter(actor_user=shopper, action="gift_card.attempt_limited").count() == 1
    # another shopper is not affected
    other = UserFactory()
    assert gift_cards.gift_card_redeem(code=card.code, user_id=other.pk).amount == card.initial_value


def test_guessing_is_rate_limited_per_client_address_across_accounts(settings):
    settings.GIFTCARD_GUESS_IP_RATE_LIMIT = "2/hour"
    for _ in range(2):
        with pytest.raises(gift_cards.GiftCardError):
            gift_cards.gift_card_redeem(code="CAZZZZ", user_id=UserFactory().pk, ip="203.0.113.7")
    with pytest.raises(gift_cards.GiftCardGuessLimited):
        gift_cards.gift_card_redeem(code="CAZZZZ", user_id=UserFactory().pk, ip="203.0.113.7")


def test_with_the_limit_store_unreachable_code_attempts_are_refused_not_let_through(shopper, settings):
    """Rate limits fail open (an outage never stops click-outs), except this one: unguarded, a script could try
    codes for as long as Redis is away."""
    card = GiftCardFactory(user=None)
    settings.RATELIMIT_STORAGE_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port

    with pytest.raises(gift_cards.GiftCardGuessLimited) as limited:
        gift_cards.gift_card_redeem(code=card.code, user_id=shopper.pk, ip="203.0.113.9")

    assert limited.value.retry_after == 60
    assert balance(shopper) == Decimal("0.00")
    assert GiftCard.objects.get(pk=card.pk).remaining_value == card.initial_value
    assert AuditLog.objects.filter(actor_user=shopper, action="gift_card.attempt_limited").count() == 1
    # a limit that fails open still lets its hit through
    from couponali.ratelimit import limit_hit  # noqa: PLC0415 - only this check

    limit_hit(scope="clickout", key="203.0.113.9", rate="1/hour", strategy="sliding")


def test_the_ledger_check_accepts_the_new_type_only_as_a_credit(shopper):
    assert PostingType.GIFT_CARD_REDEEMED in CREDIT_TYPES
    with (
        pytest.raises(IntegrityError, match="wallet_tx_sign_matches_type"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(
            "INSERT INTO wallet_transactions (uuid, user_id, amount, type, balance_before, balance_after, "
            "created_at) VALUES (gen_random_uuid(), %s, -5, 'gift_card_redeemed', 10, 5, now())",
            [shopper.pk],
        )


# ---------------------------------------------------------------- apply at checkout, release


def test_applying_takes_up_to_the_amount_once_per_order_and_release_gives_it_back(shopper):
    card = GiftCardFactory(user=None, initial_value=Decimal("1000.00"), remaining_value=Decimal("1000.00"))
    order = OrderFactory(user=shopper)

    assert gift_cards.gift_card_apply(code=card.code, user_id=shopper.pk, amount=Decimal("750"), order_id=order.pk) == (
        Decimal("750.00")
    )
    # a re-submitted checkout takes nothing more
    assert gift_cards.gift_card_apply(code=card.code, user_id=shopper.pk, amount=Decimal("900"), order_id=order.pk) == (
        Decimal("750.00")
    )
    card.refresh_from_db()
    assert (card.remaining_value, card.user_id) == (Decimal("250.00"), shopper.pk)

    # a second order gets what is left, not more
    second = OrderFactory(user=shopper)
    assert gift_cards.gift_card_apply(
        code=card.code, user_id=shopper.pk, amount=Decimal("900"), order_id=second.pk
    ) == Decimal("250.00")
    assert GiftCard.objects.get(pk=card.pk).remaining_value == Decimal("0.00")

    assert gift_cards.gift_card_release(order_id=order.pk) == Decimal("750.00")
    assert gift_cards.gift_card_release(order_id=order.pk) == Decimal("0.00")
    assert GiftCard.objects.get(pk=card.pk).remaining_value == Decimal("750.00")
    statuses = dict(GiftCardRedemption.objects.values_list("order_id", "status"))
    assert statuses == {order.pk: "released", second.pk: "applied"}
    assert AuditLog.objects.filter(action="gift_card.release", entity_id=card.pk).count() == 1


def test_a_refund_gives_value_back_to_the_cards_of_a_paid_order_under_the_refund_permission(shopper):
    # given two cards applied to one order (₹300 + ₹200 of discount), then the order paid
    first = GiftCardFactory(user=None, initial_value=Decimal("300.00"), remaining_value=Decimal("300.00"))
    second = GiftCardFactory(user=None, initial_value=Decimal("500.00"), remaining_value=Decimal("500.00"))
    order = OrderFactory(user=shopper)
    gift_cards.gift_card_apply(code=first.code, user_id=shopper.pk, amount=Decimal("300"), order_id=order.pk)
    gift_cards.gift_card_apply(code=second.code, user_id=shopper.pk, amount=Decimal("200"), order_id=order.pk)
    # an unpaid order's cards are released, not refunded
    with pytest.raises(gift_cards.GiftCardError, match="released"):
        gift_cards.gift_card_refund(order_id=order.pk, amount=Decimal("1"), actor=staff_with("refund_order"))
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID, payment_status=Order.PaymentStatus.COMPLETED)
    # staff without the refund permission (and shoppers) change nothing
    for actor in (staff_with("void_vouchers"), shopper):
        with pytest.raises(PermissionDenied):
            gift_cards.gift_card_refund(order_id=order.pk, amount=Decimal("100"), actor=actor)
    assert gift_cards.gift_card_refunded(order_id=order.pk) == (Decimal("500.00"), Decimal("0.00"))

    # when ₹350 and then ₹400 are given back (more than was applied)
    refunder = staff_with("refund_order")
    assert gift_cards.gift_card_refund(order_id=order.pk, amount=Decimal("350"), actor=refunder) == Decimal("350.00")
    # then the cards are filled back in id order, each up to what it gave; the rest is capped
    assert GiftCard.objects.get(pk=first.pk).remaining_value == Decimal("300.00")
    assert GiftCard.objects.get(pk=second.pk).remaining_value == Decimal("350.00")
    assert gift_cards.gift_card_refund(order_id=order.pk, amount=Decimal("400"), actor=refunder) == Decimal("150.00")
    assert GiftCard.objects.get(pk=second.pk).remaining_value == Decimal("500.00")
    assert gift_cards.gift_card_refund(order_id=order.pk, amount=Decimal("10"), actor=refunder) == Decimal("0.00")
    assert gift_cards.gift_card_refunded(order_id=order.pk) == (Decimal("500.00"), Decimal("500.00"))
    audits = AuditLog.objects.filter(action="gift_card.refund", actor_user=refunder).order_by("pk")
    assert [(a.entity_id, a.metadata["amount"]) for a in audits] == [
        (first.pk, "300.00"),
        (second.pk, "50.00"),
        (second.pk, "150.00"),
    ]
    checks = [c for c in all_checks() if c.name.startswith("gift_card_")]
    assert wallet_reconcile(checks=checks)[0] == []
    # the database refuses giving back more than a use took
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftCardRedemption.objects.filter(order=order).update(refunded_amount=Decimal("999.00"))


def test_applying_to_someone_elses_or_a_paid_order_is_refused(shopper):
    card = GiftCardFactory(user=None)
    for order in (OrderFactory(), OrderFactory(user=shopper, status=Order.Status.PAID)):
        with pytest.raises(gift_cards.GiftCardError, match="your own order before it is paid"):
            gift_cards.gift_card_apply(code=card.code, user_id=shopper.pk, amount=Decimal("10"), order_id=order.pk)
    assert GiftCard.objects.get(pk=card.pk).remaining_value == card.remaining_value


def test_applying_an_expired_card_is_refused_and_audited(shopper):
    card = GiftCardFactory(user=None, expires_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(gift_cards.GiftCardError, match="expired"):
        gift_cards.gift_card_apply(
            code=card.code, user_id=shopper.pk, amount=Decimal("10"), order_id=OrderFactory(user=shopper).pk
        )
    assert [a.metadata["reason"] for a in failed_attempts(shopper)] == ["expired"]


def test_the_database_refuses_a_second_wallet_redemption_of_a_card(shopper):
    card = GiftCardFactory()
    GiftCardRedemption.objects.create(gift_card=card, user=shopper, kind="wallet", amount=Decimal("1"))
    with pytest.raises(IntegrityError, match="gift_card_one_wallet_redemption"), transaction.atomic():
        GiftCardRedemption.objects.create(gift_card=card, user=shopper, kind="wallet", amount=Decimal("1"))


# ---------------------------------------------------------------- pages and admin


def test_the_wallet_page_links_to_the_redeem_page_which_credits_the_wallet(shopper):
    client = Client()
    client.force_login(shopper)
    assert "/wallet/gift-card/" in client.get("/wallet/").content.decode()
    card = GiftCardFactory(user=None, remaining_value=Decimal("300.00"), initial_value=Decimal("300.00"))

    response = client.post("/wallet/gift-card/", {"code": group_code(card.code)})

    assert response.status_code == 302 and response["Location"] == "/wallet/"
    assert balance(shopper) == Decimal("300.00")
    assert "₹300 from your gift card is now in your wallet" in client.get("/wallet/").content.decode()


def test_the_redeem_page_shows_a_refusal_as_a_form_error(shopper):
    client = Client()
    client.force_login(shopper)
    response = client.post("/wallet/gift-card/", {"code": "CA22-3344"})
    assert response.status_code == 400
    assert "know this gift card code" in response.content.decode()
    assert client.post("/wallet/gift-card/", {"code": ""}).status_code == 400


def test_the_redeem_page_needs_a_signed_in_shopper():
    response = Client().get("/wallet/gift-card/")
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_admin_issue_page_issues_a_batch_and_links_its_csv():
    staff = staff_with("issue_giftcard", "view_giftcard")
    client = Client()
    client.force_login(staff)
    assert "Issue gift cards" in client.get("/admin/orders/giftcard/").content.decode()

    data = {"count": "12", "value": "9999.50", "user_id": str(UserFactory().pk), "expires_at": "2027-03-05 23:59"}
    # first the confirmation page: whose cards and how much in all (Indian grouping); nothing issued yet
    page = client.post("/admin/orders/giftcard/issue/", data)
    html = page.content.decode()
    assert page.status_code == 200 and "data-amount>₹1,19,994<" in html and 'name="confirmed" value="yes"' in html
    assert "of ₹9,999.50, bound to this account, valid till 5 Mar 2027, 11:59 pm IST" in html
    assert User.objects.get(pk=data["user_id"]).email in html
    assert not GiftCard.objects.exists()

    response = client.post("/admin/orders/giftcard/issue/", {**data, "confirmed": "yes"}, follow=True)

    assert response.status_code == 200
    assert "Issued 12 gift card(s) of ₹9,999.50 as batch" in response.content.decode()
    (batch,) = set(GiftCard.objects.values_list("batch", flat=True))
    assert GiftCard.objects.filter(user_id=data["user_id"], initial_value=Decimal("9999.50")).count() == 12
    csv_url = f"/admin/orders/giftcard/batch/{batch}/csv/"
    assert csv_url in response.content.decode()
    download = client.get(csv_url)
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert len(download.content.decode().strip().splitlines()) == 13


def test_admin_issue_page_and_csv_are_refused_without_the_permission():
    card = GiftCardFactory(batch="8d3c7a52-4a1e-4e61-9d55-9f4c4e7b1a10")
    client = Client()
    client.force_login(staff_with("view_giftcard"))
    assert "Issue gift cards" not in client.get("/admin/orders/giftcard/").content.decode()
    assert client.post("/admin/orders/giftcard/issue/", {"count": "1", "value": "100"}).status_code == 403
    assert client.get(f"/admin/orders/giftcard/batch/{card.batch}/csv/").status_code == 403
    assert GiftCard.objects.count() == 1


# ---------------------------------------------------------------- reconciliation


def test_reconcile_wallets_proves_card_values_and_wallet_credits_and_finds_drift(shopper):
    card = GiftCardFactory(user=None, initial_value=Decimal("900.00"), remaining_value=Decimal("900.00"))
    order = OrderFactory(user=shopper)
    gift_cards.gift_card_apply(code=card.code, user_id=shopper.pk, amount=Decimal("200"), order_id=order.pk)
    gift_cards.gift_card_redeem(code=card.code, user_id=shopper.pk)
    checks = [c for c in all_checks() if c.name.startswith("gift_card_")]
    assert {c.name for c in checks} == {"gift_card_value", "gift_card_wallet_credit"}
    assert wallet_reconcile(checks=checks)[0] == []

    # given drift only code bypassing the services could make
    GiftCard.objects.filter(pk=card.pk).update(remaining_value=Decimal("50.00"))
    WalletTransactionFactory(
        user=UserFactory(),
        type=PostingType.GIFT_CARD_REDEEMED,
        amount=Decimal("25.00"),
        balance_before=0,
        balance_after=Decimal("25.00"),
        reference_type="gift_card",
        reference_id=987654,
    )

    problems, counts = wallet_reconcile(checks=checks)

    assert counts == {"gift_card_value": 1, "gift_card_wallet_credit": 1}
    lines = {p.check: p.message for p in problems}
    assert lines["gift_card_value"] == (
        f"gift card {card.pk}: initial ₹900, remaining ₹50, but its uses add up to ₹900"
    )
    assert lines["gift_card_wallet_credit"] == (
        "gift card 987654: redeemed ₹0 into the wallet but the ledger credited ₹25"
    )


def test_the_redeem_page_answers_429_with_retry_after_once_guessing_is_limited(shopper, settings):
    settings.GIFTCARD_GUESS_RATE_LIMIT = "2/hour"
    client = Client()
    client.force_login(shopper)
    assert [client.post("/wallet/gift-card/", {"code": "CAXXXX"}).status_code for _ in range(2)] == [400, 400]

    response = client.post("/wallet/gift-card/", {"code": "CAXXXX"})

    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 3600
    assert "Too many gift card attempts" in response.content.decode()

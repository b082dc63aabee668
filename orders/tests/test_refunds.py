"""Refunds by staff: permission checked in the service, gateway part through the SDK (idempotent by receipt),
wallet part through the ledger, payments.refund_amount/refunded_at, statuses; the admin's confirmation page;
and reconcile_wallets agreeing with all of it."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.authz import PermissionRefused
from accounts.factories import UserFactory, grant_permissions
from catalog.factories import ProductVariantFactory
from couponali import rls
from couponali.models import AuditLog
from orders.factories import GiftCardFactory
from orders.models import GiftCard, Order, OrderRefund, Payment
from orders.services import checkout, fulfilment, payments, refunds
from wallet.models import WalletTransaction
from wallet.reconcile import wallet_reconcile

from .conftest import checkout_signature, fund, sign, staff_with, webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def refunder(db):
    return staff_with("refund_order", "void_vouchers")


def paid_order(user, variant, *, wallet: str | None = None, n: int = 2) -> Order:
    """An order paid partly with the wallet (₹wallet) and the rest through the (faked) gateway."""
    if wallet:
        fund(user, wallet)
    placed = checkout.order_place(user=user, lines={variant.pk: n}, email="a@b.in", use_wallet=bool(wallet))
    return pay(placed.order)


def pay(order: Order) -> Order:
    """Pay what the gateway must collect through the (faked) Razorpay Checkout callback."""
    payment = payments.payment_start(order_id=order.pk, user_id=order.user_id).payment
    gateway_order_id = payment.gateway_order_id or ""
    payments.payment_callback(
        params={
            "razorpay_order_id": gateway_order_id,
            "razorpay_payment_id": f"pay_{order.pk:010d}",
            "razorpay_signature": checkout_signature(gateway_order_id, f"pay_{order.pk:010d}"),
        }
    )
    return Order.objects.get(pk=order.pk)


def assert_reconciled():
    with rls.bypass(reason="test"):
        problems, _ = wallet_reconcile()
    assert problems == []


def test_only_staff_with_the_permission_can_refund(razorpay, shopper, card):
    order = paid_order(shopper, card["v500"])
    for actor in (shopper, UserFactory(is_staff=True), staff_with("void_vouchers")):
        with pytest.raises(PermissionRefused) as refused:
            refunds.order_refund(order_id=order.pk, amount=Decimal("10"), reason="x", actor=actor)
        assert refused.value.perms == ("orders.refund_order",)
    # voiding vouchers (a line handed back, or everything refunded) needs that permission too, checked first
    only_refund = staff_with("refund_order")
    item = order.items.get()
    for amount, items in ((Decimal("10"), [item.pk]), (Decimal("970"), [])):
        with pytest.raises(PermissionRefused, match=r"orders\.void_vouchers"):
            refunds.order_refund(order_id=order.pk, amount=amount, reason="x", actor=only_refund, order_item_ids=items)
    assert not OrderRefund.objects.exists()
    assert not WalletTransaction.objects.filter(type="order_refund").exists()


def test_a_refund_voids_the_vouchers_of_the_lines_handed_back_and_gives_the_gift_card_its_share(
    razorpay, shopper, card, refunder, django_capture_on_commit_callbacks
):
    # given an order of a ₹500 card (₹485) and a ₹1000 card (₹960) = ₹1445, ₹445 of it paid by a CouponAli gift
    # card, ₹200 from the wallet and ₹800 through Razorpay; fulfilled
    gift_card = GiftCardFactory(user=None, initial_value=Decimal("445.00"), remaining_value=Decimal("445.00"))
    fund(shopper, "200")
    placed = checkout.order_place(
        user=shopper,
        lines={card["v500"].pk: 1, card["v1000"].pk: 1},
        email="a@b.in",
        use_wallet=True,
        gift_card_code=gift_card.code,
    )
    order = pay(placed.order)
    assert (order.discount_amount, order.wallet_used, order.total_amount) == (
        Decimal("445.00"),
        Decimal("200.00"),
        Decimal("1000.00"),
    )
    fulfilment.order_fulfil(order_id=order.pk)
    small, large = order.items.order_by("denomination")

    # when staff refund the ₹500 card (₹485 of the price) and say it was handed back
    with django_capture_on_commit_callbacks(execute=True):
        refunds.order_refund(
            order_id=order.pk, amount=Decimal("485"), reason="unused", actor=refunder, order_item_ids=[small.pk]
        )
    # then its voucher is void, the other's is not, and the gift card got 485/1000 of its ₹445 back (rounded down)
    small.refresh_from_db()
    large.refresh_from_db()
    assert [v["status"] for v in small.voucher_codes] == ["void"] and small.fulfillment_status == "void"
    assert [v["status"] for v in large.voucher_codes] == ["active"]
    assert GiftCard.objects.get(pk=gift_card.pk).remaining_value == Decimal("215.82")
    assert AuditLog.objects.get(action="order.refund", entity_id=order.pk).metadata["gift_card"] == "215.82"
    assert_reconciled()

    # when the rest is refunded
    with django_capture_on_commit_callbacks(execute=True):
        refunds.order_refund(order_id=order.pk, amount=Decimal("515"), reason="all", actor=refunder)
    # then every voucher is void, the gift card has all its value back, and the money went back where it came from
    large.refresh_from_db()
    assert [v["status"] for v in large.voucher_codes] == ["void"]
    assert GiftCard.objects.get(pk=gift_card.pk).remaining_value == Decimal("445.00")
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("refunded", "refunded")
    shopper.refresh_from_db()
    assert shopper.wallet_balance == Decimal("200.00")
    payment = Payment.objects.get(order=order, gateway="razorpay")
    assert payment.refund_amount == Decimal("800.00")
    assert AuditLog.objects.filter(action="order.vouchers_void", actor_user=refunder).count() == 2
    assert_reconciled()


def test_a_refund_refuses_lines_of_another_order(razorpay, shopper, card, refunder):
    order = paid_order(shopper, card["v500"])
    other = paid_order(shopper, card["v500"], n=1)
    with pytest.raises(refunds.RefundError, match="not in it"):
        refunds.order_refund(
            order_id=order.pk, amount=Decimal("10"), reason="x", actor=refunder, order_item_ids=[other.items.get().pk]
        )
    assert not OrderRefund.objects.exists()


def test_partial_then_full_refund_splits_gateway_first_then_wallet(
    razorpay, shopper, card, refunder, django_capture_on_commit_callbacks
):
    # given ₹970 paid: ₹300 from the wallet, ₹670 through Razorpay
    order = paid_order(shopper, card["v500"], wallet="300")
    gateway_payment = Payment.objects.get(order=order, gateway="razorpay")
    # when staff refund ₹500, then the remaining ₹470
    with django_capture_on_commit_callbacks(execute=True):
        first = refunds.order_refund(order_id=order.pk, amount=Decimal("500"), reason="one card unused", actor=refunder)
    first.refresh_from_db()
    assert (first.gateway_amount, first.wallet_amount, first.status) == (Decimal("500"), 0, "processed")
    assert [r["amount"] for r in razorpay.refunds[gateway_payment.gateway_payment_id]] == [50000]
    assert razorpay.refunds[gateway_payment.gateway_payment_id][0]["receipt"] == str(first.uuid)
    order.refresh_from_db()
    assert order.status == "paid"
    with django_capture_on_commit_callbacks(execute=True):
        second = refunds.order_refund(order_id=order.pk, amount=Decimal("470"), reason="both", actor=refunder)
    # then ₹170 more went to the gateway and ₹300 back to the wallet
    assert (second.gateway_amount, second.wallet_amount) == (Decimal("170"), Decimal("300"))
    order.refresh_from_db()
    gateway_payment.refresh_from_db()
    assert (order.status, order.payment_status) == ("refunded", "refunded")
    assert (gateway_payment.status, gateway_payment.refund_amount) == ("refunded", Decimal("670.00"))
    assert gateway_payment.refunded_at is not None
    wallet_payment = Payment.objects.get(order=order, payment_method="wallet")
    assert (wallet_payment.status, wallet_payment.refund_amount) == ("refunded", Decimal("300.00"))
    posting = WalletTransaction.objects.get(type="order_refund", reference_type="order_refund", reference_id=second.pk)
    assert posting.amount == Decimal("300.00")
    shopper.refresh_from_db()
    assert shopper.wallet_balance == Decimal("300.00")
    assert AuditLog.objects.filter(action="order.refund", entity_id=order.pk, actor_user=refunder).count() == 2
    # nothing is left to refund
    with pytest.raises(refunds.RefundError, match="cannot be refunded"):
        refunds.order_refund(order_id=order.pk, amount=Decimal("1"), reason="again", actor=refunder)
    assert_reconciled()


@pytest.mark.parametrize(("amount", "message"), [("0", "positive"), ("1.001", "positive"), ("9999", "At most ₹970")])
def test_bad_amounts_are_refused(razorpay, shopper, card, refunder, amount, message):
    order = paid_order(shopper, card["v500"])
    with pytest.raises(refunds.RefundError, match=message):
        refunds.order_refund(order_id=order.pk, amount=Decimal(amount), reason="x", actor=refunder)
    assert not OrderRefund.objects.exists()


def test_a_gateway_outage_leaves_the_refund_pending_and_a_retry_never_pays_twice(
    razorpay, shopper, card, refunder, django_capture_on_commit_callbacks
):
    order = paid_order(shopper, card["v500"])
    razorpay.refund_failures = 1
    with django_capture_on_commit_callbacks(execute=True):
        refund = refunds.order_refund(order_id=order.pk, amount=Decimal("970"), reason="x", actor=refunder)
    refund.refresh_from_db()
    assert refund.status == "pending" and refund.gateway_refund_id is None and "refused" in refund.error_message
    again = refunds.refund_send(refund_id=refund.pk, actor=refunder)
    assert again.status == "processed" and again.gateway_refund_id
    # a third call (an impatient retry) finds it done: still one refund at the gateway
    refunds.refund_send(refund_id=refund.pk, actor=refunder)
    payment = Payment.objects.get(order=order, gateway="razorpay")
    assert len(razorpay.refunds[payment.gateway_payment_id]) == 1
    assert payment.refund_amount == Decimal("970.00")
    assert_reconciled()


def test_a_refund_that_reached_the_gateway_unrecorded_is_found_by_its_receipt(razorpay, shopper, card, refunder):
    order = paid_order(shopper, card["v500"])
    refund = refunds.order_refund(order_id=order.pk, amount=Decimal("100"), reason="x", actor=refunder)
    payment = Payment.objects.get(order=order, gateway="razorpay")
    # the gateway took it but our process died before recording the answer
    razorpay.refunds[payment.gateway_payment_id] = [
        {"id": "rfnd_EARLIER0001", "amount": 10000, "receipt": str(refund.uuid), "status": "processed"}
    ]
    done = refunds.refund_send(refund_id=refund.pk, actor=refunder)
    assert done.gateway_refund_id == "rfnd_EARLIER0001"
    assert len(razorpay.refunds[payment.gateway_payment_id]) == 1


def test_refund_processed_webhook_marks_the_refund(razorpay, shopper, card, refunder):
    order = paid_order(shopper, card["v500"])
    refund = refunds.order_refund(order_id=order.pk, amount=Decimal("100"), reason="x", actor=refunder)
    body = webhook(
        "refund.processed",
        order_id="",
        payment_id="",
        refund={"id": "rfnd_W1", "receipt": str(refund.uuid), "amount": 10000, "status": "processed"},
    )
    response = Client().post(
        reverse("razorpay-webhook"),
        data=body,
        content_type="application/json",
        headers={"X-Razorpay-Signature": sign(body.decode(), "test-webhook-secret-71b9"), "X-Razorpay-Event-Id": "e1"},
    )
    assert response.status_code == 200
    refund.refresh_from_db()
    assert refund.status == "processed" and refund.processed_at is not None and refund.gateway_refund_id == "rfnd_W1"


def test_admin_refund_needs_confirmation_and_the_permission(
    razorpay, shopper, card, refunder, django_capture_on_commit_callbacks
):
    order = paid_order(shopper, card["v500"], wallet="100")
    url = reverse("admin:orders_order_refund", args=[order.pk])
    change = reverse("admin:orders_order_change", args=[order.pk])
    # staff without the permission see no Refund button and cannot refund
    plain = grant_permissions(UserFactory(is_staff=True), "orders.view_order")
    other = Client()
    other.force_login(plain)
    assert url not in other.get(change).content.decode()
    # a forged POST (no button, no permission) is refused with 403 and changes nothing
    assert other.post(url, {"amount": "970", "reason": "x", "items": [order.items.get().pk]}).status_code == 403
    assert not OrderRefund.objects.exists()
    order.refresh_from_db()
    assert order.status == "paid" and [v["status"] for v in order.items.get().voucher_codes or []] == []
    assert not WalletTransaction.objects.filter(type="order_refund").exists()
    # a refunder sees the button, a confirmation page, then the result
    client = Client()
    refunder = grant_permissions(refunder, "orders.view_order")
    client.force_login(refunder)
    assert url in client.get(change).content.decode()
    page = client.get(url).content.decode()
    assert "Confirm the refund" in page and "₹970" in page
    assert client.post(url, {"amount": "abc", "reason": "x"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"amount": "970", "reason": "Customer changed their mind", "confirmed": "yes"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "refunded"
    detail = client.get(change).content.decode()
    assert "Refund issued" in detail and "Payment received" in detail
    out = io.StringIO()
    call_command("reconcile_wallets", stdout=out)
    assert "checks pass" in out.getvalue()


def test_reconcile_catches_store_breaks(razorpay, shopper, limited, refunder):
    # given a paid order of 2 tracked units and a clean reconcile
    order = paid_order(shopper, limited, wallet="100")
    assert_reconciled()
    # when stock or payment rows stop matching what was sold and paid (as a bad manual fix would do)
    with connection.cursor() as cur:
        cur.execute("UPDATE inventory SET sold = sold + 1, quantity = quantity + 1 WHERE variant_id = %s", [limited.pk])
        cur.execute("UPDATE payments SET refund_amount = 5 WHERE order_id = %s AND gateway IS NOT NULL", [order.pk])
    with rls.bypass(reason="test"):
        problems, _ = wallet_reconcile()
    # then both are reported
    text = "\n".join(p.message for p in problems)
    assert f"variant {limited.pk}: inventory sold 3 but paid orders hold 2" in text
    assert "refund_amount ₹5 but the refunds add up to ₹0" in text


def test_staff_notes_are_saved_without_touching_statuses(razorpay, shopper, card, admin_client):
    order = checkout.order_place(user=shopper, lines={card["v500"].pk: 1}, email="a@b.in").order
    change = reverse("admin:orders_order_change", args=[order.pk])
    assert admin_client.get(change).status_code == 200  # staff open the page while the order is pending
    payment = payments.payment_start(order_id=order.pk, user_id=shopper.pk).payment
    payments.payment_callback(
        params={
            "razorpay_order_id": payment.gateway_order_id,
            "razorpay_payment_id": "pay_STALE1",
            "razorpay_signature": checkout_signature(payment.gateway_order_id, "pay_STALE1"),
        }
    )
    response = admin_client.post(change, {"admin_notes": "Called the shopper", **inline_management()})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.admin_notes) == ("paid", "Called the shopper")


def inline_management() -> dict[str, str]:
    data: dict[str, str] = {}
    for prefix in ("items", "payments", "refunds"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "0"}
    return data


def test_sending_the_gateway_part_again_shows_the_shopper_and_amount_first_and_needs_the_permission(
    razorpay, shopper, card, refunder, django_capture_on_commit_callbacks
):
    # given a ₹1,45,500 order whose refund the gateway refused at first (an outage): the refund waits
    big = ProductVariantFactory(product=card["product"], denomination=Decimal("50000"), selling_price=Decimal("48500"))
    order = paid_order(shopper, big, n=3)
    razorpay.refund_failures = 1
    with django_capture_on_commit_callbacks(execute=True):
        refund = refunds.order_refund(order_id=order.pk, amount=Decimal("145500"), reason="x", actor=refunder)
    refund.refresh_from_db()
    assert refund.status == "pending" and refund.gateway_refund_id is None
    assert AuditLog.objects.filter(action="order.refund_not_sent", actor_user=refunder).count() == 1
    payment_id = Payment.objects.get(order=order, gateway="razorpay").gateway_payment_id
    changelist = reverse("admin:orders_orderrefund_changelist")
    data = {"action": "retry_gateway_part", "_selected_action": [refund.pk]}

    # staff who may see refunds but not refund: the action is not offered, a forged POST gets 403, nothing is sent
    viewer = Client()
    viewer.force_login(staff_with("view_orderrefund"))
    assert 'value="retry_gateway_part"' not in viewer.get(changelist).content.decode()
    for extra in ({"index": "0"}, {"confirmed": "yes"}):
        forged = viewer.post(changelist, {**data, **extra})
        assert forged.status_code == 403 and shopper.email not in forged.content.decode()
    with pytest.raises(PermissionRefused):
        refunds.refund_send(refund_id=refund.pk, actor=staff_with("view_orderrefund"))
    assert razorpay.refunds.get(payment_id, []) == []

    # a refunder gets the confirmation page first: the shopper and the gateway amount; nothing is sent yet
    client = Client()
    client.force_login(grant_permissions(refunder, "orders.view_orderrefund"))
    page = client.post(changelist, {**data, "index": "0"})
    html = page.content.decode()
    assert page.status_code == 200 and shopper.email in html and "data-amount>₹1,45,500<" in html
    assert razorpay.refunds.get(payment_id, []) == []
    assert not AuditLog.objects.filter(action="order.refund_sent").exists()

    # the confirmed POST sends it, once, audited with their name
    assert client.post(changelist, {**data, "confirmed": "yes"}).status_code == 302
    refund.refresh_from_db()
    assert refund.status == "processed" and refund.gateway_refund_id
    assert [r["amount"] for r in razorpay.refunds[payment_id]] == [14550000]
    assert AuditLog.objects.get(action="order.refund_sent").actor_user_id == refunder.pk
    assert_reconciled()

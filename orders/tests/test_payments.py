"""Razorpay: gateway orders, the Checkout callback, webhooks (repeated, out of order, racing the callback),
signatures decided by the SDK, and the offline fake checkout. Razorpay is faked only at its HTTP API."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import razorpay
from django.db import connections
from django.test import Client
from django.urls import reverse

from catalog.models import Inventory
from couponali.models import AuditLog
from orders import gateway as gw
from orders.models import Order, Payment, PaymentWebhookEvent
from orders.services import checkout, payments

from .conftest import KEY_SECRET, WEBHOOK_SECRET, checkout_signature, fund, sign, webhook

pytestmark = pytest.mark.django_db


def place_and_start(user, variant, n=1, **kwargs):
    placed = checkout.order_place(user=user, lines={variant.pk: n}, email="a@b.in", **kwargs)
    started = payments.payment_start(order_id=placed.order.pk, user_id=user.pk)
    return placed.order, started.payment


# ---------------------------------------------------------------- signatures: the SDK decides


def tamper(value: str) -> list[str]:
    return [value[:-1] + ("0" if value[-1] != "0" else "1"), value.upper(), "", value + "a", "é" * len(value)]


def test_payment_signature_checks_agree_with_the_sdk(razorpay_keys):
    sdk = razorpay.Client(auth=("k", KEY_SECRET)).utility
    ours = gw.get_gateway()
    good = checkout_signature("order_ABC", "pay_XYZ")
    cases = [("order_ABC", "pay_XYZ", good)]
    cases += [("order_ABC", "pay_XYZ", bad) for bad in tamper(good)]
    cases += [("order_ABD", "pay_XYZ", good), ("order_ABC", "pay_XYY", good)]
    verdicts = []
    for order_id, payment_id, signature in cases:
        params = {"razorpay_order_id": order_id, "razorpay_payment_id": payment_id, "razorpay_signature": signature}
        try:
            sdk_ok = bool(sdk.verify_payment_signature(params))
        except (razorpay.errors.SignatureVerificationError, TypeError):
            sdk_ok = False
        assert ours.payment_signature_ok(order_id=order_id, payment_id=payment_id, signature=signature) == sdk_ok
        verdicts.append(sdk_ok)
    assert verdicts[0] is True and not any(verdicts[1:])


def test_webhook_signature_checks_agree_with_the_sdk(razorpay_keys):
    sdk = razorpay.Client(auth=("k", KEY_SECRET)).utility
    ours = gw.get_gateway()
    body = webhook("payment.captured", order_id="order_A", payment_id="pay_B", amount_paise=100)
    good = sign(body.decode(), WEBHOOK_SECRET)
    cases = [(body, good), (body + b" ", good), (body.replace(b"100", b"900"), good), (body, sign(body.decode()))]
    cases += [(body, bad) for bad in tamper(good)]
    verdicts = []
    for raw, signature in cases:
        try:
            sdk_ok = bool(sdk.verify_webhook_signature(raw.decode(), signature, WEBHOOK_SECRET))
        except (razorpay.errors.SignatureVerificationError, TypeError):
            sdk_ok = False
        assert ours.webhook_signature_ok(body=raw, signature=signature) == sdk_ok
        verdicts.append(sdk_ok)
    assert verdicts[0] is True and not any(verdicts[1:])


# ---------------------------------------------------------------- gateway order and callback


def test_gateway_order_in_paise_with_our_order_number_as_receipt(razorpay, shopper, card):
    fund(shopper, "100.50")
    order, payment = place_and_start(shopper, card["v500"], use_wallet=True)
    assert razorpay.orders == [
        {
            "id": payment.gateway_order_id,
            "entity": "order",
            "status": "created",
            "amount": 38450,
            "currency": "INR",
            "receipt": order.order_number,
            "notes": {"order_uuid": str(order.uuid)},
        }
    ]
    assert (payment.amount, payment.status, payment.gateway) == (Decimal("384.50"), "initiated", "razorpay")
    # idempotent: the pay page asked again
    again = payments.payment_start(order_id=order.pk, user_id=shopper.pk).payment
    assert again.pk == payment.pk and len(razorpay.orders) == 1


def callback(client, payment, *, payment_id="pay_T0001", signature=None):
    signature = signature if signature is not None else checkout_signature(payment.gateway_order_id, payment_id)
    return client.post(
        reverse("payment-callback"),
        {
            "razorpay_payment_id": payment_id,
            "razorpay_order_id": payment.gateway_order_id,
            "razorpay_signature": signature,
        },
    )


def test_valid_callback_marks_paid_consumes_stock_and_queues_fulfilment(
    razorpay, shopper, limited, fulfilments, django_capture_on_commit_callbacks
):
    order, payment = place_and_start(shopper, limited, 2)
    client = Client()
    client.force_login(shopper)
    with django_capture_on_commit_callbacks(execute=True):
        response = callback(client, payment)
    assert response.status_code == 302 and response["Location"] == reverse("order", args=[order.order_number])
    order.refresh_from_db()
    payment.refresh_from_db()
    assert (order.status, order.payment_status) == ("paid", "completed")
    assert (payment.status, payment.gateway_payment_id) == ("success", "pay_T0001")
    inv = Inventory.objects.get(variant=limited)
    assert (inv.quantity, inv.reserved, inv.sold) == (3, 0, 2)
    limited.refresh_from_db()
    assert limited.stock_quantity == 3
    assert fulfilments == [order.pk]


def test_tampered_callback_changes_nothing(razorpay, shopper, card, fulfilments, django_capture_on_commit_callbacks):
    order, payment = place_and_start(shopper, card["v500"])
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        for bad in tamper(checkout_signature(payment.gateway_order_id, "pay_T0001")):
            response = callback(client, payment, signature=bad)
            assert response.status_code == 400
            assert b"could not be verified" in response.content
    order.refresh_from_db()
    payment.refresh_from_db()
    assert (order.status, payment.status, payment.gateway_payment_id) == ("pending", "initiated", None)
    assert fulfilments == []


def test_failed_attempt_keeps_the_order_open_and_a_later_success_pays_it(razorpay, shopper, card):
    order, payment = place_and_start(shopper, card["v500"])
    client = Client()
    response = client.post(
        reverse("payment-callback"),
        {
            "error[code]": "BAD_REQUEST_ERROR",
            "error[description]": "Card declined",
            "error[metadata][order_id]": payment.gateway_order_id,
            "error[metadata][payment_id]": "pay_F1",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("order-pay", args=[order.order_number])
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("pending", "failed")
    assert callback(client, payment, payment_id="pay_OK2").status_code == 302
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("paid", "completed")


# ---------------------------------------------------------------- webhooks


def post_webhook(client, body: bytes, event_id: str, secret: str = WEBHOOK_SECRET):
    return client.post(
        reverse("razorpay-webhook"),
        data=body,
        content_type="application/json",
        headers={"X-Razorpay-Signature": sign(body.decode(), secret), "X-Razorpay-Event-Id": event_id},
    )


def test_webhook_with_a_bad_signature_changes_nothing(razorpay, shopper, card, fulfilments):
    order, payment = place_and_start(shopper, card["v500"])
    body = webhook("payment.captured", order_id=payment.gateway_order_id, payment_id="pay_W1", amount_paise=48500)
    response = post_webhook(Client(), body, "evt_1", secret="not-the-secret")
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == "pending" and PaymentWebhookEvent.objects.count() == 0 and fulfilments == []


def test_repeated_and_out_of_order_webhooks_apply_once(
    razorpay, shopper, card, fulfilments, django_capture_on_commit_callbacks
):
    order, payment = place_and_start(shopper, card["v500"])
    client = Client()
    captured = webhook("payment.captured", order_id=payment.gateway_order_id, payment_id="pay_W1", amount_paise=48500)
    paid = webhook("order.paid", order_id=payment.gateway_order_id, payment_id="pay_W1", amount_paise=48500)
    late_failure = webhook("payment.failed", order_id=payment.gateway_order_id, payment_id="pay_W0")
    with django_capture_on_commit_callbacks(execute=True):
        answers = [post_webhook(client, captured, "evt_cap").content for _ in range(3)]
        answers.append(post_webhook(client, paid, "evt_paid").content)
        answers.append(post_webhook(client, late_failure, "evt_fail").content)
    assert answers[1:3] == [b"duplicate", b"duplicate"]
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("paid", "completed")
    assert fulfilments == [order.pk]
    assert AuditLog.objects.filter(action="order.paid", entity_id=order.pk).count() == 1
    assert PaymentWebhookEvent.objects.count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_three_webhook_deliveries_racing_the_callback_pay_and_fulfil_once(razorpay, shopper, card, fulfilments):
    # given an order waiting for the gateway
    order, payment = place_and_start(shopper, card["v500"])
    body = webhook("payment.captured", order_id=payment.gateway_order_id, payment_id="pay_R1", amount_paise=48500)
    barrier = threading.Barrier(4)
    codes = []

    def deliver(kind):
        try:
            client = Client()
            barrier.wait()
            if kind == "callback":
                codes.append(callback(client, payment, payment_id="pay_R1").status_code)
            else:
                codes.append(post_webhook(client, body, "evt_same").status_code)
        finally:
            connections.close_all()

    # when three deliveries of the same event and the browser's callback arrive at once
    threads = [threading.Thread(target=deliver, args=(k,)) for k in ("webhook", "webhook", "webhook", "callback")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then the order is paid once, its stock consumed once, its fulfilment queued once
    assert sorted(codes) == [200, 200, 200, 302]
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("paid", "completed")
    assert fulfilments == [order.pk]
    assert AuditLog.objects.filter(action="order.paid", entity_id=order.pk).count() == 1
    assert PaymentWebhookEvent.objects.filter(event_id="evt_same").count() == 1


def test_a_capture_after_the_order_was_cancelled_is_refunded(
    razorpay, shopper, card, fulfilments, django_capture_on_commit_callbacks
):
    fund(shopper, "100")
    order, payment = place_and_start(shopper, card["v500"], use_wallet=True)
    checkout.order_cancel(order_id=order.pk, actor=shopper)
    body = webhook("payment.captured", order_id=payment.gateway_order_id, payment_id="pay_L1", amount_paise=38500)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(Client(), body, "evt_late").status_code == 200
    order.refresh_from_db()
    payment.refresh_from_db()
    assert (order.status, order.payment_status) == ("cancelled", "refunded")
    assert (payment.status, payment.refund_amount) == ("refunded", Decimal("385.00"))
    assert [r["amount"] for r in razorpay.refunds["pay_L1"]] == [38500]
    assert fulfilments == []


# ---------------------------------------------------------------- offline: the fake checkout page


def test_without_keys_the_fake_checkout_pays_through_the_same_signature_check(
    shopper, card, fulfilments, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(shopper)
    client.post(reverse("cart-add"), {"variant": card["v500"].pk, "quantity": 2})
    response = client.post(reverse("checkout"), {"email": "priya@example.in"})
    order = Order.objects.get(user=shopper)
    assert response["Location"] == reverse("order-pay", args=[order.order_number])
    pay_page = client.get(response["Location"])
    payment = Payment.objects.get(order=order, gateway="razorpay")
    assert payment.gateway_order_id.startswith("order_fake")
    fake_url = reverse("fake-gateway", args=[payment.gateway_order_id])
    assert fake_url in pay_page.content.decode()
    fake = client.get(fake_url).content.decode()
    fields = {
        name: fake.split(f'name="{name}" value="')[1].split('"')[0]
        for name in ("razorpay_payment_id", "razorpay_order_id", "razorpay_signature")
    }
    forged = client.post(reverse("payment-callback"), fields | {"razorpay_signature": "0" * 64})
    assert forged.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("payment-callback"), fields)
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == "paid"
    assert fulfilments == [order.pk]


# ---------------------------------------------------------------- Content-Security-Policy of the pay page


def csp(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: sources}."""
    parts = (p.split() for p in response["Content-Security-Policy"].split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def test_the_pay_page_alone_allows_razorpay_checkout_and_only_with_real_keys(razorpay, shopper, card, settings):
    client = Client()
    client.force_login(shopper)
    client.post(reverse("cart-add"), {"variant": card["v500"].pk, "quantity": 1})
    order_url = client.post(reverse("checkout"), {"email": "priya@example.in"})["Location"]
    order = Order.objects.get(user=shopper)
    # with real keys: the pay page loads Razorpay's script, allowed by its own policy (script and payment window)
    pay_page = client.get(reverse("order-pay", args=[order.order_number]))
    assert pay_page.status_code == 200 and gw.CHECKOUT_SCRIPT_URL in pay_page.content.decode()
    policy = csp(pay_page)
    assert policy["script-src"] == ["'self'", gw.CHECKOUT_SCRIPT_ORIGIN]
    assert policy["frame-src"] == [gw.CHECKOUT_FRAME_ORIGIN]
    # every other page keeps scripts to our own files
    for url in ("/", reverse("cart"), reverse("order", args=[order.order_number]), "/gift-cards/"):
        other = csp(client.get(url))
        assert other["script-src"] == ["'self'"], url
        assert "frame-src" not in other, url
    assert order_url == reverse("order-pay", args=[order.order_number])
    # without keys the offline fake checkout is a page of ours: nothing of Razorpay's is allowed
    settings.RAZORPAY_KEY_ID = settings.RAZORPAY_KEY_SECRET = ""
    Payment.objects.filter(order=order).delete()  # a new attempt, at the fake gateway
    fake_pay = client.get(reverse("order-pay", args=[order.order_number]))
    assert "fake" in fake_pay.content.decode() and gw.CHECKOUT_SCRIPT_URL not in fake_pay.content.decode()
    assert csp(fake_pay)["script-src"] == ["'self'"] and "frame-src" not in csp(fake_pay)

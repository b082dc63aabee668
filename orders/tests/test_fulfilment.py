"""Fulfilment of paid orders: vouchers from the supplier backend (local and HTTP, the latter faked at its HTTP
boundary), encrypted at rest, delivered once, retried with backoff, shown to staff, retried/resent by staff,
voided on refund, revealed to the owner only."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
import responses
from celery.exceptions import Retry
from cryptography.fernet import Fernet
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from django.test import Client

from accounts import authz, crypto, sms
from accounts.factories import UserFactory
from couponali.models import AuditLog
from orders import tasks
from orders.models import Order, OrderItem
from orders.services import fulfilment
from orders.suppliers import SupplierRejected, SupplierUnavailable
from orders.vouchers import voucher_plain

from .conftest import paid_order, staff_with

pytestmark = pytest.mark.django_db

SUPPLIER = "https://supplier.example/api/v1"


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def http_supplier(settings):
    settings.GIFTCARD_SUPPLIER_BACKEND = "orders.suppliers.HttpVoucherSupplier"
    settings.GIFTCARD_SUPPLIER_URL = SUPPLIER
    settings.GIFTCARD_SUPPLIER_API_KEY = "test-supplier-key"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block, then what it queued after commit (the delivery, a staff retry), as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def supplier_vouchers(request):
    body = json.loads(request.body)
    vouchers = [
        {"id": f"V{i}", "code": f"AMZN-{body['reference'][-6:]}-{i:04d}", "pin": f"{i:06d}", "expiry": "2027-12-31"}
        for i in range(body["quantity"])
    ]
    return 201, {}, json.dumps({"vouchers": vouchers})


def plain_codes(order) -> list[str]:
    return [voucher_plain(e).code for item in order.items.order_by("pk") for e in item.voucher_codes or []]


def test_a_paid_order_gets_encrypted_vouchers_and_they_are_sent_by_email_and_sms(shopper, committed):
    order = paid_order(user=shopper, quantity=2, lines=2)

    with committed():
        tasks.fulfil_order.delay(order.pk)

    order.refresh_from_db()
    assert (order.status, order.fulfillment_status, order.fulfillment_attempts) == ("fulfilled", "sent", 1)
    assert order.completed_at is not None and order.fulfillment_error is None
    items = list(order.items.order_by("pk"))
    assert [len(i.voucher_codes) for i in items] == [2, 2]
    assert {i.fulfillment_status for i in items} == {"sent"}
    assert all(i.delivered_at for i in items)
    codes = plain_codes(order)
    assert len(set(codes)) == 4
    for item in items:
        for entry in item.voucher_codes:
            plain = voucher_plain(entry)
            # stored as Fernet tokens under the KYC keyring, only the tail in clear
            assert plain.code not in json.dumps(item.voucher_codes)
            assert crypto.decrypt(entry["code"]) == plain.code and len(plain.pin) == 6
            assert entry["tail"] == plain.code[-4:] and entry["status"] == "active"
            assert entry["expiry"] is not None
    (email,) = mail.outbox
    assert email.to == [order.delivery_email]
    assert all(code in email.body for code in codes)
    assert len(sms.outbox) == 4 and all(m.to == order.delivery_mobile for m in sms.outbox)
    assert sorted(code for code in codes if any(code in m.body for m in sms.outbox)) == sorted(codes)
    actions = list(AuditLog.objects.filter(entity_id=order.pk, entity_type="order").values_list("action", flat=True))
    assert sorted(actions) == ["order.fulfilled", "order.vouchers_sent"]


def test_running_twice_issues_one_set_and_sends_once(shopper, committed):
    order = paid_order(user=shopper, mobile=None)
    with committed():
        tasks.fulfil_order.delay(order.pk)
    first = plain_codes(order)

    with committed():
        tasks.fulfil_order.delay(order.pk)
    fulfilment.order_fulfil(order_id=order.pk)
    tasks.deliver_vouchers.delay(order.pk)

    assert plain_codes(order) == first
    assert len(mail.outbox) == 1 and sms.outbox == []
    assert Order.objects.get(pk=order.pk).fulfillment_attempts == 1


@pytest.mark.parametrize(
    ("status", "payment_status"),
    [("pending", "pending"), ("cancelled", "failed"), ("refunded", "refunded"), ("paid", "pending")],
)
def test_an_order_that_is_not_paid_is_not_fulfilled(shopper, status, payment_status):
    # created in that state: the status guard refuses moves like paid -> pending
    order = paid_order(user=shopper, status=status, payment_status=payment_status)

    result = fulfilment.order_fulfil(order_id=order.pk)

    assert not result.fulfilled
    assert not OrderItem.objects.filter(order=order, voucher_codes__isnull=False).exists()
    assert mail.outbox == []


@responses.activate
def test_the_http_supplier_is_asked_once_per_line_with_a_stable_idempotency_key(shopper, http_supplier, committed):
    responses.add_callback(responses.POST, f"{SUPPLIER}/orders", callback=supplier_vouchers)
    order = paid_order(user=shopper, quantity=3)
    item = order.items.get()

    with committed():
        tasks.fulfil_order.delay(order.pk)

    (call,) = responses.calls
    assert call.request.headers["Authorization"] == "Bearer test-supplier-key"
    assert call.request.headers["Idempotency-Key"] == f"{order.uuid}:{item.pk}"
    assert json.loads(call.request.body) == {
        "reference": f"{order.uuid}:{item.pk}",
        "sku": item.product_sku,
        "denomination": "500.00",
        "quantity": 3,
    }
    item.refresh_from_db()
    assert [e["supplier_ref"] for e in item.voucher_codes] == ["V0", "V1", "V2"]
    assert [voucher_plain(e).pin for e in item.voucher_codes] == ["000000", "000001", "000002"]
    assert Order.objects.get(pk=order.pk).status == "fulfilled"


@responses.activate
def test_a_supplier_outage_is_retried_with_backoff_and_shown_to_staff_meanwhile(shopper, http_supplier, committed):
    responses.add(responses.POST, f"{SUPPLIER}/orders", status=503)
    order = paid_order(user=shopper)

    # when: the supplier is down, the task asks Celery for a retry later (eager mode raises the Retry)
    with pytest.raises(Retry) as retry:
        tasks.fulfil_order.delay(order.pk)

    # the first retry waits up to retry_backoff (30 s); Celery's full jitter may pick any delay from 0 to that
    assert 0 <= retry.value.when <= 30 and isinstance(retry.value.exc, SupplierUnavailable)
    order.refresh_from_db()
    assert (order.status, order.fulfillment_status, order.fulfillment_attempts) == ("processing", "failed", 1)
    assert order.fulfillment_error == "SupplierUnavailable: Supplier answered 503"
    assert not order.items.filter(voucher_codes__isnull=False).exists()
    (failure,) = AuditLog.objects.filter(action="order.fulfilment_failed", entity_id=order.pk)
    assert failure.metadata["error"] == order.fulfillment_error

    # then: the retry, once the supplier is back, fulfils and clears the error
    responses.reset()
    responses.add_callback(responses.POST, f"{SUPPLIER}/orders", callback=supplier_vouchers)
    with committed():
        tasks.fulfil_order.delay(order.pk)
    order.refresh_from_db()
    assert (order.status, order.fulfillment_status, order.fulfillment_attempts) == ("fulfilled", "sent", 2)
    assert order.fulfillment_error is None and len(responses.calls) == 1
    assert tasks.fulfil_order.autoretry_for == (SupplierUnavailable,)
    assert tasks.fulfil_order.retry_backoff and tasks.fulfil_order.max_retries == tasks.FULFIL_MAX_RETRIES


@responses.activate
def test_a_supplier_refusal_is_not_retried_and_waits_for_staff_who_can_retry(shopper, http_supplier, committed):
    responses.add(responses.POST, f"{SUPPLIER}/orders", status=422, body='{"error": "unknown sku"}')
    order = paid_order(user=shopper)

    with pytest.raises(SupplierRejected):
        tasks.fulfil_order.delay(order.pk)

    order.refresh_from_db()
    assert (order.status, order.fulfillment_status) == ("processing", "failed")
    assert "unknown sku" in order.fulfillment_error
    assert len(responses.calls) == 1

    # staff see the error, fix the SKU at the supplier and retry from the admin
    responses.reset()
    responses.add_callback(responses.POST, f"{SUPPLIER}/orders", callback=supplier_vouchers)
    client = Client()
    client.force_login(staff_with("retry_fulfilment", "view_order", "change_order"))
    assert "unknown sku" in client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    data = {"action": "retry_fulfilment", "_selected_action": [order.pk]}
    # first the confirmation page: the shopper and the value of the vouchers still to issue; nothing queued
    with committed() as queued:
        page = client.post("/admin/orders/order/", {**data, "index": "0"})
    html = page.content.decode()
    assert page.status_code == 200 and shopper.email in html and "data-amount>₹1,000<" in html
    assert queued == [] and not AuditLog.objects.filter(action="order.fulfilment_retry").exists()
    with committed():
        response = client.post("/admin/orders/order/", {**data, "confirmed": "yes"}, follow=True)

    assert "Fulfilment queued again: 1." in response.content.decode()
    order.refresh_from_db()
    assert (order.status, order.fulfillment_status, order.fulfillment_error) == ("fulfilled", "sent", None)
    assert AuditLog.objects.filter(action="order.fulfilment_retry", entity_id=order.pk).exists()


def test_retry_and_resend_check_the_permission_in_the_service(shopper):
    order = paid_order(user=shopper)
    staff = staff_with("view_order", "change_order")
    with pytest.raises(PermissionDenied):
        fulfilment.order_fulfilment_retry(order_id=order.pk, actor=staff)
    with pytest.raises(PermissionDenied):
        fulfilment.order_vouchers_resend(order_id=order.pk, actor=staff)
    assert Order.objects.get(pk=order.pk).status == "paid"
    # and the admin does not offer the actions
    client = Client()
    client.force_login(staff)
    page = client.get("/admin/orders/order/").content.decode()
    assert "retry_fulfilment" not in page and "resend_vouchers" not in page


def test_staff_resend_sends_the_vouchers_again(shopper, committed):
    order = paid_order(user=shopper, mobile=None)
    with committed():
        tasks.fulfil_order.delay(order.pk)
    staff = staff_with("resend_vouchers")

    with committed():
        fulfilment.order_vouchers_resend(order_id=order.pk, actor=staff)

    assert len(mail.outbox) == 2 and mail.outbox[0].body == mail.outbox[1].body
    assert AuditLog.objects.get(action="order.vouchers_resend").actor_user_id == staff.pk


def test_refunded_items_vouchers_are_voided_and_no_longer_revealed(shopper, committed):
    order = paid_order(user=shopper, lines=2)
    with committed():
        tasks.fulfil_order.delay(order.pk)
    refunded, kept = order.items.order_by("pk")

    assert fulfilment.vouchers_void(order_item_ids=[refunded.pk], actor=staff_with("void_vouchers")) == 2
    assert fulfilment.vouchers_void(order_item_ids=[refunded.pk], actor=authz.SYSTEM) == 0  # twice: nothing more

    refunded.refresh_from_db()
    assert refunded.fulfillment_status == "void"
    assert {e["status"] for e in refunded.voucher_codes} == {"void"}
    assert {e["status"] for e in OrderItem.objects.get(pk=kept.pk).voucher_codes} == {"active"}
    with pytest.raises(fulfilment.FulfilmentError, match="cancelled with a refund"):
        fulfilment.voucher_reveal(order_item_id=refunded.pk, index=0, user=shopper)
    with pytest.raises(PermissionDenied):
        fulfilment.vouchers_void(order_item_ids=[kept.pk], actor=staff_with())
    # a resend only sends what is still active
    fulfilment.order_vouchers_deliver(order_id=order.pk, resend=True)
    kept_codes = [voucher_plain(e).code for e in OrderItem.objects.get(pk=kept.pk).voucher_codes]
    voided_codes = [voucher_plain(e).code for e in refunded.voucher_codes]
    assert all(c in mail.outbox[-1].body for c in kept_codes)
    assert not any(c in mail.outbox[-1].body for c in voided_codes)


def test_a_line_voided_before_fulfilment_is_never_issued(shopper, committed):
    order = paid_order(user=shopper, lines=2)
    first, second = order.items.order_by("pk")
    fulfilment.vouchers_void(order_item_ids=[first.pk], actor=authz.SYSTEM)

    with committed():
        tasks.fulfil_order.delay(order.pk)

    assert OrderItem.objects.get(pk=first.pk).voucher_codes == []
    assert len(OrderItem.objects.get(pk=second.pk).voucher_codes) == 2
    assert Order.objects.get(pk=order.pk).status == "fulfilled"


# ---------------------------------------------------------------- the owner's page and reveal


def test_the_include_shows_vouchers_masked_and_the_owner_reveals_one_audited(shopper, committed):
    order = paid_order(user=shopper, quantity=1)
    with committed():
        tasks.fulfil_order.delay(order.pk)
    item = order.items.get()
    code = voucher_plain(item.voucher_codes[0]).code

    html = render_to_string("orders/_vouchers.html", {"order": order})
    assert code not in html and f"XXXX-XXXX-{code[-4:]}" in html
    assert f"/vouchers/{item.pk}/0/reveal/" in html and "js/vouchers.js" in html and "<script>" not in html

    client = Client()
    client.force_login(shopper)
    answer = client.post(f"/vouchers/{item.pk}/0/reveal/", HTTP_ACCEPT="application/json")
    assert answer.status_code == 200 and answer["Cache-Control"].startswith("max-age=0")
    assert answer.json()["code"] == code and answer.json()["pin"] == voucher_plain(item.voucher_codes[0]).pin
    page = client.post(f"/vouchers/{item.pk}/0/reveal/")
    assert page.status_code == 200 and code in page.content.decode()
    reveals = AuditLog.objects.filter(action="order.voucher_reveal", entity_id=item.pk, actor_user=shopper)
    assert reveals.count() == 2


def test_nobody_else_can_reveal_a_voucher(shopper, committed):
    order = paid_order(user=shopper, quantity=1)
    with committed():
        tasks.fulfil_order.delay(order.pk)
    item = order.items.get()
    other = Client()
    other.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert other.post(f"/vouchers/{item.pk}/0/reveal/", HTTP_ACCEPT="application/json").status_code == 404
    assert Client().post(f"/vouchers/{item.pk}/0/reveal/").status_code == 302  # to sign-in
    owner = Client()
    owner.force_login(shopper)
    assert owner.get(f"/vouchers/{item.pk}/0/reveal/").status_code == 405
    assert owner.post(f"/vouchers/{item.pk}/7/reveal/", HTTP_ACCEPT="application/json").status_code == 409
    assert not AuditLog.objects.filter(action="order.voucher_reveal").exists()


def test_the_admin_shows_vouchers_masked_only(shopper, committed):
    order = paid_order(user=shopper, quantity=1)
    with committed():
        tasks.fulfil_order.delay(order.pk)
    code = plain_codes(order)[0]
    client = Client()
    client.force_login(staff_with("view_order", "view_orderitem"))
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert f"XXXX-XXXX-{code[-4:]}" in page and code not in page
    assert Decimal(order.total_amount) > 0


# ---------------------------------------------------------------- key rotation


def test_rotate_voucher_keys_re_encrypts_codes_and_pins_so_the_old_key_can_go(shopper, settings, committed):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.KYC_ENCRYPTION_KEYS = [old]
    orders = [paid_order(user=shopper, quantity=2, mobile=None) for _ in range(3)]
    for order in orders:
        with committed():
            tasks.fulfil_order.delay(order.pk)
    before = {o.pk: [voucher_plain(e) for i in o.items.all() for e in i.voucher_codes] for o in orders}

    settings.KYC_ENCRYPTION_KEYS = [new, old]
    out = StringIO()
    call_command("rotate_voucher_keys", "--batch-size", "2", stdout=out)

    assert "Re-encrypted 12 value(s) in 3 order line(s)" in out.getvalue()
    settings.KYC_ENCRYPTION_KEYS = [new]
    for order in orders:
        assert [voucher_plain(e) for i in order.items.all() for e in i.voucher_codes] == before[order.pk]
    # a key that is gone is reported clearly
    settings.KYC_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="Keep every key that may still be in use"):
        call_command("rotate_voucher_keys", stdout=StringIO())

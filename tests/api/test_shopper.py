"""The signed-in shopper's API: every endpoint refuses an anonymous caller (401), never shows another shopper's
object (404 by id, absent from lists), and does what the website does through the same services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts import crypto
from accounts.factories import NotificationFactory, UserKYCFactory
from accounts.models import Notification
from cms.factories import SupportTicketFactory
from cms.models import SupportTicket
from orders.factories import OrderFactory, OrderItemFactory
from orders.models import Order
from wallet import services as wallet_services
from wallet.factories import CashbackEventFactory
from wallet.models import WalletTransaction, Withdrawal

SIGNED_IN_ONLY = [
    ("get", "/api/v1/auth/me/"),
    ("get", "/api/v1/auth/sessions/"),
    ("post", "/api/v1/auth/sessions/1/revoke/"),
    ("get", "/api/v1/me/kyc/"),
    ("get", "/api/v1/notifications/"),
    ("post", "/api/v1/notifications/1/read/"),
    ("post", "/api/v1/notifications/read-all/"),
    ("get", "/api/v1/wallet/"),
    ("get", "/api/v1/wallet/transactions/"),
    ("get", "/api/v1/wallet/cashback/"),
    ("get", "/api/v1/wallet/withdrawals/"),
    ("post", "/api/v1/wallet/withdrawals/"),
    ("get", "/api/v1/referrals/"),
    ("get", "/api/v1/support/tickets/"),
    ("post", "/api/v1/support/tickets/"),
    ("get", "/api/v1/support/tickets/1/"),
    ("post", "/api/v1/support/tickets/1/replies/"),
    ("get", "/api/v1/orders/"),
    ("post", "/api/v1/orders/"),
    ("get", "/api/v1/orders/ORD-1/"),
    ("post", "/api/v1/orders/ORD-1/pay/"),
    ("post", "/api/v1/orders/ORD-1/vouchers/1/0/reveal/"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), SIGNED_IN_ONLY)
def test_every_shopper_endpoint_refuses_an_anonymous_caller_with_401(anon, method, path):
    response = getattr(anon, method)(path, {}, format="json")
    assert response.status_code == 401, path
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_another_shoppers_objects_are_not_found_by_id_and_not_listed(as_other, owner):
    ticket = SupportTicketFactory(user=owner)
    order = OrderFactory(user=owner)
    item = OrderItemFactory(order=order, voucher_codes=[{"code": "X", "status": "active"}])
    note = NotificationFactory(user=owner)
    CashbackEventFactory(user=owner)
    wallet_services.wallet_post(user_id=owner.pk, amount=Decimal("50"), type=WalletTransaction.Type.ADMIN_CREDIT)
    for method, path in [
        ("get", f"/api/v1/support/tickets/{ticket.pk}/"),
        ("post", f"/api/v1/support/tickets/{ticket.pk}/replies/"),
        ("get", f"/api/v1/orders/{order.order_number}/"),
        ("post", f"/api/v1/orders/{order.order_number}/pay/"),
        ("post", f"/api/v1/orders/{order.order_number}/vouchers/{item.pk}/0/reveal/"),
        ("post", f"/api/v1/notifications/{note.pk}/read/"),
    ]:
        response = getattr(as_other, method)(path, {"body": "mine now"}, format="json")
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    for path in (
        "/api/v1/support/tickets/",
        "/api/v1/orders/",
        "/api/v1/notifications/",
        "/api/v1/wallet/cashback/",
        "/api/v1/wallet/transactions/",
        "/api/v1/wallet/withdrawals/",
    ):
        assert as_other.get(path).json()["results"] == [], path
    assert as_other.get("/api/v1/wallet/").json()["available"] == "0.00"
    assert Notification.objects.get(pk=note.pk).is_read is False
    assert SupportTicket.objects.get(pk=ticket.pk).messages.count() == 0


@pytest.mark.django_db
def test_profile_and_kyc_come_masked(as_owner, owner):
    UserKYCFactory(
        user=owner,
        status="verified",
        upi_id=crypto.encrypt("priya@okhdfcbank"),
        account_number=crypto.encrypt("123456789012"),
    )
    me = as_owner.get("/api/v1/auth/me/").json()
    assert me["id"] == owner.pk and me["kyc_status"] == "verified"
    kyc = as_owner.get("/api/v1/me/kyc/").json()
    assert kyc["status"] == "verified"
    assert "123456789012" not in str(kyc) and kyc["account_number"].endswith("9012")
    assert "priya@okhdfcbank" not in str(kyc)


@pytest.mark.django_db
def test_notifications_list_and_mark_read(as_owner, owner):
    first, second = NotificationFactory(user=owner), NotificationFactory(user=owner)
    listed = as_owner.get("/api/v1/notifications/?is_read=false").json()["results"]
    assert {n["id"] for n in listed} == {first.pk, second.pk}
    assert as_owner.post(f"/api/v1/notifications/{first.pk}/read/").status_code == 204
    assert [n["id"] for n in as_owner.get("/api/v1/notifications/?is_read=false").json()["results"]] == [second.pk]
    assert as_owner.post("/api/v1/notifications/read-all/").json() == {"marked": 1}


@pytest.mark.django_db
def test_cashback_comes_with_its_timeline(as_owner, owner):
    CashbackEventFactory(user=owner, status="pending")
    row = as_owner.get("/api/v1/wallet/cashback/").json()["results"][0]
    assert row["status"] == "pending" and row["cashback_amount"] == "112.45" and row["expected_on"]
    assert [(s["label"], s["reached"]) for s in row["timeline"]] == [
        ("Tracked", True),
        ("Confirmed", False),
        ("Credited to wallet", False),
    ]


@pytest.mark.django_db
def test_a_withdrawal_with_an_idempotency_key_is_made_once(as_owner, owner):
    UserKYCFactory(user=owner, status="verified", upi_id=crypto.encrypt("priya@okhdfcbank"))
    wallet_services.wallet_post(user_id=owner.pk, amount=Decimal("1000"), type=WalletTransaction.Type.ADMIN_CREDIT)
    body = {"amount": "300", "method": "upi", "details": {"vpa": "priya@okhdfcbank"}}
    first = as_owner.post("/api/v1/wallet/withdrawals/", body, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    again = as_owner.post("/api/v1/wallet/withdrawals/", body, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert Withdrawal.objects.filter(user=owner).count() == 1
    assert [w["uuid"] for w in as_owner.get("/api/v1/wallet/withdrawals/").json()["results"]] == [first.json()["uuid"]]


@pytest.mark.django_db
def test_referrals_overview(as_owner, owner):
    body = as_owner.get("/api/v1/referrals/").json()
    assert body["code"] == owner.referral_code and body["share_link"].endswith(f"?ref={owner.referral_code}")
    assert body["friends"] == [] and body["joined"] == 0


@pytest.mark.django_db
def test_support_tickets_open_read_and_reply(as_owner, owner):
    opened = as_owner.post(
        "/api/v1/support/tickets/",
        {"subject": "Where is my card?", "category": "gift_card_order", "body": "Ordered yesterday."},
        format="json",
    )
    assert opened.status_code == 201
    ticket_id = opened.json()["id"]
    assert [m["body"] for m in opened.json()["messages"]] == ["Ordered yesterday."]
    reply = as_owner.post(f"/api/v1/support/tickets/{ticket_id}/replies/", {"body": "Any news?"}, format="json")
    assert reply.status_code == 201 and reply.json()["from_staff"] is False
    thread = as_owner.get(f"/api/v1/support/tickets/{ticket_id}/").json()["messages"]
    assert [m["body"] for m in thread] == ["Ordered yesterday.", "Any news?"]
    refused = as_owner.post(
        "/api/v1/support/tickets/", {"subject": "x", "category": "missing_cashback", "body": "y"}, format="json"
    )
    assert refused.status_code == 400 and "category" in refused.json()["error"]["fields"]


@pytest.mark.django_db
def test_an_order_is_placed_paid_listed_and_its_vouchers_revealed(as_owner, owner, catalogue):
    variant = catalogue["variant"]
    body = {"lines": [{"variant_id": variant.pk, "quantity": 2}], "email": "buyer@example.in"}
    placed = as_owner.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="o-1")
    assert placed.status_code == 201, placed.content
    number = placed.json()["order"]["order_number"]
    assert placed.json()["amount_due"] == "970.00" and placed.json()["order"]["items"][0]["quantity"] == 2
    again = as_owner.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="o-1")
    assert again.json() == placed.json() and Order.objects.filter(user=owner).count() == 1
    pay = as_owner.post(f"/api/v1/orders/{number}/pay/").json()
    assert pay["amount_paise"] == 97000 and pay["gateway_order_id"]
    assert [o["order_number"] for o in as_owner.get("/api/v1/orders/").json()["results"]] == [number]
    # a delivered voucher: masked in the order, plain only through the reveal
    order = Order.objects.get(order_number=number)
    item = order.items.get()
    item.voucher_codes = [{"code": crypto.encrypt("GIFT-1234-5678"), "pin": None, "status": "active"}]
    item.save()
    detail = as_owner.get(f"/api/v1/orders/{number}/").json()
    assert len(detail["vouchers"]) == 1 and "GIFT-1234-5678" not in str(detail)
    sold_out = as_owner.post("/api/v1/orders/", {"lines": [{"variant_id": 999999, "quantity": 1}]}, format="json")
    assert sold_out.status_code == 400 and sold_out.json()["error"]["code"] == "checkout_refused"


@pytest.mark.django_db
def test_the_profile_is_changed_with_the_profile_pages_rules(as_owner, owner):
    changed = as_owner.patch("/api/v1/auth/me/", {"full_name": "Priya Sharma"}, format="json")
    assert changed.status_code == 200 and changed.json()["full_name"] == "Priya Sharma"
    too_young = as_owner.patch("/api/v1/auth/me/", {"date_of_birth": "2025-01-01"}, format="json")
    assert too_young.status_code == 400
    assert too_young.json()["error"]["fields"] == {
        "date_of_birth": ["You need to be at least 13 years old to use CouponAli."]
    }
    owner.refresh_from_db()
    assert owner.full_name == "Priya Sharma" and owner.date_of_birth is None

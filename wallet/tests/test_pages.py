"""The shopper's wallet pages, the claim of a missing cashback, and the staff screens in the admin."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.authz import SYSTEM
from accounts.factories import UserFactory
from cms.models import SupportTicket, SupportTicketAttachment
from cms.testing import pdf_bytes
from referrals.factories import ReferralFactory
from wallet import services
from wallet.models import CashbackEvent, WalletTransaction, Withdrawal
from wallet.networks import NETWORKS, conversion_parse

from .conftest import make_click

T = WalletTransaction.Type


def record(click, txn, status="pending", sale="1000"):
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
def test_pages_need_sign_in(client):
    for name in (
        "wallet:home",
        "wallet:statement",
        "wallet:statement_csv",
        "wallet:withdraw",
        "wallet:clicks",
        "referrals:home",
        "cms:tickets",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_wallet_page_shows_balances_and_each_cashback_with_store_click_time_timeline_and_expected_date(
    client, shopper, store, django_assert_max_num_queries
):
    for n in range(6):
        click = make_click(user=shopper, merchant=store)
        record(click, f"T{n}", status="validated" if n % 2 else "pending")
    client.force_login(shopper)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("wallet:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Available balance" in html and "₹180" in html  # three confirmed × 6% of 1000
    assert "Pending cashback" in html and "Lifetime earnings" in html
    assert html.count("Myntra") >= 6
    pending = CashbackEvent.objects.filter(status="pending").first()
    expected = timezone.localtime(pending.created_at + timezone.timedelta(days=store.validation_days))
    assert expected.strftime("%-d %b %Y") in html
    assert "Credited to wallet" in html and "Tracked" in html
    # the nav links to the wallet and referrals pages
    assert 'href="/wallet/"' in html and 'href="/referrals/"' in html


@pytest.mark.django_db
def test_a_shopper_sees_only_their_own_wallet(client, shopper, store):
    other = UserFactory()
    services.wallet_post(user_id=other.pk, amount=Decimal("777.77"), type=T.ADMIN_CREDIT, description="Other's money")
    client.force_login(shopper)
    assert "777.77" not in client.get(reverse("wallet:home")).content.decode()
    assert "Other&#x27;s money" not in client.get(reverse("wallet:statement")).content.decode()


@pytest.mark.django_db
def test_statement_filters_and_csv_download(client, shopper, django_assert_max_num_queries):
    services.wallet_post(user_id=shopper.pk, amount=Decimal("500"), type=T.ADMIN_CREDIT, description="Goodwill")
    services.wallet_post(user_id=shopper.pk, amount=Decimal("-120"), type=T.ADMIN_DEBIT, description="Correction")
    client.force_login(shopper)
    with django_assert_max_num_queries(10):
        html = client.get(reverse("wallet:statement")).content.decode()
    assert "Goodwill" in html and "Correction" in html
    credits = client.get(reverse("wallet:statement"), {"type": "credit"}).content.decode()
    assert "Goodwill" in credits and "Correction" not in credits
    future = client.get(reverse("wallet:statement"), {"date_from": "2999-01-01"}).content.decode()
    assert "Goodwill" not in future and "Nothing here yet" in future
    bad = client.get(reverse("wallet:statement"), {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "must be on or before" in bad.content.decode()
    response = client.get(reverse("wallet:statement_csv"), {"type": "debit"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["date", "type", "description", "amount", "balance_after", "reference"]
    assert [r[2:5] for r in rows[1:]] == [["Correction", "-₹120", "₹380"]]


@pytest.mark.django_db
def test_withdraw_form_debits_once_even_when_submitted_twice(client, shopper):
    services.wallet_post(user_id=shopper.pk, amount=Decimal("1000"), type=T.ADMIN_CREDIT)
    client.force_login(shopper)
    page = client.get(reverse("wallet:withdraw"))
    key = page.context["form"]["idempotency_key"].value()
    data = {"amount": "400", "method": "upi", "vpa": "priya@okaxis", "idempotency_key": key}
    first = client.post(reverse("wallet:withdraw"), data)
    second = client.post(reverse("wallet:withdraw"), data)  # a double click
    assert first.status_code == second.status_code == 302 and second["Location"] == first["Location"]
    assert Withdrawal.objects.count() == 1
    assert "₹600" in client.get(reverse("wallet:home")).content.decode()


@pytest.mark.django_db
def test_withdraw_form_shows_refusals_and_a_corrected_form_goes_through(client, shopper):
    services.wallet_post(user_id=shopper.pk, amount=Decimal("300"), type=T.ADMIN_CREDIT)
    client.force_login(shopper)
    key = str(uuid.uuid4())
    response = client.post(
        reverse("wallet:withdraw"), {"amount": "100", "method": "upi", "vpa": "asha@okaxis", "idempotency_key": key}
    )
    assert response.status_code == 400 and "minimum withdrawal is ₹250" in response.content.decode()
    new_key = response.context["form"]["idempotency_key"].value()
    assert new_key != key
    ok = client.post(
        reverse("wallet:withdraw"), {"amount": "250", "method": "upi", "vpa": "asha@okaxis", "idempotency_key": new_key}
    )
    assert ok.status_code == 302 and Withdrawal.objects.count() == 1


@pytest.mark.django_db
def test_missing_cashback_claim_from_the_click_history(client, shopper, store, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tracked = make_click(user=shopper, merchant=store)
    record(tracked, "T1")
    missing = make_click(user=shopper, merchant=store)
    client.force_login(shopper)
    clicks_page = client.get(reverse("wallet:clicks")).content.decode()
    claim_url = reverse("cms:claim", args=[missing.click_id])
    assert claim_url in clicks_page and reverse("cms:claim", args=[tracked.click_id]) not in clicks_page
    invoice = SimpleUploadedFile("invoice.pdf", pdf_bytes(), content_type="application/pdf")
    response = client.post(
        claim_url,
        {
            "order_reference": "MYN-123",
            "order_amount": "2499",
            "order_date": timezone.localdate().isoformat(),
            "files": invoice,
        },
    )
    ticket = SupportTicket.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("cms:ticket", args=[ticket.pk])
    assert (ticket.kind, ticket.click_id, ticket.merchant_id, ticket.order_reference) == (
        "missing_cashback",
        missing.click_id,
        store.pk,
        "MYN-123",
    )
    [attachment] = SupportTicketAttachment.objects.filter(message__ticket=ticket)
    assert ticket.order_amount == Decimal("2499.00") and attachment.original_name == "invoice.pdf"
    assert "Missing cashback: Myntra order MYN-123" in client.get(reverse("cms:tickets")).content.decode()
    # the same order again is refused; so are bad files and someone else's click
    again = client.post(
        claim_url,
        {"order_reference": "MYN-123", "order_amount": "2499", "order_date": timezone.localdate().isoformat()},
    )
    assert again.status_code == 400 and "already reported" in again.content.decode()
    exe = SimpleUploadedFile("invoice.exe", b"MZ", content_type="application/octet-stream")
    bad = client.post(
        claim_url,
        {
            "order_reference": "X",
            "order_amount": "1",
            "order_date": timezone.localdate().isoformat(),
            "files": exe,
        },
    )
    assert bad.status_code == 400 and "PDF, JPG or PNG" in bad.content.decode()
    strangers = make_click(user=UserFactory(), merchant=store)
    assert client.get(reverse("cms:claim", args=[strangers.click_id])).status_code == 404
    assert SupportTicket.objects.count() == 1


@pytest.mark.django_db
def test_referrals_page_shows_code_share_link_friends_and_earnings(client, shopper, settings):
    settings.SITE_URL = "https://couponali.in"
    ReferralFactory(
        referrer_user=shopper,
        referred_user=UserFactory(full_name="Rahul Kumar Verma"),
        total_earned=Decimal("62.50"),
        status="active",
    )
    client.force_login(shopper)
    html = client.get(reverse("referrals:home")).content.decode()
    assert shopper.referral_code in html
    assert f"https://couponali.in/accounts/signup/?ref={shopper.referral_code}" in html
    assert "Rahul V." in html and "Rahul Kumar Verma" not in html
    assert "₹62.50" in html


# ---------------------------------------------------------------- staff in the admin


@pytest.mark.django_db
def test_staff_record_and_confirm_a_conversion_in_the_admin(client, shopper, finance, store):
    finance.is_superuser = True
    finance.save()
    click = make_click(user=shopper, merchant=store)
    client.force_login(finance)
    response = client.post(
        reverse("admin:wallet_cashbackevent_record"),
        {
            "network": "manual",
            "click_id": str(click.click_id),
            "transaction_id": "ORD-55",
            "sale_amount": "2000",
            "commission": "",
            "status": "pending",
        },
    )
    event = CashbackEvent.objects.get()
    assert response.status_code == 302 and event.status == "pending" and event.cashback_amount == Decimal("120.00")
    changelist = reverse("admin:wallet_cashbackevent_changelist")
    client.post(changelist, {"action": "confirm_selected", "_selected_action": [event.pk], "confirmed": "yes"})
    event.refresh_from_db()
    assert event.status == "paid"
    assert WalletTransaction.objects.get(user=shopper).amount == Decimal("120.00")
    # reversing asks for a reason first
    page = client.post(changelist, {"action": "reverse_selected", "_selected_action": [event.pk]})
    assert page.status_code == 200 and "reason" in page.content.decode()
    client.post(
        changelist,
        {"action": "reverse_selected", "_selected_action": [event.pk], "confirmed": "yes", "reason": "Order returned"},
    )
    event.refresh_from_db()
    assert event.status == "reversed" and event.rejected_reason == "Order returned"


@pytest.mark.django_db
def test_finance_approves_and_rejects_withdrawals_in_the_admin(client, shopper, finance):
    finance.is_superuser = True
    finance.save()
    services.wallet_post(user_id=shopper.pk, amount=Decimal("2000"), type=T.ADMIN_CREDIT)
    a = services.withdrawal_request(
        user_id=shopper.pk, amount=Decimal("500"), method="upi", details={"vpa": "asha@okaxis"}
    )
    b = services.withdrawal_request(
        user_id=shopper.pk, amount=Decimal("700"), method="upi", details={"vpa": "asha@okaxis"}
    )
    client.force_login(finance)
    changelist = reverse("admin:wallet_withdrawal_changelist")
    client.post(changelist, {"action": "approve_selected", "_selected_action": [a.pk], "confirmed": "yes"})
    client.post(
        changelist,
        {
            "action": "reject_selected",
            "_selected_action": [b.pk],
            "confirmed": "yes",
            "reason": "UPI id does not match the KYC name",
        },
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == "approved" and b.status == "rejected"
    assert b.rejection_reason == "UPI id does not match the KYC name"
    # staff outside finance (even a superuser) are refused, nothing changes
    outsider = UserFactory(is_staff=True, is_superuser=True)
    c = services.withdrawal_request(
        user_id=shopper.pk, amount=Decimal("300"), method="upi", details={"vpa": "asha@okaxis"}
    )
    client.force_login(outsider)
    response = client.post(changelist, {"action": "approve_selected", "_selected_action": [c.pk], "confirmed": "yes"})
    assert response.status_code == 403
    c.refresh_from_db()
    assert c.status == "pending"


@pytest.mark.django_db
def test_finance_posts_a_manual_adjustment_with_a_reason(client, shopper, finance):
    finance.is_superuser = True
    finance.save()
    client.force_login(finance)
    url = reverse("admin:wallet_wallettransaction_adjust")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"user_id": shopper.pk, "amount": "75.50", "reason": "Goodwill for late payout", "confirmed": "yes"}
    )
    assert response.status_code == 302
    posting = WalletTransaction.objects.get(user=shopper)
    assert (posting.type, posting.amount, posting.admin_notes) == (
        T.ADMIN_CREDIT,
        Decimal("75.50"),
        "Goodwill for late payout",
    )
    refused = client.post(url, {"user_id": shopper.pk, "amount": "-500", "reason": "too much", "confirmed": "yes"})
    assert "available balance" in refused.content.decode()
    assert WalletTransaction.objects.filter(user=shopper).count() == 1

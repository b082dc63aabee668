"""The support desk: threads, private attachments, routing, the status flow, agents' queues, claims."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from accounts.factories import DepartmentFactory, UserDepartmentFactory, UserFactory, grant_permissions
from accounts.models import Notification
from catalog.factories import MerchantFactory
from cms import services
from cms.models import CannedAnswer, SupportTicket, SupportTicketAttachment, SupportTicketMessage
from cms.testing import pdf_bytes, png_bytes
from couponali import rls
from couponali.models import AuditLog
from offers.factories import OfferClickFactory, OfferFactory
from wallet.models import CashbackEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_root(monkeypatch, tmp_path):
    # the field's storage is built when the model is imported: give it one rooted in a fresh directory (a
    # FieldFile takes its storage from the field when the row is loaded or created)
    field = SupportTicketAttachment._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=str(tmp_path), base_url=None))
    return tmp_path


@pytest.fixture(autouse=True)
def _rls_for_direct_service_calls(db):
    # support_tickets has forced row-level security; requests set their own scope inside this one
    with rls.bypass(reason="test"):
        yield


@pytest.fixture
def departments():
    return {
        "support": DepartmentFactory(slug="support", name="Customer support"),
        "finance": DepartmentFactory(slug="finance", name="Finance"),
    }


AGENT_PERMISSIONS = (
    "cms.view_supportticket",
    "cms.change_supportticket",
    "cms.answer_supportticket",
    "wallet.record_cashbackevent",
)


def agent_of(department, *, permissions=AGENT_PERMISSIONS, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    UserDepartmentFactory(user=user, department=department)
    return grant_permissions(user, *permissions)


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def open_claim(user, *, files=(), merchant=None):
    click = OfferClickFactory(
        offer=OfferFactory(merchant=merchant or MerchantFactory(name="Myntra")),
        user=user,
        click_id=uuid.uuid4(),
    )
    click.merchant = click.offer.merchant
    return services.missing_cashback_claim_create(
        user_id=user.pk,
        click_id=click.click_id,
        order_reference="MYN-881",
        order_amount=Decimal("2499.00"),
        order_date=timezone.localdate(),
        files=list(files),
    )


def test_attachment_is_404_to_another_shopper_and_403_to_another_department(client, departments, private_root):
    owner = UserFactory()
    ticket = open_claim(owner, files=[upload("invoice.pdf", pdf_bytes(), "application/pdf")])
    attachment = SupportTicketAttachment.objects.get(message__ticket=ticket)
    url = f"/support/attachments/{attachment.pk}/"
    # stored outside the web root, under a random name
    assert Path(attachment.file.path).is_relative_to(private_root) and "invoice" not in attachment.file.name

    client.force_login(owner)
    r = client.get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF-")
    assert r["Content-Security-Policy"] == "default-src 'none'; sandbox" and r["X-Content-Type-Options"] == "nosniff"

    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(agent_of(departments["finance"]))
    assert client.get(url).status_code == 403
    support_agent = agent_of(departments["support"])
    client.force_login(support_agent)
    assert client.get(url).status_code == 200
    assert AuditLog.objects.filter(action="support.attachment_viewed", actor_user=support_agent).count() == 1
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("invoice.pdf", b"MZ\x90\x00 this is a program", "is not a PDF, JPG or PNG file"),
        ("invoice.txt", b"plain text", "is not a PDF, JPG or PNG file"),
        ("invoice.pdf", pdf_bytes(javascript="app.alert('hi')"), "PDF with JavaScript"),
        ("invoice.pdf", b"%PDF-1.7\n garbage without objects", "not a readable PDF"),
        ("invoice.png", pdf_bytes(), "extension does not match"),
        ("invoice.pdf", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "larger than 5 MB"),
    ],
)
def test_a_bad_upload_gets_a_clear_error_and_nothing_is_stored(client, departments, private_root, name, data, message):
    shopper = UserFactory()
    click = OfferClickFactory(offer=OfferFactory(), user=shopper, click_id=uuid.uuid4())
    client.force_login(shopper)
    r = client.post(
        f"/support/missing-cashback/{click.click_id}/",
        {
            "order_reference": "ORD-1",
            "order_amount": "999",
            "order_date": timezone.localdate().isoformat(),
            "files": upload(name, data),
        },
    )
    assert r.status_code == 400 and message in r.content.decode()
    assert not SupportTicket.objects.exists() and not SupportTicketMessage.objects.exists()
    assert stored_files(private_root) == []


def test_a_pdf_with_script_hidden_behind_escaped_names_is_refused():
    hidden = pdf_bytes(javascript="app.alert(1)").replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS", b"/J#53")
    assert b"/JavaScript" not in hidden
    with pytest.raises(services.AttachmentRefused, match="JavaScript"):
        services.ticket_open(
            user_id=UserFactory().pk, subject="x", category="other", body="x", files=[upload("a.pdf", hidden)]
        )


def test_routing_queues_status_flow_internal_notes_and_notifications(
    client, departments, django_capture_on_commit_callbacks
):
    shopper = UserFactory(full_name="Priya Sharma", email="priya@example.in")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_open(
            user_id=shopper.pk,
            subject="Withdrawal not received",
            category="withdrawal",
            body="My UPI withdrawal did not arrive.",
            files=[upload("screen.png", png_bytes())],
        )
    assert ticket.department == departments["finance"] and ticket.status == "open" and ticket.waiting_since
    support, finance = agent_of(departments["support"]), agent_of(departments["finance"])

    # queues: only the department's tickets; the other department's agent gets 403 everywhere
    client.force_login(support)
    assert "Withdrawal not received" not in client.get("/admin/cms/supportticket/").content.decode()
    assert client.get(f"/admin/cms/supportticket/{ticket.pk}/change/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.ticket_reply_by_agent(actor=support, ticket_id=ticket.pk, body="hi")
    client.force_login(finance)
    assert "Withdrawal not received" in client.get("/admin/cms/supportticket/").content.decode()

    # an internal note: no status change, no notification, never on the shopper's page
    before = Notification.objects.filter(user=shopper).count()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            f"/admin/cms/supportticket/{ticket.pk}/reply/", {"body": "Bank says UTR pending", "internal": "on"}
        )
    assert r.status_code == 302
    assert Notification.objects.filter(user=shopper).count() == before and not mail.outbox
    # a reply with a canned answer: assigned, awaiting the customer, notified in the app and by e-mail
    canned = CannedAnswer.objects.create(title="Checking", body="Hi {name}, we are checking with the bank.")
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            f"/admin/cms/supportticket/{ticket.pk}/reply/", {"canned": canned.pk, "body": "Expect it by Friday."}
        )
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "awaiting_customer" and ticket.assigned_to == finance and ticket.waiting_since is None
    assert Notification.objects.filter(user=shopper, title=f"Reply to your ticket #{ticket.pk}").exists()
    [email] = mail.outbox
    assert email.to == ["priya@example.in"] and "Hi Priya, we are checking with the bank." in email.body
    assert f"/support/tickets/{ticket.pk}/" in email.body

    client.force_login(shopper)
    page = client.get(f"/support/tickets/{ticket.pk}/").content.decode()
    assert "Expect it by Friday." in page and "UTR pending" not in page and "Awaiting customer" in page
    # the shopper answers: open again, the SLA clock runs
    r = client.post(f"/support/tickets/{ticket.pk}/", {"body": "Still nothing."})
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.waiting_since is not None

    # open → resolved → closed; a closed ticket takes no more messages; no way back
    services.ticket_set_status(actor=finance, ticket_id=ticket.pk, status="resolved")
    services.ticket_set_status(actor=finance, ticket_id=ticket.pk, status="closed")
    with pytest.raises(services.IllegalTicketTransition, match="closed; it cannot become open"):
        services.ticket_set_status(actor=finance, ticket_id=ticket.pk, status="open")
    r = client.post(f"/support/tickets/{ticket.pk}/", {"body": "Hello?"})
    assert r.status_code == 400 and "closed" in r.content.decode()
    assert AuditLog.objects.filter(action="support.status_changed", entity_id=ticket.pk).count() == 2

    # another shopper cannot see the ticket at all
    client.force_login(UserFactory())
    assert client.get(f"/support/tickets/{ticket.pk}/").status_code == 404


def test_agent_approves_a_claim_through_the_wallet_and_the_shopper_sees_it(client, departments):
    shopper = UserFactory()
    ticket = open_claim(shopper)
    agent = agent_of(departments["support"])
    client.force_login(agent)
    desk = client.get(f"/admin/cms/supportticket/{ticket.pk}/change/").content.decode()
    assert str(ticket.click_id) in desk and "Store tracking" in desk and "no conversion reported" in desk
    r = client.post(f"/admin/cms/supportticket/{ticket.pk}/approve/", {"sale_amount": "2499.00"})
    assert r.status_code == 302
    event = CashbackEvent.objects.get(click_id=ticket.click_id)
    assert event.status == "pending" and event.user == shopper and event.cashback_amount > 0
    ticket.refresh_from_db()
    assert ticket.cashback_event_id == event.pk and ticket.status == "resolved"
    assert AuditLog.objects.filter(action="cashback.tracked", actor_user=agent, entity_id=event.pk).exists()
    # a second settlement is refused
    again = client.post(f"/admin/cms/supportticket/{ticket.pk}/approve/", {"sale_amount": "2499.00"})
    assert again.status_code == 400 and "already settled" in again.content.decode()
    client.force_login(shopper)
    assert f"₹{event.cashback_amount} cashback" in client.get(f"/support/tickets/{ticket.pk}/").content.decode()


def test_agent_rejects_a_claim_with_a_reason_the_shopper_sees(client, departments):
    shopper = UserFactory()
    ticket = open_claim(shopper)
    agent = agent_of(departments["support"])
    client.force_login(agent)
    empty = client.post(f"/admin/cms/supportticket/{ticket.pk}/reject/", {"reason": " "})
    assert empty.status_code == 400
    r = client.post(
        f"/admin/cms/supportticket/{ticket.pk}/reject/", {"reason": "The order used a coupon from elsewhere."}
    )
    assert r.status_code == 302
    assert not CashbackEvent.objects.exists()
    client.force_login(shopper)
    assert "a coupon from elsewhere" in client.get(f"/support/tickets/{ticket.pk}/").content.decode()


def test_a_department_member_without_the_answer_permission_reads_but_cannot_act(client, departments):
    """cms.answer_supportticket: seeing a ticket of one's queue is not enough to reply, assign, change its status
    or priority, or settle a claim; the services refuse (403) whoever calls them, and nothing changes."""
    shopper = UserFactory()
    ticket = open_claim(shopper)
    reader = agent_of(departments["support"], permissions=[p for p in AGENT_PERMISSIONS if "answer" not in p])
    messages_before = SupportTicketMessage.objects.filter(ticket=ticket).count()

    client.force_login(reader)
    desk = client.get(f"/admin/cms/supportticket/{ticket.pk}/change/")
    page = desk.content.decode()
    assert desk.status_code == 200 and ticket.subject in page and 'id="read-only-note"' in page
    for action in ("/reply/", "/update/", "/approve/", "/reject/"):
        assert action not in page
    changelist = client.get("/admin/cms/supportticket/").content.decode()
    assert ticket.subject in changelist and "assign_to_me" not in changelist and "mark_closed" not in changelist

    # forged posts: every one 403, nothing written
    forged = {
        "reply/": {"body": "hello"},
        "update/": {"assign": "1", "priority": "high", "status": "resolved"},
        "approve/": {"sale_amount": "2499.00"},
        "reject/": {"reason": "Not eligible."},
    }
    for suffix, data in forged.items():
        assert client.post(f"/admin/cms/supportticket/{ticket.pk}/{suffix}", data).status_code == 403, suffix
    r = client.post("/admin/cms/supportticket/", {"action": "mark_closed", "_selected_action": [ticket.pk]})
    assert r.status_code == 200  # the admin answers "no action selected": the action is not offered
    for call in (
        lambda: services.ticket_reply_by_agent(actor=reader, ticket_id=ticket.pk, body="hi", internal=True),
        lambda: services.ticket_assign_to_self(actor=reader, ticket_id=ticket.pk),
        lambda: services.ticket_set_status(actor=reader, ticket_id=ticket.pk, status="closed"),
        lambda: services.ticket_set_priority(actor=reader, ticket_id=ticket.pk, priority="high"),
        lambda: services.claim_reject(actor=reader, ticket_id=ticket.pk, reason="No."),
    ):
        with pytest.raises(PermissionDenied):
            call()

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assigned_to_id) == ("open", "normal", None)
    assert ticket.cashback_event_id is None and not ticket.claim_rejected_reason
    assert SupportTicketMessage.objects.filter(ticket=ticket).count() == messages_before
    assert not AuditLog.objects.filter(actor_user=reader, action__startswith="support.").exists()

    # with the permission the same member answers
    grant_permissions(reader, "cms.answer_supportticket")
    reader = type(reader).objects.get(pk=reader.pk)  # a fresh object: the permission cache is per object
    services.ticket_set_priority(actor=reader, ticket_id=ticket.pk, priority="high")
    ticket.refresh_from_db()
    assert ticket.priority == "high"


def test_the_store_filter_of_the_ticket_list_has_an_index():
    """support_tickets.merchant_id is indexed (partial: most tickets name no store), so the admin's store filter
    and the SET NULL of a removed store do not scan every ticket; the planner picks it when it can."""
    store = MerchantFactory()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        plan = SupportTicket.objects.filter(merchant_id=store.pk).explain()
    assert "idx_support_tickets_merchant" in plan

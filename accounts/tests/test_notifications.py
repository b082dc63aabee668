"""In-app notifications: the notify() service, e-mail/SMS copies through Celery, unread count, mark read."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from accounts import services
from accounts.factories import NotificationFactory, UserFactory
from accounts.models import Notification
from accounts.tasks import deliver_notification


@pytest.fixture
def shopper(db, client):
    user = UserFactory(email="priya@example.in", mobile="9876543210", email_verified_at=timezone.now())
    client.force_login(user)
    return user


@pytest.mark.django_db
def test_notify_keeps_its_simple_signature_and_returns_the_row(shopper):
    note = services.notify(user_id=shopper.pk, title="Cashback confirmed", body="₹45.00 from Myntra is in.")
    assert Notification.objects.get(pk=note.pk).title == "Cashback confirmed"
    assert mail.outbox == []


@pytest.mark.django_db
def test_email_and_sms_copies_go_out_after_commit_once(shopper, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        note = services.notify(
            user_id=shopper.pk,
            title="Withdrawal paid",
            body="₹250 sent to your UPI.",
            url="/accounts/kyc/",
            email=True,
            sms=True,
        )
    # nothing is sent before the transaction commits
    assert mail.outbox == [] and sms_outbox == [] and len(callbacks) == 2  # the copies, the unread-count cache
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [["priya@example.in"]] and "/accounts/kyc/" in mail.outbox[0].body
    assert [m.to for m in sms_outbox] == ["9876543210"]
    note.refresh_from_db()
    assert note.emailed_at and note.sms_sent_at
    # the task delivered again (acks_late redelivery) sends nothing twice
    deliver_notification.delay(note.pk, ["email", "sms"])
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1


@pytest.mark.django_db
def test_header_shows_the_unread_count_and_marking_read_lowers_it(client, shopper, django_capture_on_commit_callbacks):
    notes = [NotificationFactory(user=shopper, title=f"Note {i}") for i in range(3)]
    NotificationFactory()  # someone else's
    html = client.get("/accounts/notifications/").content.decode()
    assert "data-unread>3</span>" in html and "Note 2" in html
    # the cached count is forgotten when the change commits (here: the test's transaction never commits)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/accounts/notifications/{notes[0].pk}/read/")
    assert "data-unread>2</span>" in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/notifications/read-all/")
    assert "data-unread" not in client.get("/").content.decode()
    assert not Notification.objects.filter(user=shopper, is_read=False).exists()


@pytest.mark.django_db
def test_opening_a_notification_marks_it_read_and_follows_its_link(client, shopper):
    note = NotificationFactory(user=shopper, url="/accounts/kyc/")
    response = client.post(f"/accounts/notifications/{note.pk}/read/", {"open": note.url})
    assert response["Location"] == "/accounts/kyc/"
    note.refresh_from_db()
    assert note.is_read
    # an outside link is not followed
    response = client.post(f"/accounts/notifications/{note.pk}/read/", {"open": "https://evil.example/"})
    assert response["Location"] == "/accounts/notifications/"


@pytest.mark.django_db
def test_someone_elses_notification_cannot_be_marked(client, shopper):
    other = NotificationFactory()
    client.post(f"/accounts/notifications/{other.pk}/read/")
    other.refresh_from_db()
    assert other.is_read is False


@pytest.mark.django_db
def test_header_costs_one_query_for_the_count(client, shopper, django_assert_max_num_queries):
    NotificationFactory(user=shopper)
    NotificationFactory(user=shopper)
    # the notifications page: user, session-row check, RLS scope (savepoint, set_config, release), the page
    # (count + rows) and the header's unread count, computed once however often the header asks
    with django_assert_max_num_queries(9) as captured:
        response = client.get("/accounts/notifications/")
    assert "data-unread>2</span>" in response.content.decode()
    unread_counts = [q for q in captured.captured_queries if 'NOT "notifications"."is_read"' in q["sql"]]
    assert len(unread_counts) == 1

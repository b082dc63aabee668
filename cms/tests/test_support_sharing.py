"""Sharing one ticket with a colleague of another department (django-guardian object grants): the queue, the
ticket page and the answer open to them; taking it back closes them again; only staff who work on tickets can be
given one, and only by staff who may change tickets. Through the admin, over HTTP."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.factories import UserFactory, grant_permissions, grant_role
from accounts.models import User, UserRole
from cms import selectors, services
from cms.models import SupportTicket, SupportTicketMessage
from couponali import rls
from couponali.models import AuditLog

pytestmark = pytest.mark.django_db

QUEUE = "/admin/cms/supportticket/"


def staff(role: str, department: str | None = None, **kwargs) -> User:
    departments = (department,) if department else ()
    return grant_role(UserFactory.create(is_staff=True, **kwargs), role, departments=departments)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ticket() -> SupportTicket:
    shopper = UserFactory.create(full_name="Priya Sharma")
    with rls.bypass(reason="test setup"):
        ticket = services.ticket_open(
            user_id=shopper.pk,
            subject="Refund credited to the wrong wallet",
            category="account",
            body="My refund went to an old account.",
        )
    assert ticket.department is not None and ticket.department.slug == "support"
    return ticket


def page(ticket) -> str:
    return f"{QUEUE}{ticket.pk}/change/"


def shares(ticket) -> set[int]:
    return set(selectors.ticket_grants(ticket_id=ticket.pk).values_list("user_id", flat=True))


def audit(action: str, ticket) -> list[tuple]:
    return list(AuditLog.objects.filter(action=action, entity_id=ticket.pk).values_list("actor_user_id", "metadata"))


def test_a_shared_ticket_opens_to_the_colleague_until_it_is_taken_back(ticket):
    support_agent = staff("support", "support", email="asha@couponali.in")
    finance_agent = staff("finance", "finance", email="farhan@couponali.in")
    agent, colleague = client_for(support_agent), client_for(finance_agent)

    # given: another department's ticket is neither in the finance agent's queue nor open to them
    assert ticket.subject not in colleague.get(QUEUE).content.decode()
    assert colleague.get(page(ticket)).status_code == 403
    assert colleague.post(f"{QUEUE}{ticket.pk}/reply/", {"body": "Looking"}).status_code == 403
    # the support agent's desk offers the finance agent in the "Share with" select
    desk = agent.get(page(ticket)).content.decode()
    assert "Shared with" in desk and "Nobody outside the department." in desk
    assert f'<option value="{finance_agent.pk}">farhan@couponali.in</option>' in desk

    # when: the support agent shares the ticket with them
    r = agent.post(f"{QUEUE}{ticket.pk}/share/", {"colleague": finance_agent.pk}, follow=True)

    # then: it is in their queue, they open it and answer it
    assert r.status_code == 200 and "Shared with farhan@couponali.in." in r.content.decode()
    assert shares(ticket) == {finance_agent.pk}
    assert audit("support.ticket_shared", ticket) == [(support_agent.pk, {"user_id": finance_agent.pk})]
    desk = agent.get(page(ticket)).content.decode()
    assert 'name="unshare"' in desk and f'<option value="{finance_agent.pk}">' not in desk
    assert ticket.subject in colleague.get(QUEUE).content.decode()
    assert colleague.get(page(ticket)).status_code == 200
    r = colleague.post(f"{QUEUE}{ticket.pk}/reply/", {"body": "The refund was sent to the old UPI id; re-sending."})
    assert r.status_code == 302
    reply = SupportTicketMessage.objects.get(ticket=ticket, author=finance_agent)
    assert reply.from_staff and not reply.is_internal
    with rls.bypass(reason="test check"):
        ticket.refresh_from_db()
    assert ticket.status == SupportTicket.Status.AWAITING_CUSTOMER and ticket.assigned_to_id == finance_agent.pk

    # sharing twice changes nothing and is not an error
    r = agent.post(f"{QUEUE}{ticket.pk}/share/", {"colleague": finance_agent.pk}, follow=True)
    assert r.status_code == 200 and "Nothing to do: already shared." in r.content.decode()
    assert shares(ticket) == {finance_agent.pk} and len(audit("support.ticket_shared", ticket)) == 1

    # when: the support agent takes it back
    r = agent.post(f"{QUEUE}{ticket.pk}/unshare/", {"colleague": finance_agent.pk}, follow=True)

    # then: the finance agent is back to 403 and an empty queue
    assert r.status_code == 200 and "No longer shared with farhan@couponali.in." in r.content.decode()
    assert shares(ticket) == set()
    assert audit("support.ticket_unshared", ticket) == [(support_agent.pk, {"user_id": finance_agent.pk})]
    assert ticket.subject not in colleague.get(QUEUE).content.decode()
    assert colleague.get(page(ticket)).status_code == 403
    assert colleague.post(f"{QUEUE}{ticket.pk}/reply/", {"body": "One more thing"}).status_code == 403
    assert colleague.post(f"{QUEUE}{ticket.pk}/update/", {"status": "resolved"}).status_code == 403


def test_a_share_no_longer_counts_once_the_colleague_loses_the_ticket_permission(ticket):
    support_agent = staff("support", "support")
    finance_agent = staff("finance", "finance")
    with rls.bypass(reason="test setup"):
        assert services.ticket_share(actor=support_agent, ticket_id=ticket.pk, colleague_id=finance_agent.pk)
        # the roles change (they no longer work on tickets): the grant alone opens nothing
        UserRole.objects.filter(user=finance_agent).delete()
        finance_agent = User.all_objects.get(pk=finance_agent.pk)
        assert not selectors.tickets_for_agent(user=finance_agent).exists()
        with pytest.raises(PermissionDenied):
            services.ticket_reply_by_agent(actor=finance_agent, ticket_id=ticket.pk, body="hi")
    assert client_for(finance_agent).get(page(ticket)).status_code == 403


@pytest.mark.parametrize("who", ["shopper", "content editor", "inactive finance agent", "support department member"])
def test_sharing_with_someone_who_may_not_work_on_it_is_refused_and_changes_nothing(ticket, who):
    support_agent = staff("support", "support")
    target = {
        "shopper": lambda: UserFactory.create(),
        "content editor": lambda: staff("content-editor", "content"),
        "inactive finance agent": lambda: staff("finance", "finance", is_active=False),
        "support department member": lambda: staff("support", "support"),
    }[who]()
    agent = client_for(support_agent)
    assert f'<option value="{target.pk}">' not in agent.get(page(ticket)).content.decode()

    r = agent.post(f"{QUEUE}{ticket.pk}/share/", {"colleague": target.pk}, follow=True)

    assert r.status_code == 200
    expected = (
        "already sees this ticket in their queue"
        if who == "support department member"
        else "A ticket can be shared only with active staff who work on support tickets."
    )
    assert expected in r.content.decode()
    assert shares(ticket) == set() and not audit("support.ticket_shared", ticket)


def test_without_the_change_permission_there_is_no_box_and_a_forged_post_is_403(ticket):
    viewer = grant_permissions(UserFactory.create(is_staff=True), "cms.view_supportticket")
    grant_role(viewer, departments=("support",))
    finance_agent = staff("finance", "finance")
    client = client_for(User.all_objects.get(pk=viewer.pk))
    desk = client.get(page(ticket))
    assert desk.status_code == 200 and "Shared with" not in desk.content.decode()

    assert client.post(f"{QUEUE}{ticket.pk}/share/", {"colleague": finance_agent.pk}).status_code == 403
    assert client.get(f"{QUEUE}{ticket.pk}/share/").status_code == 405
    assert shares(ticket) == set() and not audit("support.ticket_shared", ticket)

    # nor can they take back a share someone else made
    with rls.bypass(reason="test setup"):
        services.ticket_share(actor=staff("support", "support"), ticket_id=ticket.pk, colleague_id=finance_agent.pk)
    assert client.post(f"{QUEUE}{ticket.pk}/unshare/", {"colleague": finance_agent.pk}).status_code == 403
    assert shares(ticket) == {finance_agent.pk} and not audit("support.ticket_unshared", ticket)


def test_the_queue_stays_one_query_with_shared_tickets(ticket):
    finance_agent = staff("finance", "finance")
    colleague = client_for(finance_agent)
    colleague.get(QUEUE)  # what the process caches on the first request
    with CaptureQueriesContext(connection) as before:
        assert ticket.subject not in colleague.get(QUEUE).content.decode()
    with rls.bypass(reason="test setup"):
        services.ticket_share(actor=staff("support", "support"), ticket_id=ticket.pk, colleague_id=finance_agent.pk)
    with CaptureQueriesContext(connection) as after:
        assert ticket.subject in colleague.get(QUEUE).content.decode()
    assert len(after.captured_queries) == len(before.captured_queries)

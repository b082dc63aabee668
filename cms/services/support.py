"""Writes of the support desk: tickets and their threads, attachments, routing, assignment, the status flow, and
missing-cashback claims (created from a click; settled by an agent through the wallet service or rejected).

Staff actions check the acting user themselves (support_access_check): an active staff member of the ticket's
department, a colleague the ticket was shared with (ticket_share), or a superuser. Each state change writes its
audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts import authz
from accounts.authz import departments_of, holds_everything
from accounts.models import Department, User
from accounts.services import notify
from cms import selectors
from cms.attachments import CheckedFile, attachments_check
from cms.models import SupportTicket, SupportTicketAttachment, SupportTicketMessage
from couponali.audit import AuditAction, audit_log
from couponali.money import format_inr
from couponali.templatetags.money import dmy
from offers.models import OfferClick
from wallet import services as wallet_services
from wallet.models import CashbackEvent
from wallet.networks import PENDING, Conversion

TICKET_CHANGE = "cms.change_supportticket"  # sharing a ticket (a permission change) needs it, besides access
CLAIM_WINDOW_DAYS = 120  # clicks older than this cannot be claimed (the networks' own limit)
S = SupportTicket.Status

# The status flow, in one place: open → awaiting customer → resolved → closed. A shopper's message reopens an
# awaiting or resolved ticket; a closed ticket stays closed.
TICKET_TRANSITIONS: dict[str, set[str]] = {
    S.OPEN: {S.AWAITING_CUSTOMER, S.RESOLVED, S.CLOSED},
    S.AWAITING_CUSTOMER: {S.OPEN, S.RESOLVED, S.CLOSED},
    S.RESOLVED: {S.OPEN, S.CLOSED},
    S.CLOSED: set(),
}
# Routing: which department answers which category (departments table; seeded by cms migration 0005).
ROUTING: dict[str, str] = {
    SupportTicket.Category.MISSING_CASHBACK: "support",
    SupportTicket.Category.WITHDRAWAL: "finance",
    SupportTicket.Category.GIFT_CARD_ORDER: "support",
    SupportTicket.Category.ACCOUNT: "support",
    SupportTicket.Category.OTHER: "support",
}


class SupportError(Exception):
    """Refused; the message says why and nothing was changed."""

    http_status = 400  # the API's answer (couponali.api_errors)
    error_code = "refused"


class ClaimRefused(SupportError):
    """The claim cannot be opened or settled; the message says why."""


class IllegalTicketTransition(SupportError):
    pass


def ticket_url(ticket_id: int) -> str:
    return f"/support/tickets/{ticket_id}/"


# ---------------------------------------------------------------- access


def support_access_check(*, actor, ticket: SupportTicket) -> None:
    """May this staff member see and answer this ticket? Raises PermissionDenied (403) if not."""
    if actor is None or not actor.is_authenticated or not actor.is_active or not actor.is_staff:
        raise PermissionDenied("Only support staff can do this.")
    if holds_everything(actor):
        return
    department = ticket.department
    if department is not None and department.slug in departments_of(actor):
        return
    if selectors.ticket_shared_with(ticket_id=ticket.pk, user=actor):
        return
    raise PermissionDenied("This ticket belongs to another department's queue.")


def support_answer_check(*, actor, ticket: SupportTicket) -> None:
    """May this staff member work on this ticket (reply, add a note, assign, change its status or priority,
    settle a claim)? Access to the ticket (support_access_check) and the answer permission of their roles;
    raises PermissionDenied (403) if not. Reading a ticket needs only access."""
    support_access_check(actor=actor, ticket=ticket)
    authz.actor_require(actor, selectors.TICKET_ANSWER)


def _lock(ticket_id: int) -> SupportTicket:
    return SupportTicket.objects.select_for_update(of=("self",)).select_related("merchant", "user").get(pk=ticket_id)


def _transition(ticket: SupportTicket, target: str) -> None:
    """Every status change goes through here."""
    if target == ticket.status:
        return
    if target not in TICKET_TRANSITIONS[ticket.status]:
        raise IllegalTicketTransition(
            f"The ticket is {ticket.get_status_display().lower()}; it cannot become {S(target).label.lower()}."
        )
    ticket.status = target
    if target == S.RESOLVED:
        ticket.resolved_at = timezone.now()
    if target in (S.RESOLVED, S.CLOSED, S.AWAITING_CUSTOMER):
        ticket.waiting_since = None  # the SLA clock stops while the shopper has the ball


DEPARTMENT_NAMES = {"support": "Customer support", "finance": "Finance"}


def _department_for(category: str) -> Department:
    """The routing target; created if missing (cms migration 0004 seeds both, a flushed database has none)."""
    slug = ROUTING[category]
    department, _ = Department.objects.get_or_create(slug=slug, defaults={"name": DEPARTMENT_NAMES[slug]})
    return department


# ---------------------------------------------------------------- messages


_written = threading.local()


def _store_files(message: SupportTicketMessage, files: list[CheckedFile]) -> None:
    for f in files:
        ext = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[f.content_type]
        row = SupportTicketAttachment(
            message=message, original_name=f.name, content_type=f.content_type, size=len(f.data)
        )
        # A random stored name: the shopper's file name never becomes a path.
        row.file.save(f"{uuid.uuid4().hex}{ext}", ContentFile(f.data), save=False)
        getattr(_written, "files", []).append((row.file.storage, row.file.name))
        row.save()


class _FileGuard:
    """Removes the files written inside the block when the block fails, so a refused message stores nothing
    (the database rows roll back by themselves; files do not)."""

    def __enter__(self):
        self.outer = getattr(_written, "files", None)
        _written.files = []
        return self

    def __exit__(self, exc_type, exc, tb):
        written, _written.files = _written.files, self.outer
        if exc_type is not None:
            for storage, name in written:
                storage.delete(name)
        elif self.outer is not None:
            self.outer.extend(written)
        return False


def _add_message(
    *, ticket: SupportTicket, author_id: int, body: str, from_staff: bool, internal: bool, files: list[CheckedFile]
) -> SupportTicketMessage:
    message = SupportTicketMessage.objects.create(
        ticket=ticket, author_id=author_id, body=body, from_staff=from_staff, is_internal=internal
    )
    _store_files(message, files)
    return message


def _clean_body(body: str | None, *, files: list) -> str:
    body = (body or "").strip()
    if not body and not files:
        raise SupportError("Write a message.")
    if len(body) > 10000:
        raise SupportError("The message is longer than 10,000 characters.")
    return body


# ---------------------------------------------------------------- shopper


def ticket_open(*, user_id: int, subject: str, category: str, body: str, files=()) -> SupportTicket:
    """A shopper opens a ticket; it goes to the category's department."""
    checked = attachments_check(files)
    subject = (subject or "").strip()
    if not subject:
        raise SupportError("Enter a subject.")
    if category not in ROUTING or category == SupportTicket.Category.MISSING_CASHBACK:
        raise SupportError("Choose what your question is about (claim missing cashback from your store visits).")
    body = _clean_body(body, files=checked)
    with _FileGuard(), transaction.atomic():
        now = timezone.now()
        ticket = SupportTicket.objects.create(
            user_id=user_id,
            subject=subject[:255],
            category=category,
            department=_department_for(category),
            description=body,
            waiting_since=now,
        )
        _add_message(ticket=ticket, author_id=user_id, body=body, from_staff=False, internal=False, files=checked)
        audit_log(
            actor_id=user_id,
            action=AuditAction.SUPPORT_TICKET_OPENED,
            entity_type="support_ticket",
            entity_id=ticket.pk,
        )
        notify(
            user_id=user_id,
            title="Ticket received",
            body=f"We received your message: {subject}"[:500],
            url=ticket_url(ticket.pk),
        )
    return ticket


def missing_cashback_claim_create(
    *,
    user_id: int,
    click_id,
    order_reference: str,
    order_amount: Decimal,
    order_date: dt.date,
    description: str = "",
    attachment=None,
    files=(),
) -> SupportTicket:
    """Open a missing-cashback claim for one of the user's own clicks (the click gives the store)."""
    checked = attachments_check([*files, attachment] if attachment else files)
    click = (
        OfferClick.objects.filter(click_id=click_id, user_id=user_id)
        .select_related("offer__merchant")
        .order_by("created_at")
        .first()
    )
    if click is None:
        raise ClaimRefused("We could not find this store visit in your history.")
    now = timezone.now()
    if click.created_at < now - dt.timedelta(days=CLAIM_WINDOW_DAYS):
        raise ClaimRefused(f"Claims are possible for {CLAIM_WINDOW_DAYS} days after the store visit.")
    clicked_on = timezone.localtime(click.created_at).date()
    if order_date < clicked_on or order_date > timezone.localdate():
        raise ClaimRefused(f"The order date must be between your visit ({dmy(clicked_on)}) and today.")
    order_reference = (order_reference or "").strip()
    if not order_reference:
        raise ClaimRefused("Enter the store's order id.")
    if order_amount is None or order_amount <= 0:
        raise ClaimRefused("Enter the order amount.")
    merchant = click.merchant or click.offer.merchant
    category = SupportTicket.Category.MISSING_CASHBACK
    body = (description or "").strip() or f"My order {order_reference} of {format_inr(order_amount)} did not track."
    try:
        with _FileGuard(), transaction.atomic():
            ticket = SupportTicket.objects.create(
                user_id=user_id,
                kind=SupportTicket.Kind.MISSING_CASHBACK,
                category=category,
                department=_department_for(category),
                subject=f"Missing cashback: {merchant.name} order {order_reference}"[:255],
                description=description or "",
                click_id=click.click_id,
                merchant=merchant,
                order_reference=order_reference,
                order_amount=order_amount,
                order_date=order_date,
                waiting_since=now,
            )
            _add_message(ticket=ticket, author_id=user_id, body=body, from_staff=False, internal=False, files=checked)
            audit_log(
                actor_id=user_id,
                action=AuditAction.SUPPORT_MISSING_CASHBACK_CLAIM,
                entity_type="support_ticket",
                entity_id=ticket.pk,
                metadata={"click_id": str(click.click_id), "order": order_reference},
            )
            notify(
                user_id=user_id,
                title="Claim received",
                body=f"We received your missing-cashback claim for {merchant.name} order {order_reference}.",
                url=ticket_url(ticket.pk),
            )
    except IntegrityError:
        raise ClaimRefused("You have already reported this order; we are looking into it.") from None
    return ticket


def ticket_reply_by_customer(*, user_id: int, ticket_id: int, body: str, files=()) -> SupportTicketMessage:
    checked = attachments_check(files)
    body = _clean_body(body, files=checked)
    with _FileGuard(), transaction.atomic():
        ticket = _lock(ticket_id)
        if ticket.user_id != user_id:
            raise SupportTicket.DoesNotExist  # the same answer as for a ticket that does not exist
        if ticket.status == S.CLOSED:
            raise SupportError("This ticket is closed; open a new one if you need more help.")
        _transition(ticket, S.OPEN)
        ticket.waiting_since = ticket.waiting_since or timezone.now()
        ticket.save(update_fields=["status", "waiting_since", "updated_at"])
        message = _add_message(
            ticket=ticket, author_id=user_id, body=body, from_staff=False, internal=False, files=checked
        )
        audit_log(
            actor_id=user_id,
            action=AuditAction.SUPPORT_CUSTOMER_REPLIED,
            entity_type="support_ticket",
            entity_id=ticket.pk,
        )
    return message


# ---------------------------------------------------------------- agents


def _tell_customer(ticket: SupportTicket, text: str) -> None:
    notify(
        user_id=ticket.user_id,
        title=f"Reply to your ticket #{ticket.pk}",
        body=text[:500],
        url=ticket_url(ticket.pk),
        email=True,
    )


def ticket_reply_by_agent(
    *, actor, ticket_id: int, body: str, internal: bool = False, files=()
) -> SupportTicketMessage:
    """A public reply (the shopper is notified in the app and by e-mail, the ticket awaits them) or an internal
    note (staff only, no notification, no status change)."""
    checked = attachments_check(files)
    body = _clean_body(body, files=checked)
    with _FileGuard(), transaction.atomic():
        ticket = _lock(ticket_id)
        support_answer_check(actor=actor, ticket=ticket)
        if ticket.status == S.CLOSED:
            raise SupportError("This ticket is closed.")
        message = _add_message(
            ticket=ticket, author_id=actor.pk, body=body, from_staff=True, internal=internal, files=checked
        )
        if not internal:
            if ticket.status == S.OPEN:
                _transition(ticket, S.AWAITING_CUSTOMER)
            if ticket.assigned_to_id is None:
                ticket.assigned_to_id = actor.pk
            ticket.save(update_fields=["status", "waiting_since", "assigned_to", "updated_at"])
            _tell_customer(ticket, body)
        audit_log(
            actor_id=actor.pk,
            action=AuditAction.SUPPORT_INTERNAL_NOTE if internal else AuditAction.SUPPORT_AGENT_REPLIED,
            entity_type="support_ticket",
            entity_id=ticket.pk,
        )
    return message


def ticket_assign_to_self(*, actor, ticket_id: int) -> SupportTicket:
    with transaction.atomic():
        ticket = _lock(ticket_id)
        support_answer_check(actor=actor, ticket=ticket)
        previous = ticket.assigned_to_id
        ticket.assigned_to_id = actor.pk
        ticket.save(update_fields=["assigned_to", "updated_at"])
        audit_log(
            actor_id=actor.pk,
            action=AuditAction.SUPPORT_ASSIGNED,
            entity_type="support_ticket",
            entity_id=ticket.pk,
            metadata={"from": previous, "to": actor.pk},
        )
    return ticket


def ticket_set_status(*, actor, ticket_id: int, status: str) -> SupportTicket:
    with transaction.atomic():
        ticket = _lock(ticket_id)
        support_answer_check(actor=actor, ticket=ticket)
        previous = ticket.status
        _transition(ticket, status)
        ticket.save(update_fields=["status", "resolved_at", "waiting_since", "updated_at"])
        audit_log(
            actor_id=actor.pk,
            action=AuditAction.SUPPORT_STATUS_CHANGED,
            entity_type="support_ticket",
            entity_id=ticket.pk,
            metadata={"from": previous, "to": status},
        )
    return ticket


def ticket_set_priority(*, actor, ticket_id: int, priority: str) -> SupportTicket:
    if priority not in SupportTicket.Priority.values:
        raise SupportError("Unknown priority.")
    with transaction.atomic():
        ticket = _lock(ticket_id)
        support_answer_check(actor=actor, ticket=ticket)
        previous = ticket.priority
        ticket.priority = priority
        ticket.save(update_fields=["priority", "updated_at"])
        audit_log(
            actor_id=actor.pk,
            action=AuditAction.SUPPORT_PRIORITY_CHANGED,
            entity_type="support_ticket",
            entity_id=ticket.pk,
            metadata={"from": previous, "to": priority},
        )
    return ticket


def _share_target(ticket: SupportTicket, colleague_id: int) -> User:
    """The colleague a ticket can be shared with: active staff who may work on tickets through their roles
    (that permission also opens the table to them under row-level security), and who do not see the ticket
    already. selectors.ticket_share_candidates lists the same people for the desk's select."""
    colleague = User.objects.filter(pk=colleague_id).first()
    if colleague is None or not authz.actor_may(colleague, selectors.TICKET_VIEW, selectors.TICKET_ANSWER):
        raise SupportError("A ticket can be shared only with active staff who work on support tickets.")
    department = ticket.department
    if holds_everything(colleague) or (department is not None and department.slug in departments_of(colleague)):
        raise SupportError(f"{colleague} already sees this ticket in their queue.")
    return colleague


def ticket_share(*, actor, ticket_id: int, colleague_id: int) -> bool:
    """Share one ticket with a colleague of another department (a support agent loops in finance on a
    withdrawal question): a django-guardian object grant of selectors.TICKET_VIEW on the ticket, which
    support_access_check and the queue admit, so the colleague opens and answers it like their own
    department's. Returns False, writing nothing, when it was shared with them already."""
    actor_id = authz.actor_require(actor, TICKET_CHANGE)
    with transaction.atomic():
        ticket = _lock(ticket_id)  # serialises shares of one ticket: the existence check below holds
        support_access_check(actor=actor, ticket=ticket)
        colleague = _share_target(ticket, colleague_id)
        if selectors.ticket_grants(ticket_id=ticket.pk, user_id=colleague.pk).exists():
            return False
        assign_perm(selectors.TICKET_VIEW, colleague, ticket)
        audit_log(
            actor_id=actor_id,
            action=AuditAction.SUPPORT_TICKET_SHARED,
            entity_type="support_ticket",
            entity_id=ticket.pk,
            metadata={"user_id": colleague.pk},
        )
    return True


def ticket_unshare(*, actor, ticket_id: int, colleague_id: int) -> bool:
    """Take a shared ticket back from a colleague. Returns False, writing nothing, when it was not shared."""
    actor_id = authz.actor_require(actor, TICKET_CHANGE)
    with transaction.atomic():
        ticket = _lock(ticket_id)
        support_access_check(actor=actor, ticket=ticket)
        deleted, _ = selectors.ticket_grants(ticket_id=ticket.pk, user_id=colleague_id).delete()
        if not deleted:
            return False
        audit_log(
            actor_id=actor_id,
            action=AuditAction.SUPPORT_TICKET_UNSHARED,
            entity_type="support_ticket",
            entity_id=ticket.pk,
            metadata={"user_id": colleague_id},
        )
    return True


def _store_name(ticket: SupportTicket) -> str:
    return ticket.merchant.name if ticket.merchant else "the store"


def _open_claim(actor, ticket_id: int) -> SupportTicket:
    ticket = _lock(ticket_id)
    support_answer_check(actor=actor, ticket=ticket)
    if ticket.kind != SupportTicket.Kind.MISSING_CASHBACK:
        raise ClaimRefused("This ticket is not a missing-cashback claim.")
    if ticket.cashback_event_id or ticket.claim_rejected_reason:
        raise ClaimRefused("This claim was already settled.")
    if ticket.status == S.CLOSED:
        raise ClaimRefused("This ticket is closed.")
    return ticket


def claim_cashback_create(*, actor, ticket_id: int, sale_amount: Decimal | None = None) -> SupportTicket:
    """Settle a claim by creating the (pending) cashback event for its click through the wallet's one entry
    point for conversions, cashback_record, acting as the agent. Refused if the click already has an event (the
    network reported it meanwhile): money is never recorded twice for one click."""
    with transaction.atomic():
        ticket = _open_claim(actor, ticket_id)
        amount = ticket.order_amount if sale_amount is None else sale_amount
        if amount is None or amount <= 0:
            raise ClaimRefused("Enter the sale amount the cashback is computed on.")
        assert ticket.click_id is not None  # a claim always names its click (CHECK support_claim_complete)
        if CashbackEvent.objects.filter(click_id=ticket.click_id).exists():
            raise ClaimRefused("This store visit already has a cashback event; look it up under Cashback events.")
        conversion = Conversion(
            network="manual",
            click_ref=str(ticket.click_id),
            click_id=ticket.click_id,
            transaction_id=f"claim-{ticket.pk}-{ticket.order_reference}"[:255],
            sale_amount=Decimal(amount).quantize(Decimal("0.01")),
            commission=None,
            status=PENDING,
            network_status="claim_approved",
            currency="INR",
        )
        result = wallet_services.cashback_record(conversion=conversion, source="support_claim", actor=actor)
        if result.event_id is None or result.outcome != "created":
            raise ClaimRefused(f"The wallet did not record it: {result.outcome} {result.message}".strip())
        event = CashbackEvent.objects.get(pk=result.event_id)
        ticket.cashback_event_id = event.pk
        text = (
            f"Good news: we added {format_inr(event.cashback_amount)} cashback for your {_store_name(ticket)} order "
            f"{ticket.order_reference}. It shows as pending in your wallet until the store's return period is over."
        )
        _add_message(ticket=ticket, author_id=actor.pk, body=text, from_staff=True, internal=False, files=[])
        _transition(ticket, S.RESOLVED)
        ticket.assigned_to_id = ticket.assigned_to_id or actor.pk
        ticket.save(
            update_fields=["cashback_event_id", "status", "resolved_at", "waiting_since", "assigned_to", "updated_at"]
        )
        audit_log(
            actor_id=actor.pk,
            action=AuditAction.SUPPORT_CLAIM_APPROVED,
            entity_type="support_ticket",
            entity_id=ticket.pk,
            metadata={"cashback_event_id": event.pk, "sale_amount": str(amount)},
        )
        _tell_customer(ticket, text)
    return ticket


def claim_reject(*, actor, ticket_id: int, reason: str) -> SupportTicket:
    """Reject a claim with a reason the shopper sees (in the thread and the notification)."""
    reason = (reason or "").strip()
    if not reason:
        raise ClaimRefused("Give the shopper a reason for the rejection.")
    with transaction.atomic():
        ticket = _open_claim(actor, ticket_id)
        ticket.claim_rejected_reason = reason
        text = f"We could not approve your claim for {_store_name(ticket)} order {ticket.order_reference}: {reason}"
        _add_message(ticket=ticket, author_id=actor.pk, body=text, from_staff=True, internal=False, files=[])
        _transition(ticket, S.RESOLVED)
        ticket.save(update_fields=["claim_rejected_reason", "status", "resolved_at", "waiting_since", "updated_at"])
        audit_log(
            actor_id=actor.pk,
            action=AuditAction.SUPPORT_CLAIM_REJECTED,
            entity_type="support_ticket",
            entity_id=ticket.pk,
            metadata={"reason": reason},
        )
        _tell_customer(ticket, text)
    return ticket


def attachment_open(*, viewer, attachment_id: int) -> SupportTicketAttachment:
    """The attachment, if ``viewer`` may see it: the ticket's owner (not on an internal note), or staff allowed on
    the ticket (each staff view is audited: invoices carry personal data). Someone else's attachment is
    SupportTicketAttachment.DoesNotExist (404) for a shopper and PermissionDenied (403) for staff."""
    row = SupportTicketAttachment.objects.select_related("message__ticket").filter(pk=attachment_id).first()
    if row is None:
        raise SupportTicketAttachment.DoesNotExist
    ticket = row.message.ticket
    if ticket.user_id == viewer.pk and not row.message.is_internal:
        return row
    if not viewer.is_staff:
        raise SupportTicketAttachment.DoesNotExist
    support_access_check(actor=viewer, ticket=ticket)
    audit_log(
        actor_id=viewer.pk,
        action=AuditAction.SUPPORT_ATTACHMENT_VIEWED,
        entity_type="support_ticket",
        entity_id=ticket.pk,
        metadata={"attachment_id": row.pk},
    )
    return row

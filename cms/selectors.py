"""Reads of the cms app: published pages and the blog; the support desk's queues, threads and claim facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import Cast
from django.utils import timezone
from guardian.models import UserObjectPermission

from accounts.authz import departments_of, holds_everything
from accounts.backends import RoleBackend
from accounts.models import User, UserDepartment
from accounts.roles import ALL
from offers.models import OfferClick
from wallet.models import CashbackEvent, UnmatchedConversion

from .markdown import markdown_to_html
from .models import CmsPage, SupportTicket, SupportTicketMessage

BLOG_PAGE_SIZE = 10


def pages_published() -> QuerySet[CmsPage]:
    """The one definition of a public page."""
    return CmsPage.objects.filter(is_published=True)


def page_published(*, slug: str) -> CmsPage | None:
    return pages_published().filter(slug=slug).first()


def blog_posts() -> QuerySet[CmsPage]:
    return pages_published().filter(page_type=CmsPage.PageType.BLOG).order_by("-published_at", "-id")


def page_html(page: CmsPage) -> str:
    """The page's body as sanitised HTML, cached per saved version (the key changes with updated_at)."""
    key = f"cms:html:{page.pk}:{page.updated_at.timestamp() if page.updated_at else 0}"
    html = cache.get(key)
    if html is None:
        html = markdown_to_html(page.content)
        cache.set(key, html, timeout=24 * 3600)
    return html


# ---------------------------------------------------------------- support desk

# How long a shopper may wait for our answer, by priority; the desk flags tickets past it.
SLA_TARGETS = {
    "urgent": timedelta(hours=4),
    "high": timedelta(hours=8),
    "normal": timedelta(hours=24),
    "low": timedelta(hours=72),
}


# The admin's "open claims" queue: missing-cashback claims not settled (no event created, not rejected) and not
# closed, the same states in which services.support._open_claim lets an agent settle one.
CLAIMS_OPEN: dict[str, object] = {
    "kind__exact": SupportTicket.Kind.MISSING_CASHBACK,
    "cashback_event_id__isnull": True,
    "claim_rejected_reason__isnull": True,
    "status__in": [s for s in SupportTicket.Status.values if s != SupportTicket.Status.CLOSED],
}


def claims_open() -> QuerySet[SupportTicket]:
    return SupportTicket.objects.filter(**CLAIMS_OPEN)


def tickets_of_user(*, user_id: int) -> QuerySet[SupportTicket]:
    return SupportTicket.objects.filter(user_id=user_id).select_related("merchant").order_by("-updated_at")


def ticket_of_user(*, user_id: int, ticket_id: int) -> SupportTicket | None:
    return SupportTicket.objects.filter(user_id=user_id, pk=ticket_id).select_related("merchant").first()


def thread_for_customer(*, ticket: SupportTicket) -> QuerySet[SupportTicketMessage]:
    """What the shopper sees: never the internal notes."""
    return ticket.messages.filter(is_internal=False).prefetch_related("attachments")


def thread_for_staff(*, ticket: SupportTicket) -> QuerySet[SupportTicketMessage]:
    return ticket.messages.select_related("author").prefetch_related("attachments")


def tickets_for_agent(*, user) -> QuerySet[SupportTicket]:
    """The agent's queue: tickets routed to the agent's departments (every ticket for a superuser or a super
    admin); membership is the one department rule, ``accounts.authz.departments_of``. Tickets a colleague
    shared with the agent (:func:`tickets_shared_with`) are in it too, as a subquery: still one query."""
    qs = SupportTicket.objects.select_related("user", "department", "assigned_to", "merchant")
    if holds_everything(user):
        return qs
    return qs.filter(
        Q(department__slug__in=departments_of(user)) | Q(pk__in=tickets_shared_with(user=user).values("pk"))
    )


# ---------------------------------------------------------------- sharing a ticket with another department

TICKET_VIEW = "cms.view_supportticket"
"""Who may work on tickets at all (through their roles; it also opens support_tickets under row-level security,
couponali.rls), and the object grant (django-guardian) that shares one ticket with a colleague of another
department. The grant needs no change permission: the desk's buttons check access (services.support_access_check),
and that admits a shared ticket like one of the agent's departments."""

TICKET_ANSWER = "cms.answer_supportticket"
"""Who may work on a ticket they can see (reply, note, assign, status, priority, settle a claim):
services.support_answer_check. A ticket is shared only with colleagues who hold it."""


def ticket_grants(*, ticket_id: int | None = None, user_id: int | None = None) -> QuerySet[UserObjectPermission]:
    """The share grants (user object permissions only: no group grants, no global fallback), of one ticket
    and/or one colleague. The content type is joined by name, so that a queue costs no extra query."""
    app_label, codename = TICKET_VIEW.split(".")
    grants = UserObjectPermission.objects.filter(
        content_type__app_label=app_label,
        content_type__model=SupportTicket._meta.model_name,
        permission__codename=codename,
    )
    if ticket_id is not None:
        grants = grants.filter(object_pk=str(ticket_id))
    if user_id is not None:
        grants = grants.filter(user_id=user_id)
    return grants


def _may_work_on_shared(user) -> bool:
    """A share counts only while the colleague still may work on tickets (without the permission row-level
    security hides the table from them anyway); answered from the request's permission cache."""
    return bool(user is not None and user.is_authenticated and user.has_perm(TICKET_VIEW))


def tickets_shared_with(*, user) -> QuerySet[SupportTicket]:
    """Tickets colleagues shared with this user. guardian's object pk is text: the ticket's id is cast to text
    (as guardian's get_objects_for_user does), never the other way, so that another model's non-numeric
    object pk can never break the cast."""
    if not _may_work_on_shared(user):
        return SupportTicket.objects.none()
    shared = ticket_grants(user_id=user.pk).filter(object_pk=Cast(OuterRef("pk"), output_field=CharField()))
    return SupportTicket.objects.filter(Exists(shared))


def ticket_shared_with(*, ticket_id: int, user) -> bool:
    return _may_work_on_shared(user) and ticket_grants(ticket_id=ticket_id, user_id=user.pk).exists()


def ticket_colleagues_shared(*, ticket: SupportTicket) -> QuerySet[User]:
    """The colleagues the ticket is shared with (the desk's "Shared with" box)."""
    return User.all_objects.filter(pk__in=ticket_grants(ticket_id=ticket.pk).values("user_id")).order_by("email")


def ticket_share_candidates(*, ticket: SupportTicket) -> QuerySet[User]:
    """Whom the ticket can be shared with: active staff holding TICKET_VIEW and TICKET_ANSWER through their
    roles (the roles backend's own query), who do not see it already (every ticket, or its department's queue)
    and with whom it is not shared yet. services.support.ticket_share checks the same on the one colleague it is
    given."""
    users = RoleBackend().with_perm(TICKET_VIEW, include_superusers=False)
    users = users.filter(pk__in=RoleBackend().with_perm(TICKET_ANSWER, include_superusers=False).values("pk"))
    users = users.exclude(is_superuser=True).exclude(user_roles__role__role_permissions__permission__code=ALL)
    if ticket.department_id is not None:
        members = UserDepartment.objects.filter(department_id=ticket.department_id, department__is_active=True)
        users = users.exclude(pk__in=members.values("user_id"))
    return users.exclude(pk__in=ticket_grants(ticket_id=ticket.pk).values("user_id")).order_by("email")


def sla_age(ticket: SupportTicket, *, now: datetime | None = None) -> timedelta | None:
    """How long the shopper has been waiting for us (None while the ticket waits for them or is done)."""
    if ticket.waiting_since is None or ticket.status not in ("open",):
        return None
    return (now or timezone.now()) - ticket.waiting_since


def sla_overdue(ticket: SupportTicket, *, now: datetime | None = None) -> bool:
    age = sla_age(ticket, now=now)
    return age is not None and age > SLA_TARGETS.get(ticket.priority, SLA_TARGETS["normal"])


class _MedianSeconds(Aggregate):
    """PostgreSQL's percentile_cont(0.5) over an interval, in seconds."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM %(expressions)s))"
    output_field = FloatField()


@dataclass(frozen=True)
class StoreTracking:
    days: int
    clicks: int
    tracked: int
    declined: int
    median_days_to_confirm: float | None
    last_report_at: datetime | None

    @property
    def tracking_rate(self) -> float | None:
        return None if not self.clicks else round(100 * self.tracked / self.clicks, 1)

    @property
    def decline_rate(self) -> float | None:
        return None if not self.tracked else round(100 * self.declined / self.tracked, 1)


def store_tracking(*, merchant_id: int, days: int = 30) -> StoreTracking:
    """The store's tracking from our own data: signed-in clicks, how many became cashback events, how many
    were declined, how long confirmation takes, and when its network last reported anything."""
    since = timezone.now() - timedelta(days=days)
    clicks = OfferClick.objects.filter(merchant_id=merchant_id, created_at__gte=since, user_id__isnull=False).count()
    events = CashbackEvent.objects.filter(merchant_id=merchant_id, created_at__gte=since)
    agg = events.aggregate(
        tracked=Count("id"),
        declined=Count("id", filter=Q(status__in=["rejected", "reversed"])),
        median=_MedianSeconds(ExpressionWrapper(F("confirmed_at") - F("created_at"), output_field=DurationField())),
    )
    last = CashbackEvent.objects.filter(merchant_id=merchant_id).aggregate(m=Max("reported_at"))["m"]
    median = agg["median"]
    return StoreTracking(
        days=days,
        clicks=clicks,
        tracked=agg["tracked"],
        declined=agg["declined"],
        median_days_to_confirm=None if median is None else round(median / 86400, 1),
        last_report_at=last,
    )


@dataclass(frozen=True)
class ClaimFacts:
    click: OfferClick | None
    tracking: StoreTracking | None
    events: list
    unmatched: list
    network: str | None


def claim_facts(*, ticket: SupportTicket) -> ClaimFacts:
    """Everything an agent needs to settle a missing-cashback claim, in one place: the click, the store's
    tracking, and what the network reported for this click (an event, or a conversion we could not match)."""
    merchant = ticket.merchant  # None without a query when the ticket names no store
    tracking = store_tracking(merchant_id=merchant.pk) if merchant else None
    network = merchant.affiliate_network if merchant else None
    if ticket.click_id is None:  # a claim always names its click; without one there is nothing to look up
        return ClaimFacts(click=None, tracking=tracking, events=[], unmatched=[], network=network)
    click = OfferClick.objects.filter(click_id=ticket.click_id).select_related("offer").order_by("created_at").first()
    return ClaimFacts(
        click=click,
        tracking=tracking,
        events=list(CashbackEvent.objects.filter(click_id=ticket.click_id).order_by("created_at")),
        unmatched=list(UnmatchedConversion.objects.filter(click_ref=str(ticket.click_id)).order_by("-id")[:5]),
        network=network,
    )

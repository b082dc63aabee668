"""CMS pages, SEO redirects and the support desk (seed tables 18, 22, 28)."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models

from couponali.models import CreatedModel, TimeStampedModel, flag


class CmsPage(TimeStampedModel):
    class PageType(models.TextChoices):
        FAQ = "faq", "FAQ"
        TERMS = "terms", "Terms"
        PRIVACY = "privacy", "Privacy"
        BLOG = "blog", "Blog"
        STATIC = "static", "Static page"

    title = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True, db_index=False)
    content = models.TextField(null=True, blank=True)
    excerpt = models.TextField(null=True, blank=True)
    page_type = models.CharField(max_length=50, choices=PageType.choices, null=True, blank=True)
    seo_title = models.CharField(max_length=255, null=True, blank=True)
    seo_description = models.TextField(null=True, blank=True)
    seo_keywords = models.TextField(null=True, blank=True)
    is_published = flag(False)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by_user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "cms_pages"
        verbose_name = "CMS page"
        permissions = [("publish_cmspage", "Can publish and unpublish pages (audited)")]
        indexes = [
            models.Index(fields=["slug"], name="idx_cms_slug", condition=models.Q(is_published=models.Value(True))),
        ]

    def __str__(self) -> str:
        return self.title


class SeoRedirect(CreatedModel):
    """An old URL that answers with a redirect (cms.middleware.SeoRedirectMiddleware, before routing).

    Saved only through cms.services (seo_redirect_save): sources are exact paths, and loops and chains are
    refused or flattened there, so that every stored active redirect reaches its final target in one hop."""

    class Status(models.IntegerChoices):
        MOVED_PERMANENTLY = 301, "301 moved permanently"
        FOUND = 302, "302 found (temporary)"
        TEMPORARY_REDIRECT = 307, "307 temporary (keeps the method)"
        PERMANENT_REDIRECT = 308, "308 permanent (keeps the method)"

    source_path = models.CharField(max_length=500, help_text="Exact path, e.g. /stores/old-name/ (no query).")
    target_path = models.CharField(
        max_length=500, help_text="A path on this site (/stores/new-name/) or a full http(s) URL."
    )
    http_status = models.IntegerField(default=301, db_default=301, choices=Status.choices)
    is_active = flag(True)
    # Not in the seed: append the request's query string to the target (e.g. utm_* parameters of old links).
    keep_query = flag(False)

    class Meta:
        db_table = "seo_redirects"
        verbose_name = "SEO redirect"
        constraints = [
            models.UniqueConstraint(fields=["source_path"], name="idx_seo_redirects_source"),
            models.CheckConstraint(
                condition=models.Q(http_status__in=[301, 302, 307, 308]), name="chk_seo_redirect_status"
            ),
            models.CheckConstraint(condition=models.Q(source_path__startswith="/"), name="chk_seo_redirect_source"),
            models.CheckConstraint(
                condition=~models.Q(source_path=models.F("target_path")), name="chk_seo_redirect_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_path} → {self.target_path}"


def support_attachment_storage():
    """Support attachments live outside the web root (SUPPORT_ATTACHMENTS_ROOT, never under STATIC or MEDIA) and
    have no URL: they are served only by the permission-checked view cms.views.attachment."""
    return FileSystemStorage(location=settings.SUPPORT_ATTACHMENTS_ROOT, base_url=None)


class SupportTicket(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        AWAITING_CUSTOMER = "awaiting_customer", "Awaiting customer"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    class Kind(models.TextChoices):
        GENERAL = "general", "General"
        MISSING_CASHBACK = "missing_cashback", "Missing cashback"

    class Category(models.TextChoices):
        MISSING_CASHBACK = "missing_cashback", "Missing cashback"
        WITHDRAWAL = "withdrawal", "Withdrawal"
        GIFT_CARD_ORDER = "gift_card_order", "Gift card order"
        ACCOUNT = "account", "Account"
        OTHER = "other", "Other"

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="support_tickets", db_index=False)
    subject = models.CharField(max_length=255)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.OPEN, db_default=Status.OPEN)
    priority = models.CharField(
        max_length=20, choices=Priority.choices, default=Priority.NORMAL, db_default=Priority.NORMAL
    )
    # Not in the seed: the ticket's text, and for missing-cashback claims the click and order they are about.
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.GENERAL, db_default=Kind.GENERAL)
    description = models.TextField(null=True, blank=True)
    # offer_clicks is partitioned by month: a plain uuid (no foreign key), checked by the claim service.
    click_id = models.UUIDField(null=True, blank=True)
    merchant = models.ForeignKey(
        "catalog.Merchant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    order_reference = models.CharField(max_length=100, null=True, blank=True)
    order_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    order_date = models.DateField(null=True, blank=True)
    # Not in the seed (the support desk): routing, assignment, the SLA clock and a claim's outcome.
    category = models.CharField(
        max_length=30, choices=Category.choices, default=Category.OTHER, db_default=Category.OTHER
    )
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_to = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # Since when the shopper has been waiting for us (None while we wait for them): the SLA age.
    waiting_since = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    cashback_event_id = models.BigIntegerField(null=True, blank=True)
    claim_rejected_reason = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "support_tickets"
        indexes = [
            models.Index(fields=["user"], name="idx_support_tickets_user"),
            models.Index(fields=["click_id"], name="idx_support_tickets_click"),
            models.Index(fields=["department", "status"], name="idx_support_tickets_queue"),
            # Not in the seed: the admin's store filter, and SET NULL when a store row is removed.
            models.Index(
                fields=["merchant"],
                name="idx_support_tickets_merchant",
                condition=models.Q(merchant__isnull=False),
            ),
        ]
        constraints = [
            # One claim per click and order: a double-submitted form cannot open two tickets.
            models.UniqueConstraint(
                fields=["user", "click_id", "order_reference"],
                condition=models.Q(kind="missing_cashback"),
                name="support_one_claim_per_click_order",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="missing_cashback")
                | (
                    models.Q(click_id__isnull=False)
                    & models.Q(order_reference__isnull=False)
                    & models.Q(order_amount__gt=0)
                    & models.Q(order_date__isnull=False)
                ),
                name="support_claim_complete",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "awaiting_customer", "resolved", "closed"]),
                name="chk_support_ticket_status",
            ),
        ]
        permissions = [("answer_supportticket", "Can answer support tickets of own departments")]

    def __str__(self) -> str:
        return self.subject


class SupportTicketMessage(CreatedModel):
    """One message of a ticket's thread (an extra table beside the seed's support_tickets). Internal notes are
    for staff only: the shopper's pages and notifications never include them."""

    ticket = models.ForeignKey(SupportTicket, on_delete=models.CASCADE, related_name="messages", db_index=False)
    author = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    from_staff = flag(False)
    is_internal = flag(False)
    body = models.TextField()

    class Meta:
        db_table = "support_ticket_messages"
        indexes = [models.Index(fields=["ticket", "created_at"], name="idx_support_messages_ticket")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_internal=False) | models.Q(from_staff=True), name="chk_support_note_is_staff"
            )
        ]
        ordering = ["created_at", "id"]


class SupportTicketAttachment(CreatedModel):
    message = models.ForeignKey(SupportTicketMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="tickets/%Y/%m/", storage=support_attachment_storage, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    class Meta:
        db_table = "support_ticket_attachments"

    def __str__(self) -> str:
        return self.original_name


class CannedAnswer(CreatedModel):
    """A reply agents pick from in the admin; {name} becomes the shopper's first name."""

    title = models.CharField(max_length=120, unique=True)
    body = models.TextField()
    is_active = flag(True)

    class Meta:
        db_table = "support_canned_answers"
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

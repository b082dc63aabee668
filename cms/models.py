"""CMS pages, SEO redirects and the support desk (seed tables 18, 22, 28)."""

from __future__ import annotations

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


class SupportTicket(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
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
    attachment = models.FileField(upload_to="claims/%Y/%m/", max_length=255, null=True, blank=True)

    class Meta:
        db_table = "support_tickets"
        indexes = [
            models.Index(fields=["user"], name="idx_support_tickets_user"),
            models.Index(fields=["click_id"], name="idx_support_tickets_click"),
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
        ]

    def __str__(self) -> str:
        return self.subject

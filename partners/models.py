"""Partner organisations, their admin users, API keys and outgoing webhooks (not in the seed: extra tables).

A partner is a brand (a store's own team), an affiliate network or an app. Each organisation has a service user
(``accounts.User``, no password, never signs in): requests made with the organisation's API keys act as it, so
the services' usual checks apply to them, and a brand's stores are bound to it by the django-guardian object
permission ``catalog.manage_offers`` on each store (partners.services.partner_store_grant).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from couponali.models import CreatedAtField, TimeStampedModel, UuidField, flag


class Scope(models.TextChoices):
    CATALOGUE_READ = "catalogue:read", "Read the catalogue"
    OFFERS_WRITE = "offers:write", "Manage the offers of its stores"
    REPORTS_READ = "reports:read", "Read the reports of its stores"
    WEBHOOKS_MANAGE = "webhooks:manage", "Manage webhook endpoints"


class WebhookEvent(models.TextChoices):
    OFFER_CHANGED = "offer.changed", "Offer created, updated, expired, deleted or restored"
    CONVERSION_RECORDED = "conversion.recorded", "Conversion recorded"
    CASHBACK_STATUS_CHANGED = "cashback.status_changed", "Cashback status changed"


class PartnerOrganisation(TimeStampedModel):
    class Kind(models.TextChoices):
        BRAND = "brand", "Brand"
        AFFILIATE_NETWORK = "affiliate_network", "Affiliate network"
        APP = "app", "App"

    uuid = UuidField()
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    is_active = flag(True)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner_service_of", editable=False
    )

    class Meta:
        db_table = "partner_organisations"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerMember(models.Model):
    """A person who administers an organisation on /partners/ (keys, webhooks). Staff add them in the admin."""

    organisation = models.ForeignKey(PartnerOrganisation, on_delete=models.CASCADE, related_name="members")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_member")
    created_at = CreatedAtField()

    class Meta:
        db_table = "partner_members"

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class ApiKey(models.Model):
    """``<prefix>.<secret>``: the prefix finds the row, only the SHA-256 of the secret is stored (the secret has
    256 bits of entropy, so a fast hash is enough: no dictionary to guess from, unlike a password)."""

    uuid = UuidField()
    organisation = models.ForeignKey(PartnerOrganisation, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=30, choices=Scope.choices))
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = CreatedAtField()

    class Meta:
        db_table = "partner_api_keys"
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def usable_at(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class WebhookEndpoint(TimeStampedModel):
    uuid = UuidField()
    organisation = models.ForeignKey(PartnerOrganisation, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    events = ArrayField(models.CharField(max_length=40, choices=WebhookEvent.choices))
    # The signing secret, encrypted with the KYC keys (accounts.crypto): it must be read back to sign.
    secret_encrypted = models.TextField(editable=False)
    is_active = flag(True)

    class Meta:
        db_table = "partner_webhook_endpoints"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: written in the transaction of the change it announces, then sent (and retried
    with backoff for 24 hours) by partners.tasks. ``payload`` is the exact JSON body that is signed and sent."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (gave up)"

    uuid = UuidField()
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    payload = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.IntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    give_up_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = CreatedAtField()

    class Meta:
        db_table = "partner_webhook_deliveries"
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["next_attempt_at"], name="idx_webhook_deliveries_due", condition=Q(status="pending")),
        ]
        permissions = [("replay_webhookdelivery", "Can replay webhook deliveries")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: what the receiver answered and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.IntegerField()
    response_code = models.IntegerField(null=True, blank=True)
    duration_ms = models.IntegerField()
    error = models.CharField(max_length=500, blank=True, default="")
    ok = models.BooleanField()
    created_at = CreatedAtField()

    class Meta:
        db_table = "partner_webhook_attempts"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.response_code or self.error}"

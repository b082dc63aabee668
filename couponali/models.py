"""Model building blocks shared by every app (seed-style timestamps, uuids, money, soft deletion) and the two
kernel tables every app writes through the kernel: the audit log (couponali.audit) and the idempotency keys of
money-moving POSTs (couponali.idempotency).

Every default that the seed puts in the database is also a database default (``db_default``), so SQL
clients see the same schema as the ORM; the Python ``default`` beside it lets a new instance carry the value
before it is saved (Django uses the Python default when both are set).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

ZERO = Decimal("0.00")


def UuidField(**kwargs) -> models.UUIDField:  # noqa: N802 - reads like a field class
    return models.UUIDField(unique=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False, **kwargs)


def MoneyField(*, max_digits: int = 10, default: Decimal | None = None, **kwargs) -> models.DecimalField:  # noqa: N802
    """DECIMAL(max_digits, 2). With a default, it is NOT NULL and the default is also in the database."""
    if default is not None:
        return models.DecimalField(
            max_digits=max_digits, decimal_places=2, default=default, db_default=default, **kwargs
        )
    kwargs.setdefault("null", True)
    kwargs.setdefault("blank", True)
    return models.DecimalField(max_digits=max_digits, decimal_places=2, **kwargs)


def flag(default: bool) -> models.BooleanField:
    return models.BooleanField(default=default, db_default=default)


def counter() -> models.IntegerField:
    return models.IntegerField(default=0, db_default=0)


def CreatedAtField() -> models.DateTimeField:  # noqa: N802
    return models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)


def UpdatedAtField() -> models.DateTimeField:  # noqa: N802
    # auto_now keeps ORM saves current; the couponali_set_updated_at trigger (UpdatedAtTrigger in each
    # app's migrations) covers queryset.update() and raw SQL too.
    return models.DateTimeField(auto_now=True, db_default=Now())


class CreatedModel(models.Model):
    created_at = CreatedAtField()

    class Meta:
        abstract = True


class TimeStampedModel(models.Model):
    created_at = CreatedAtField()
    updated_at = UpdatedAtField()

    class Meta:
        abstract = True


class SoftDeleteQuerySet(models.QuerySet):
    def delete(self):
        """Soft-delete: set deleted_at on every row instead of removing it."""
        return self.filter(deleted_at__isnull=True).update(deleted_at=timezone.now())

    def hard_delete(self):
        return super().delete()

    def restore(self) -> int:
        return self.filter(deleted_at__isnull=False).update(deleted_at=None)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)


# A named base (not a call in the class statement) is what the type checker's Django plugin understands.
SoftDeleteManagerBase = models.Manager.from_queryset(SoftDeleteQuerySet)


class LiveManager(SoftDeleteManagerBase):
    """The default manager of soft-deletable models: deleted rows are invisible."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class AllObjectsManager(SoftDeleteManagerBase):
    """Every row, deleted or not: for the admin's 'deleted' view, restores and reports."""


class SoftDeleteModel(models.Model):
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = LiveManager()
    all_objects = AllObjectsManager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    def delete(self, using=None, keep_parents=False):
        """Soft-delete this row (hard_delete() removes it for real)."""
        self.deleted_at = timezone.now()
        type(self).all_objects.filter(pk=self.pk).update(deleted_at=self.deleted_at)
        return 1, {self._meta.label: 1}

    def hard_delete(self, using=None, keep_parents=False):
        return super().delete(using=using, keep_parents=keep_parents)

    def restore(self) -> None:
        self.deleted_at = None
        type(self).all_objects.filter(pk=self.pk).update(deleted_at=None)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


# ---------------------------------------------------------------- kernel tables


class AuditLog(CreatedModel):
    """One row per state change that matters, written by :func:`couponali.audit.audit_log` in the transaction
    of the change. Append-only: the app role has no UPDATE/DELETE on this table (couponali.db.APPEND_ONLY_TABLES).
    Range-partitioned by month on created_at (migration 0005), so its primary key in the database is
    (id, created_at); the partitions are created ahead by couponali.audit.audit_partitions_ensure.

    Kept in the kernel (it was accounts' model: same table, moved by a state-only migration) because every
    layer writes it, couponali.rls included."""

    class Action(models.TextChoices):
        """Every action written to ``audit_logs.action``: the one list (callers pass a member). Not bound to the
        column as ``choices``: the seed column is free text, and a new action then needs no migration."""

        # accounts
        USER_SIGNUP = "user.signup"
        USER_LINK_SOCIAL = "user.link_social"
        USER_VERIFY_EMAIL = "user.verify_email"
        USER_VERIFY_MOBILE = "user.verify_mobile"
        USER_PASSWORD_RESET = "user.password_reset"  # noqa: S105 - an action name, not a password
        USER_PASSWORD_CHANGE = "user.password_change"  # noqa: S105 - an action name, not a password
        USER_LOCKED = "user.locked"
        USER_UNLOCK = "user.unlock"
        USER_PROFILE_UPDATE = "user.profile_update"
        USER_DELETE = "user.delete"
        SESSION_REVOKE = "session.revoke"
        SESSION_REVOKE_OTHERS = "session.revoke_others"
        SESSION_REFRESH_REUSE = "session.refresh_reuse"
        KYC_SUBMIT = "kyc.submit"
        KYC_VERIFIED = "kyc.verified"
        KYC_REJECTED = "kyc.rejected"
        KYC_REVEAL = "kyc.reveal"
        KYC_PAYOUT_READ = "kyc.payout_read"
        # accounts: staff roles, departments and store grants (permission changes)
        ROLE_GRANTED = "role.granted"
        ROLE_REVOKED = "role.revoked"
        ROLE_SAVED = "role.saved"
        ROLE_DELETED = "role.deleted"
        DEPARTMENT_JOINED = "department.joined"
        DEPARTMENT_LEFT = "department.left"
        STORE_GRANTED = "store.granted"
        STORE_REVOKED = "store.revoked"
        # kernel
        RLS_BYPASS = "rls.bypass"
        # any model through the admin (couponali.admin_audit.AuditedModelAdmin): before/after in the metadata
        ADMIN_ADD = "admin.add"
        ADMIN_CHANGE = "admin.change"
        ADMIN_DELETE = "admin.delete"
        ADMIN_ACTION = "admin.action"
        AUDIT_EXPORT = "audit.export"
        # offers
        OFFERS_IMPORT_FEED = "offers.import_feed"
        # wallet
        WALLET_DEBT_RECORDED = "wallet.debt_recorded"
        WALLET_ADJUST = "wallet.adjust"
        WALLET_RECONCILE_FAILED = "wallet.reconcile_failed"
        CASHBACK_TRACKED = "cashback.tracked"
        CASHBACK_REFUSED_TRANSITION = "cashback.refused_transition"
        CASHBACK_CONFIRMED = "cashback.confirmed"
        CASHBACK_REJECTED = "cashback.rejected"
        CASHBACK_REVERSED = "cashback.reversed"
        CASHBACK_UNMATCHED_DISMISSED = "cashback.unmatched_dismissed"
        CASHBACK_AUTO_CONFIRMED = "cashback.auto_confirmed"
        WITHDRAWAL_REQUESTED = "withdrawal.requested"
        WITHDRAWAL_FIRST_APPROVAL = "withdrawal.first_approval"
        WITHDRAWAL_APPROVED = "withdrawal.approved"
        WITHDRAWAL_REJECTED = "withdrawal.rejected"
        WITHDRAWAL_PROCESSING = "withdrawal.processing"
        WITHDRAWAL_COMPLETED = "withdrawal.completed"
        WITHDRAWAL_FAILED = "withdrawal.failed"
        WITHDRAWAL_RECONCILE_QUEUED = "withdrawal.reconcile_queued"
        # orders (gift cards and fulfilment)
        GIFT_CARD_ISSUE = "gift_card.issue"
        GIFT_CARD_EXPORT = "gift_card.export"
        GIFT_CARD_ATTEMPT_LIMITED = "gift_card.attempt_limited"
        GIFT_CARD_ATTEMPT_FAILED = "gift_card.attempt_failed"
        GIFT_CARD_REDEEM = "gift_card.redeem"
        GIFT_CARD_APPLY = "gift_card.apply"
        GIFT_CARD_RELEASE = "gift_card.release"
        GIFT_CARD_REFUND = "gift_card.refund"
        ORDER_FULFILLED = "order.fulfilled"
        ORDER_FULFILMENT_FAILED = "order.fulfilment_failed"
        ORDER_FULFILMENT_RETRY = "order.fulfilment_retry"
        ORDER_VOUCHERS_SENT = "order.vouchers_sent"
        ORDER_VOUCHERS_RESEND = "order.vouchers_resend"
        ORDER_VOUCHERS_VOID = "order.vouchers_void"
        ORDER_VOUCHER_REVEAL = "order.voucher_reveal"
        ORDER_LATE_CAPTURE = "order.late_capture"
        ORDER_PAID = "order.paid"
        ORDER_PAYMENT_FAILED = "order.payment_failed"
        ORDER_PLACED = "order.placed"
        ORDER_CANCELLED = "order.cancelled"
        ORDER_FAILED = "order.failed"
        ORDER_REFUND = "order.refund"
        ORDER_REFUND_PROCESSED = "order.refund_processed"
        ORDER_REFUND_SENT = "order.refund_sent"
        ORDER_REFUND_NOT_SENT = "order.refund_not_sent"
        ORDER_REFUND_FAILED = "order.refund_failed"
        ORDER_SECOND_CAPTURE = "order.second_capture"
        # referrals
        REFERRAL_RECORDED = "referral.recorded"
        REFERRAL_ACTIVATED = "referral.activated"
        # cms
        CMS_PAGE_PUBLISHED = "cms.page_published"
        CMS_PAGE_UNPUBLISHED = "cms.page_unpublished"
        SEO_REDIRECT_SAVED = "seo.redirect_saved"
        SEO_REDIRECT_DELETED = "seo.redirect_deleted"
        SUPPORT_TICKET_OPENED = "support.ticket_opened"
        SUPPORT_MISSING_CASHBACK_CLAIM = "support.missing_cashback_claim"
        SUPPORT_CUSTOMER_REPLIED = "support.customer_replied"
        SUPPORT_AGENT_REPLIED = "support.agent_replied"
        SUPPORT_INTERNAL_NOTE = "support.internal_note"
        SUPPORT_ASSIGNED = "support.assigned"
        SUPPORT_STATUS_CHANGED = "support.status_changed"
        SUPPORT_PRIORITY_CHANGED = "support.priority_changed"
        SUPPORT_CLAIM_APPROVED = "support.claim_approved"
        SUPPORT_CLAIM_REJECTED = "support.claim_rejected"
        SUPPORT_ATTACHMENT_VIEWED = "support.attachment_viewed"
        SUPPORT_TICKET_SHARED = "support.ticket_shared"
        SUPPORT_TICKET_UNSHARED = "support.ticket_unshared"
        # offers changed by a brand partner or staff through the offer services
        OFFER_CREATED = "offer.created"
        OFFER_UPDATED = "offer.updated"
        OFFER_EXPIRED = "offer.expired"
        OFFER_DELETED = "offer.deleted"
        OFFER_RESTORED = "offer.restored"
        # partners (API keys, store bindings, members, webhooks)
        PARTNER_ORGANISATION_CREATED = "partner.organisation_created"
        PARTNER_KEY_CREATED = "partner.key_created"
        PARTNER_KEY_REVOKED = "partner.key_revoked"
        PARTNER_STORE_GRANTED = "partner.store_granted"
        PARTNER_STORE_REVOKED = "partner.store_revoked"
        PARTNER_MEMBER_ADDED = "partner.member_added"
        PARTNER_WEBHOOK_CREATED = "partner.webhook_created"
        PARTNER_WEBHOOK_DELETED = "partner.webhook_deleted"
        PARTNER_WEBHOOK_REPLAYED = "partner.webhook_replayed"

    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=120)
    entity_type = models.CharField(max_length=60, null=True, blank=True)
    entity_id = models.BigIntegerField(null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True)
    # Not in the seed (extra columns): where the change came from, stamped by couponali.audit from the request
    # context (couponali.request_context); empty for workers and commands.
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        db_table = "audit_logs"
        indexes = [
            models.Index(fields=["action"], name="idx_audit_logs_action"),
            models.Index(fields=["entity_type", "entity_id"], name="idx_audit_logs_entity"),
            models.Index(fields=["created_at"], name="idx_audit_logs_created"),
            models.Index(fields=["request_id"], name="idx_audit_logs_request"),
        ]
        ordering = ["-created_at"]
        permissions = [("export_auditlog", "Can export the audit log as CSV")]

    def __str__(self) -> str:
        return f"{self.action} {self.entity_type}#{self.entity_id}"


class IdempotencyKey(models.Model):
    """The first answer to a money-moving POST sent with an Idempotency-Key: a retry with the same key and
    the same request replays it; the same key with a different request is refused (couponali.idempotency).
    Moved from the wallet (same table, state-only migration) with the decorator that writes it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, null=True, blank=True)
    response_location = models.CharField(max_length=500, null=True, blank=True)
    created_at = CreatedAtField()

    class Meta:
        db_table = "idempotency_keys"
        indexes = [models.Index(fields=["created_at"], name="idx_idempotency_created")]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_uniq")]

    def __str__(self) -> str:
        return f"{self.key} (user {self.user_id})"

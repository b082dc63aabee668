"""Referrals between shoppers (seed table 17)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from couponali.models import ZERO, CreatedAtField, MoneyField


class Referral(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"

    referrer_user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="referrals_made", db_index=False
    )
    referred_user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="referrals_received", db_index=False
    )
    status = models.CharField(max_length=50, choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING)
    total_earned = MoneyField(default=ZERO)
    created_at = CreatedAtField()
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "referrals"
        indexes = [
            models.Index(fields=["referrer_user"], name="idx_referrals_referrer"),
            models.Index(fields=["referred_user"], name="idx_referrals_referred"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["referrer_user", "referred_user"], name="referrals_pair_uniq"),
            # One referrer per user, and nobody refers themselves.
            models.UniqueConstraint(fields=["referred_user"], name="referrals_one_referrer_per_user"),
            models.CheckConstraint(condition=~Q(referrer_user=F("referred_user")), name="referrals_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.referrer_user_id} → {self.referred_user_id} ({self.status})"

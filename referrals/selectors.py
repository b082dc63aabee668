"""Reads for the referrals page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum

from couponali.links import absolute_url

from .models import Referral


@dataclass(frozen=True)
class ReferralOverview:
    code: str
    share_link: str
    friends: list[Referral]
    joined: int
    active: int
    earned: Decimal
    bonus_percent: Decimal
    joining_bonus: Decimal


def friend_label(user) -> str:
    """A friend as shown to the referrer: first name and initial only, never the e-mail or mobile."""
    parts = (user.full_name or "").split()
    if not parts:
        return "A friend"
    return parts[0] + (f" {parts[-1][0]}." if len(parts) > 1 else "")


def referral_overview(*, user) -> ReferralOverview:
    friends = list(
        Referral.objects.filter(referrer_user_id=user.pk).select_related("referred_user").order_by("-created_at")[:100]
    )
    totals = Referral.objects.filter(referrer_user_id=user.pk).aggregate(earned=Sum("total_earned"))
    return ReferralOverview(
        code=user.referral_code,
        share_link=absolute_url(f"/accounts/signup/?ref={user.referral_code}"),
        friends=friends,
        joined=len(friends),
        active=sum(1 for r in friends if r.status == Referral.Status.ACTIVE),
        earned=totals["earned"] or Decimal("0.00"),
        bonus_percent=settings.REFERRAL_BONUS_PERCENT,
        joining_bonus=settings.REFERRAL_JOINING_BONUS,
    )

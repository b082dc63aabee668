"""Celery jobs of referrals, queued by name by the apps below (accounts: sign-up; wallet: cashback)."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from couponali import rls
from wallet.models import CashbackEvent

from . import services

log = logging.getLogger(__name__)


@shared_task(name="referrals.record_signup", ignore_result=True)
def record_signup(user_id: int) -> None:
    """Queued by the sign-up (accounts) after it commits: create the pending referral."""
    with rls.bypass(reason=f"referral of new user {user_id}"):
        try:
            services.referral_record_signup(user_id=user_id)
        except services.ReferralRefused as exc:
            log.warning("referral of user %s refused: %s", user_id, exc)


@shared_task(name="referrals.cashback_settled", ignore_result=True)
def cashback_settled(user_ids: list[int]) -> None:
    """Queued by the wallet after cashback of referred users was confirmed or reversed."""
    for user_id in user_ids:
        with rls.bypass(reason=f"referral bonuses for friend {user_id}"):
            services.referral_bonuses_settle(referred_user_id=user_id)


@shared_task(name="referrals.sweep", ignore_result=True)
def sweep(days: int = 3) -> None:
    """Hourly safety net: settle referred users whose cashback changed recently (a lost task is redone)."""
    since = timezone.now() - dt.timedelta(days=days)
    with rls.bypass(reason="referral bonus sweep"):
        user_ids = list(
            CashbackEvent.objects.filter(
                updated_at__gte=since, paid_at__isnull=False, user__referred_by_user__isnull=False
            )
            .values_list("user_id", flat=True)
            .distinct()
        )
    cashback_settled(user_ids)

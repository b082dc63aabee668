"""The Celery app. Tasks are discovered in each installed app's tasks.py; the beat schedule is in settings."""

import logging
import os

from celery import Celery
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "couponali.settings.development")

app = Celery("couponali")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger("couponali.redis")


def enqueue(name: str, **kwargs) -> bool:
    """Queue the task ``name``; False (logged, throttled) when the broker is unreachable, instead of raising.

    For callers whose work is already committed (a postback's cashback, an approved withdrawal): the request
    must not fail for a task that can wait. Only tasks that a periodic sweep finds again go through here
    (referrals.cashback_settled: referrals.sweep; wallet.pay_withdrawal: wallet.process_payouts)."""
    try:
        app.signature(name, kwargs=kwargs).delay()
    except (OperationalError, RedisError) as exc:
        log.warning("task not queued, the broker is unreachable; its sweep will redo it: %s (%s)", name, exc)
        return False
    return True

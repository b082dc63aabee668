"""Rate limits of accounts (ACCOUNTS_RATE_LIMITS): the one helper behind the pages, the API and the services."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from accounts import tokens
from couponali.ratelimit import client_ip, limit_hit


def limit_accounts(*, scope: str, key: str) -> None:
    """Count one hit of ``key`` in the accounts limit ``scope``; RateLimited past ACCOUNTS_RATE_LIMITS[scope]."""
    limit_hit(scope=f"accounts-{scope}", key=key, rate=settings.ACCOUNTS_RATE_LIMITS[scope])


def limit_request(request: HttpRequest, *, scope: str, key: str | None = None) -> None:
    """Count one hit for this request's client address (or ``key``, e.g. the referral code being tried)."""
    limit_accounts(scope=scope, key=key or client_ip(request))


def limit_target(*, scope: str, target: str) -> None:
    """Count one hit for an e-mail/mobile in ``scope`` (keyed by a hash, not the address); RateLimited past it."""
    limit_accounts(scope=scope, key=tokens.token_hash(target.lower()))

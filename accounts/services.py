"""Writes for accounts: users, sessions, KYC, notifications, audit. Keyword-only, typed, <entity>_<action>."""

from __future__ import annotations

import re
import secrets

# Readable codes: no 0/O/1/I/L, so a code read aloud or typed from a screenshot is unambiguous.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def referral_code_generate(*, name: str | None = None) -> str:
    """A unique, readable referral code such as ``PRIYA7K3Q``: up to 5 letters of the name plus 4 random."""
    from .models import User

    stem = re.sub(r"[^A-Z]", "", (name or "").split("@")[0].upper())[:5] or "CA"
    for _ in range(20):
        code = stem + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(4))
        if not User.all_objects.filter(referral_code=code).exists():
            return code
    # 31^4 codes per stem; after 20 collisions fall back to a longer random tail.
    return stem + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def audit_log(
    *,
    actor_id: int | None,
    action: str,
    entity_type: str | None = None,
    entity_id: int | None = None,
    metadata: dict | None = None,
) -> None:
    """One audit row; call it inside the transaction of the change it records."""
    from .models import AuditLog

    AuditLog.objects.create(
        actor_user_id=actor_id, action=action, entity_type=entity_type, entity_id=entity_id, metadata=metadata or {}
    )


def notify(*, user_id: int, title: str, body: str) -> None:
    """An in-app notification for the user (the accounts issue adds e-mail/SMS copies through Celery)."""
    from .models import Notification

    Notification.objects.create(user_id=user_id, title=title[:120], body=body[:500])

"""The audit log: one row per state change that matters, written in the transaction of the change.

Every layer writes it (the kernel's rls.bypass too), so it lives in the kernel. The actions are one list,
:class:`AuditAction` (``AuditLog.Action``): a caller passes a member, so a misspelt action fails at import.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection
from django.utils import timezone

from .models import AuditLog

AuditAction = AuditLog.Action

__all__ = ["AuditAction", "AuditLog", "audit_log", "audit_log_many"]


def audit_log(
    *,
    actor_id: int | None,
    action: AuditAction,
    entity_type: str | None = None,
    entity_id: int | None = None,
    metadata: dict | None = None,
) -> None:
    """One audit row; call it inside the transaction of the change it records."""
    AuditLog.objects.create(
        actor_user_id=actor_id, action=action, entity_type=entity_type, entity_id=entity_id, metadata=metadata or {}
    )


def audit_log_many(
    *,
    actor_id: int | None,
    action: AuditAction,
    entity_type: str,
    entries: Sequence[tuple[int, dict]],
) -> None:
    """One audit row per ``(entity_id, metadata)``, the rows audit_log() would write one by one, streamed in one
    COPY: for a set-based change of many rows (the cashback auto-confirm batch), where an INSERT per row or an
    ORM bulk_create would cost more than the change itself. Call it inside the change's transaction."""
    now = timezone.now()
    with (
        connection.cursor() as cur,
        cur.copy(
            "COPY audit_logs (actor_user_id, action, entity_type, entity_id, metadata, created_at) FROM STDIN"
        ) as copy,
    ):
        for entity_id, metadata in entries:
            copy.write_row((actor_id, str(action), entity_type, entity_id, json.dumps(metadata or {}), now))

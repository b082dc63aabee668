"""The audit log: one row per state change that matters, written in the transaction of the change.

Every layer writes it (the kernel's rls.bypass too), so it lives in the kernel. The actions are one list,
:class:`AuditAction` (``AuditLog.Action``): a caller passes a member, so a misspelt action fails at import.
"""

from __future__ import annotations

from .models import AuditLog

AuditAction = AuditLog.Action

__all__ = ["AuditAction", "AuditLog", "audit_log"]


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

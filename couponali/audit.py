"""The audit log: one row per state change that matters, written in the transaction of the change.

Every layer writes it (the kernel's rls.bypass too), so it lives in the kernel. The actions are one list,
:class:`AuditAction` (``AuditLog.Action``): a caller passes a member, so a misspelt action fails at import.

Every row is stamped with the request context (the client's IP and the request id, couponali.request_context)
and its metadata goes through the one masking rule (couponali.masking): secrets and KYC values are never
written, whatever a caller passes. Changes record ``{"before": {field: old}, "after": {field: new}}`` for the
fields that changed (:func:`diff`), which the admin shows as a before -> after table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date

from django.db import connection
from django.utils import timezone

from . import masking, request_context
from .models import AuditLog
from .partitions import monthly_partitions_ensure

AuditAction = AuditLog.Action

__all__ = [
    "AuditAction",
    "AuditLog",
    "audit_log",
    "audit_log_many",
    "audit_partitions_ensure",
    "diff",
    "entity_type_of",
]


def entity_type_of(model) -> str:
    """The ``entity_type`` of a model's rows: its class name in snake case (``UserKYC`` -> ``user_kyc``,
    ``CMSPage`` -> ``cms_page``), the names the services already write."""
    name = model._meta.object_name if hasattr(model, "_meta") else str(model)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def diff(before: dict, after: dict) -> dict:
    """``{"before": {...}, "after": {...}}`` of the keys whose value differs (a key missing on one side is None)."""
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    return {"before": {k: before.get(k) for k in keys}, "after": {k: after.get(k) for k in keys}}


def audit_log(
    *,
    actor_id: int | None,
    action: AuditAction,
    entity_type: str | None = None,
    entity_id: int | None = None,
    metadata: dict | None = None,
) -> None:
    """One audit row; call it inside the transaction of the change it records."""
    context = request_context.current()
    AuditLog.objects.create(
        actor_user_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        metadata=masking.mask_metadata(metadata),
        ip_address=context.ip_address,
        request_id=context.request_id,
    )


def audit_log_many(
    *,
    actor_id: int | None,
    action: AuditAction,
    entity_type: str,
    entries: Sequence[tuple[int, dict]],
) -> None:
    """One audit row per ``(entity_id, metadata)``, the rows audit_log() would write one by one, streamed in one
    COPY: for a set-based change of many rows (the cashback auto-confirm batch, an admin action over a
    selection), where an INSERT per row or an ORM bulk_create would cost more than the change itself. Call it
    inside the change's transaction."""
    now = timezone.now()
    context = request_context.current()
    with (
        connection.cursor() as cur,
        cur.copy(
            "COPY audit_logs (actor_user_id, action, entity_type, entity_id, metadata, created_at, ip_address, "
            "request_id) FROM STDIN"
        ) as copy,
    ):
        for entity_id, metadata in entries:
            copy.write_row(
                (
                    actor_id,
                    str(action),
                    entity_type,
                    entity_id,
                    json.dumps(masking.mask_metadata(metadata)),
                    now,
                    context.ip_address,
                    context.request_id,
                )
            )


def audit_partitions_ensure(*, months: int = 3, start: date | None = None) -> list[tuple[str, bool]]:
    """Make sure audit_logs has a partition for the month of ``start`` (default: this month, UTC) and the next
    ``months`` months, through the SECURITY DEFINER function audit_logs_create_partition (migration 0005)."""
    return monthly_partitions_ensure(table="audit_logs", months=months, start=start)

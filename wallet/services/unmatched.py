"""Conversions that could not be matched to a click (kept by cashback_record for review): staff retry or
dismiss them."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts import authz
from accounts.authz import Actor
from couponali.audit import AuditAction, audit_log
from wallet.models import UnmatchedConversion
from wallet.networks import Conversion

from .cashback import IngestResult, RecordPreview, cashback_record, cashback_record_preview
from .errors import IllegalTransition

RETRY_PERMISSION = "wallet.retry_unmatchedconversion"


def _open_conversion(unmatched_id: int) -> Conversion:
    """The conversion kept in an open unmatched row, as the network reported it (ValueError if unreadable)."""
    row = UnmatchedConversion.objects.get(pk=unmatched_id)
    if row.status != UnmatchedConversion.Status.OPEN:
        raise IllegalTransition(f"This conversion is already {row.status}.")
    return Conversion.from_payload(network=row.network, payload=row.payload)


def unmatched_retry(*, unmatched_id: int, actor: Actor) -> IngestResult:
    """Staff: try an unmatched conversion again (e.g. once the click is found). Recording it then needs the
    permissions of cashback_record as well."""
    authz.actor_require(actor, RETRY_PERMISSION)
    conversion = _open_conversion(unmatched_id)
    return cashback_record(conversion=conversion, source="review", actor=actor, unmatched_id=unmatched_id)


def unmatched_retry_preview(*, unmatched_id: int, actor: Actor) -> RecordPreview:
    """What unmatched_retry would record now, writing nothing (the admin's confirmation page): the shopper the
    click resolves to and the cashback, by cashback_record's own rules (cashback_record_preview). It names a
    shopper, so it needs the retry permission."""
    authz.actor_require(actor, RETRY_PERMISSION)
    return cashback_record_preview(conversion=_open_conversion(unmatched_id))


def unmatched_dismiss(*, unmatched_id: int, actor: Actor, note: str = "") -> None:
    actor_id = authz.actor_require(actor, "wallet.dismiss_unmatchedconversion")
    with transaction.atomic():
        updated = UnmatchedConversion.objects.filter(pk=unmatched_id, status=UnmatchedConversion.Status.OPEN).update(
            status=UnmatchedConversion.Status.DISMISSED, resolved_by_id=actor_id, resolved_at=timezone.now()
        )
        if updated:
            audit_log(
                actor_id=actor_id,
                action=AuditAction.CASHBACK_UNMATCHED_DISMISSED,
                entity_type="unmatched_conversion",
                entity_id=unmatched_id,
                metadata={"note": note},
            )

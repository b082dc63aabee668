"""KYC: the user's submission (encrypted where it must be), staff review and reveal, the payout worker's
read, and key rotation.

``kyc_payout_details`` reads, but stays a service: it decrypts personal data and writes an audit row (a
write) in the caller's transaction; selectors never write."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts import authz, crypto
from accounts.authz import Actor
from accounts.errors import AccountsError
from accounts.models import UserKYC
from couponali import rls
from couponali.audit import AuditAction, audit_log, diff

from .notifications import notify

KYC_PLAIN_FIELDS = (
    "account_holder_name",
    "ifsc_code",
    "bank_name",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "pincode",
)


def _kyc_apply(kyc: UserKYC, data: dict) -> list[str]:
    """Copy the cleaned form data onto ``kyc`` (encrypting what must be); the names of the fields that changed.
    A blank encrypted field keeps the stored value (the form shows it masked)."""
    changed: list[str] = []
    for field in KYC_PLAIN_FIELDS:
        value = (data.get(field) or "").strip() or None
        if getattr(kyc, field) != value:
            setattr(kyc, field, value)
            changed.append(field)
    for field in UserKYC.ENCRYPTED_FIELDS:
        value = (data.get(field) or "").strip()
        if not value:
            continue
        if crypto.decrypt(getattr(kyc, field)) != value:
            setattr(kyc, field, crypto.encrypt(value))
            changed.append(field)
    if "pan_number" in changed:
        kyc.pan_hash = crypto.blind_index(crypto.decrypt(kyc.pan_number))
        kyc.pan_verified = False
    return changed


def kyc_submit(*, user_id: int, data: dict):
    """Create or update the user's KYC from cleaned form data.

    PAN, account number and UPI id are encrypted here, before the INSERT/UPDATE; a blank value for one of
    them keeps the stored one (the form shows it masked). Any change sends a verified or rejected KYC back
    to pending review. Runs in the caller's RLS scope (the user's own row).
    """
    with transaction.atomic():
        kyc = UserKYC.objects.select_for_update().filter(user_id=user_id).first()
        created = kyc is None
        if kyc is None:
            kyc = UserKYC(user_id=user_id)
        changed = _kyc_apply(kyc, data)
        if not created and not changed:
            return kyc
        previous_status = kyc.status
        kyc.status, kyc.verified_at = UserKYC.Status.PENDING, None
        kyc.save()
        audit_log(
            actor_id=user_id,
            action=AuditAction.KYC_SUBMIT,
            entity_type="user_kyc",
            entity_id=kyc.pk,
            metadata={"fields": changed, "previous_status": None if created else previous_status},
        )
    return kyc


def kyc_review(*, kyc_id: int, actor: Actor, decision: str, notes: str | None):
    """Staff holding accounts.review_userkyc verify or reject a KYC with notes; the user is told (in-app and
    by e-mail)."""
    actor_id = authz.actor_require(actor, "accounts.review_userkyc")
    if decision not in (UserKYC.Status.VERIFIED, UserKYC.Status.REJECTED):
        raise AccountsError("Choose verified or rejected.")
    if decision == UserKYC.Status.REJECTED and not (notes or "").strip():
        raise AccountsError("Say why the KYC is rejected: the user sees the notes.")
    verified = decision == UserKYC.Status.VERIFIED
    now = timezone.now()
    with authz.acting(actor_id, reason="kyc.review"):
        kyc = UserKYC.objects.select_for_update().get(pk=kyc_id)
        previous, previous_notes = kyc.status, kyc.notes
        kyc.status = decision
        kyc.notes = (notes or "").strip() or None
        kyc.verified_at = now if verified else None
        kyc.pan_verified = verified and bool(kyc.pan_number)
        kyc.save(update_fields=["status", "notes", "verified_at", "pan_verified", "updated_at"])
        audit_log(
            actor_id=actor_id,
            action=AuditAction.KYC_VERIFIED if verified else AuditAction.KYC_REJECTED,
            entity_type="user_kyc",
            entity_id=kyc.pk,
            metadata={
                "previous_status": previous,
                "user_id": kyc.user_id,
                **diff({"status": previous, "notes": previous_notes}, {"status": kyc.status, "notes": kyc.notes}),
            },
        )
        if verified:
            title, body = "Your KYC is verified", "You can now withdraw your CouponAli earnings."
        else:
            title, body = "Your KYC needs another look", f"We could not verify your details: {kyc.notes}"
        notify(user_id=kyc.user_id, title=title, body=body, url="/accounts/kyc/", email=True)
    return kyc


def kyc_reveal(*, kyc_id: int, field: str, actor: Actor) -> str:
    """The plain value of one encrypted KYC field, for staff holding accounts.reveal_userkyc. Audited (the
    audit row names the field, never the value)."""
    actor_id = authz.actor_require(actor, "accounts.reveal_userkyc")
    if field not in UserKYC.ENCRYPTED_FIELDS:
        raise AccountsError("Only PAN, account number and UPI id are encrypted.")
    with authz.acting(actor_id, reason="kyc.reveal"):
        kyc = UserKYC.objects.get(pk=kyc_id)
        value = crypto.decrypt(getattr(kyc, field)) or ""
        audit_log(
            actor_id=actor_id,
            action=AuditAction.KYC_REVEAL,
            entity_type="user_kyc",
            entity_id=kyc.pk,
            metadata={"field": field, "user_id": kyc.user_id},
        )
    return value


def kyc_payout_details(*, user_id: int) -> dict[str, str]:
    """The decrypted payout details of a user's KYC, for the payout worker only (a system use: never shown to
    anyone, audited). Empty dict when there is no KYC row. Call it inside an rls.bypass() or the user's scope."""
    kyc = UserKYC.objects.filter(user_id=user_id).first()
    if kyc is None:
        return {}
    audit_log(
        actor_id=None,
        action=AuditAction.KYC_PAYOUT_READ,
        entity_type="user_kyc",
        entity_id=kyc.pk,
        metadata={"user_id": user_id},
    )
    return {
        "account_holder_name": kyc.account_holder_name or "",
        "account_number": crypto.decrypt(kyc.account_number) or "",
        "ifsc": kyc.ifsc_code or "",
        "bank_name": kyc.bank_name or "",
        "upi_id": crypto.decrypt(kyc.upi_id) or "",
    }


def kyc_rotate_keys(*, batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every KYC value under the newest key and recompute the PAN blind index.

    Batches by id, each batch in its own transaction with its rows locked; safe to stop and run again
    (a value already under the newest key is simply re-encrypted). Acts for every user: audited bypass.
    """
    crypto.fernet()  # fail before touching anything when the keys are wrong
    rows = values = 0
    last_id = 0
    while True:
        with rls.bypass(reason="rotate_kyc_keys"):
            batch = list(UserKYC.objects.select_for_update().filter(pk__gt=last_id).order_by("pk")[:batch_size])
            if not batch:
                break
            for kyc in batch:
                for field in UserKYC.ENCRYPTED_FIELDS:
                    token = getattr(kyc, field)
                    if token:
                        setattr(kyc, field, crypto.rotate(token))
                        values += 1
                kyc.pan_hash = crypto.blind_index(crypto.decrypt(kyc.pan_number)) if kyc.pan_number else None
            UserKYC.objects.bulk_update(batch, [*UserKYC.ENCRYPTED_FIELDS, "pan_hash"])
            rows += len(batch)
            last_id = batch[-1].pk
    return {"rows": rows, "values": values}

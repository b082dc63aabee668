"""Offers written one at a time by a person or a partner: create, update, expire, delete and restore (the brand
API and staff tools, the offer admin among them).

The offer rules are checked in offers.feeds.parse_offer_fields, the same function a feed line goes through. Who
may: staff holding the model permission (accounts.authz), or a brand partner's service user holding the store's
object permission ``catalog.manage_offers`` (django-guardian; granted by the partners app). Each change writes an
audit row, invalidates the cached listings on commit and announces itself (couponali.events.offer_changed) for
the brand's webhooks.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.authz import SYSTEM, Actor, PermissionRefused, actor_may, actor_require
from catalog.cache import listing_changed
from catalog.models import Merchant
from catalog.selectors import store_ids_granted_to
from couponali import events
from couponali.audit import AuditAction, audit_log
from offers.feeds import FeedRowError, OfferFields, parse_offer_fields
from offers.models import Offer

MANAGE_STORE_OFFERS = "catalog.manage_offers"
"""The object permission on a store (Merchant) that lets a brand partner manage its offers."""

EDITABLE_FIELDS = tuple(OfferFields.__dataclass_fields__)


class OfferInvalid(Exception):
    """The offer breaks a rule; nothing was written. ``fields`` maps a field name to its messages."""

    http_status = 400
    error_code = "invalid_offer"

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.fields: dict[str, list[str]] = {}
        for reason in reasons:
            # the field a reason is about is the first one it names ("a percentage cashback_value cannot ...")
            named = [word for word in reason.split() if word in EDITABLE_FIELDS]
            self.fields.setdefault(named[0] if named else "non_field_errors", []).append(reason)


def store_actor_require(actor: Actor | None, merchant: Merchant, staff_perm: str) -> int | None:
    """The audit actor id when ``actor`` may change offers of ``merchant``: staff with ``staff_perm``, a user
    holding MANAGE_STORE_OFFERS on this store (a brand partner), or a merchant manager granted this store
    (catalog.selectors.store_ids_granted_to: the grant that scopes the admin's store rows); PermissionRefused
    otherwise."""
    if actor is SYSTEM or actor_may(actor, staff_perm):
        return actor_require(actor, staff_perm)
    if (
        actor is not None
        and getattr(actor, "is_active", False)
        and (actor.has_perm(MANAGE_STORE_OFFERS, merchant) or merchant.pk in store_ids_granted_to(actor))
    ):
        return actor.pk
    raise PermissionRefused("You may not manage the offers of this store.", perms=(staff_perm,))


def _validated(raw: dict) -> OfferFields:
    try:
        return parse_offer_fields(raw)
    except FeedRowError as exc:
        raise OfferInvalid(exc.reasons) from exc


def _announce(offer: Offer, change: str) -> None:
    listing_changed()
    events.offer_changed.send(sender=Offer, offer_id=offer.pk, merchant_id=offer.merchant_id, change=change)


def offer_create(*, actor: Actor, merchant: Merchant, data: dict) -> Offer:
    """A new offer of ``merchant`` from ``data`` (the keys of OfferFields; texts or values)."""
    actor_id = store_actor_require(actor, merchant, "offers.add_offer")
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise OfferInvalid([f"{name} cannot be set" for name in sorted(unknown)])
    fields = _validated(data)
    with transaction.atomic():
        offer = Offer.objects.create(merchant=merchant, **asdict(fields))
        audit_log(
            actor_id=actor_id,
            action=AuditAction.OFFER_CREATED,
            entity_type="offer",
            entity_id=offer.pk,
            metadata={"store": merchant.slug, "title": offer.title},
        )
        _announce(offer, "created")
    return offer


def _locked(offer_id: int) -> Offer:
    return Offer.objects.select_for_update().defer("search_vector").select_related("merchant").get(pk=offer_id)


def offer_update(*, actor: Actor, offer_id: int, data: dict) -> Offer:
    """Change some fields of an offer; the whole offer (old values with the new ones) is checked again."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise OfferInvalid([f"{name} cannot be set" for name in sorted(unknown)])
    with transaction.atomic():
        offer = _locked(offer_id)
        actor_id = store_actor_require(actor, offer.merchant, "offers.change_offer")
        merged = {name: getattr(offer, name) for name in EDITABLE_FIELDS} | data
        fields = asdict(_validated(merged))
        changed = [name for name, value in fields.items() if getattr(offer, name) != value]
        if not changed:
            return offer
        for name in changed:
            setattr(offer, name, fields[name])
        offer.save(update_fields=[*changed, "updated_at"])
        audit_log(
            actor_id=actor_id,
            action=AuditAction.OFFER_UPDATED,
            entity_type="offer",
            entity_id=offer.pk,
            metadata={"store": offer.merchant.slug, "fields": changed},
        )
        _announce(offer, "updated")
    return offer


def offer_expire(*, actor: Actor, offer_id: int, at: datetime | None = None) -> Offer:
    """End an offer now (or at ``at``); an offer that already ended earlier keeps its end."""
    with transaction.atomic():
        offer = _locked(offer_id)
        actor_id = store_actor_require(actor, offer.merchant, "offers.change_offer")
        end = at or timezone.now()
        if offer.expires_at is not None and offer.expires_at <= end:
            return offer
        if offer.starts_at is not None and offer.starts_at >= end:
            offer.starts_at = end  # a future offer that is expired never starts
        offer.expires_at = end
        offer.save(update_fields=["starts_at", "expires_at", "updated_at"])
        audit_log(
            actor_id=actor_id,
            action=AuditAction.OFFER_EXPIRED,
            entity_type="offer",
            entity_id=offer.pk,
            metadata={"store": offer.merchant.slug, "expires_at": end.isoformat()},
        )
        _announce(offer, "expired")
    return offer


def _soft_delete_or_restore(*, actor: Actor, offer_ids, delete: bool) -> int:
    """Delete (set deleted_at) or restore the given offers that are not in that state already, all or none: the
    actor must be allowed on the store of every one of them (staff ``offers.delete_offer``, or the brand's
    store grant), else PermissionRefused and nothing changes. An audit row and an announcement per offer."""
    with transaction.atomic():
        offers = list(
            Offer.all_objects.select_for_update(of=("self",))
            .defer("search_vector")
            .select_related("merchant")
            .filter(pk__in=list(offer_ids), deleted_at__isnull=delete)
            .order_by("pk")
        )
        actor_ids = {
            offer.merchant_id: store_actor_require(actor, offer.merchant, "offers.delete_offer") for offer in offers
        }
        now = timezone.now() if delete else None
        for offer in offers:
            offer.deleted_at = now
            offer.save(update_fields=["deleted_at", "updated_at"])
            audit_log(
                actor_id=actor_ids[offer.merchant_id],
                action=AuditAction.OFFER_DELETED if delete else AuditAction.OFFER_RESTORED,
                entity_type="offer",
                entity_id=offer.pk,
                metadata={"store": offer.merchant.slug, "title": offer.title},
            )
            _announce(offer, "deleted" if delete else "restored")
    return len(offers)


def offers_delete(*, actor: Actor, offer_ids) -> int:
    """Take offers off the site (soft delete: the row, its clicks and its history stay). Returns how many were
    deleted; offers deleted already are left as they are."""
    return _soft_delete_or_restore(actor=actor, offer_ids=offer_ids, delete=True)


def offers_restore(*, actor: Actor, offer_ids) -> int:
    """Bring deleted offers back. Returns how many were restored; live offers are left as they are."""
    return _soft_delete_or_restore(actor=actor, offer_ids=offer_ids, delete=False)

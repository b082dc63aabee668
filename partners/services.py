"""Partner writes: organisations and their members, store bindings, API keys, webhook endpoints and deliveries.

Every service here changes who may do what (or sends data out), so each takes the acting user and checks it
(accounts.authz): staff with the model permission, or, for an organisation's own keys and webhooks, one of its
admin users (PartnerMember) or - for webhooks through the API - its service user. Each writes an audit row in its
transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm, remove_perm

from accounts import crypto
from accounts.authz import SYSTEM, Actor, PermissionRefused, actor_may, actor_require
from accounts.models import User
from catalog.models import Merchant
from couponali.audit import AuditAction, audit_log
from couponali.celery import enqueue_on_commit
from couponali.task_names import Partners
from offers.services import MANAGE_STORE_OFFERS

from .models import (
    ApiKey,
    PartnerMember,
    PartnerOrganisation,
    Scope,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from .webhooks import webhook_send, webhook_url_check

KEY_SEPARATOR = "."
LAST_USED_EVERY = timedelta(minutes=1)
RETRY_WINDOW = timedelta(hours=24)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=4)


class PartnerError(Exception):
    http_status = 400
    error_code = "partner_error"


# ---------------------------------------------------------------- who may act for an organisation


def _acts_for(actor, organisation: PartnerOrganisation, *, service_user_too: bool) -> bool:
    return (
        isinstance(actor, User)
        and actor.is_active
        and organisation.is_active
        and (
            (service_user_too and actor.pk == organisation.service_user_id)
            or PartnerMember.objects.filter(organisation=organisation, user_id=actor.pk).exists()
        )
    )


def organisation_actor_require(
    actor: Actor | None, organisation: PartnerOrganisation, perm: str, *, service_user_too: bool = False
) -> int | None:
    """The audit actor id when ``actor`` may manage ``organisation``'s keys or webhooks: staff holding ``perm``
    (accounts.authz), or the organisation's own admin user; with ``service_user_too`` (webhooks) also its
    service user, i.e. one of its API keys. A key never mints or revokes keys. PermissionRefused otherwise."""
    if actor is SYSTEM or actor_may(actor, perm):
        return actor_require(actor, perm)
    if _acts_for(actor, organisation, service_user_too=service_user_too):
        assert isinstance(actor, User)
        return actor.pk
    raise PermissionRefused("You may not manage this partner organisation.", perms=(perm,))


def organisation_of_member(user) -> PartnerOrganisation | None:
    if not getattr(user, "is_authenticated", False):
        return None
    member = PartnerMember.objects.select_related("organisation").filter(user_id=user.pk).first()
    return member.organisation if member and member.organisation.is_active else None


# ---------------------------------------------------------------- organisations, members, stores


def partner_organisation_create(*, actor: Actor, organisation: PartnerOrganisation) -> PartnerOrganisation:
    """Save a new organisation (built by the caller: the admin's form) with its service user (no password: it
    never signs in; the organisation's API keys act as it)."""
    actor_id = actor_require(actor, "partners.add_partnerorganisation")
    with transaction.atomic():
        organisation.service_user = User.objects.create_user(
            email=f"partner-{organisation.slug}-{uuid.uuid4().hex[:8]}@partners.invalid",
            full_name=f"{organisation.name} (API)"[:255],
        )
        organisation.save()
        audit_log(
            actor_id=actor_id,
            action=AuditAction.PARTNER_ORGANISATION_CREATED,
            entity_type="partner_organisation",
            entity_id=organisation.pk,
            metadata={"service_user": organisation.service_user_id, "kind": organisation.kind},
        )
    return organisation


def partner_member_add(*, actor: Actor, organisation: PartnerOrganisation, user: User) -> PartnerMember:
    actor_id = actor_require(actor, "partners.add_partnermember")
    with transaction.atomic():
        member = PartnerMember.objects.create(organisation=organisation, user=user)
        audit_log(
            actor_id=actor_id,
            action=AuditAction.PARTNER_MEMBER_ADDED,
            entity_type="partner_organisation",
            entity_id=organisation.pk,
            metadata={"user": user.pk},
        )
    return member


def partner_store_grant(*, actor: Actor, organisation: PartnerOrganisation, merchant: Merchant) -> None:
    """Bind a store to a brand: its keys may manage the store's offers and read its reports."""
    actor_id = actor_require(actor, "partners.change_partnerorganisation")
    if organisation.kind != PartnerOrganisation.Kind.BRAND:
        raise PartnerError("Only a brand organisation can be bound to stores.")
    with transaction.atomic():
        assign_perm(MANAGE_STORE_OFFERS, organisation.service_user, merchant)
        audit_log(
            actor_id=actor_id,
            action=AuditAction.PARTNER_STORE_GRANTED,
            entity_type="partner_organisation",
            entity_id=organisation.pk,
            metadata={"store": merchant.slug},
        )


def partner_store_revoke(*, actor: Actor, organisation: PartnerOrganisation, merchant: Merchant) -> None:
    actor_id = actor_require(actor, "partners.change_partnerorganisation")
    with transaction.atomic():
        remove_perm(MANAGE_STORE_OFFERS, organisation.service_user, merchant)
        audit_log(
            actor_id=actor_id,
            action=AuditAction.PARTNER_STORE_REVOKED,
            entity_type="partner_organisation",
            entity_id=organisation.pk,
            metadata={"store": merchant.slug},
        )


# ---------------------------------------------------------------- API keys


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(
    *,
    actor: Actor,
    organisation: PartnerOrganisation,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its full text ``<prefix>.<secret>``, which is shown once and never stored (only the SHA-256
    of the secret is)."""
    actor_id = organisation_actor_require(actor, organisation, "partners.add_apikey")
    scopes = sorted(set(scopes))
    if not scopes or set(scopes) - set(Scope.values):
        raise PartnerError(f"Choose one or more scopes of: {', '.join(Scope.values)}.")
    if not (name or "").strip():
        raise PartnerError("Give the key a name (what it is for).")
    if expires_at is not None and expires_at <= timezone.now():
        raise PartnerError("The expiry must be in the future.")
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            organisation=organisation,
            name=name.strip()[:100],
            prefix=prefix,
            secret_hash=_hash(secret),
            scopes=scopes,
            expires_at=expires_at,
            created_by_id=actor_id,
        )
        audit_log(
            actor_id=actor_id,
            action=AuditAction.PARTNER_KEY_CREATED,
            entity_type="partner_api_key",
            entity_id=key.pk,
            metadata={"organisation": organisation.slug, "prefix": prefix, "scopes": scopes},
        )
    return key, f"{prefix}{KEY_SEPARATOR}{secret}"


def api_key_revoke(*, actor: Actor, key: ApiKey) -> ApiKey:
    actor_id = organisation_actor_require(actor, key.organisation, "partners.change_apikey")
    with transaction.atomic():
        locked = ApiKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at, locked.revoked_by_id = timezone.now(), actor_id
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit_log(
            actor_id=actor_id,
            action=AuditAction.PARTNER_KEY_REVOKED,
            entity_type="partner_api_key",
            entity_id=locked.pk,
            metadata={"organisation": key.organisation.slug, "prefix": locked.prefix},
        )
    return locked


def api_key_authenticate(raw: str, *, now: datetime | None = None) -> ApiKey | None:
    """The usable key for ``<prefix>.<secret>`` (organisation and service user loaded), else None. The prefix
    finds the row; the secret's hash is compared in constant time. last_used_at is written at most once a
    minute per key (one conditional UPDATE), so a busy key does not turn every request into a write."""
    prefix, _, secret = raw.strip().partition(KEY_SEPARATOR)
    if not prefix or not secret or len(prefix) > 16:
        return None
    now = now or timezone.now()
    key = (
        ApiKey.objects.select_related("organisation", "organisation__service_user")
        .filter(prefix=prefix, organisation__is_active=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)) or not key.usable_at(now):
        return None
    if key.last_used_at is None or key.last_used_at <= now - LAST_USED_EVERY:
        ApiKey.objects.filter(pk=key.pk).exclude(last_used_at__gt=now - LAST_USED_EVERY).update(last_used_at=now)
        key.last_used_at = now
    return key


# ---------------------------------------------------------------- webhook endpoints


def webhook_endpoint_create(
    *, actor: Actor, organisation: PartnerOrganisation, url: str, events: Iterable[str]
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown once; stored encrypted, since signing needs it)."""
    actor_id = organisation_actor_require(actor, organisation, "partners.add_webhookendpoint", service_user_too=True)
    events = sorted(set(events))
    if not events or set(events) - set(WebhookEvent.values):
        raise PartnerError(f"Choose one or more events of: {', '.join(WebhookEvent.values)}.")
    url = webhook_url_check(url)
    secret = "whsec_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            organisation=organisation, url=url, events=events, secret_encrypted=crypto.encrypt(secret) or ""
        )
        audit_log(
            actor_id=actor_id,
            action=AuditAction.PARTNER_WEBHOOK_CREATED,
            entity_type="partner_webhook_endpoint",
            entity_id=endpoint.pk,
            metadata={"organisation": organisation.slug, "url": url, "events": events},
        )
    return endpoint, secret


def webhook_endpoint_delete(*, actor: Actor, endpoint: WebhookEndpoint) -> None:
    actor_id = organisation_actor_require(
        actor, endpoint.organisation, "partners.delete_webhookendpoint", service_user_too=True
    )
    with transaction.atomic():
        audit_log(
            actor_id=actor_id,
            action=AuditAction.PARTNER_WEBHOOK_DELETED,
            entity_type="partner_webhook_endpoint",
            entity_id=endpoint.pk,
            metadata={"organisation": endpoint.organisation.slug, "url": endpoint.url},
        )
        endpoint.delete()


# ---------------------------------------------------------------- deliveries


def _endpoints_for(event: str, merchant_ids: Iterable[int]) -> dict[int, list[WebhookEndpoint]]:
    """The active endpoints subscribed to ``event`` of the brands bound to each store, by store id."""
    ct = ContentType.objects.get_for_model(Merchant)
    grants = UserObjectPermission.objects.filter(
        content_type=ct,
        permission__content_type=ct,
        permission__codename=MANAGE_STORE_OFFERS.split(".")[1],
        object_pk__in=[str(m) for m in merchant_ids],
    ).values_list("object_pk", "user_id")
    stores_of_user: dict[int, list[int]] = {}
    for object_pk, user_id in grants:
        stores_of_user.setdefault(user_id, []).append(int(object_pk))
    found: dict[int, list[WebhookEndpoint]] = {}
    if not stores_of_user:
        return found
    endpoints = WebhookEndpoint.objects.select_related("organisation").filter(
        is_active=True,
        organisation__is_active=True,
        organisation__service_user_id__in=list(stores_of_user),
        events__contains=[event],
    )
    for endpoint in endpoints:
        for merchant_id in stores_of_user[endpoint.organisation.service_user_id]:
            found.setdefault(merchant_id, []).append(endpoint)
    return found


def anyone_subscribes(event: str) -> bool:
    """Whether any active endpoint listens to ``event`` (a cheap test before building payloads)."""
    return WebhookEndpoint.objects.filter(is_active=True, events__contains=[event]).exists()


def webhook_deliveries_record(*, event: str, items: dict[int, list[dict]]) -> list[WebhookDelivery]:
    """One delivery per (subscribed endpoint, item) for ``items`` = {store id: [data, ...]}, written in the
    caller's transaction (a rolled-back change announces nothing), sent after commit."""
    endpoints = _endpoints_for(event, items)
    now = timezone.now()
    deliveries: list[WebhookDelivery] = []
    for merchant_id, datas in items.items():
        for data in datas:
            body = {"event": event, "event_id": str(uuid.uuid4()), "created_at": now.isoformat(), "data": data}
            payload = json.dumps(body, separators=(",", ":"), sort_keys=True, default=str)
            deliveries.extend(
                WebhookDelivery(
                    endpoint=endpoint,
                    event=event,
                    payload=payload,
                    next_attempt_at=now,
                    give_up_at=now + RETRY_WINDOW,
                    created_at=now,
                )
                for endpoint in endpoints.get(merchant_id, [])
            )
    WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        enqueue_on_commit(Partners.DELIVER_WEBHOOK, delivery_id=delivery.pk)
    return deliveries


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the n-th failed attempt: 1, 2, 4 ... minutes, at most 4 hours apart."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def webhook_deliver(*, delivery_id: int, now: datetime | None = None) -> WebhookDelivery | None:
    """One attempt of a due pending delivery; safe to run twice. The row stays locked during the HTTP call (at
    most PARTNER_WEBHOOKS_TIMEOUT), so two workers never send the same delivery at once (the other skips it)."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .first()
        )
        if delivery is None or (delivery.next_attempt_at and delivery.next_attempt_at > now):
            return delivery
        endpoint = delivery.endpoint
        result = webhook_send(
            url=endpoint.url,
            secret=crypto.decrypt(endpoint.secret_encrypted) or "",
            event=delivery.event,
            delivery_id=str(delivery.uuid),
            body=delivery.payload.encode(),
        )
        delivery.attempts += 1
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            response_code=result.response_code,
            duration_ms=result.duration_ms,
            error=result.error,
            ok=result.ok,
        )
        if result.ok:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                WebhookDelivery.Status.SUCCEEDED,
                now,
                None,
            )
        else:
            following = now + retry_delay(delivery.attempts)
            if following > delivery.give_up_at:
                delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
            else:
                delivery.next_attempt_at = following
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "delivered_at"])
    return delivery


def webhook_due_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_delivery_replay(*, actor: Actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (same id and body, so the receiver can tell it is a repeat), with a new 24-hour
    retry window; its earlier attempts stay in the log."""
    actor_id = actor_require(actor, "partners.replay_webhookdelivery")
    now = timezone.now()
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.PENDING, next_attempt_at=now, give_up_at=now + RETRY_WINDOW
        )
        audit_log(
            actor_id=actor_id,
            action=AuditAction.PARTNER_WEBHOOK_REPLAYED,
            entity_type="partner_webhook_delivery",
            entity_id=delivery.pk,
            metadata={"previous_status": delivery.status, "attempts": delivery.attempts},
        )
        enqueue_on_commit(Partners.DELIVER_WEBHOOK, delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery

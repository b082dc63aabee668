"""Store grants: which stores a merchant manager edits (django-guardian object grants of
``catalog.change_merchant``). Permission changes, so each one is checked on the acting user and audited in
its own transaction; nobody grants a store they could not edit themselves."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm

from accounts import authz
from accounts.models import User
from catalog.models import Merchant
from catalog.selectors import STORE_GRANT_CODENAME
from couponali.audit import AuditAction, audit_log

GRANT_PERMISSION = "offers.add_storegrant"
REVOKE_PERMISSION = "offers.delete_storegrant"
STORE_PERMISSION = f"catalog.{STORE_GRANT_CODENAME}"


class StoreGrantRefused(ValueError):
    """The grant cannot be made (not a staff member, no such store); nothing was changed."""


def _staff(user_id: int) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.is_staff or not user.is_active:
        raise StoreGrantRefused("Stores are granted to active staff members only.")
    return user


def _grants(user_id: int, merchant_id: int):
    return UserObjectPermission.objects.filter(
        user_id=user_id,
        content_type=ContentType.objects.get_for_model(Merchant),
        object_pk=str(merchant_id),
        permission__codename=STORE_GRANT_CODENAME,
    )


def store_grant(*, user_id: int, merchant_id: int, actor: authz.Actor) -> int:
    """Let the staff member edit this store, its offers and commissions. Returns the grant's id (the existing
    one when the store was granted already: nothing is written then)."""
    actor_id = authz.actor_require(actor, GRANT_PERMISSION)
    if not authz.holds_all(actor, [STORE_PERMISSION]):
        raise authz.PermissionRefused("You can only grant stores you may edit yourself.", perms=(STORE_PERMISSION,))
    user = _staff(user_id)
    merchant = Merchant.all_objects.filter(pk=merchant_id).first()
    if merchant is None:
        raise StoreGrantRefused(f"There is no store {merchant_id}.")
    with transaction.atomic():
        existing = _grants(user.pk, merchant.pk).values_list("pk", flat=True).first()
        if existing is not None:
            return existing
        assign_perm(STORE_PERMISSION, user, merchant)
        grant_id = _grants(user.pk, merchant.pk).values_list("pk", flat=True).get()
        audit_log(
            actor_id=actor_id,
            action=AuditAction.STORE_GRANTED,
            entity_type="merchant",
            entity_id=merchant.pk,
            metadata={"user_id": user.pk, "store": merchant.slug},
        )
    return grant_id


def store_revoke(*, user_id: int, merchant_id: int, actor: authz.Actor) -> bool:
    """Take the store back. True if there was a grant."""
    actor_id = authz.actor_require(actor, REVOKE_PERMISSION)
    if not authz.holds_all(actor, [STORE_PERMISSION]):
        raise authz.PermissionRefused("You can only take back stores you may edit yourself.", perms=(STORE_PERMISSION,))
    with transaction.atomic():
        deleted, _ = _grants(user_id, merchant_id).delete()
        if not deleted:
            return False
        audit_log(
            actor_id=actor_id,
            action=AuditAction.STORE_REVOKED,
            entity_type="merchant",
            entity_id=merchant_id,
            metadata={"user_id": user_id},
        )
    return True

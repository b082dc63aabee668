"""Staff roles and departments: permission changes. Each service checks the acting user itself
(``authz.actor_require``) and writes its audit row in the same transaction as the change.

The rule of all of them: nobody grants more than they hold. A role's permission codes must all be held by
whoever grants, revokes, edits or deletes it; a department (whose queue, finance-only rules) is given or taken
only by its own members. Superusers, super admins (``roles.ALL``) and ``authz.SYSTEM`` (an operator's
``manage.py grant_role``) hold everything.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Permission
from django.db import transaction

from accounts import authz
from accounts.errors import AccountsError
from accounts.models import AccessPermission, Department, Role, RolePermission, User, UserDepartment, UserRole
from accounts.roles import ALL
from couponali.audit import AuditAction, audit_log


class RoleError(AccountsError):
    """The role change cannot be made as asked (unknown role, user or code; a system role); nothing changed."""

    default = "That role change is not possible."


def _refuse_beyond(actor, codes: Iterable[str], what: str) -> None:
    if authz.holds_everything(actor):
        return
    lacking = sorted(set(codes) - authz.permission_codes(actor))
    if lacking:
        raise authz.PermissionRefused(
            f"You cannot {what}: it carries permissions you do not hold ({', '.join(lacking[:5])}"
            f"{', …' if len(lacking) > 5 else ''}).",
            perms=tuple(lacking),
        )


def role_codes(role: Role) -> frozenset[str]:
    return frozenset(RolePermission.objects.filter(role=role).values_list("permission__code", flat=True))


def _role(slug: str) -> Role:
    role = Role.objects.filter(slug=slug).first()
    if role is None:
        known = ", ".join(Role.objects.order_by("slug").values_list("slug", flat=True))
        raise RoleError(f"There is no role “{slug}” (roles: {known}).")
    return role


def _staff(user_id: int) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise RoleError(f"There is no user {user_id}.")
    if not user.is_staff:
        raise RoleError(f"{user} is not staff: roles apply to staff accounts only (tick “staff status” first).")
    return user


def role_grant(*, user_id: int, role_slug: str, actor: authz.Actor, context: dict | None = None) -> bool:
    """Give a staff member a role. True if it is new (an existing holding writes nothing)."""
    actor_id = authz.actor_require(actor, "accounts.add_userrole")
    role = _role(role_slug)
    _refuse_beyond(actor, role_codes(role), f"grant the role “{role.name}”")
    user = _staff(user_id)
    with transaction.atomic():
        _, created = UserRole.objects.get_or_create(user=user, role=role)
        if created:
            audit_log(
                actor_id=actor_id,
                action=AuditAction.ROLE_GRANTED,
                entity_type="user",
                entity_id=user.pk,
                metadata={"role": role.slug, **(context or {})},
            )
    return created


def role_revoke(*, user_id: int, role_slug: str, actor: authz.Actor, context: dict | None = None) -> bool:
    """Take a role away. True if the user held it."""
    actor_id = authz.actor_require(actor, "accounts.delete_userrole")
    role = _role(role_slug)
    _refuse_beyond(actor, role_codes(role), f"take away the role “{role.name}”")
    with transaction.atomic():
        deleted, _ = UserRole.objects.filter(user_id=user_id, role=role).delete()
        if deleted:
            audit_log(
                actor_id=actor_id,
                action=AuditAction.ROLE_REVOKED,
                entity_type="user",
                entity_id=user_id,
                metadata={"role": role.slug, **(context or {})},
            )
    return bool(deleted)


def _department(slug: str) -> Department:
    department = Department.objects.filter(slug=slug).first()
    if department is None:
        known = ", ".join(Department.objects.order_by("slug").values_list("slug", flat=True))
        raise RoleError(f"There is no department “{slug}” (departments: {known}).")
    return department


def _refuse_other_department(actor, department: Department) -> None:
    if not authz.holds_everything(actor) and department.slug not in authz.departments_of(actor):
        raise authz.PermissionRefused(
            f"Only members of {department.name} (or a super admin) can change who belongs to it.",
            department=department.slug,
        )


def department_join(*, user_id: int, department_slug: str, actor: authz.Actor, context: dict | None = None) -> bool:
    """Put a staff member in a department (its support queue; finance-only rules for finance)."""
    actor_id = authz.actor_require(actor, "accounts.add_userdepartment")
    department = _department(department_slug)
    _refuse_other_department(actor, department)
    user = _staff(user_id)
    with transaction.atomic():
        _, created = UserDepartment.objects.get_or_create(user=user, department=department)
        if created:
            audit_log(
                actor_id=actor_id,
                action=AuditAction.DEPARTMENT_JOINED,
                entity_type="user",
                entity_id=user.pk,
                metadata={"department": department.slug, **(context or {})},
            )
    return created


def department_leave(*, user_id: int, department_slug: str, actor: authz.Actor, context: dict | None = None) -> bool:
    actor_id = authz.actor_require(actor, "accounts.delete_userdepartment")
    department = _department(department_slug)
    _refuse_other_department(actor, department)
    with transaction.atomic():
        deleted, _ = UserDepartment.objects.filter(user_id=user_id, department=department).delete()
        if deleted:
            audit_log(
                actor_id=actor_id,
                action=AuditAction.DEPARTMENT_LEFT,
                entity_type="user",
                entity_id=user_id,
                metadata={"department": department.slug, **(context or {})},
            )
    return bool(deleted)


def permission_choices() -> dict[str, str]:
    """Every code a role may hold, with its description: Django's permissions (``app_label.codename``, the
    model ones and the custom ones such as ``wallet.approve_withdrawal``) and ``*`` (every permission)."""
    rows = Permission.objects.select_related("content_type").order_by("content_type__app_label", "codename")
    choices = {ALL: "Every permission (super admin)"}
    choices.update({f"{p.content_type.app_label}.{p.codename}": p.name for p in rows})
    return choices


def role_save(
    *,
    actor: authz.Actor,
    name: str,
    slug: str,
    codes: Iterable[str],
    description: str | None = None,
    role_id: int | None = None,
) -> Role:
    """Create a role (``role_id`` None) or change one: its name, description and exact permission codes. The
    editor must hold every code the role had and every code it gets; a system role keeps its slug."""
    actor_id = authz.actor_require(actor, "accounts.change_role" if role_id else "accounts.add_role")
    wanted = frozenset(codes)
    choices = permission_choices()
    unknown = sorted(wanted - choices.keys())
    if unknown:
        raise RoleError(f"Unknown permission codes: {', '.join(unknown)}.")
    with transaction.atomic():
        role = Role.objects.select_for_update().filter(pk=role_id).first() if role_id else Role()
        if role is None:
            raise RoleError(f"There is no role {role_id}.")
        before = role_codes(role) if role.pk else frozenset()
        _refuse_beyond(actor, before | wanted, f"edit the role “{role.name or name}”")
        if role.is_system and role.slug != slug:
            raise RoleError("A system role keeps its slug (commands and the seed refer to it).")
        role.name, role.slug, role.description = name, slug, description
        role.save()
        added, removed = sorted(wanted - before), sorted(before - wanted)
        for code in added:
            permission, _ = AccessPermission.objects.get_or_create(code=code, defaults={"description": choices[code]})
            RolePermission.objects.create(role=role, permission=permission)
        RolePermission.objects.filter(role=role, permission__code__in=removed).delete()
        audit_log(
            actor_id=actor_id,
            action=AuditAction.ROLE_SAVED,
            entity_type="role",
            entity_id=role.pk,
            metadata={"role": role.slug, "created": role_id is None, "added": added, "removed": removed},
        )
    return role


def role_delete(*, role_id: int, actor: authz.Actor) -> None:
    """Delete a role that is not a system role; its holders lose it."""
    actor_id = authz.actor_require(actor, "accounts.delete_role")
    role = Role.objects.filter(pk=role_id).first()
    if role is None:
        raise RoleError(f"There is no role {role_id}.")
    if role.is_system:
        raise RoleError(f"“{role.name}” is a system role: it cannot be deleted.")
    _refuse_beyond(actor, role_codes(role), f"delete the role “{role.name}”")
    with transaction.atomic():
        holders = list(UserRole.objects.filter(role=role).values_list("user_id", flat=True))
        audit_log(
            actor_id=actor_id,
            action=AuditAction.ROLE_DELETED,
            entity_type="role",
            entity_id=role.pk,
            metadata={"role": role.slug, "codes": sorted(role_codes(role)), "holders": holders},
        )
        role.delete()

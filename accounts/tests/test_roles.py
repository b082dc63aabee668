"""Staff roles (issue 12): the seeded roles decide, over HTTP, what the admin lists, which changelists open,
which actions run; a forged action POST without the permission is refused and changes nothing. The backend
reads the roles once per request; the role services and the roles admin never grant more than the editor
holds; the commands are audited and refuse bad input."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import authz, crypto, services
from accounts.backends import RoleBackend
from accounts.factories import UserFactory, UserKYCFactory, grant_permissions, grant_role, system_roles
from accounts.management.commands import grant_role as grant_role_command
from accounts.models import Department, Role, RolePermission, User, UserDepartment, UserRole
from accounts.roles import ALL, SYSTEM_DEPARTMENTS, SYSTEM_ROLES
from cms.factories import CmsPageFactory, SupportTicketFactory
from cms.models import CmsPage
from couponali import rls
from couponali.models import AuditLog
from wallet import services as wallet
from wallet.models import WalletTransaction, Withdrawal

pytestmark = pytest.mark.django_db

# For each seeded role: changelists it opens and ones it must not even see (no link on the index, 403).
OPENS = {
    "super-admin": ["accounts/role", "wallet/withdrawal", "cms/cmspage", "catalog/merchant", "offers/storegrant"],
    "finance": [
        "wallet/withdrawal",
        "wallet/wallettransaction",
        "wallet/cashbackevent",
        "orders/order",
        "catalog/merchant",
    ],
    "support": ["cms/supportticket", "accounts/user", "offers/offerclick", "orders/order", "wallet/withdrawal"],
    "content-editor": ["cms/cmspage", "cms/seoredirect", "offers/offer", "catalog/merchant", "catalog/category"],
    "merchant-manager": ["catalog/category"],
    "analyst": ["offers/offer", "offers/offerclick", "wallet/cashbackevent", "catalog/merchant"],
}
CLOSED = {
    "super-admin": [],
    "finance": ["cms/cmspage", "accounts/role", "offers/offer", "catalog/category", "accounts/userrole"],
    "support": ["wallet/wallettransaction", "accounts/userkyc", "cms/cmspage", "accounts/role", "cms/seoredirect"],
    "content-editor": ["wallet/withdrawal", "wallet/wallettransaction", "accounts/user", "cms/supportticket"],
    "merchant-manager": ["wallet/withdrawal", "cms/cmspage", "accounts/user", "offers/offer", "catalog/merchant"],
    "analyst": ["wallet/withdrawal", "accounts/user", "accounts/userkyc", "cms/cmspage", "accounts/role"],
}
DEPARTMENTS = {"finance": ("finance",), "support": ("support",), "content-editor": ("content",)}


def staff_with_role(slug: str, **kwargs) -> User:
    return grant_role(UserFactory.create(is_staff=True, **kwargs), slug, departments=DEPARTMENTS.get(slug, ()))


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pending_withdrawal() -> Withdrawal:
    shopper = UserFactory.create()
    with rls.bypass(reason="test setup"):
        UserKYCFactory(user=shopper, status="verified", upi_id=crypto.encrypt("asha@okhdfcbank"))
        wallet.wallet_post(
            user_id=shopper.pk, amount=Decimal("1000"), type=WalletTransaction.Type.ADMIN_CREDIT, description="seed"
        )
        return wallet.withdrawal_request(
            user_id=shopper.pk, amount=Decimal("400"), method="upi", details={"vpa": "asha@okhdfcbank"}
        )


# ---------------------------------------------------------------- seeded roles over HTTP


def test_the_migration_seeds_the_system_roles_and_departments_with_real_permission_codes():
    system_roles()  # what migration 0006 does (a transactional test's flush may have emptied the tables)
    for definition in SYSTEM_ROLES:
        role = Role.objects.get(slug=definition.slug)
        assert role.is_system
        assert services.role_codes(role) >= set(definition.permissions)
    assert set(Department.objects.values_list("slug", flat=True)) >= {d.slug for d in SYSTEM_DEPARTMENTS}
    known = services.permission_choices()
    for definition in SYSTEM_ROLES:
        assert set(definition.permissions) <= known.keys(), definition.slug


@pytest.mark.parametrize("slug", list(OPENS))
def test_each_role_sees_and_opens_exactly_its_pages(slug):
    client = client_for(staff_with_role(slug))
    index = client.get("/admin/")
    assert index.status_code == 200
    page = index.content.decode()
    for path in OPENS[slug]:
        assert f'href="/admin/{path}/"' in page, (slug, path)
        assert client.get(f"/admin/{path}/").status_code == 200, (slug, path)
    for path in CLOSED[slug]:
        assert f'href="/admin/{path}/"' not in page, (slug, path)
        assert client.get(f"/admin/{path}/").status_code == 403, (slug, path)


def test_only_analysts_and_finance_open_the_dashboard_and_only_analysts_export():
    for slug, dashboard, export in [
        ("analyst", 200, 200),
        ("finance", 200, 403),
        ("content-editor", 403, 403),
        ("support", 403, 403),
    ]:
        client = client_for(staff_with_role(slug))
        assert client.get("/admin/analytics/").status_code == dashboard, slug
        assert client.get("/admin/analytics/export.csv?kind=daily").status_code == export, slug


def test_finance_approves_a_withdrawal_and_others_forging_the_action_change_nothing():
    withdrawal = pending_withdrawal()
    post = {"action": "approve_selected", "_selected_action": [withdrawal.pk]}
    audits = AuditLog.objects.filter(action="withdrawal.approved").count()
    # support may look at withdrawals (shoppers ask about them) but is offered no action and refused a forged one
    support = client_for(staff_with_role("support"))
    assert "approve_selected" not in support.get("/admin/wallet/withdrawal/").content.decode()
    for slug in ("support", "content-editor", "analyst", "merchant-manager"):
        response = client_for(staff_with_role(slug)).post("/admin/wallet/withdrawal/", post)
        assert response.status_code == 403, slug
        assert Withdrawal.objects.get(pk=withdrawal.pk).status == "pending", slug
    assert AuditLog.objects.filter(action="withdrawal.approved").count() == audits
    # the finance role without the finance department: permission, but the department rule still refuses
    outsider = grant_role(UserFactory(is_staff=True), "finance")
    assert client_for(outsider).post("/admin/wallet/withdrawal/", post).status_code == 403
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == "pending"
    # finance (role + department) is offered the action and it runs
    finance = staff_with_role("finance")
    client = client_for(finance)
    assert 'value="approve_selected"' in client.get("/admin/wallet/withdrawal/").content.decode()
    confirmation = client.post("/admin/wallet/withdrawal/", post)  # the money confirmation page: nothing moved yet
    assert confirmation.status_code == 200 and Withdrawal.objects.get(pk=withdrawal.pk).status == "pending"
    assert client.post("/admin/wallet/withdrawal/", {**post, "confirmed": "yes"}).status_code == 302
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == "approved"
    assert AuditLog.objects.filter(action="withdrawal.approved", actor_user=finance).exists()


def test_content_editors_publish_pages_and_nobody_else_can_by_a_forged_post():
    page = CmsPageFactory(is_published=False, published_at=None)
    post = {"action": "publish_selected", "_selected_action": [page.pk]}
    for slug in ("finance", "support", "analyst"):
        assert client_for(staff_with_role(slug)).post("/admin/cms/cmspage/", post).status_code == 403, slug
    assert client_for(staff_with_role("finance")).post(f"/admin/cms/cmspage/{page.pk}/publish/").status_code == 403
    # a page viewer without the publish permission: no action offered, and 403 when forged
    viewer = client_for(grant_permissions(UserFactory(is_staff=True), "cms.view_cmspage", "cms.change_cmspage"))
    assert "publish_selected" not in viewer.get("/admin/cms/cmspage/").content.decode()
    assert viewer.post("/admin/cms/cmspage/", post).status_code == 403
    assert not CmsPage.objects.get(pk=page.pk).is_published
    editor = staff_with_role("content-editor")
    response = client_for(editor).post("/admin/cms/cmspage/", post)
    assert response.status_code == 302
    assert CmsPage.objects.get(pk=page.pk).is_published
    assert AuditLog.objects.filter(action="cms.page_published", actor_user=editor, entity_id=page.pk).exists()


def test_a_support_agent_sees_only_the_tickets_routed_to_their_department():
    system_roles()
    with rls.bypass(reason="test setup"):
        ours = SupportTicketFactory(subject="Cashback missing", department=Department.objects.get(slug="support"))
        theirs = SupportTicketFactory(subject="Withdrawal stuck", department=Department.objects.get(slug="finance"))
    client = client_for(staff_with_role("support"))
    page = client.get("/admin/cms/supportticket/").content.decode()
    assert "Cashback missing" in page and "Withdrawal stuck" not in page
    assert client.get(f"/admin/cms/supportticket/{ours.pk}/change/").status_code == 200
    assert client.get(f"/admin/cms/supportticket/{theirs.pk}/change/").status_code == 403


# ---------------------------------------------------------------- the backend


def test_permissions_come_from_roles_only_and_cost_one_query_per_request():
    user = UserFactory(is_staff=True)
    # a Django per-user permission is not consulted: roles are the one source
    user.user_permissions.add(Permission.objects.get(codename="approve_withdrawal"))
    user = User.objects.get(pk=user.pk)
    assert not user.has_perm("wallet.approve_withdrawal")
    user = grant_role(user, "finance")
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm("wallet.approve_withdrawal")
        assert user.has_perms(["wallet.view_withdrawal", "orders.refund_order"])
        assert not user.has_perm("cms.publish_cmspage")
        assert user.has_module_perms("wallet") and not user.has_module_perms("cms_nothing")
    assert len(queries) == 1
    assert "wallet.approve_withdrawal" in user.get_all_permissions()
    # the same rows give nothing to an account that is not staff, or not active
    for flags in ({"is_staff": False}, {"is_active": False}):
        User.objects.filter(pk=user.pk).update(**flags)
        assert not User.all_objects.get(pk=user.pk).has_perm("wallet.approve_withdrawal")


def test_super_admin_holds_every_permission_and_superusers_keep_their_semantics():
    admin = grant_role(UserFactory(is_staff=True), "super-admin")
    assert admin.has_perm("wallet.approve_withdrawal") and admin.has_perm("accounts.delete_role")
    assert "orders.refund_order" in admin.get_all_permissions()
    superuser = UserFactory(is_staff=True, is_superuser=True)
    assert superuser.has_perm("cms.publish_cmspage") and "cms.publish_cmspage" in superuser.get_all_permissions()
    holders = RoleBackend().with_perm("wallet.approve_withdrawal")
    assert {admin.pk, superuser.pk} <= set(holders.values_list("pk", flat=True))
    assert not holders.filter(pk=grant_role(UserFactory(is_staff=True), "analyst").pk).exists()


def test_a_role_change_shows_on_the_next_request():
    user = staff_with_role("analyst")
    client = client_for(user)
    assert client.get("/admin/offers/offer/").status_code == 200
    services.role_revoke(user_id=user.pk, role_slug="analyst", actor=authz.SYSTEM)
    assert client.get("/admin/offers/offer/").status_code == 403


# ---------------------------------------------------------------- no escalation


def role_editor(*extra: str) -> User:
    """Staff who may edit roles and grant them, and holds a few content permissions besides."""
    return grant_permissions(
        UserFactory.create(is_staff=True),
        "accounts.view_role",
        "accounts.add_role",
        "accounts.change_role",
        "accounts.delete_role",
        "accounts.view_userrole",
        "accounts.add_userrole",
        "accounts.delete_userrole",
        "cms.view_cmspage",
        "cms.change_cmspage",
        *extra,
    )


def test_the_roles_admin_cannot_grant_more_than_the_editor_holds():
    editor = role_editor()
    client = client_for(editor)
    form = client.get("/admin/accounts/role/add/").content.decode()
    assert "cms.change_cmspage" in form and "wallet.approve_withdrawal" not in form
    # a forged POST naming a permission the editor lacks is refused by the form and nothing is created
    data = {"name": "Sneaky", "slug": "sneaky", "description": "", "permissions": ["wallet.approve_withdrawal"]}
    response = client.post("/admin/accounts/role/add/", data)
    assert response.status_code == 200 and not Role.objects.filter(slug="sneaky").exists()
    # and the service refuses it too, whoever calls it
    with pytest.raises(authz.PermissionRefused):
        services.role_save(actor=editor, name="Sneaky", slug="sneaky", codes=["wallet.approve_withdrawal"])
    with pytest.raises(authz.PermissionRefused):
        services.role_save(actor=editor, name="All", slug="all", codes=[ALL])
    # within what they hold it works, and is audited with what was added
    data["permissions"] = ["cms.view_cmspage", "cms.change_cmspage"]
    assert client.post("/admin/accounts/role/add/", data).status_code == 302
    role = Role.objects.get(slug="sneaky")
    assert services.role_codes(role) == {"cms.view_cmspage", "cms.change_cmspage"}
    log = AuditLog.objects.get(action="role.saved", entity_id=role.pk)
    assert log.actor_user_id == editor.pk and log.metadata["added"] == ["cms.change_cmspage", "cms.view_cmspage"]
    # a role holding more than the editor (finance) is read-only for them: a forged change is 403
    finance = Role.objects.get(slug="finance")
    before = services.role_codes(finance)
    response = client.post(
        f"/admin/accounts/role/{finance.pk}/change/",
        {"name": "Finance", "description": "", "permissions": ["cms.view_cmspage"]},
    )
    assert response.status_code == 403 and services.role_codes(finance) == before


def test_roles_are_granted_only_within_what_the_granter_holds():
    editor = role_editor()
    target = UserFactory(is_staff=True)
    client = client_for(editor)
    finance = Role.objects.get(slug="finance")
    response = client.post("/admin/accounts/userrole/add/", {"user": target.pk, "role": finance.pk})
    assert response.status_code == 200 and not UserRole.objects.filter(user=target).exists()
    with pytest.raises(authz.PermissionRefused):
        services.role_grant(user_id=target.pk, role_slug="finance", actor=editor)
    assert not UserRole.objects.filter(user=target).exists()
    # a role within their permissions: granted through the service, audited
    mine = services.role_save(actor=editor, name="Page fixer", slug="page-fixer", codes=["cms.change_cmspage"])
    assert client.post("/admin/accounts/userrole/add/", {"user": target.pk, "role": mine.pk}).status_code == 302
    assert AuditLog.objects.filter(action="role.granted", entity_id=target.pk, actor_user=editor).exists()
    # a shopper account gets no role
    shopper = UserFactory()
    response = client.post("/admin/accounts/userrole/add/", {"user": shopper.pk, "role": mine.pk})
    assert response.status_code == 200 and not UserRole.objects.filter(user=shopper).exists()
    # only a superuser may make a superuser: the box is read-only for everyone else
    user_admin = client_for(grant_permissions(UserFactory(is_staff=True), "accounts.view_user", "accounts.change_user"))
    assert 'name="is_superuser"' not in user_admin.get(f"/admin/accounts/user/{target.pk}/change/").content.decode()


def test_system_roles_cannot_be_deleted():
    admin = grant_role(UserFactory(is_staff=True), "super-admin")
    client = client_for(admin)
    finance = Role.objects.get(slug="finance")
    assert client.post(f"/admin/accounts/role/{finance.pk}/delete/", {"post": "yes"}).status_code == 403
    with pytest.raises(services.RoleError, match="system role"):
        services.role_delete(role_id=finance.pk, actor=admin)
    assert Role.objects.filter(pk=finance.pk).exists()
    custom = services.role_save(actor=admin, name="Temp", slug="temp", codes=["cms.view_cmspage"])
    assert client.post(f"/admin/accounts/role/{custom.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Role.objects.filter(pk=custom.pk).exists()
    assert AuditLog.objects.filter(action="role.deleted", entity_id=custom.pk, actor_user=admin).exists()


def test_departments_are_given_only_by_their_members():
    support_lead = grant_role(
        grant_permissions(UserFactory(is_staff=True), "accounts.add_userdepartment"), departments=("support",)
    )
    agent = UserFactory(is_staff=True)
    assert services.department_join(user_id=agent.pk, department_slug="support", actor=support_lead)
    with pytest.raises(authz.PermissionRefused):
        services.department_join(user_id=agent.pk, department_slug="finance", actor=support_lead)
    assert set(UserDepartment.objects.filter(user=agent).values_list("department__slug", flat=True)) == {"support"}


# ---------------------------------------------------------------- commands


def test_grant_and_revoke_role_commands_are_audited_and_refuse_bad_input(capsys):
    system_roles()
    user = UserFactory(is_staff=True, email="farah@couponali.in")
    with pytest.raises(CommandError, match="no account"):
        call_command("grant_role", "nobody@couponali.in", "finance")
    with pytest.raises(CommandError, match="no role “treasurer”"):
        call_command("grant_role", "farah@couponali.in", "treasurer")
    with pytest.raises(CommandError, match="no department"):
        call_command("grant_role", "farah@couponali.in", "finance", "--department", "treasury")
    shopper = UserFactory(email="priya@couponali.in")
    with pytest.raises(CommandError, match="not staff"):
        call_command("grant_role", "priya@couponali.in", "finance")
    assert not UserRole.objects.filter(user__in=[user, shopper], role__slug="finance").exists()

    call_command("grant_role", "farah@couponali.in", "finance", "--department", "finance")
    assert "now has the role finance" in capsys.readouterr().out
    refreshed = User.objects.get(pk=user.pk)
    assert refreshed.has_perm("wallet.approve_withdrawal")
    assert authz.actor_may(refreshed, "wallet.approve_withdrawal", department=authz.FINANCE)
    log = AuditLog.objects.get(action="role.granted", entity_id=user.pk)
    assert log.actor_user_id is None and log.metadata["via"] == "manage.py grant_role" and log.metadata["operator"]
    assert AuditLog.objects.filter(action="department.joined", entity_id=user.pk).exists()

    call_command("grant_role", "farah@couponali.in", "finance")  # again: nothing new, no second row
    assert AuditLog.objects.filter(action="role.granted", entity_id=user.pk).count() == 1

    call_command("list_roles")
    out = capsys.readouterr().out
    assert "finance: Finance (system)" in out and "farah@couponali.in" in out
    call_command("list_roles", "--email", "farah@couponali.in")
    assert "wallet.approve_withdrawal" in capsys.readouterr().out

    call_command("revoke_role", "farah@couponali.in", "finance", "--department", "finance")
    assert not User.objects.get(pk=user.pk).has_perm("wallet.approve_withdrawal")
    assert AuditLog.objects.filter(action="role.revoked", entity_id=user.pk).exists()
    assert AuditLog.objects.filter(action="department.left", entity_id=user.pk).exists()


def test_the_commands_have_help():
    for name in ("grant_role", "revoke_role", "list_roles"):
        module = importlib.import_module(f"accounts.management.commands.{name}")
        text = module.Command().create_parser("manage.py", name).format_help()
        assert "role" in text and "--help" in text
    assert "--department" in grant_role_command.Command().create_parser("manage.py", "grant_role").format_help()


def test_permission_rows_change_only_through_the_role_page():
    client = client_for(grant_role(UserFactory(is_staff=True), "super-admin"))
    assert RolePermission.objects.filter(role__slug="super-admin", permission__code=ALL).exists()
    assert client.get("/admin/accounts/rolepermission/").status_code == 200  # a list only
    rp = RolePermission.objects.first()
    assert rp is not None
    assert client.post(f"/admin/accounts/rolepermission/{rp.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/accounts/rolepermission/add/").status_code == 403
    assert client.get("/admin/accounts/accesspermission/").status_code == 200
    assert client.get("/admin/accounts/accesspermission/add/").status_code == 403

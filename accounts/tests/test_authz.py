"""Staff permissions on personal data (issue 9): KYC review and reveal over HTTP and in the services, and
row-level security that opens a protected table to staff only with the permission to view it."""

# ruff: noqa: S608 - the SQL is built from couponali.rls.PROTECTED_TABLES only

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services
from accounts.authz import PermissionRefused
from accounts.factories import (
    UserFactory,
    UserKYCFactory,
    UserSessionFactory,
    grant_permissions,
)
from accounts.models import UserKYC
from cms.factories import SupportTicketFactory
from couponali import rls
from couponali.models import AuditLog
from wallet.factories import WalletTransactionFactory

PAN = "ABCPK1234F"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _kyc_state(kyc_id: int) -> tuple:
    with rls.bypass(reason="test check"):
        kyc = UserKYC.objects.get(pk=kyc_id)
        return kyc.status, kyc.notes, kyc.verified_at, AuditLog.objects.exclude(action="rls.bypass").count()


@pytest.fixture
def kyc(db):
    with rls.bypass(reason="test setup"):
        return UserKYCFactory(pan=PAN)


@pytest.mark.django_db
def test_kyc_review_needs_the_review_permission_over_http(kyc):
    url = f"/admin/accounts/userkyc/{kyc.pk}/change/"
    before = _kyc_state(kyc.pk)
    bare = UserFactory(is_staff=True)
    viewer = grant_permissions(UserFactory(is_staff=True), "accounts.view_userkyc")
    # a viewer sees the KYC read-only (masked, no reveal link); neither can change it by a forged POST
    page = _client(viewer).get(url).content.decode()
    assert "XXXXXX234F" in page and "Reveal…" not in page and 'name="status"' not in page
    for user in (bare, viewer):
        response = _client(user).post(url, {"status": "verified", "notes": ""})
        assert response.status_code == 403
        assert _kyc_state(kyc.pk) == before
    # with the permission the review works, is audited with their name, and the user is told
    reviewer = grant_permissions(UserFactory(is_staff=True), "accounts.view_userkyc", "accounts.review_userkyc")
    response = _client(reviewer).post(url, {"status": "verified", "notes": ""})
    assert response.status_code == 302
    status, _notes, verified_at, _audits = _kyc_state(kyc.pk)
    assert status == "verified" and verified_at is not None
    assert AuditLog.objects.filter(actor_user=reviewer, action="kyc.verified", entity_id=kyc.pk).exists()


@pytest.mark.django_db
def test_kyc_reveal_link_and_page_follow_the_reveal_permission(kyc):
    revealer = grant_permissions(UserFactory(is_staff=True), "accounts.view_userkyc", "accounts.reveal_userkyc")
    client = _client(revealer)
    assert "Reveal…" in client.get(f"/admin/accounts/userkyc/{kyc.pk}/change/").content.decode()
    response = client.post(f"/admin/accounts/userkyc/{kyc.pk}/reveal/pan_number/")
    assert response.status_code == 200 and PAN in response.content.decode()
    assert AuditLog.objects.filter(actor_user=revealer, action="kyc.reveal").count() == 1
    # without it, a forged POST shows nothing and writes nothing
    viewer = grant_permissions(UserFactory(is_staff=True), "accounts.view_userkyc")
    response = _client(viewer).post(f"/admin/accounts/userkyc/{kyc.pk}/reveal/pan_number/")
    assert response.status_code == 403 and PAN not in response.content.decode()
    assert AuditLog.objects.filter(action="kyc.reveal").count() == 1


@pytest.mark.django_db
def test_kyc_services_refuse_an_unprivileged_actor(kyc):
    shopper, staff = UserFactory(), UserFactory(is_staff=True)
    before = _kyc_state(kyc.pk)
    for actor in (None, shopper, staff):
        with pytest.raises(PermissionRefused):
            services.kyc_review(kyc_id=kyc.pk, actor=actor, decision="verified", notes=None)
        with pytest.raises(PermissionRefused):
            services.kyc_reveal(kyc_id=kyc.pk, field="pan_number", actor=actor)
    assert _kyc_state(kyc.pk) == before


# ---------------------------------------------------------------- row-level security by permission

VIEW = {table: f"{model.split('.')[0]}.view_{model.split('.')[1]}" for table, model in rls.PROTECTED_TABLES.items()}


@pytest.fixture
def shopper_rows(db):
    shopper = UserFactory()
    with rls.bypass(reason="test setup"):
        UserSessionFactory(user=shopper)
        UserKYCFactory(user=shopper)
        WalletTransactionFactory(user=shopper)
        SupportTicketFactory(user=shopper)
    return shopper


def _visible(table: str, user_id: int) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table} WHERE user_id = %s", [user_id])
        return cur.fetchone()[0]


@pytest.mark.django_db
@pytest.mark.parametrize("table", list(rls.PROTECTED_TABLES))
def test_staff_see_other_users_rows_only_with_the_tables_view_permission(shopper_rows, table):
    bare = UserFactory(is_staff=True)
    # staff without the permission: none of the shopper's rows, in any protected table
    with rls.scope(user_id=bare.pk, tables=rls.tables_visible_to(bare)):
        assert rls.current()["staff_tables"] == ""
        assert {t: _visible(t, shopper_rows.pk) for t in rls.PROTECTED_TABLES} == dict.fromkeys(rls.PROTECTED_TABLES, 0)
    # with the view permission of this table: its rows, and still none of the other tables
    viewer = grant_permissions(UserFactory(is_staff=True), VIEW[table])
    assert rls.tables_visible_to(viewer) == (table,)
    with rls.scope(user_id=viewer.pk, tables=rls.tables_visible_to(viewer)):
        seen = {t: _visible(t, shopper_rows.pk) for t in rls.PROTECTED_TABLES}
    assert seen == {t: (1 if t == table else 0) for t in rls.PROTECTED_TABLES}
    # a permission held by someone who is not (or no longer) active staff opens nothing
    viewer.is_staff = False
    assert rls.tables_visible_to(viewer) == ()


@pytest.mark.django_db
def test_a_staff_request_sees_protected_rows_only_with_the_view_permission(shopper_rows):
    """Through the middleware: the admin's KYC list shows the shopper's row only to staff holding
    accounts.view_userkyc; the wallet ledger and the sessions stay hidden from them."""
    viewer = grant_permissions(UserFactory(is_staff=True, email_verified_at=timezone.now()), "accounts.view_userkyc")
    client = _client(viewer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/accounts/userkyc/")
    assert response.status_code == 200 and response.context["cl"].result_count == 1
    assert _scope_set_by(queries) == "user_kyc"
    # a staff account without view permissions: the request's scope lists no table
    bare = UserFactory(is_staff=True, email_verified_at=timezone.now())
    client = _client(bare)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/admin/").status_code == 200
    assert _scope_set_by(queries) == ""


def _scope_set_by(queries) -> str:
    """The app.staff_tables value the request's scope set (couponali.rls._swap's set_config call)."""
    sql = next(q["sql"] for q in queries.captured_queries if f"'{rls.STAFF_TABLES}'" in q["sql"])
    match = re.search(rf"set_config\('{re.escape(rls.STAFF_TABLES)}', '([^']*)'", sql)
    assert match is not None, sql
    return match.group(1)


def test_scope_refuses_unknown_tables():
    with pytest.raises(ValueError, match="not a row-level-security table"), rls.scope(user_id=None, tables=["users"]):
        pass

"""The audit trail: every admin change with before/after, masked secrets, the request's IP and id, append-only
for the app role, monthly partitions, the audit log's list (history, CSV export, readable details)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from allauth.socialaccount.models import SocialApp
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.factories import StaffUserFactory, UserFactory, grant_permissions
from accounts.models import Department
from catalog.factories import CategoryFactory
from catalog.models import Category
from couponali.admin import AuditedModelAdmin
from couponali.audit import AuditAction, AuditLog, audit_log, audit_partitions_ensure
from couponali.masking import HIDDEN

ADD, CHANGE, DELETE, ACTION = (
    AuditAction.ADMIN_ADD,
    AuditAction.ADMIN_CHANGE,
    AuditAction.ADMIN_DELETE,
    AuditAction.ADMIN_ACTION,
)


def rows(action, entity_type=None):
    qs = AuditLog.objects.filter(action=action)
    if entity_type:
        qs = qs.filter(entity_type=entity_type)
    return list(qs.order_by("id"))


def test_every_registered_model_admin_is_audited():
    missing = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()  # noqa: SLF001 - the admin's own registry
        if not isinstance(model_admin, AuditedModelAdmin)
    ]
    assert missing == [], f"add AuditedModelAdmin to the bases of these ModelAdmins: {missing}"


@pytest.mark.django_db
def test_admin_add_change_delete_write_before_and_after(admin_client, admin_user):
    # when staff add a department
    response = admin_client.post(
        reverse("admin:accounts_department_add"),
        {"name": "Audit", "slug": "audit-desk", "description": "Money", "is_active": "on"},
    )
    assert response.status_code == 302
    dept = Department.objects.get(slug="audit-desk")
    (added,) = rows(ADD, "department")
    assert added.actor_user_id == admin_user.pk and added.entity_id == dept.pk
    assert added.metadata["before"]["name"] is None and added.metadata["after"]["name"] == "Audit"
    # when they change its name and switch it off
    response = admin_client.post(
        reverse("admin:accounts_department_change", args=[dept.pk]),
        {"name": "Audit & Risk Desk", "slug": "audit-desk", "description": "Money"},
    )
    assert response.status_code == 302
    (changed,) = rows(CHANGE, "department")
    # then only the changed fields are recorded, with their old and new values
    assert changed.metadata["before"] == {"name": "Audit", "is_active": True}
    assert changed.metadata["after"] == {"name": "Audit & Risk Desk", "is_active": False}
    # when they delete it
    response = admin_client.post(reverse("admin:accounts_department_delete", args=[dept.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Department.objects.filter(pk=dept.pk).exists()
    (deleted,) = rows(DELETE, "department")
    assert deleted.entity_id == dept.pk
    assert deleted.metadata["before"]["name"] == "Audit & Risk Desk" and deleted.metadata["after"]["name"] is None


@pytest.mark.django_db
def test_a_change_that_changes_nothing_writes_no_row(admin_client):
    dept = Department.objects.create(name="Helpdesk", slug="helpdesk", description="Help")
    admin_client.post(
        reverse("admin:accounts_department_change", args=[dept.pk]),
        {"name": "Helpdesk", "slug": "helpdesk", "description": "Help", "is_active": "on"},
    )
    assert rows(CHANGE, "department") == []


@pytest.mark.django_db
def test_an_admin_action_writes_one_row_per_object_with_before_and_after(admin_client):
    # given two soft-deleted categories and one live one
    gone = [CategoryFactory(), CategoryFactory()]
    live = CategoryFactory()
    Category.objects.filter(pk__in=[c.pk for c in gone]).delete()
    changelist = reverse("admin:catalog_category_changelist")
    # when staff restore the selection (the live one included: the action leaves it as it is)
    response = admin_client.post(
        changelist + "?deleted=all",
        {"action": "restore_selected", "_selected_action": [c.pk for c in [*gone, live]]},
        headers={"X-Request-ID": "restore-0001"},
    )
    assert response.status_code == 302
    # then one row per restored category, naming the action, deleted_at before -> after; none for the live one
    restored = rows(ACTION, "category")
    assert sorted(r.entity_id for r in restored) == sorted(c.pk for c in gone)
    for row in restored:
        assert row.metadata["action"] == "restore_selected"
        assert row.metadata["before"]["deleted_at"] is not None and row.metadata["after"] == {"deleted_at": None}
        assert row.request_id == "restore-0001" and row.ip_address == "127.0.0.1"


@pytest.mark.django_db
def test_list_editable_changes_are_recorded_from_their_forms(admin_client):
    category = CategoryFactory(display_order=1, is_featured=False, is_active=True)
    response = admin_client.post(
        reverse("admin:catalog_category_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(category.pk),
            "form-0-display_order": "5",
            "form-0-is_active": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    (row,) = rows(CHANGE, "category")
    assert row.entity_id == category.pk
    assert row.metadata["before"] == {"display_order": 1} and row.metadata["after"] == {"display_order": 5}


@pytest.mark.django_db
def test_the_delete_selected_action_writes_one_delete_row_per_object(admin_client):
    depts = [Department.objects.create(name=f"Team {i}", slug=f"team-{i}") for i in range(3)]
    response = admin_client.post(
        reverse("admin:accounts_department_changelist"),
        {"action": "delete_selected", "_selected_action": [d.pk for d in depts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Department.objects.filter(pk__in=[d.pk for d in depts]).exists()
    deleted = rows(DELETE, "department")
    assert sorted(r.entity_id for r in deleted) == sorted(d.pk for d in depts)
    assert {r.metadata["before"]["name"] for r in deleted} == {"Team 0", "Team 1", "Team 2"}
    assert rows(ACTION, "department") == []  # not twice


@pytest.mark.django_db
def test_secrets_changed_in_the_admin_are_recorded_hidden(admin_client):
    app = SocialApp.objects.create(provider="google", name="Google", client_id="client-1", secret="s3cr3t-old")
    response = admin_client.post(
        reverse("admin:socialaccount_socialapp_change", args=[app.pk]),
        {
            "provider": "google",
            "provider_id": "",
            "name": "Google",
            "client_id": "client-2",
            "secret": "s3cr3t-new",
            "key": "",
            "settings": "{}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    (changed,) = rows(CHANGE, "social_app")
    assert changed.metadata["before"]["secret"] == changed.metadata["after"]["secret"] == HIDDEN
    assert changed.metadata["after"]["client_id"] == "client-2"
    assert "s3cr3t" not in str(changed.metadata)


@pytest.mark.django_db
def test_audit_metadata_is_masked_by_the_one_rule_whoever_writes_it():
    audit_log(
        actor_id=None,
        action=AuditAction.KYC_SUBMIT,
        entity_type="user_kyc",
        entity_id=1,
        metadata={
            "before": {"pan_number": "ABCDE1234F", "upi_id": "priya.sharma@okhdfcbank", "password": "hunter2"},
            "after": {"account_number": "001234567890", "token_secret": "abc", "pan_hash": "f00d"},
            "note": "gAAAAABnY2lwaGVydGV4dC1sb29rcy1saWtlLXRoaXMtYW5kLWlzLWxvbmctZW5vdWdo",
            "reset_password": True,
            "reason": "duplicate PAN",
        },
    )
    row = AuditLog.objects.get(action=AuditAction.KYC_SUBMIT)
    assert row.metadata["before"] == {
        "pan_number": "XXXXXX234F",
        "upi_id": "prXXXXXXXXXX@okhdfcbank",
        "password": HIDDEN,
    }
    assert row.metadata["after"] == {"account_number": "XXXXXXXX7890", "token_secret": HIDDEN, "pan_hash": HIDDEN}
    assert row.metadata["note"] == HIDDEN  # ciphertext, whatever its name
    assert row.metadata["reset_password"] is True and row.metadata["reason"] == "duplicate PAN"


@pytest.mark.django_db
def test_rows_carry_the_client_ip_and_the_request_id(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_department_add"),
        {"name": "Media desk", "slug": "media-desk", "is_active": "on"},
        headers={"X-Request-ID": "req-1234abcd"},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    assert response["X-Request-ID"] == "req-1234abcd"
    (row,) = rows(ADD, "department")
    assert row.ip_address == "203.0.113.7" and row.request_id == "req-1234abcd"
    # a missing or unusable id is replaced by a generated one, returned to the client
    response = admin_client.post(
        reverse("admin:accounts_department_add"),
        {"name": "Press desk", "slug": "press-desk", "is_active": "on"},
        headers={"X-Request-ID": "bad id; DROP"},
    )
    generated = response["X-Request-ID"]
    assert generated != "bad id; DROP" and len(generated) == 32
    assert AuditLog.objects.filter(action=ADD, request_id=generated).count() == 1


@pytest.mark.django_db
def test_the_app_role_can_neither_update_nor_delete_audit_rows():
    audit_log(actor_id=None, action=AuditAction.RLS_BYPASS, metadata={"reason": "test"})
    row = AuditLog.objects.get(action=AuditAction.RLS_BYPASS)
    with connection.cursor() as cur:
        cur.execute("SELECT tableoid::regclass::text FROM audit_logs WHERE id = %s", [row.pk])
        partition = cur.fetchone()[0]
    assert partition.startswith("audit_logs_y")
    for sql in (
        "UPDATE audit_logs SET action = 'forged' WHERE id = %s",
        "DELETE FROM audit_logs WHERE id = %s",
        f"UPDATE {partition} SET action = 'forged' WHERE id = %s",  # noqa: S608 - a partition name we just read
        f"DELETE FROM {partition} WHERE id = %s",  # noqa: S608
    ):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [row.pk])
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE audit_logs")
    assert AuditLog.objects.get(pk=row.pk).action == AuditAction.RLS_BYPASS


def _partition_of(pk: int) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT tableoid::regclass::text FROM audit_logs WHERE id = %s", [pk])
        return cur.fetchone()[0]


@pytest.mark.django_db
def test_the_partition_job_creates_the_coming_months_and_moves_rows_out_of_the_default():
    # given a row in a month that has no partition yet (it lands in the default partition)
    early = AuditLog.objects.create(action="test.early", created_at=datetime(2031, 5, 3, tzinfo=UTC))
    assert _partition_of(early.pk) == "audit_logs_default"
    # when the job makes May and June 2031 (as the app role, through the SECURITY DEFINER function)
    made = audit_partitions_ensure(months=1, start=date(2031, 5, 20))
    # then both exist, the row moved into May's, and running again creates nothing
    assert made == [("audit_logs_y2031m05", True), ("audit_logs_y2031m06", True)]
    assert _partition_of(early.pk) == "audit_logs_y2031m05"
    assert audit_partitions_ensure(months=0, start=date(2031, 5, 1)) == [("audit_logs_y2031m05", False)]


@pytest.mark.django_db
def test_history_opens_the_audit_log_filtered_to_the_object(admin_client):
    dept = Department.objects.create(name="Audit", slug="audit-desk")
    other = Department.objects.create(name="Media desk", slug="media-desk")
    for target, name in ((dept, "Money"), (other, "Words")):
        admin_client.post(
            reverse("admin:accounts_department_change", args=[target.pk]),
            {"name": name, "slug": target.slug, "is_active": "on"},
        )
    # the change page links to History, which redirects to the audit log filtered to this department
    change_page = admin_client.get(reverse("admin:accounts_department_change", args=[dept.pk])).content.decode()
    history = reverse("admin:accounts_department_history", args=[dept.pk])
    assert history in change_page
    response = admin_client.get(history)
    assert response.status_code == 302
    assert response["Location"].endswith(f"?entity_type=department&entity_id={dept.pk}")
    page = admin_client.get(response["Location"]).content.decode()
    assert f"History of department #{dept.pk}" in page
    assert "Money" in page and "Words" not in page


@pytest.mark.django_db
def test_history_needs_the_audit_log_view_permission(client):
    staff = grant_permissions(UserFactory(is_staff=True), "accounts.view_department", "accounts.change_department")
    dept = Department.objects.create(name="Audit", slug="audit-desk")
    client.force_login(staff)
    assert client.get(reverse("admin:accounts_department_history", args=[dept.pk])).status_code == 403


@pytest.mark.django_db
def test_audit_rows_show_a_before_after_table_not_json(admin_client):
    dept = Department.objects.create(name="Audit", slug="audit-desk")
    admin_client.post(
        reverse("admin:accounts_department_change", args=[dept.pk]),
        {"name": "Money", "slug": "audit-desk", "is_active": "on"},
    )
    (row,) = rows(CHANGE, "department")
    page = admin_client.get(reverse("admin:couponali_auditlog_change", args=[row.pk])).content.decode()
    assert 'class="audit-changes"' in page
    assert "<td>Audit</td><td>→</td><td>Money</td>" in page
    assert '"before"' not in page and "{&quot;" not in page
    listing = admin_client.get(reverse("admin:couponali_auditlog_changelist"), {"action": "admin.change"})
    assert "name: Audit → Money" in listing.content.decode()


@pytest.mark.django_db
def test_the_audit_log_filters_by_actor_action_entity_and_date(admin_client, admin_user):
    audit_log(actor_id=admin_user.pk, action=AuditAction.WALLET_ADJUST, entity_type="user", entity_id=7)
    audit_log(actor_id=None, action=AuditAction.CASHBACK_CONFIRMED, entity_type="cashback_event", entity_id=8)
    url = reverse("admin:couponali_auditlog_changelist")

    def listed(params):
        response = admin_client.get(url, params)
        assert response.status_code == 200
        return {(r.action, r.entity_id) for r in response.context["cl"].result_list}

    assert listed({"actor": admin_user.pk}) == {("wallet.adjust", 7)}
    assert listed({"actor": "none"}) == {("cashback.confirmed", 8)}
    assert listed({"action": "cashback.confirmed"}) == {("cashback.confirmed", 8)}
    assert listed({"entity_type": "user"}) == {("wallet.adjust", 7)}
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)  # as the filter's "Today" link
    dated = listed({"created_at__gte": str(midnight), "created_at__lt": str(midnight + timedelta(days=1))})
    assert {("wallet.adjust", 7), ("cashback.confirmed", 8)} <= dated
    assert listed({"q": admin_user.email}) == {("wallet.adjust", 7)}


@pytest.mark.django_db
def test_csv_export_needs_its_permission_and_is_audited(client):
    viewer = grant_permissions(UserFactory(is_staff=True), "couponali.view_auditlog")
    audit_log(
        actor_id=viewer.pk,
        action=AuditAction.WALLET_ADJUST,
        entity_type="user",
        entity_id=7,
        metadata={"before": {"balance": "10.00"}, "after": {"balance": "25.00"}, "reason": "goodwill"},
    )
    audit_log(actor_id=None, action=AuditAction.CASHBACK_CONFIRMED, entity_type="cashback_event", entity_id=8)
    export = reverse("admin:couponali_auditlog_export")
    changelist = reverse("admin:couponali_auditlog_changelist")
    client.force_login(viewer)
    # without the export permission: no button, and 403 on the URL
    assert export not in client.get(changelist).content.decode()
    assert client.get(export).status_code == 403
    # with it: a button, and the filtered rows as CSV with readable details
    exporter = grant_permissions(viewer, "couponali.export_auditlog")
    client.force_login(exporter)
    assert export in client.get(changelist).content.decode()
    response = client.get(export, {"action": "wallet.adjust"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0][:3] == ["created_at", "actor", "action"]
    assert len(table) == 2
    assert table[1][1:5] == [exporter.email, "wallet.adjust", "user", "7"]
    assert table[1][5] == "balance: 10.00 → 25.00; reason: goodwill"
    # and the export itself is in the audit log
    (exported,) = rows(AuditAction.AUDIT_EXPORT)
    assert exported.actor_user_id == exporter.pk
    assert exported.metadata == {"filters": {"action": "wallet.adjust"}, "rows": 1}


@pytest.mark.django_db
def test_nobody_edits_or_deletes_audit_rows_in_the_admin(client):
    superuser = StaffUserFactory()
    audit_log(actor_id=None, action=AuditAction.RLS_BYPASS, metadata={"reason": "x"})
    row = AuditLog.objects.get()
    client.force_login(superuser)
    assert client.post(reverse("admin:couponali_auditlog_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    client.post(reverse("admin:couponali_auditlog_change", args=[row.pk]), {"action": "forged"})
    assert AuditLog.objects.filter(pk=row.pk, action=AuditAction.RLS_BYPASS).exists()


@pytest.mark.django_db
def test_permission_changes_in_the_admin_record_the_permissions_before_and_after(admin_client):
    view, change = (Permission.objects.get(codename=c) for c in ("view_withdrawal", "change_withdrawal"))
    group = Group.objects.create(name="Finance desk")
    group.permissions.add(view)
    response = admin_client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "Finance desk", "permissions": [view.pk, change.pk]},
    )
    assert response.status_code == 302
    (row,) = rows(CHANGE, "group")
    assert row.metadata["before"] == {"permissions": [view.pk]}
    assert row.metadata["after"] == {"permissions": sorted([view.pk, change.pk])}


@pytest.mark.django_db
def test_the_audit_log_list_costs_a_fixed_number_of_queries(admin_client, admin_user, django_assert_max_num_queries):
    for i in range(30):
        audit_log(actor_id=admin_user.pk, action=AuditAction.WALLET_ADJUST, entity_type="user", entity_id=i)
    url = reverse("admin:couponali_auditlog_changelist")
    admin_client.get(url)  # warm the session and permission caches, as a staff member's second page is
    with django_assert_max_num_queries(10):
        response = admin_client.get(url, {"action": "wallet.adjust"})
    assert response.status_code == 200 and len(response.context["cl"].result_list) == 30


@pytest.mark.django_db
def test_inline_rows_get_audit_rows_of_their_own_with_before_and_after(admin_client):
    """A store's commissions are edited on the store's page: each added, changed or deleted commission is
    recorded with its own values before and after, naming the store it was edited with."""
    from catalog.factories import MerchantCommissionFactory, MerchantFactory  # noqa: PLC0415 - this test only

    store = MerchantFactory(name="Ajio", slug="ajio", validation_days=45, tracking_hours=24)
    kept = MerchantCommissionFactory(
        merchant=store,
        category=None,
        commission_type="percentage",
        commission_value="8.00",
        cashback_percentage="70.00",
    )
    dropped = MerchantCommissionFactory(
        merchant=store, category=None, commission_type="fixed", commission_value="150.00", cashback_percentage="50.00"
    )
    data = {
        "name": "Ajio",
        "slug": "ajio",
        "priority": 0,
        "validation_days": 45,
        "tracking_hours": 24,
        "is_active": "on",
        "commissions-TOTAL_FORMS": 3,
        "commissions-INITIAL_FORMS": 2,
    }
    for i, (row, share, delete) in enumerate([(kept, "60.00", False), (dropped, "50.00", True)]):
        data |= {
            f"commissions-{i}-id": row.pk,
            f"commissions-{i}-merchant": store.pk,
            f"commissions-{i}-commission_type": row.commission_type,
            f"commissions-{i}-commission_value": row.commission_value,
            f"commissions-{i}-cashback_percentage": share,
        }
        if delete:
            data[f"commissions-{i}-DELETE"] = "on"
    data |= {
        "commissions-2-merchant": store.pk,
        "commissions-2-commission_type": "percentage",
        "commissions-2-commission_value": "5.00",
        "commissions-2-cashback_percentage": "75.00",
    }

    response = admin_client.post(reverse("admin:catalog_merchant_change", args=[store.pk]), data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    via = {"entity_type": "merchant", "entity_id": store.pk}
    (changed,) = rows(CHANGE, "merchant_commission")
    assert changed.entity_id == kept.pk and changed.metadata["with"] == via
    assert changed.metadata["before"] == {"cashback_percentage": "70.00"}, changed.metadata
    assert changed.metadata["after"] == {"cashback_percentage": "60.00"}
    (deleted,) = rows(DELETE, "merchant_commission")
    assert deleted.entity_id == dropped.pk and deleted.metadata["before"]["commission_value"] == "150.00"
    (added,) = rows(ADD, "merchant_commission")
    assert added.metadata["after"]["cashback_percentage"] == "75.00" and added.metadata["with"] == via
    # the store's own row lists what changed with it
    (store_row,) = rows(CHANGE, "merchant")
    assert len(store_row.metadata["related"]) == 3

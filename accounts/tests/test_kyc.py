"""KYC: format checks, encryption before insert, blind index, masking everywhere, audited reveal, review,
key rotation."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts import crypto, forms, selectors, services
from accounts.checks import keys_configured
from accounts.factories import StaffUserFactory, UserFactory, UserKYCFactory, grant_permissions
from accounts.models import Notification, UserKYC
from couponali import rls
from couponali.models import AuditLog

PAN, ACCOUNT, UPI = "ABCPK1234F", "001234567890", "priya.sharma@okhdfcbank"
VALID = {
    "account_holder_name": "Priya Sharma",
    "account_number": ACCOUNT,
    "ifsc_code": "hdfc0001234",
    "bank_name": "HDFC Bank",
    "upi_id": UPI,
    "pan_number": "abcpk1234f",
    "address_line1": "12, MG Road",
    "address_line2": "",
    "city": "Bengaluru",
    "state": "Karnataka",
    "pincode": "560001",
}


def _raw_row(user_id: int) -> str:
    """The row as a database dump would show it."""
    with rls.bypass(reason="test: raw read"), connection.cursor() as cur:
        cur.execute("SELECT row_to_json(k)::text FROM user_kyc k WHERE user_id = %s", [user_id])
        return cur.fetchone()[0]


@pytest.fixture
def shopper(db, client):
    user = UserFactory(email_verified_at=timezone.now())
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("pan_number", "ABCDE12345", "A PAN has 5 letters"),
        ("pan_number", "1BCDE1234F", "A PAN has 5 letters"),
        ("ifsc_code", "HDFC1001234", "An IFSC has 4 letters, a zero"),
        ("ifsc_code", "HDF00001234", "An IFSC has 4 letters, a zero"),
        ("upi_id", "priya.okhdfcbank", "name@bank"),
        ("upi_id", "priya@", "name@bank"),
        ("account_number", "12345", "9 to 18 digits"),
        ("pincode", "060001", "PIN code"),
    ],
)
def test_format_checks(field, value, error):
    form = forms.KycForm(data={**VALID, field: value})
    assert not form.is_valid()
    assert error in str(form.errors[field])


def test_valid_details_are_normalised():
    form = forms.KycForm(data=VALID)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["pan_number"] == PAN and form.cleaned_data["ifsc_code"] == "HDFC0001234"


def test_a_bank_account_or_upi_is_required_and_a_pan():
    form = forms.KycForm(data={**VALID, "account_number": "", "upi_id": "", "pan_number": ""})
    assert not form.is_valid()
    assert "bank account" in str(form.non_field_errors()) and "PAN is required" in str(form.errors["pan_number"])


@pytest.mark.django_db
def test_submitted_kyc_is_ciphertext_in_the_database_and_masked_on_the_page(client, shopper):
    response = client.post("/accounts/kyc/", VALID)
    assert response.status_code == 302
    # the database holds only ciphertext: no plain PAN, account number or UPI id anywhere in the row
    raw = _raw_row(shopper.pk)
    for plain in (PAN, ACCOUNT, UPI, "ABCPK", "4567890", "priya.sharma"):
        assert plain not in raw
    with rls.scope(user_id=shopper.pk):
        kyc = UserKYC.objects.get(user=shopper)
    for field, plain in (("pan_number", PAN), ("account_number", ACCOUNT), ("upi_id", UPI)):
        token = getattr(kyc, field)
        assert token.startswith("gAAAAA")  # a Fernet token
        # decrypt with the configured key itself: the column holds real ciphertext, not an encoding
        assert Fernet(crypto._keys()[0].encode()).decrypt(token.encode()).decode() == plain  # noqa: SLF001
    assert kyc.pan_hash == crypto.blind_index(PAN) and kyc.status == "pending"
    # the page shows them masked only
    html = client.get("/accounts/kyc/").content.decode()
    assert "XXXXXX234F" in html and "XXXXXXXX7890" in html and "prXXXXXXXXXX@okhdfcbank" in html
    for plain in (PAN, ACCOUNT, UPI):
        assert plain not in html
    assert AuditLog.objects.filter(action="kyc.submit", entity_id=kyc.pk).exists()


@pytest.mark.django_db
def test_blank_encrypted_fields_keep_the_stored_values_and_a_change_goes_back_to_review(client, shopper):
    client.post("/accounts/kyc/", VALID)
    with rls.bypass(reason="test"):
        UserKYC.objects.filter(user=shopper).update(status="verified", verified_at=timezone.now())
    # re-submitting with blank PAN/account/UPI and a new city keeps the secrets and needs a new review
    response = client.post(
        "/accounts/kyc/", {**VALID, "pan_number": "", "account_number": "", "upi_id": "", "city": "Mysuru"}
    )
    assert response.status_code == 302
    with rls.scope(user_id=shopper.pk):
        kyc = UserKYC.objects.get(user=shopper)
    assert crypto.decrypt(kyc.pan_number) == PAN and crypto.decrypt(kyc.upi_id) == UPI
    assert kyc.city == "Mysuru" and kyc.status == "pending" and kyc.verified_at is None


@pytest.mark.django_db
def test_admin_shows_kyc_masked_in_the_list_and_the_form(admin_client):
    with rls.bypass(reason="test setup"):
        kyc = UserKYCFactory(pan=PAN, account=ACCOUNT, upi=UPI)
    for url in ("/admin/accounts/userkyc/", f"/admin/accounts/userkyc/{kyc.pk}/change/"):
        html = admin_client.get(url).content.decode()
        assert "XXXXXX234F" in html and "XXXXXXXX7890" in html, url
        for plain in (PAN, ACCOUNT, UPI):
            assert plain not in html, (url, plain)
        assert kyc.pan_number not in html  # not even the ciphertext


@pytest.mark.django_db
def test_reveal_needs_the_permission_and_every_reveal_is_audited(client):
    with rls.bypass(reason="test setup"):
        kyc = UserKYCFactory(pan=PAN, account=ACCOUNT, upi=UPI)
    staff = UserFactory(is_staff=True)
    staff = grant_permissions(staff, "accounts.view_userkyc")
    client.force_login(staff)
    url = f"/admin/accounts/userkyc/{kyc.pk}/reveal/pan_number/"
    # staff without the permission are refused (403) and shown nothing
    assert client.get(url).status_code == 403
    response = client.post(url)
    assert response.status_code == 403 and PAN not in response.content.decode()
    assert not AuditLog.objects.filter(action="kyc.reveal").exists()
    # with the explicit permission the value is shown once, and the reveal is audited (field, not value)
    grant_permissions(staff, "accounts.reveal_userkyc")
    response = client.post(url)
    assert response.status_code == 200 and PAN in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    log = AuditLog.objects.get(action="kyc.reveal")
    assert log.actor_user_id == staff.pk and log.entity_id == kyc.pk
    assert log.metadata == {"field": "pan_number", "user_id": kyc.user_id}
    assert PAN not in str(log.metadata)


@pytest.mark.django_db
def test_staff_verify_and_reject_with_notes_and_the_user_is_notified(admin_client, django_capture_on_commit_callbacks):
    user = UserFactory(email="kyc@example.in")
    with rls.bypass(reason="test setup"):
        kyc = UserKYCFactory(user=user)
    url = f"/admin/accounts/userkyc/{kyc.pk}/change/"
    # rejecting needs notes
    response = admin_client.post(url, {"status": "rejected", "notes": ""})
    assert response.status_code == 200 and "Say why" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"status": "rejected", "notes": "PAN photo unreadable"})
    assert response.status_code == 302
    with rls.bypass(reason="test"):
        kyc.refresh_from_db()
    assert kyc.status == "rejected" and kyc.notes == "PAN photo unreadable"
    note = Notification.objects.get(user=user)
    assert "PAN photo unreadable" in note.body and mail.outbox[-1].to == ["kyc@example.in"]
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"status": "verified", "notes": ""})
    with rls.bypass(reason="test"):
        kyc.refresh_from_db()
    assert kyc.status == "verified" and kyc.verified_at is not None and kyc.pan_verified
    assert selectors.kyc_is_verified(user_id=user.pk) is False  # no scope: RLS hides the row
    with rls.scope(user_id=user.pk):
        assert selectors.kyc_is_verified(user_id=user.pk) is True
    assert list(
        AuditLog.objects.filter(entity_id=kyc.pk, action__in=["kyc.rejected", "kyc.verified"])
        .values_list("action", flat=True)
        .order_by("id")
    ) == ["kyc.rejected", "kyc.verified"]


@pytest.mark.django_db
def test_duplicate_pans_are_found_through_the_blind_index(admin_client):
    with rls.bypass(reason="test setup"):
        a = UserKYCFactory(pan=PAN)
        b = UserKYCFactory(pan=PAN)
        c = UserKYCFactory(pan="ZZZPK9999Z")
    with rls.bypass(reason="test"):
        assert list(selectors.kyc_same_pan(a)) == [b]
    html = admin_client.get("/admin/accounts/userkyc/?duplicate_pan=yes").content.decode()
    assert f"/admin/accounts/userkyc/{a.pk}/change/" in html and f"/admin/accounts/userkyc/{b.pk}/change/" in html
    assert f"/admin/accounts/userkyc/{c.pk}/change/" not in html
    assert str(b.user) in admin_client.get(f"/admin/accounts/userkyc/{a.pk}/change/").content.decode()


@pytest.mark.django_db
def test_rotate_kyc_keys_re_encrypts_everything_and_keeps_it_readable(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.KYC_ENCRYPTION_KEYS = [old]
    with rls.bypass(reason="test setup"):
        rows = [UserKYCFactory() for _ in range(7)]
    plain = {r.pk: (r.pan, r.account, r.upi) for r in rows}
    before = {r.pk: r.pan_number for r in rows}
    # the new key goes first, the old one stays until the rotation is done
    settings.KYC_ENCRYPTION_KEYS = [new, old]
    out = StringIO()
    call_command("rotate_kyc_keys", "--batch-size", "3", stdout=out)
    assert "Re-encrypted 21 value(s) in 7 KYC row(s)" in out.getvalue()
    # then the old key can go: every value still decrypts, under the new key alone
    settings.KYC_ENCRYPTION_KEYS = [new]
    with rls.bypass(reason="test"):
        for kyc in UserKYC.objects.all():
            assert kyc.pan_number != before[kyc.pk]
            assert (
                crypto.decrypt(kyc.pan_number),
                crypto.decrypt(kyc.account_number),
                crypto.decrypt(kyc.upi_id),
            ) == plain[kyc.pk]
            assert Fernet(new.encode()).decrypt(kyc.pan_number.encode()).decode() == plain[kyc.pk][0]
            assert kyc.pan_hash == crypto.blind_index(plain[kyc.pk][0])
    assert AuditLog.objects.filter(action="rls.bypass", metadata__reason="rotate_kyc_keys").exists()


@pytest.mark.django_db
def test_rotate_kyc_keys_refuses_clearly_when_a_needed_key_is_missing(settings):
    with rls.bypass(reason="test setup"):
        UserKYCFactory()
    settings.KYC_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the key of the data is gone
    with pytest.raises(CommandError, match="Keep every key that may still be in use"):
        call_command("rotate_kyc_keys", stdout=StringIO())
    settings.KYC_ENCRYPTION_KEYS = ["not-a-key"]
    with pytest.raises(CommandError, match="Fernet keys"):
        call_command("rotate_kyc_keys", stdout=StringIO())
    with pytest.raises(CommandError, match="--batch-size"):
        call_command("rotate_kyc_keys", "--batch-size", "0", stdout=StringIO())


def test_masks():
    assert crypto.mask_tail(PAN) == "XXXXXX234F"
    assert crypto.mask_tail(ACCOUNT) == "XXXXXXXX7890"
    assert crypto.mask_upi(UPI) == "prXXXXXXXXXX@okhdfcbank"
    assert crypto.mask_tail("") == "" and crypto.mask_upi(None) == ""


def test_blind_index_is_keyed_and_not_the_secret_key(settings):
    first = crypto.blind_index(PAN)
    assert first == crypto.blind_index(" abcpk1234f ")  # normalised
    settings.KYC_BLIND_INDEX_KEY = "another-key-" + "k" * 30
    assert crypto.blind_index(PAN) != first


def test_kyc_keys_are_checked_at_startup(settings):

    assert keys_configured(None) == []
    settings.KYC_ENCRYPTION_KEYS = []
    settings.KYC_BLIND_INDEX_KEY = settings.SECRET_KEY
    ids = {e.id for e in keys_configured(None)}
    assert {"accounts.E001", "accounts.E004"} <= ids


def test_production_refuses_to_start_without_kyc_keys():

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KYC_", "ACCOUNTS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="couponali.settings.production",
        DJANGO_SECRET_KEY="s" * 60,
        DATABASE_URL="postgresql://u@127.0.0.1:1/db",
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "KYC_ENCRYPTION_KEYS" in result.stderr


@pytest.mark.django_db
def test_kyc_page_needs_sign_in(client):
    response = client.get("/accounts/kyc/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_kyc_review_service_refuses_bad_decisions():
    with rls.bypass(reason="test setup"):
        kyc = UserKYCFactory()
    staff = StaffUserFactory()
    with rls.scope(user_id=staff.pk):
        with pytest.raises(services.AccountsError):
            services.kyc_review(kyc_id=kyc.pk, actor=staff, decision="pending", notes=None)
        with pytest.raises(services.AccountsError):
            services.kyc_review(kyc_id=kyc.pk, actor=staff, decision="rejected", notes=" ")


@pytest.mark.django_db
def test_kyc_review_audits_the_status_before_and_after():
    with rls.bypass(reason="test setup"):
        kyc = UserKYCFactory(status="pending")
    staff = StaffUserFactory()
    with rls.scope(user_id=staff.pk):
        services.kyc_review(kyc_id=kyc.pk, actor=staff, decision="rejected", notes="Blurred PAN card")
    row = AuditLog.objects.get(action="kyc.rejected", entity_id=kyc.pk)
    assert row.actor_user_id == staff.pk
    assert row.metadata["before"] == {"status": "pending", "notes": None}
    assert row.metadata["after"] == {"status": "rejected", "notes": "Blurred PAN card"}

"""Rules the wallet takes from their one home instead of keeping a copy: UPI id and mobile number validity
(accounts.validators, the KYC form's rules and messages), the refusals' HTTP answers (the API's one exception
handler), the payout claim's commit (a durable transaction), and the row instances of the lock helpers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from accounts.factories import UserFactory, UserKYCFactory
from accounts.forms import KycForm
from wallet import locks, services
from wallet.models import WalletBalance, WalletTransaction, Withdrawal

T = WalletTransaction.Type
URL = "/api/v1/wallet/withdrawals/"


def fund(user, amount="1000"):
    services.wallet_post(user_id=user.pk, amount=Decimal(amount), type=T.ADMIN_CREDIT)


def kyc_form_error(upi_id: str) -> str:
    form = KycForm(data={"upi_id": upi_id})
    form.is_valid()
    return str(form.errors["upi_id"][0])


@pytest.mark.django_db
@pytest.mark.parametrize("vpa", [".x@okaxis", "a@okaxis", "priya@1bank", "priya@okaxis@x", "priya"])
def test_a_upi_id_the_kyc_form_refuses_is_refused_for_a_withdrawal_with_the_same_message(shopper, vpa):
    fund(shopper)
    with pytest.raises(services.WalletError) as refused:
        services.withdrawal_request(user_id=shopper.pk, amount=Decimal("300"), method="upi", details={"vpa": vpa})
    assert str(refused.value) == kyc_form_error(vpa)
    assert Withdrawal.objects.count() == 0


@pytest.mark.django_db
def test_a_typed_upi_id_is_kept_as_the_kyc_form_keeps_it(shopper):
    fund(shopper)
    w = services.withdrawal_request(
        user_id=shopper.pk, amount=Decimal("300"), method="upi", details={"vpa": " Priya.S@OKAXIS "}
    )
    assert w.destination_details["vpa_masked"] == "prXXXXX@okaxis"  # lower-cased and trimmed, as KYC does


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["+91 98765 43210", "098765-43210", "919876543210", "9876543210"])
def test_a_recharge_number_is_normalised_like_a_sign_in_number(shopper, typed):
    fund(shopper)
    w = services.withdrawal_request(
        user_id=shopper.pk,
        amount=Decimal("300"),
        method="mobile_recharge",
        details={"mobile": typed, "operator": "jio"},
    )
    assert w.destination_details == {"mobile": "9876543210", "operator": "jio"}


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["+44 7911 123456", "5876543210", "98765 4321", "98765abc10"])
def test_a_number_that_is_not_an_indian_mobile_is_refused_not_cut_to_ten_digits(shopper, typed):
    fund(shopper)
    with pytest.raises(services.WalletError, match="10-digit Indian mobile number"):
        services.withdrawal_request(
            user_id=shopper.pk,
            amount=Decimal("300"),
            method="mobile_recharge",
            details={"mobile": typed, "operator": "jio"},
        )
    assert Withdrawal.objects.count() == 0


@pytest.mark.django_db
def test_the_api_answers_each_refusal_with_its_status_and_code_and_replays_it(client):
    unverified = UserFactory()
    UserKYCFactory(user=unverified, status="pending")
    fund(unverified)
    client.force_login(unverified)
    body = {"amount": "300", "method": "upi", "details": {"vpa": "priya@okaxis"}}
    refused = client.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_allowed")
    assert "KYC" in refused.json()["error"]["message"]
    # the refusal was recorded with its key: a retry replays it
    again = client.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert (again.status_code, again.json(), again["Idempotent-Replayed"]) == (403, refused.json(), "true")


@pytest.mark.django_db
def test_the_api_answers_an_invalid_destination_with_400(client, shopper):
    fund(shopper)
    client.force_login(shopper)
    body = {"amount": "300", "method": "upi", "details": {"vpa": ".x@okaxis"}}
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "invalid", "message": kyc_form_error(".x@okaxis"), "fields": {}}}


@pytest.mark.django_db
def test_the_payout_claim_refuses_to_run_inside_a_callers_transaction(shopper, finance):
    # given an approved withdrawal
    fund(shopper)
    w = services.withdrawal_request(
        user_id=shopper.pk, amount=Decimal("300"), method="upi", details={"vpa": "priya@okaxis"}
    )
    services.withdrawal_approve(withdrawal_id=w.pk, actor=finance)
    # when the claim is attempted inside an open transaction (it would not be committed before the gateway call)
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        services.withdrawal_payout_start(withdrawal_id=w.pk, gateway_name="fake")
    # then nothing was claimed; on its own it claims
    assert Withdrawal.objects.get(pk=w.pk).status == Withdrawal.Status.APPROVED
    withdrawal, request = services.withdrawal_payout_start(withdrawal_id=w.pk, gateway_name="fake")
    assert withdrawal.status == Withdrawal.Status.PROCESSING and request.idempotency_key == str(w.uuid)


@pytest.mark.django_db
def test_the_lock_and_the_posting_are_saved_rows_not_new_ones(shopper):
    posting = services.wallet_post(
        user_id=shopper.pk, amount=Decimal("10"), type=T.ADMIN_CREDIT, reference_type="test", reference_id=7
    ).transaction
    lock = locks.wallet_lock(user_id=shopper.pk)
    # A new instance would collide with the row it came from (the unique user, the one posting per source);
    # a saved row is its own.
    lock.validate_unique()
    posting.validate_constraints()
    assert WalletBalance.objects.get(pk=lock.pk).balance == lock.balance == Decimal("10.00")
    posting.refresh_from_db()
    assert (posting.amount, posting.balance_after) == (Decimal("10.00"), Decimal("10.00"))

"""A due cashback is confirmed either one by one (cashback_confirm, the auto-confirm job's path for users
with a debt and the staff path) or by the set-based SQL batch (cashback_auto_confirm_batch). Both must leave
the same rows for the same event: the posting, both balance snapshots, the event's status fields, the
notification and the audit rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.authz import SYSTEM
from accounts.factories import UserFactory
from accounts.models import Notification, User
from catalog.factories import MerchantFactory
from couponali.models import AuditLog
from wallet import services
from wallet.models import CashbackEvent, WalletBalance, WalletTransaction
from wallet.networks import NETWORKS, conversion_parse

from .conftest import make_click


def _due_event(*, store, txn):
    """A shopper and their pending cashback (₹60 on a ₹1,000 sale), reported through the real service and
    past the store's validation period."""
    shopper = UserFactory()
    click = make_click(user=shopper, merchant=store)
    result = services.cashback_record(
        conversion=conversion_parse(
            NETWORKS["cuelinks"],
            {
                "sub_id": str(click.click_id),
                "transaction_id": txn,
                "sale_amount": "1000",
                "commission": "100",
                "status": "pending",
            },
        ),
        source="postback",
        actor=SYSTEM,
    )
    CashbackEvent.objects.filter(pk=result.event_id).update(created_at=timezone.now() - dt.timedelta(days=31))
    return shopper.pk, result.event_id


def _rows(*, user_id: int, event_id: int) -> dict:
    """What a confirmation leaves, without the ids and timestamps that differ between any two rows."""
    postings = list(
        WalletTransaction.objects.filter(user_id=user_id)
        .order_by("id")
        .values_list("amount", "type", "reference_type", "reference_id", "balance_before", "balance_after")
    )
    described = list(WalletTransaction.objects.filter(user_id=user_id).values_list("description", "admin_notes"))
    event = CashbackEvent.objects.get(pk=event_id)
    return {
        "postings": [(a, t, rt, rid == event_id, b, af) for a, t, rt, rid, b, af in postings],
        "descriptions": described,
        "balance": WalletBalance.objects.filter(user_id=user_id).values_list("balance", "debt").get(),
        "user": User.all_objects.filter(pk=user_id)
        .values_list("wallet_balance", "pending_cashback", "lifetime_earnings")
        .get(),
        "event": (
            event.status,
            event.held_reason,
            event.rejected_reason,
            event.cashback_amount,
            event.confirmed_at is not None and event.confirmed_at == event.paid_at,
        ),
        "notifications": list(
            Notification.objects.filter(user_id=user_id).order_by("id").values_list("title", "body", "url", "is_read")
        ),
        "audit": list(
            AuditLog.objects.filter(entity_type="cashback_event", entity_id=event_id)
            .order_by("id")
            .values_list("action", "actor_user_id", "metadata")
        ),
    }


@pytest.mark.django_db
def test_the_one_by_one_path_and_the_batch_leave_identical_rows_for_the_same_event():
    # given two shoppers with the same due cashback at the same store
    store = MerchantFactory(name="Myntra", affiliate_network="cuelinks", validation_days=30)
    one_user, one_event = _due_event(store=store, txn="ONE")
    batch_user, batch_event = _due_event(store=store, txn="BATCH")

    # when one is confirmed by the per-event path (as the auto-confirm job does for a user with a debt) and
    # the other by the set-based batch
    services.cashback_confirm(event_id=one_event, actor=SYSTEM, source="auto")
    assert services.cashback_auto_confirm_batch() == 1

    # then the rows are the same, and they are what a confirmation means
    one, batch = _rows(user_id=one_user, event_id=one_event), _rows(user_id=batch_user, event_id=batch_event)
    assert one == batch
    assert one["postings"] == [
        (Decimal("60.00"), "cashback_earned", "cashback_event", True, Decimal("0.00"), Decimal("60.00"))
    ]
    assert one["descriptions"] == [("Cashback from Myntra", None)]
    assert one["balance"] == (Decimal("60.00"), Decimal("0.00"))
    assert one["user"] == (Decimal("60.00"), Decimal("0.00"), Decimal("60.00"))
    assert one["event"] == ("paid", None, None, Decimal("60.00"), True)
    assert one["notifications"][-1] == ("Cashback confirmed", "₹60 from Myntra is now in your wallet.", None, False)
    assert [(action, actor) for action, actor, _metadata in one["audit"]] == [
        ("cashback.tracked", None),
        ("cashback.confirmed", None),
    ]
    assert one["audit"][-1][2] == {"amount": "60.00", "source": "auto", "released_hold": ""}

"""Analytics test data: stores with views, clicks and cashback events on known days (India time), written
straight into the base tables (these tests read; nothing here moves money)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.factories import UserFactory, UserKYCFactory
from catalog.factories import MerchantFactory
from couponali import rls
from offers.factories import OfferClickFactory, OfferFactory, OfferViewFactory
from wallet.factories import CashbackEventFactory, WithdrawalFactory
from wallet.models import CashbackEvent

IST = ZoneInfo("Asia/Kolkata")
D = Decimal


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=IST)


def event(*, merchant, offer, user, created_at: datetime, status: str, cashback: str, commission: str):
    """A cashback event created pending on ``created_at``, then moved along a legal path to ``status``."""
    e = CashbackEventFactory.create(
        merchant=merchant,
        offer=offer,
        user=user,
        created_at=created_at,
        cashback_amount=D(cashback),
        commission_amount=D(commission),
    )
    now = timezone.now()
    events = CashbackEvent.objects.filter(pk=e.pk)
    if status == "confirmed":
        events.update(status="confirmed", confirmed_at=now)
    elif status == "paid":
        events.update(status="paid", confirmed_at=now, paid_at=now)
    elif status == "reversed":
        events.update(status="paid", confirmed_at=now, paid_at=now)
        events.update(status="reversed")
    elif status == "rejected":
        events.update(status="rejected", rejected_reason="declined by the network")
    return e


@dataclass
class Sample:
    today: date
    start: date
    end: date
    stores: list


def build_sample() -> Sample:
    """Two stores over four days, with rows at the edges of an Indian day (00:10 and 23:50 IST are the previous
    and the same UTC day): a view that counted days in UTC would put them on the wrong day."""
    today = timezone.localdate()
    d0, d1, d3 = today, today - timedelta(days=1), today - timedelta(days=3)
    myntra = MerchantFactory(name="Myntra", slug="myntra")
    ajio = MerchantFactory(name="=Ajio", slug="ajio")  # a name that looks like a spreadsheet formula
    om, oa = OfferFactory(merchant=myntra), OfferFactory(merchant=ajio)
    shopper = UserFactory()

    for when in [at(d3, 0, 10), at(d3, 12), at(d1, 23, 50), at(d0, 9)]:
        OfferViewFactory(offer=om, created_at=when)
    for when in [at(d1, 8), at(d0, 0, 10)]:
        OfferViewFactory(offer=oa, created_at=when)
    for when in [at(d3, 0, 10), at(d3, 10), at(d3, 23, 50), at(d1, 12), at(d0, 0, 5)]:
        OfferClickFactory(offer=om, created_at=when)
    # an old click without the denormalised store: counted for the offer's store
    OfferClickFactory(offer=oa, merchant=None, created_at=at(d1, 9))
    OfferClickFactory(offer=oa, created_at=at(d0, 23, 50))

    rows = [
        (myntra, om, at(d3, 0, 10), "pending", "40.00", "55.00"),
        (myntra, om, at(d3, 11), "paid", "112.45", "149.94"),
        (myntra, om, at(d1, 23, 50), "confirmed", "20.00", "30.00"),
        (myntra, om, at(d1, 13), "reversed", "15.50", "20.00"),
        (ajio, oa, at(d1, 9, 30), "rejected", "60.00", "80.00"),
        (ajio, oa, at(d0, 0, 20), "paid", "75.25", "100.00"),
        (ajio, oa, at(d0, 14), "pending", "10.00", "12.00"),
    ]
    for merchant, offer, created_at, status, cashback, commission in rows:
        event(
            merchant=merchant,
            offer=offer,
            user=shopper,
            created_at=created_at,
            status=status,
            cashback=cashback,
            commission=commission,
        )

    # work queues: two withdrawals and three KYC submissions waiting (a fourth KYC is verified)
    WithdrawalFactory()
    WithdrawalFactory(amount=D("750.00"))
    with rls.bypass(reason="test set-up"):
        UserKYCFactory()
        UserKYCFactory()
        UserKYCFactory()
        UserKYCFactory(status="verified")
    return Sample(today=today, start=today - timedelta(days=6), end=today, stores=[myntra, ajio])

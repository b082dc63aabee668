"""Claims read dates and amounts the Indian way (couponali.templatetags.money, couponali.money.format_inr): the
shopper's refusal names the visit as "5 Dec 2026", the desk shows a flat cashback rule in rupees."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.factories import UserFactory
from catalog.factories import MerchantFactory
from cms import services
from couponali import rls
from offers.factories import OfferClickFactory, OfferFactory
from offers.models import OfferClick

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rls_for_direct_service_calls(db):
    with rls.bypass(reason="test"):
        yield


def click_of(user, **kwargs):
    return OfferClickFactory(
        offer=OfferFactory(merchant=MerchantFactory(name="Myntra")), user=user, click_id=uuid.uuid4(), **kwargs
    )


def test_a_refused_claim_names_the_visit_as_a_short_date():
    shopper = UserFactory()
    click = click_of(shopper)
    # a visit on a day before the 10th of this month (same partition), where "%d" would write "05"
    today = timezone.localdate()
    visit = today.replace(day=min(today.day, 5))
    moment = timezone.make_aware(dt.datetime.combine(visit, dt.time(0, 0, 1)))
    OfferClick.objects.filter(pk=click.pk).update(created_at=moment)

    with pytest.raises(services.ClaimRefused) as refused:
        services.missing_cashback_claim_create(
            user_id=shopper.pk,
            click_id=click.click_id,
            order_reference="MYN-1",
            order_amount=Decimal("100"),
            order_date=visit - dt.timedelta(days=1),
        )

    assert f"between your visit ({visit.day} {visit:%b %Y}) and today" in str(refused.value)


def test_the_desk_shows_a_flat_cashback_rule_in_rupees(client):
    shopper = UserFactory()
    click = click_of(shopper, cashback_type="fixed", cashback_value=Decimal("150000.0000"))
    ticket = services.missing_cashback_claim_create(
        user_id=shopper.pk,
        click_id=click.click_id,
        order_reference="MYN-2",
        order_amount=Decimal("123456.78"),
        order_date=timezone.localdate(),
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    desk = client.get(f"/admin/cms/supportticket/{ticket.pk}/change/").content.decode()

    assert "of ₹1,23,456.78 on" in desk and "cashback rule fixed ₹1,50,000" in desk
    assert "150000.0000" not in desk

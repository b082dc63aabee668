"""The changelists of the big tables (clicks, cashback events, users, audit logs): a bounded number of queries
whatever the rows (no query per row, no full COUNT(*) of the table), with filters and search. The timings at
100,000 rows are measured by bench/admin_changelists.py (bench/README.md)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.factories import StaffUserFactory, UserFactory
from couponali.admin import EstimatedCountPaginator
from couponali.models import AuditLog
from offers.factories import OfferClickFactory, OfferFactory
from offers.models import OfferClick
from wallet.factories import CashbackEventFactory
from wallet.models import CashbackEvent

PAGES = [
    ("admin:offers_offerclick_changelist", ""),
    ("admin:offers_offerclick_changelist", "?device_type__exact=mobile"),
    ("admin:offers_offerclick_changelist", "?q=shopper"),
    ("admin:offers_offerclick_changelist", "?device_type__exact=mobile&store=1"),
    ("admin:wallet_cashbackevent_changelist", ""),
    ("admin:wallet_cashbackevent_changelist", "?status__exact=pending&store=1"),
    ("admin:wallet_cashbackevent_changelist", "?q=AD-000001"),
    ("admin:accounts_user_changelist", ""),
    ("admin:accounts_user_changelist", "?is_active__exact=1&role__exact=user"),
    ("admin:accounts_user_changelist", "?q=shopper"),
    ("admin:couponali_auditlog_changelist", ""),
    ("admin:couponali_auditlog_changelist", "?action__exact=withdrawal.approved&entity_type=withdrawal"),
    ("admin:couponali_auditlog_changelist", "?q=shopper"),
]

FULL_COUNT = re.compile(r"SELECT COUNT\(\*\) AS \"__count\" FROM \"(offer_clicks|cashback_events|users|audit_logs)\"")


@pytest.fixture
def rows(db):
    users = UserFactory.create_batch(12)
    offers = OfferFactory.create_batch(3)
    for i, user in enumerate(users):
        OfferClickFactory(offer=offers[i % 3], user=user)
        CashbackEventFactory(user=user, merchant=offers[i % 3].merchant, offer=offers[i % 3])
        AuditLog.objects.create(
            actor_user=user, action=AuditLog.Action.WITHDRAWAL_APPROVED, entity_type="withdrawal", entity_id=i
        )
    return users


@pytest.mark.parametrize(("name", "query"), PAGES)
def test_changelist_stays_within_10_queries(client, rows, django_assert_max_num_queries, name, query):
    client.force_login(StaffUserFactory())
    url = reverse(name) + query

    with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(10):
        response = client.get(url)

    assert response.status_code == 200
    assert "cl" in response.context, "not the changelist (an error page?)"
    if not query.startswith("?q=") and "&" not in query:
        assert response.context["cl"].result_count >= 1
    # no COUNT(*) over the whole table: counts run on a LIMITed subquery, or the planner's estimate is used
    for q in ctx.captured_queries:
        assert not FULL_COUNT.search(q["sql"]), q["sql"]


def test_the_number_of_queries_does_not_grow_with_the_rows(client, rows, django_assert_max_num_queries):
    client.force_login(StaffUserFactory())
    url = reverse("admin:wallet_cashbackevent_changelist")
    client.get(url)  # the first request loads what the process then caches (the redirect table)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for user in UserFactory.create_batch(20):
        CashbackEventFactory(user=user)

    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_paginator_uses_the_planner_estimate_for_a_big_unfiltered_table(db, monkeypatch):
    OfferClickFactory.create_batch(3)
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 2)
    with connection.cursor() as cur:
        cur.execute("ANALYZE offer_clicks")

    unfiltered = EstimatedCountPaginator(OfferClick.objects.order_by("-pk"), 100)
    filtered = EstimatedCountPaginator(OfferClick.objects.filter(device_type="mobile").order_by("-pk"), 100)

    # ANALYZE counted the 3 rows exactly; the estimate (3) is above the cap (2), so it is used as it is
    assert unfiltered.count == 3
    # a filtered list counts up to the cap + 1 rows and stops there
    assert filtered.count == 3


def test_a_filtered_count_stops_at_the_cap(db, monkeypatch):
    for _ in range(5):
        CashbackEventFactory(cashback_amount=Decimal("1.00"))
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 2)
    paginator = EstimatedCountPaginator(CashbackEvent.objects.filter(status="pending").order_by("-pk"), 100)

    assert paginator.count == 3


def test_search_terms_are_anded_over_own_and_joined_fields(db, client):
    """Each word must match one of the search fields: the table's own columns (plain conditions) or a joined
    table's (a subquery); an exact-only field ("=click_id") is tried only with a value it can hold."""
    client.force_login(StaffUserFactory())
    wanted = UserFactory(full_name="Asha Verma", email="asha.v@example.in")
    UserFactory(full_name="Asha Rao", email="asha.r@example.in")
    UserFactory(full_name="Ravi Verma", email="ravi@example.in")

    users = client.get(reverse("admin:accounts_user_changelist") + "?q=asha+verma").context["cl"].result_list
    assert [u.pk for u in users] == [wanted.pk]

    mine = OfferClickFactory(user=wanted)
    OfferClickFactory(user=UserFactory(email="asha.k@example.in"))
    url = reverse("admin:offers_offerclick_changelist")
    clicks = client.get(url + "?q=asha.v@").context["cl"].result_list
    assert [c.pk for c in clicks] == [mine.pk]
    by_id = client.get(url + f"?q={mine.click_id}").context["cl"].result_list
    assert [c.pk for c in by_id] == [mine.pk]
    assert client.get(url + "?q=not-a-uuid+asha.v@").status_code == 200

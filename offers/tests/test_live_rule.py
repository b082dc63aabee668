"""The live-offer rule has one home, offers/models.py, in three forms that must agree: the ORM form
(OfferQuerySet.live / listed), the Python form (offer_live_at, through Offer.is_live_at and the click-out's cached
ClickTarget.is_live) and the SQL form (LISTED_OFFER_SQL, used by the search-word job). One fixture covers every
condition, with both boundaries at the database's now()."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from catalog.factories import MerchantFactory
from offers import selectors
from offers.clickout import target_for_offer
from offers.factories import OfferFactory
from offers.models import LISTED_OFFER_SQL, Offer, SearchWord
from offers.services import search_words_refresh

DAY = timedelta(days=1)


def _db_now():
    # The transaction's now(): the SQL form reads it, so the other forms are evaluated at the same instant.
    with connection.cursor() as cur:
        cur.execute("SELECT now()")
        return cur.fetchone()[0]


@pytest.fixture
def every_case():
    """name -> (offer, live?, listed?); each title carries a word of its own for the search-word job."""
    now = _db_now()
    store = MerchantFactory()
    inactive_store = MerchantFactory(is_active=False)
    deleted_store = MerchantFactory()
    cases = {
        "running": (dict(merchant=store), True, True),
        "undated": (dict(merchant=store, starts_at=None, expires_at=None), True, True),
        "startsnow": (dict(merchant=store, starts_at=now), True, True),
        "expiresnow": (dict(merchant=store, expires_at=now), False, False),
        "expired": (dict(merchant=store, starts_at=now - 9 * DAY, expires_at=now - DAY), False, False),
        "notstarted": (dict(merchant=store, starts_at=now + DAY), False, False),
        "deleted": (dict(merchant=store), False, False),
        "storeinactive": (dict(merchant=inactive_store), False, False),
        "storedeleted": (dict(merchant=deleted_store), False, False),
        "storevisit": (dict(merchant=store, is_store_visit=True, starts_at=None, expires_at=None), True, False),
        "visitinactive": (
            dict(merchant=inactive_store, is_store_visit=True, starts_at=None, expires_at=None),
            False,
            False,
        ),
    }
    made = {}
    for name, (fields, live, listed) in cases.items():
        offer = OfferFactory(title=f"Marker {name}word offer", description="", coupon_code=None, **fields)
        made[name] = (offer, live, listed)
    made["deleted"][0].delete()
    deleted_store.delete()
    return now, {
        name: (Offer.all_objects.select_related("merchant").get(pk=o.pk), live, listed)
        for name, (o, live, listed) in made.items()
    }


@pytest.mark.django_db
def test_the_queryset_and_the_instance_method_agree_on_every_condition(every_case):
    now, cases = every_case
    expected = {name for name, (_, live, _) in cases.items() if live}
    by_queryset = set(Offer.all_objects.live(now).values_list("title", flat=True))
    assert by_queryset == {cases[name][0].title for name in expected}
    assert {name for name, (offer, _, _) in cases.items() if offer.is_live_at(now)} == expected
    # the default manager hides deleted offers; live() does not rely on it
    assert set(Offer.objects.live(now)) == set(Offer.all_objects.live(now))


@pytest.mark.django_db
def test_the_click_out_target_follows_the_same_rule(every_case):
    now, cases = every_case
    for name, (offer, live, _) in cases.items():
        assert target_for_offer(offer.uuid).is_live(now) is live, name


@pytest.mark.django_db
def test_listed_is_live_without_the_store_visit_offers(every_case):
    now, cases = every_case
    listed = {name for name, (_, _, is_listed) in cases.items() if is_listed}
    assert set(Offer.all_objects.listed(now).values_list("title", flat=True)) == {cases[n][0].title for n in listed}
    assert set(selectors.offers_live(now=now)) == set(Offer.all_objects.listed(now))


@pytest.mark.django_db
def test_the_sql_form_selects_exactly_the_listed_rows(every_case):
    now, cases = every_case
    with connection.cursor() as cur:
        cur.execute(f"SELECT o.id FROM offers o JOIN merchants m ON m.id = o.merchant_id WHERE {LISTED_OFFER_SQL}")  # noqa: S608 - our constant
        by_sql = {row[0] for row in cur.fetchall()}
    assert by_sql == set(Offer.all_objects.listed(now).values_list("pk", flat=True))
    assert by_sql == {offer.pk for offer, _, listed in cases.values() if listed}


@pytest.mark.django_db
def test_the_search_word_job_reads_the_listed_offers_only(every_case):
    _, cases = every_case
    search_words_refresh()
    markers = set(SearchWord.objects.filter(word__endswith="word").values_list("word", flat=True))
    assert markers == {f"{name}word" for name, (_, _, listed) in cases.items() if listed}


@pytest.mark.django_db
def test_store_counts_count_the_listed_offers(every_case):
    now, cases = every_case
    store = cases["running"][0].merchant
    cards = [card for _, group in selectors.stores_a_to_z().letters for card in group]
    assert {c.id: c.offers_count for c in cards}[store.pk] == Offer.objects.listed(now).filter(merchant=store).count()
    assert store.pk in {c.id for c in cards} and cases["storeinactive"][0].merchant_id not in {c.id for c in cards}

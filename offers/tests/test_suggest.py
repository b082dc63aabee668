"""Typeahead suggestions (offers.suggestions, GET /search/suggest/): stores, categories and offers by the start
of their words, keywords and typos included, from a table in memory (no query on the usual path)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from catalog.cache import listing_changed
from catalog.factories import CategoryFactory, MerchantFactory
from offers import suggestions
from offers.factories import OfferFactory
from offers.models import Offer
from offers.services import search_words_refresh


@pytest.fixture(autouse=True)
def _fresh_table():
    suggestions.forget_local()
    yield
    suggestions.forget_local()


@pytest.fixture
def shops():
    food = CategoryFactory(name="Food & Dining", slug="food", search_keywords="pizza, burger, biryani")
    footwear = CategoryFactory(name="Footwear", slug="footwear", search_keywords="shoes, sneakers, chappals")
    swiggy = MerchantFactory(name="Swiggy", slug="swiggy", search_keywords="pizza, food delivery", priority=5)
    bata = MerchantFactory(name="Bata", slug="bata", search_keywords="shoes, sandals")
    MerchantFactory(name="Shoppers Stop", slug="shoppers-stop")
    OfferFactory(merchant=swiggy, category=food, title="Buy 1 Get 1 on medium pizzas")
    OfferFactory(merchant=bata, category=footwear, title="Flat 40% off on running shoes")
    return {"swiggy": swiggy, "bata": bata}


def suggested(client, q: str) -> list[tuple[str, str]]:
    response = client.get("/search/suggest/", {"q": q})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return [(s["kind"], s["label"]) for s in response.json()["suggestions"]]


@pytest.mark.django_db
def test_stores_categories_and_offers_are_suggested_by_prefix_and_keyword(client, shops):
    assert suggested(client, "piz") == [
        ("store", "Swiggy"),
        ("category", "Food & Dining"),
        ("offer", "Buy 1 Get 1 on medium pizzas"),
    ]
    assert suggested(client, "pizzas") == suggested(client, "pizza")  # plural or singular
    sho = suggested(client, "sho")
    assert ("store", "Shoppers Stop") in sho and ("store", "Bata") in sho
    assert ("category", "Footwear") in sho and ("offer", "Flat 40% off on running shoes") in sho
    # every word must start a word of the suggestion, in any order
    assert suggested(client, "shoes run") == [("offer", "Flat 40% off on running shoes")]
    response = client.get("/search/suggest/", {"q": "bat"}).json()
    assert response["suggestions"][0] == {
        "kind": "store",
        "label": "Bata",
        "url": "/stores/bata/",
        "detail": response["suggestions"][0]["detail"],
    }


@pytest.mark.django_db
def test_a_typo_is_corrected_against_the_search_words(client, shops):
    search_words_refresh()
    assert ("category", "Footwear") in suggested(client, "sneekers")
    assert suggested(client, "zzqqx") == []


@pytest.mark.django_db
def test_suggestions_cost_no_query_once_the_table_is_built(client, shops, django_assert_num_queries):
    suggested(client, "piz")
    with django_assert_num_queries(0):
        assert suggested(client, "bata") == [("store", "Bata")]
        assert suggested(client, "swig") == [("store", "Swiggy")]


@pytest.mark.django_db
def test_listing_changes_and_expiry_are_followed(client, shops, django_capture_on_commit_callbacks, monkeypatch):
    assert suggested(client, "running") == [("offer", "Flat 40% off on running shoes")]
    # an offer that has ended since the table was built is left out at once
    ended = Offer.objects.get(title__startswith="Flat 40%").expires_at + timedelta(seconds=1)
    monkeypatch.setattr(suggestions, "timezone", SimpleNamespace(now=lambda: ended))
    assert suggested(client, "runnin") == []
    monkeypatch.undo()
    # a new store appears with the next listing generation
    with django_capture_on_commit_callbacks(execute=True):
        MerchantFactory(name="Domino's Pizza", slug="dominos")
        listing_changed()
    assert ("store", "Domino's Pizza") in suggested(client, "domin")


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["", "   ", "%", "'; DROP TABLE offers; --", "a" * 500, "ऑफ़र", "_"])
def test_odd_input_is_harmless(client, shops, q):
    response = client.get("/search/suggest/", {"q": q})
    assert response.status_code == 200 and isinstance(response.json()["suggestions"], list)
    assert client.get("/search/suggest/").json() == {"query": "", "suggestions": []}

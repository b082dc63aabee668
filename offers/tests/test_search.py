"""Search: full-text (ranked) over offers, typo-tolerant stores and categories (pg_trgm), filters, pages."""

from __future__ import annotations

from io import StringIO

import pytest
from django import forms
from django.core.management import call_command

from accounts.factories import StaffUserFactory
from catalog.factories import CategoryFactory, MerchantFactory
from offers.factories import OfferFactory
from offers.models import SearchWord
from offers.selectors import search
from offers.services import search_words_refresh


@pytest.fixture
def shops():
    fashion = CategoryFactory(name="Fashion", slug="fashion")
    footwear = CategoryFactory(name="Footwear", slug="footwear", parent=fashion)
    electronics = CategoryFactory(name="Electronics", slug="electronics")
    flipkart = MerchantFactory(name="Flipkart", slug="flipkart")
    myntra = MerchantFactory(name="Myntra", slug="myntra")
    amazon = MerchantFactory(name="Amazon", slug="amazon")
    OfferFactory(
        merchant=flipkart,
        category=electronics,
        title="Big Billion Days on mobiles",
        offer_type="sale",
        coupon_code=None,
    )
    OfferFactory(merchant=myntra, category=footwear, title="Running shoes at flat 40% off")
    OfferFactory(
        merchant=myntra,
        category=fashion,
        title="Kurtas for festive season",
        description="Pairs well with our shoes and sandals",
    )
    OfferFactory(merchant=amazon, category=electronics, title="Echo Dot with extra 10% off")
    return {"fashion": fashion, "footwear": footwear, "flipkart": flipkart, "myntra": myntra, "amazon": amazon}


def titles(results) -> list[str]:
    return [c.title for c in results.offers]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "store"),
    [
        ("flipcart", "Flipkart"),
        ("myntr", "Myntra"),
        ("amzon", "Amazon"),
        ("FLIPKART", "Flipkart"),
        ("amazon echo dot", "Amazon"),
    ],
)
def test_store_names_are_found_despite_typos(shops, query, store):
    results = search(raw_query=query)
    assert results.stores and results.stores[0].name == store
    # and the store's offers come with it
    assert {c.store.name for c in results.offers} >= {store}


@pytest.mark.django_db
def test_offers_are_ranked_title_before_description(shops):
    assert titles(search(raw_query="shoes")) == ["Running shoes at flat 40% off", "Kurtas for festive season"]
    # stemming: "shoe" finds "shoes"
    assert "Running shoes at flat 40% off" in titles(search(raw_query="shoe"))


@pytest.mark.django_db
def test_categories_are_found_by_name_with_typos(shops):
    results = search(raw_query="fashon")
    assert [c.name for c in results.categories] == ["Fashion"]
    # offers of the category and its subcategories
    assert set(titles(results)) == {"Running shoes at flat 40% off", "Kurtas for festive season"}


@pytest.mark.django_db
def test_filters_category_store_type(shops):
    assert titles(search(raw_query="shoes", category_slug="footwear")) == ["Running shoes at flat 40% off"]
    assert titles(search(raw_query="", category_slug="fashion", offer_type="code")) != []
    assert titles(search(raw_query="off", store_slug="amazon")) == ["Echo Dot with extra 10% off"]
    assert titles(search(raw_query="", offer_type="sale")) == ["Big Billion Days on mobiles"]
    assert search(raw_query="", store_slug="no-such").store is None


@pytest.mark.django_db
def test_unknown_words_are_corrected_to_known_ones(shops):

    assert search(raw_query="festivle").offers == []  # the word list is empty: nothing to correct to
    assert search_words_refresh() > 5
    results = search(raw_query="festivle")
    assert results.corrected == "festive" and titles(results) == ["Kurtas for festive season"]
    assert titles(search(raw_query="runing shoes")) == ["Running shoes at flat 40% off"]
    # known words are left alone; an unknown word still matches as typed (an offer newer than the word list)
    OfferFactory(merchant=shops["amazon"], title="Festivle special")
    assert titles(search(raw_query="festivle")) == ["Festivle special", "Kurtas for festive season"]
    assert search(raw_query="kurtas").corrected == ""
    # a word that resembles nothing is left out rather than emptying the results
    results = search(raw_query="zzqqx shoes")
    assert results.corrected == "shoes" and "Running shoes at flat 40% off" in titles(results)


@pytest.mark.django_db
def test_only_live_offers_and_active_stores_are_found(shops):
    hidden = MerchantFactory(name="Flipshop", is_active=False)
    OfferFactory(merchant=hidden, title="Hidden shoes")
    OfferFactory(merchant=shops["myntra"], title="Old shoes").delete()
    assert "Hidden shoes" not in titles(search(raw_query="shoes"))
    assert "Old shoes" not in titles(search(raw_query="shoes"))
    assert "Flipshop" not in [s.name for s in search(raw_query="flipshop").stores]


@pytest.mark.django_db
def test_pagination(shops):
    for i in range(30):
        OfferFactory(merchant=shops["amazon"], title=f"Laptop deal number {i}")
    first, second = search(raw_query="laptop"), search(raw_query="laptop", page=2)
    assert len(first.offers) == 24 and first.has_next
    assert len(second.offers) == 6 and not second.has_next
    assert not {c.id for c in first.offers} & {c.id for c in second.offers}


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "   ", "the", "!!!", "a" * 500, "'; DROP TABLE offers; --", "-shoes", '"x'])
def test_odd_queries_are_harmless(client, shops, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200


@pytest.mark.django_db
def test_search_page(client, shops):
    page = client.get("/search/", {"q": "flipcart"}).content.decode()
    assert 'href="/stores/flipkart/"' in page and "Big Billion Days on mobiles" in page
    assert '<meta name="robots" content="noindex, follow">' in page
    filtered = client.get("/search/", {"q": "shoes", "category": "footwear", "type": "code"}).content.decode()
    assert '<option value="footwear" selected>' in filtered


@pytest.mark.django_db
def test_a_query_of_stop_words_lists_the_filtered_offers(shops):
    assert titles(search(raw_query="the")) != []  # nothing to full-text search: listing order
    assert titles(search(raw_query="off", store_slug="amazon")) == ["Echo Dot with extra 10% off"]


@pytest.mark.django_db
def test_search_words_list_only_words_of_live_offers(shops):

    OfferFactory(merchant=MerchantFactory(is_active=False), title="Invisibleword offer")
    search_words_refresh()
    words = set(SearchWord.objects.values_list("word", flat=True))
    assert {"running", "shoes", "kurtas", "festive"} <= words
    assert "invisibleword" not in words and "40" not in words
    assert search_words_refresh() == len(words)  # runs again cleanly


@pytest.mark.django_db
def test_stores_and_categories_are_found_by_their_search_keywords_with_stemming_and_typos(shops):
    # given keywords staff wrote in the admin
    shops["footwear"].search_keywords = "shoes, sneakers, trainers, chappals"
    shops["footwear"].save()
    shops["myntra"].search_keywords = "clothes, sneakers"
    shops["myntra"].save()
    # when a shopper types an everyday word (plural, singular, a typo after the word list is built)
    for query in ("sneakers", "sneaker", "chappal", "trainers"):
        results = search(raw_query=query)
        assert [c.name for c in results.categories] == ["Footwear"], query
        assert "Running shoes at flat 40% off" in titles(results)
    assert [s.name for s in search(raw_query="sneakers").stores] == ["Myntra"]
    search_words_refresh()
    typo = search(raw_query="sneekers")
    assert typo.corrected == "sneakers"
    assert [c.name for c in typo.categories] == ["Footwear"] and [s.name for s in typo.stores] == ["Myntra"]
    # a sign in the query never turns keyword matching into "everything but sneakers"
    negated = search(raw_query="-sneakers")
    assert {c.name for c in negated.categories} <= {"Footwear"} and {s.name for s in negated.stores} <= {"Myntra"}


@pytest.mark.django_db
def test_accented_queries_match_plain_text(shops):
    assert [s.name for s in search(raw_query="Myntrá").stores] == ["Myntra"]
    assert "Running shoes at flat 40% off" in titles(search(raw_query="shoés"))


@pytest.mark.django_db
def test_everyday_words_find_stores_categories_and_offers_in_the_demo_data():
    # given the demo data as `make run` loads it
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    expected = {
        "shoes": ("Footwear", "Puma", "shoes"),
        "pizza": ("Food & Dining", "Swiggy", "pizza"),
        "iphone": ("Mobiles & Tablets", "Croma", "iphone"),
        "sneekers": ("Footwear", "Puma", "sneakers"),
        "recharge": ("Recharge & Bill Payments", "Paytm", "recharge"),
    }
    for word, (category, store, in_offer) in expected.items():
        # when a shopper searches for the word
        results = search(raw_query=word)
        # then stores, categories and offers come back
        assert category in [c.name for c in results.categories], word
        assert store in [s.name for s in results.stores], word
        assert results.offers and any(in_offer in (o.title + o.description).lower() for o in results.offers), word


def _admin_form_data(response) -> dict:
    """What the admin change form would post back unchanged: its fields' initial values, inlines' management."""
    form = response.context["adminform"].form
    data: dict[str, object] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or field.disabled or isinstance(field, forms.FileField):
            continue  # an unchanged file is not posted again
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = [str(v.pk if hasattr(v, "pk") else v) for v in value] if isinstance(value, list | tuple) else value
    for formset in response.context.get("inline_admin_formsets", []):
        management = formset.formset.management_form
        data.update({f"{management.prefix}-{k}": v for k, v in management.initial.items()})
    return data


@pytest.mark.django_db
def test_staff_edit_the_keywords_of_a_category_and_a_store_in_the_admin_and_search_finds_them(client, shops):
    client.force_login(StaffUserFactory())
    for kind, obj, keywords in (
        ("category", shops["footwear"], "chappals, juttis"),
        ("merchant", shops["myntra"], "juttis, kurtis"),
    ):
        url = f"/admin/catalog/{kind}/{obj.pk}/change/"
        page = client.get(url)
        assert page.status_code == 200 and 'name="search_keywords"' in page.content.decode()
        response = client.post(url, {**_admin_form_data(page), "search_keywords": keywords})
        assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
        obj.refresh_from_db()
        assert obj.search_keywords == keywords
    results = search(raw_query="juttis")
    assert [c.name for c in results.categories] == ["Footwear"] and [s.name for s in results.stores] == ["Myntra"]

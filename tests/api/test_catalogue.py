"""The public catalogue and the app's click-out: the pages' selectors and rules, never the coupon code outside
the click-out, and a click recorded and limited exactly like /go/."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from offers.factories import OfferFactory
from offers.models import OfferClick


@pytest.mark.django_db
def test_categories_come_as_the_sites_tree(anon, catalogue):
    roots = anon.get("/api/v1/categories/").json()
    fashion = next(c for c in roots if c["slug"] == "fashion")
    assert [c["slug"] for c in fashion["children"]] == ["shoes"]
    assert all(c["slug"] != "shoes" for c in roots)


@pytest.mark.django_db
def test_stores_and_a_stores_rates_per_category(anon, catalogue):
    stores = anon.get("/api/v1/stores/").json()["results"]
    assert [s["slug"] for s in stores] == ["ajio", "myntra"]  # by name
    detail = anon.get("/api/v1/stores/myntra/").json()
    # the commission on shoes (8% x 75% share = 6%) and the store default for the rest, as the store page shows
    assert detail["rates"][0]["category_slug"] == "shoes" and detail["rates"][0]["rate"]["value"] == "6.00"
    assert detail["rates"][-1]["category_slug"] is None and detail["cashback"] == "Up to 6% cashback"
    catalogue["ajio"].is_active = False
    catalogue["ajio"].save()
    assert anon.get("/api/v1/stores/ajio/").status_code == 404


@pytest.mark.django_db
def test_offers_filter_by_store_category_type_featured_exclusive_and_live(anon, catalogue):
    OfferFactory(merchant=catalogue["myntra"], expires_at=timezone.now() - timedelta(days=1), title="Expired one")
    OfferFactory(merchant=catalogue["myntra"], deleted_at=timezone.now(), title="Removed one")

    def titles(query: str) -> set[str]:
        return {o["title"] for o in anon.get(f"/api/v1/offers/{query}").json()["results"]}

    assert titles("") == {"Flat 20% off sneakers", "Denim deal"}
    assert titles("?store=myntra") == {"Flat 20% off sneakers"}
    assert titles("?category=fashion") == {"Flat 20% off sneakers", "Denim deal"}  # sub-categories too
    assert titles("?category=shoes") == {"Flat 20% off sneakers"}
    assert titles("?type=deal") == {"Denim deal"}
    assert titles("?featured=true") == {"Flat 20% off sneakers"}
    assert titles("?exclusive=true") == {"Denim deal"}
    assert titles("?live=false") == {"Flat 20% off sneakers", "Denim deal", "Expired one"}
    assert titles("?category=no-such-category") == set()


@pytest.mark.django_db
def test_the_coupon_code_is_never_in_a_listing_a_detail_or_a_search(anon, catalogue):
    offer = catalogue["code"]
    for url in (
        "/api/v1/offers/",
        f"/api/v1/offers/{offer.uuid}/",
        "/api/v1/search/?q=sneakers",
        "/api/v1/stores/myntra/",
    ):
        response = anon.get(url)
        assert response.status_code == 200, url
        assert "SNEAK20" not in response.content.decode(), url
    detail = anon.get(f"/api/v1/offers/{offer.uuid}/").json()
    assert (
        detail["has_code"] is True
        and detail["category"] == "shoes"
        and detail["cashback"] == "Up to 6% cashback (max ₹300)"
    )


@pytest.mark.django_db
def test_an_expired_offer_is_gone_and_an_unknown_or_hidden_one_not_found(anon, catalogue):
    expired = OfferFactory(merchant=catalogue["myntra"], expires_at=timezone.now() - timedelta(hours=1))
    visit = OfferFactory(merchant=catalogue["myntra"], is_store_visit=True)
    assert anon.get(f"/api/v1/offers/{expired.uuid}/").json()["error"]["code"] == "gone"
    assert anon.get(f"/api/v1/offers/{visit.uuid}/").status_code == 404
    assert anon.post(f"/api/v1/offers/{visit.uuid}/click/").status_code == 404
    assert anon.post(f"/api/v1/offers/{expired.uuid}/click/").status_code == 410
    assert anon.get("/api/v1/offers/6f1c2a4e-8b7d-4e21-9a55-0c6f1d2e3b4a/").status_code == 404


@pytest.mark.django_db
def test_the_apps_click_is_recorded_like_go_and_answers_the_link_and_the_code(anon, as_owner, owner, catalogue):
    offer = catalogue["code"]
    response = anon.post(f"/api/v1/offers/{offer.uuid}/click/", HTTP_USER_AGENT="CouponAli/3.1 (Android 14)")
    assert response.status_code == 201
    body = response.json()
    assert body["coupon_code"] == "SNEAK20"
    assert body["url"].startswith("https://track.example.net/click?aff=ca-1001&subid=" + body["click_id"])
    click = OfferClick.objects.get(click_id=body["click_id"])
    assert (click.offer_id, click.merchant_id, click.user_id) == (offer.pk, offer.merchant_id, None)
    assert click.cashback_value == 6 and click.user_agent.startswith("CouponAli/3.1")
    # signed in: the click is the shopper's (cashback is matched to it); a deal has no code
    deal = as_owner.post(f"/api/v1/offers/{catalogue['deal'].uuid}/click/").json()
    assert deal["coupon_code"] is None
    assert OfferClick.objects.get(click_id=deal["click_id"]).user_id == owner.pk


@pytest.mark.django_db
def test_the_apps_click_shares_the_click_out_rate_limit_of_go(client, anon, settings, catalogue):
    settings.CLICKOUT_RATE_LIMIT = "2/minute"
    offer = catalogue["deal"]
    assert client.get(f"/go/{offer.uuid}/").status_code == 302
    assert anon.post(f"/api/v1/offers/{offer.uuid}/click/").status_code == 201
    limited = anon.post(f"/api/v1/offers/{offer.uuid}/click/")
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"
    assert client.get(f"/go/{offer.uuid}/").status_code == 429
    assert OfferClick.objects.count() == 2


@pytest.mark.django_db
def test_search_is_the_sites_search(anon, catalogue):
    body = anon.get("/api/v1/search/?q=sneekers").json()  # typo corrected like the site does
    assert [o["title"] for o in body["offers"]] == ["Flat 20% off sneakers"] or body["offers"] == []
    by_store = anon.get("/api/v1/search/?q=myntra").json()
    assert [s["slug"] for s in by_store["stores"]] == ["myntra"]
    assert {o["title"] for o in by_store["offers"]} == {"Flat 20% off sneakers"}
    assert anon.get("/api/v1/search/?page=0").status_code == 400
    assert anon.get("/api/v1/search/?type=voucher").json()["error"]["fields"] == {
        "type": ['"voucher" is not a valid choice.']
    }


@pytest.mark.django_db
def test_gift_cards_and_their_variants(anon, catalogue):
    listing = anon.get("/api/v1/gift-cards/").json()
    assert [c["slug"] for c in listing["results"]] == ["amazon-pay"] and listing["has_next"] is False
    assert listing["results"][0]["from_price"] == "485.00" and listing["results"][0]["best_saving_percent"] == 3
    detail = anon.get("/api/v1/gift-cards/amazon-pay/").json()
    assert detail["variants"] == [
        {
            "id": catalogue["variant"].pk,
            "denomination": "500.00",
            "selling_price": "485.00",
            "saving": "15.00",
            "saving_percent": 3,
            "available": None,
        }
    ]
    assert anon.get("/api/v1/gift-cards/no-such-card/").status_code == 404
    assert json.loads(anon.get("/api/v1/gift-cards/?page=abc").content)["error"]["fields"]["page"]

"""The gift-card pages' pictures and value picker: a card shows its own image, else its brand store's logo, else
a two-letter tile (never a made-up /static/ path); the demo seed only names static files that exist; the product
page's chips post a variant the cart accepts."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse

from catalog.factories import MerchantFactory, ProductFactory, ProductVariantFactory
from catalog.gift_card_selectors import gift_card_image
from catalog.models import Merchant, Product
from demo import data

BOGUS = "/static/img/giftcards/"


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def img_srcs(page: str) -> list[str]:
    return re.findall(r'<img[^>]*\bsrc="([^"]*)"', page)


@pytest.fixture
def amazon(db):
    """A store with an uploaded logo (a storage name: the URL is all the page needs) and its card, which has no
    picture of its own but still the path an older demo seed wrote."""
    store = MerchantFactory(name="Amazon", slug="amazon", logo_url="/static/img/stores/amazon.svg")
    store.logo.name = "stores/amazon-0123456789ab.webp"
    store.save()
    product = ProductFactory(name="Amazon Pay e-gift card", slug="amazon-pay", merchant=store)
    product.gallery_images = [f"{BOGUS}amzpay.svg"]
    product.save()
    ProductVariantFactory(product=product, denomination=Decimal("500"), selling_price=Decimal("485"))
    ProductVariantFactory(product=product, denomination=Decimal("1000"), selling_price=Decimal("1000"))
    return store, product


@pytest.mark.django_db
def test_a_card_without_its_own_image_shows_its_stores_logo_on_the_list_and_its_page(client, amazon):
    store, product = amazon
    logo = store.logo_src
    assert logo == "/media/stores/amazon-0123456789ab.webp"  # the uploaded logo, as on the store cards
    assert gift_card_image(product) == logo
    for url in ("/gift-cards/", "/gift-cards/amazon-pay/"):
        srcs = img_srcs(html(client.get(url)))
        assert logo in srcs, url
        assert not [src for src in srcs if src.startswith(BOGUS)], url


@pytest.mark.django_db
def test_a_cards_own_image_wins_and_a_card_without_store_or_image_gets_a_tile(client, amazon):
    _store, product = amazon
    product.image_url = "https://cdn.example.in/amazon-pay-card.png"
    product.save()
    own = ProductFactory(name="CouponAli Gift Card", slug="couponali-gc", merchant=None)
    ProductVariantFactory(product=own, denomination=Decimal("100"), selling_price=Decimal("100"))
    listing = html(client.get("/gift-cards/"))
    assert "https://cdn.example.in/amazon-pay-card.png" in img_srcs(listing)
    assert "https://cdn.example.in/amazon-pay-card.png" in img_srcs(html(client.get("/gift-cards/amazon-pay/")))
    page = html(client.get("/gift-cards/couponali-gc/"))
    assert re.search(r'class="store-logo store-logo-fallback[^"]*" aria-hidden="true">CG</span>', page)
    assert not [src for src in img_srcs(page) if BOGUS in src]


class _Form(HTMLParser):
    """The add-to-cart form of a product page: its action and what a browser would submit as it opens."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}
        self.radios: list[dict[str, str | None]] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("action") == reverse("cart-add"):
            self._inside, self.action = True, a["action"]
        elif tag == "input" and self._inside:
            if a.get("type") == "radio":
                self.radios.append(a)
                if "checked" in a:
                    self.fields[a["name"]] = a["value"]
            else:
                self.fields[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


@pytest.mark.django_db
def test_the_value_chips_post_a_variant_the_cart_accepts_and_sold_out_is_not_chosen(client, amazon):
    _store, product = amazon
    sold_out = ProductVariantFactory(
        product=product, denomination=Decimal("250"), selling_price=Decimal("245"), stock_quantity=0
    )
    page = html(client.get("/gift-cards/amazon-pay/"))
    form = _Form()
    form.feed(page)
    # a fieldset with a legend around one radio per value; the sold-out one is disabled and not the default
    assert re.search(r'<fieldset class="value-picker">\s*<legend>Choose a value</legend>', page)
    assert [r["value"] for r in form.radios if "disabled" in r] == [str(sold_out.pk)]
    five_hundred = product.variants.get(denomination=500)
    assert form.fields["variant"] == str(five_hundred.pk)
    assert form.fields["quantity"] == "1"
    # the chosen chip says what it costs and saves, without JavaScript
    assert "You pay <strong>₹485</strong> · you save ₹15 (3%)" in page
    assert "Sold out" in page
    response = client.post(form.action, form.fields, follow=True)
    assert "Added to your cart." in html(response) and "₹485" in html(response)
    assert client.session["cart"] == {str(five_hundred.pk): 1}


def _static_paths() -> list[str]:
    paths = []
    for product in Product.all_objects.all():
        paths += [p for p in (product.gallery_images or []) if isinstance(p, str)]
        paths.append(product.image_url or "")
    paths += [m.logo_url or "" for m in Merchant.all_objects.all()]
    return [p for p in paths if p.startswith("/static/")]


@pytest.mark.django_db
def test_the_demo_seed_names_only_static_files_that_exist_and_clears_the_old_made_up_ones():
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    missing = [p for p in _static_paths() if not finders.find(p.removeprefix("/static/"))]
    assert missing == []
    assert Product.objects.count() == len(data.GIFT_CARDS)
    # a database seeded by an older version: its made-up path goes on the next run, what staff added stays
    product = Product.objects.get(merchant__slug="amazon")
    product.gallery_images = ["/static/img/giftcards/amzpay.svg", "/static/img/favicon.svg"]
    product.save()
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    product.refresh_from_db()
    assert product.gallery_images == ["/static/img/favicon.svg"]
    assert not [p for p in _static_paths() if p.startswith(BOGUS)]

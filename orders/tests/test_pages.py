"""Shopper pages of the store: catalogue with filters and badges, product page, home strip and search hits,
cart and checkout, orders and the order page. Each within 10 queries, flat in the number of cards/orders."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.factories import UserFactory
from analytics.selectors import trust_figures
from catalog.factories import CategoryFactory, MerchantFactory, ProductFactory, ProductVariantFactory
from catalog.gift_card_selectors import gift_card_index_refresh
from couponali import rls
from orders.models import Order
from orders.services import checkout, fulfilment

from .conftest import fund

MAX_QUERIES = 10


def make_cards(n: int, *, category=None, merchant=None, prefix="Card"):
    products = []
    for i in range(n):
        p = ProductFactory(name=f"{prefix} {i}", category=category, merchant=merchant or MerchantFactory())
        ProductVariantFactory(product=p, denomination=Decimal("500"), selling_price=Decimal("475"))
        ProductVariantFactory(product=p, denomination=Decimal("1000"), selling_price=Decimal("950"), stock_quantity=3)
        products.append(p)
    return products


@pytest.fixture
def catalogue(db):
    food = CategoryFactory(name="Food", slug="food", type="product")
    swiggy = MerchantFactory(name="Swiggy", slug="swiggy")
    featured = ProductFactory(name="Swiggy Money gift card", slug="swiggy-money", category=food, merchant=swiggy)
    featured.is_featured = True
    featured.terms_conditions = "Valid on food orders only."
    featured.save()
    ProductVariantFactory(product=featured, denomination=Decimal("1000"), selling_price=Decimal("930"))
    ProductVariantFactory(product=featured, denomination=Decimal("2000"), selling_price=Decimal("1900"))
    best = ProductFactory(name="Myntra gift card", slug="myntra-gc", is_bestseller=True)
    ProductVariantFactory(product=best, denomination=Decimal("500"), selling_price=Decimal("500"))
    hidden = ProductFactory(name="Gone gift card", slug="gone-gc")
    ProductVariantFactory(product=hidden, is_available=False)
    make_cards(3)
    return {"food": food, "swiggy": swiggy, "featured": featured, "best": best}


def html(response) -> str:
    return response.content.decode()


@pytest.mark.django_db
def test_listing_featured_and_bestsellers_first_with_badges_and_filters(client, catalogue):
    page = html(client.get("/gift-cards/"))
    assert page.index("Swiggy Money gift card") < page.index("Myntra gift card") < page.index("Card 0")
    assert "7% off" in page  # ₹930 for ₹1000
    assert "Gone gift card" not in page
    filtered = html(client.get("/gift-cards/?category=food"))
    assert "Swiggy Money gift card" in filtered and "Myntra gift card" not in filtered
    by_brand = html(client.get("/gift-cards/?brand=swiggy"))
    assert "Swiggy Money gift card" in by_brand and "Card 0" not in by_brand


@pytest.mark.django_db
def test_product_page_shows_prices_savings_validity_delivery_terms_and_redeeming(client, catalogue):
    page = html(client.get("/gift-cards/swiggy-money/"))
    for text in (
        "₹1,000",
        "₹930",
        "₹70 (7%)",
        "₹1,900",
        "365 days",
        "Email",
        "Valid on food orders only.",
        "How to redeem",
        "Save up to 7%",
    ):
        assert text in page, text
    assert client.get("/gift-cards/gone-gc/").status_code == 404


@pytest.mark.django_db
def test_home_strip_and_search_show_gift_cards(client, catalogue):
    assert "Swiggy Money gift card" in html(client.get("/"))  # the home page builds the index when missing
    hits = html(client.get("/search/?q=swiggy"))
    assert "Swiggy Money gift card" in hits and "7% off" in hits
    assert "Myntra gift card" not in hits


@pytest.mark.django_db
def test_cart_limits_and_quantities(client, catalogue, settings):
    variant = catalogue["featured"].variants.get(denomination=1000)
    client.post(reverse("cart-add"), {"variant": variant.pk, "quantity": 3})
    page = html(client.get("/cart/"))
    assert "₹2,790" in page  # 3 × ₹930
    assert "At most 10" in html(client.post(reverse("cart-add"), {"variant": variant.pk, "quantity": 8}, follow=True))
    client.post(reverse("cart-update"), {f"qty-{variant.pk}": "0"})
    assert "Your cart is empty" in html(client.get("/cart/"))
    assert "Choose a denomination" in html(client.post(reverse("cart-add"), {"variant": "x"}, follow=True))


@pytest.mark.django_db
def test_checkout_errors_are_shown_not_raised(client, catalogue):
    user = UserFactory()
    client.force_login(user)
    variant = catalogue["featured"].variants.get(denomination=1000)
    client.post(reverse("cart-add"), {"variant": variant.pk, "quantity": 1})
    response = client.post(reverse("checkout"), {"email": "nope", "mobile": ""})
    assert response.status_code == 400 and "valid e-mail" in html(response)
    response = client.post(reverse("checkout"), {"email": "a@b.in", "use_wallet": "1", "wallet_amount": "abc"})
    assert response.status_code == 400 and "in rupees" in html(response)
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_order_pages_show_the_timeline(client, catalogue):
    user = UserFactory()
    fund(user, "5000")
    variant = catalogue["featured"].variants.get(denomination=1000)
    order = checkout.order_place(user=user, lines={variant.pk: 1}, email="a@b.in", use_wallet=True).order
    client.force_login(user)
    assert order.order_number in html(client.get("/orders/"))
    page = html(client.get(f"/orders/{order.order_number}/"))
    assert "Order placed" in page and "Payment received" in page and "Swiggy Money gift card" in page
    assert "Your vouchers appear here as soon as the order is fulfilled" in page
    # once fulfilled, the page lists the voucher masked, with the buyer's reveal button (part 2's include)
    fulfilment.order_fulfil(order_id=order.pk)
    tail = order.items.get().voucher_codes[0]["tail"]
    page = html(client.get(f"/orders/{order.order_number}/"))
    assert f"XXXX-XXXX-{tail}" in page and "Show code" in page and "js/vouchers" in page
    other = Client()
    other.force_login(UserFactory())
    assert other.get(f"/orders/{order.order_number}/").status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "url",
    [
        "/gift-cards/",
        "/gift-cards/?category=food&brand=swiggy",
        "/gift-cards/swiggy-money/",
        "/",
        "/search/?q=gift",
        "/cart/",
        "/checkout/",
        "/orders/",
        "ORDER",
    ],
)
def test_pages_run_a_fixed_number_of_queries(catalogue, django_assert_max_num_queries, url):
    user = UserFactory()
    fund(user, "100000")
    client = Client()
    client.force_login(user)

    def grow():
        variants = [p.variants.first() for p in make_cards(4, category=catalogue["food"], prefix="More gift")]
        client.post(reverse("cart-add"), {"variant": variants[0].pk, "quantity": 1})
        lines = {v.pk: 1 for v in variants}
        with rls.scope(user_id=user.pk):  # as the checkout request would
            return checkout.order_place(user=user, lines=lines, email="a@b.in", use_wallet=True).order

    order = grow()
    target = f"/orders/{order.order_number}/" if url == "ORDER" else url
    trust_figures()  # the home's trust figures live in Redis for 15 minutes (analytics/tests/test_trust_figures.py)
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(target).status_code == 200
    for _ in range(3):  # more cards, more cart lines, more orders and items: still the same bound
        grow()
    gift_card_index_refresh()  # the beat job's refresh: the search page reads the fresh index
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(target).status_code == 200

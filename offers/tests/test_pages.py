"""The shopper pages: what they list, what a card says, SEO, and a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.utils import timezone

from accounts.factories import UserFactory
from analytics.selectors import trust_figures
from catalog.cache import listing_changed
from catalog.factories import CategoryFactory, MerchantCommissionFactory, MerchantFactory
from couponali.views import error_500
from offers.factories import OfferFactory
from offers.models import Offer
from offers.selectors import offers_live

# 11: a store page reads its live offers' own cashback rules for the header's "Up to" (one query).
MAX_QUERIES = 11


@pytest.fixture
def catalogue():
    """A few categories (with a subcategory), 15 stores with commissions, 8 offers each."""
    now = timezone.now()
    fashion = CategoryFactory(name="Fashion", slug="fashion")
    footwear = CategoryFactory(name="Footwear", slug="footwear", parent=fashion)
    electronics = CategoryFactory(name="Electronics", slug="electronics")
    stores = []
    for n in range(15):
        store = MerchantFactory(name=f"Shop {n:02d}", slug=f"shop-{n:02d}", is_featured=n < 6, priority=n)
        MerchantCommissionFactory(merchant=store, category=fashion)
        MerchantCommissionFactory(
            merchant=store, category=electronics, commission_type="fixed", commission_value=Decimal("100")
        )
        stores.append(store)
        for i in range(8):
            OfferFactory(
                merchant=store,
                category=[fashion, footwear, electronics][i % 3],
                title=f"Shop {n:02d} shoes offer {i}",
                is_featured=i == 0,
                is_exclusive=i == 1,
                cashback_type=None if i % 2 else "percentage",
                expires_at=now + timedelta(days=2 if i == 2 else 20),
            )
    return {"fashion": fashion, "footwear": footwear, "electronics": electronics, "stores": stores}


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.mark.django_db
def test_only_live_offers_are_listed():
    now = timezone.now()
    live = OfferFactory(title="live", starts_at=None, expires_at=None)
    OfferFactory(title="expired", expires_at=now - timedelta(seconds=1))
    OfferFactory(title="not started", starts_at=now + timedelta(hours=1))
    OfferFactory(title="deleted").delete()
    OfferFactory(title="inactive store", merchant=MerchantFactory(is_active=False))
    gone_store = MerchantFactory()
    OfferFactory(title="deleted store", merchant=gone_store)
    gone_store.delete()
    OfferFactory(title="store visit", is_store_visit=True)
    assert list(offers_live().values_list("title", flat=True)) == [live.title]


@pytest.mark.django_db
def test_home_shows_sections_cards_and_the_sign_in_invitation(client, catalogue):
    page = html(client.get("/"))
    assert "Top stores" in page and "Top offers" in page and "CouponAli exclusives" in page
    assert "Ending soon" in page and "Ends in 2 days" in page
    assert 'href="/stores/shop-05/"' in page  # a featured store
    assert 'href="/categories/fashion/"' in page
    assert "Up to 6% cashback (max ₹300)" in page  # offer rule (factory: 6%, cap 300)
    assert "✓ Verified" in page and "Exclusive" in page
    assert "Sign in to earn cashback" in page and 'href="/accounts/login/?next=/"' in page
    assert '<link rel="canonical" href="http://127.0.0.1:8000/">' in page


@pytest.mark.django_db
def test_signed_in_shoppers_are_not_asked_to_sign_in(client):
    OfferFactory()
    client.force_login(UserFactory())
    assert "Sign in to earn cashback" not in html(client.get("/"))


@pytest.mark.django_db
def test_offer_cards_say_get_code_or_activate_deal(client):
    code = OfferFactory(offer_type="code", coupon_code="SAVE10")
    deal = OfferFactory(offer_type="deal", coupon_code=None, merchant=code.merchant)
    page = html(client.get(f"/stores/{code.merchant.slug}/"))
    assert f'href="/offers/{code.uuid}/?reveal=1" data-clickout="/go/{code.uuid}/activated/"' in page
    assert "SAVE10" not in page  # shown only after the click (offers/tests/test_activated.py)
    assert (
        f'<a class="button" href="/go/{deal.uuid}/activated/" target="_blank" rel="nofollow noopener">Activate deal</a>'
        in page
    )


@pytest.mark.django_db
def test_store_page_rates_seo_and_offers(client):
    fashion = CategoryFactory(name="Fashion")
    store = MerchantFactory(
        name="Myntra",
        slug="myntra",
        seo_title="Myntra coupons: up to 80% off",
        seo_description="The best Myntra codes.",
        default_cashback_type="percentage",
        default_cashback_value=Decimal("4"),
    )
    MerchantCommissionFactory(
        merchant=store, category=fashion, commission_value=Decimal("10"), cashback_percentage=Decimal("70")
    )
    OfferFactory(merchant=store, title="Myntra end of season sale", cashback_type=None, category=fashion)
    page = html(client.get("/stores/myntra/"))
    assert "<title>Myntra coupons: up to 80% off · CouponAli</title>" in page
    assert '<meta name="description" content="The best Myntra codes.">' in page
    assert '<link rel="canonical" href="http://127.0.0.1:8000/stores/myntra/">' in page
    assert "Myntra end of season sale" in page
    assert "Up to 7% cashback" in page  # the offer has no rule: the Fashion commission's share
    assert "Everything else" in page and "Up to 4% cashback" in page
    assert 'href="/go/store/myntra/activated/"' in page
    assert client.get("/stores/myntra/?page=2").status_code == 200


@pytest.mark.django_db
def test_store_page_filters_by_type_and_paginates(client):
    store = MerchantFactory(slug="big")
    for i in range(30):
        OfferFactory(merchant=store, title=f"Code {i}", offer_type="code")
    OfferFactory(merchant=store, title="The only deal", offer_type="deal", coupon_code=None)
    first = html(client.get("/stores/big/"))
    assert first.count('class="card offer-card') == 24 and 'rel="next"' in first
    second = html(client.get("/stores/big/?page=2"))
    assert second.count('class="card offer-card') == 7 and 'rel="prev"' in second
    deals = html(client.get("/stores/big/?type=deal"))
    assert "The only deal" in deals and "Code 1" not in deals
    assert client.get("/stores/big/?page=abc&type=<script>").status_code == 200


@pytest.mark.django_db
def test_inactive_or_unknown_store_is_404(client):
    MerchantFactory(slug="sleepy", is_active=False)
    assert client.get("/stores/sleepy/").status_code == 404
    assert client.get("/stores/nope/").status_code == 404


@pytest.mark.django_db
def test_stores_a_to_z(client):
    for name in ("Zomato", "ajio", "Amazon", "1mg"):
        MerchantFactory(name=name)
    MerchantFactory(name="Hidden", is_active=False)
    page = html(client.get("/stores/"))
    assert page.index('id="letter-A"') < page.index('id="letter-Z"') < page.index('id="letter-#"')
    assert page.index(">ajio<") < page.index(">Amazon<") or page.index(">Amazon<") < page.index(">ajio<")
    assert "Hidden" not in page and "4 stores" in page


@pytest.mark.django_db
def test_category_page_includes_subcategory_offers_and_stores(client, catalogue):
    page = html(client.get("/categories/fashion/"))
    assert 'href="/categories/footwear/"' in page  # subcategory link
    assert "shoes offer 1" in page  # a Footwear offer on the Fashion page
    assert "shoes offer 2" not in page  # Electronics
    assert "Stores for fashion" in page
    sub = html(client.get("/categories/footwear/"))
    assert 'href="/categories/fashion/">Fashion</a>' in sub  # breadcrumb to the parent
    assert client.get("/categories/nope/").status_code == 404
    index = html(client.get("/categories/"))
    assert "Fashion" in index and "Footwear" in index and "Electronics" in index


@pytest.mark.django_db
def test_offer_page_reveals_the_code_and_expired_ones_get_the_friendly_page(client, django_capture_on_commit_callbacks):
    offer = OfferFactory(title="Extra 10% off", coupon_code="TEN10", terms_conditions="One use per user.")
    sibling = OfferFactory(merchant=offer.merchant, title="Another live one")
    page = html(client.get(f"/offers/{offer.uuid}/"))
    assert "Extra 10% off" in page and "Another live one" in page and "One use per user." in page
    revealed = html(client.get(f"/offers/{offer.uuid}/?reveal=1"))
    assert '<code class="coupon-code">TEN10</code>' in revealed and f'href="/go/{offer.uuid}/activated/"' in revealed
    # changed the way every service, admin action and job changes an offer: with a new listing generation
    with django_capture_on_commit_callbacks(execute=True):
        Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(days=1))
        listing_changed()
    gone = client.get(f"/offers/{offer.uuid}/")
    assert gone.status_code == 410
    assert "This offer has expired" in gone.content.decode() and "Another live one" in gone.content.decode()
    sibling.delete()
    Offer.objects.filter(pk=offer.pk).update(expires_at=None)
    offer.delete()
    removed = client.get(f"/offers/{offer.uuid}/")
    assert removed.status_code == 410 and "no longer available" in removed.content.decode()


@pytest.mark.django_db
def test_404_and_500_pages_still_work(client):
    assert "We couldn't find that page" in client.get("/offers/not-a-uuid/").content.decode()

    response = error_500(RequestFactory().get("/"))
    assert response.status_code == 500


@pytest.mark.django_db
def test_robots_and_sitemap(client):
    offer = OfferFactory()
    expired = OfferFactory(expires_at=timezone.now() - timedelta(days=1))
    robots = client.get("/robots.txt")
    assert robots["Content-Type"].startswith("text/plain")
    assert "Disallow: /go/" in robots.content.decode()
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in robots.content.decode()
    index = client.get("/sitemap.xml").content.decode()
    assert "sitemap-offers.xml" in index and "sitemap-stores.xml" in index
    offers = client.get("/sitemap-offers.xml").content.decode()
    assert f"<loc>http://127.0.0.1:8000/offers/{offer.uuid}/</loc>" in offers
    assert str(expired.uuid) not in offers
    stores = client.get("/sitemap-stores.xml").content.decode()
    assert f"http://127.0.0.1:8000/stores/{offer.merchant.slug}/" in stores


# transaction=True: each request is then the outermost transaction, as in production, so the count has no
# savepoint or RLS-restore statements that only exist because a test case wraps everything in a transaction.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/stores/shop-03/",
        "/stores/shop-03/?type=code&page=1",
        "/categories/fashion/",
        "/categories/",
        "/stores/",
        "/search/?q=shoes",
        "/search/?q=shop+03",
        "/search/?q=shpo&category=fashion&type=code",
        "/search/?q=zzqqxx",
        "/search/?store=shop-03&q=offer",
    ],
)
def test_pages_run_a_fixed_number_of_queries(client, catalogue, django_assert_max_num_queries, url, signed_in):
    if signed_in:
        client.force_login(UserFactory())
    client.get("/robots.txt")  # warms what the middleware loads once per process (the SEO redirect table)
    trust_figures()  # the home's trust figures live in Redis for 15 minutes (analytics/tests/test_trust_figures.py)
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(url).status_code == 200
    # many more offers: still the same bound
    for store in catalogue["stores"][:5]:
        for i in range(20):
            OfferFactory(merchant=store, category=catalogue["footwear"], title=f"More shoes {i}")
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_home_sections_are_cached_and_invalidated(
    client, django_assert_max_num_queries, django_capture_on_commit_callbacks, admin_client
):
    offer = OfferFactory(title="Before the change", is_featured=True)
    assert "Before the change" in html(client.get("/"))
    # only the request transaction's own statements (savepoint, RLS settings set and restored, release): the
    # sections, stores and categories come from Redis
    with django_assert_max_num_queries(4):
        assert client.get("/").status_code == 200
    # a change through the admin invalidates the cached sections when it commits
    data = {
        "merchant": offer.merchant_id,
        "title": "After the change",
        "offer_type": "code",
        "coupon_code": "X",
        "views_count": 0,
        "clicks_count": 0,
        "conversion_count": 0,
        "starts_at_0": "",
        "starts_at_1": "",
        "expires_at_0": "",
        "expires_at_1": "",
        "is_featured": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        saved = admin_client.post(f"/admin/offers/offer/{offer.pk}/change/", data)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    page = html(client.get("/"))
    assert "After the change" in page and "Before the change" not in page

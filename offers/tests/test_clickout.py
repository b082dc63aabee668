"""GET /go/<offer uuid>/ and /go/store/<slug>/: one click row, then a 302 to the stored tracking URL only."""

from __future__ import annotations

import uuid
from datetime import timedelta
from unittest import mock
from urllib.parse import parse_qs, parse_qsl, urlsplit

import psycopg
import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts.devices import device_type
from accounts.factories import UserFactory
from catalog.factories import MerchantFactory
from catalog.networks import link_click_param
from devtools.testing import database_url
from offers import clickout
from offers.clickout import build_url_pattern, is_safe_external_url
from offers.factories import OfferFactory
from offers.models import Offer, OfferClick
from offers.selectors import offers_live

ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36"


def clicks():
    return list(OfferClick.objects.order_by("id"))


@pytest.mark.django_db
def test_click_out_records_the_click_and_redirects_to_the_filled_template(client):
    merchant = MerchantFactory(
        affiliate_id="ca 10/01",
        tracking_url_template="https://track.example.net/c?aff={affiliate_id}&sub={click_id}&uid={user_id}&to={url}",
    )
    offer = OfferFactory(merchant=merchant, affiliate_url="https://shop.example.in/sale?x=1&y=2")
    user = UserFactory()
    client.force_login(user)

    response = client.get(
        f"/go/{offer.uuid}/",
        HTTP_USER_AGENT=ANDROID,
        HTTP_REFERER="https://couponali.in/stores/x/",
        REMOTE_ADDR="203.0.113.7",
    )

    assert response.status_code == 302
    location = response["Location"]
    query = parse_qs(urlsplit(location).query)
    assert location.startswith("https://track.example.net/c?")
    [click] = clicks()
    assert query == {
        "aff": ["ca 10/01"],
        "sub": [str(click.click_id)],
        "uid": [str(user.pk)],
        "to": ["https://shop.example.in/sale?x=1&y=2"],
    }
    # every value URL-encoded, so the affiliate URL cannot add parameters of its own
    assert "to=https%3A%2F%2Fshop.example.in%2Fsale%3Fx%3D1%26y%3D2" in location
    assert "aff=ca%2010%2F01" in location
    assert (click.offer_id, click.merchant_id, click.user_id) == (offer.pk, merchant.pk, user.pk)
    assert (click.ip_address, click.device_type) == ("203.0.113.7", "mobile")
    assert click.user_agent == ANDROID and click.referrer_url == "https://couponali.in/stores/x/"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_signed_out_click_out_works_with_an_empty_user_id(client):
    offer = OfferFactory(
        merchant=MerchantFactory(tracking_url_template="https://t.example.net/?s={click_id}&u={user_id}")
    )
    response = client.get(f"/go/{offer.uuid}/")
    assert response.status_code == 302
    [click] = clicks()
    assert click.user_id is None
    assert response["Location"] == f"https://t.example.net/?s={click.click_id}&u="


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("network", "param"), [("admitad", "subid"), ("vcommission", "aff_sub"), ("cuelinks", "subid"), ("", "subid")]
)
def test_without_a_template_the_affiliate_url_gets_the_click_id_as_sub_id(client, network, param):
    merchant = MerchantFactory(tracking_url_template="", affiliate_network=network)
    offer = OfferFactory(merchant=merchant, affiliate_url="https://aff.example.com/go?id=77&subid=old")
    response = client.get(f"/go/{offer.uuid}/")
    [click] = clicks()
    parts = urlsplit(response["Location"])
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "aff.example.com", "/go")
    query = parse_qs(parts.query)
    assert query["id"] == ["77"]
    assert query[param] == [str(click.click_id)]


@pytest.mark.django_db
def test_without_template_or_affiliate_url_the_store_website_is_used(client):
    merchant = MerchantFactory(tracking_url_template=None, website_url="https://www.store.example.in/")
    offer = OfferFactory(merchant=merchant, affiliate_url=None)
    response = client.get(f"/go/{offer.uuid}/")
    [click] = clicks()
    assert response["Location"] == f"https://www.store.example.in/?subid={click.click_id}"


@pytest.mark.django_db
def test_store_click_out_records_against_one_hidden_store_visit_offer(client):
    merchant = MerchantFactory(
        slug="myntra",
        tracking_url_template="https://t.example.net/?s={click_id}&to={url}",
        website_url="https://www.myntra.com/",
    )
    first = client.get("/go/store/myntra/")
    second = client.get("/go/store/myntra/")
    assert first.status_code == second.status_code == 302
    a, b = clicks()
    assert a.offer_id == b.offer_id and a.merchant_id == b.merchant_id == merchant.pk
    visit = Offer.all_objects.get(pk=a.offer_id)
    assert visit.is_store_visit and visit.merchant_id == merchant.pk
    assert first["Location"] == f"https://t.example.net/?s={a.click_id}&to=https%3A%2F%2Fwww.myntra.com%2F"
    # the store-visit offer is never listed
    assert not offers_live().filter(pk=visit.pk).exists()
    assert Offer.all_objects.filter(merchant=merchant, is_store_visit=True).count() == 1


@pytest.mark.django_db
def test_store_click_out_of_an_unknown_or_inactive_store(client):
    assert client.get("/go/store/no-such-store/").status_code == 404
    MerchantFactory(slug="sleepy", is_active=False)
    response = client.get("/go/store/sleepy/")
    assert response.status_code == 410
    assert "not available" in response.content.decode()
    assert clicks() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/go/{uuid}/?url=https://evil.example/",
        "/go/{uuid}/?next=//evil.example/",
        "/go/{uuid}/?redirect=javascript:alert(1)",
        "/go/{uuid}/?url=%2F%2Fevil.example",
    ],
)
def test_nothing_from_the_request_is_followed(client, path):
    offer = OfferFactory(merchant=MerchantFactory(tracking_url_template="https://t.example.net/?s={click_id}"))
    response = client.get(path.format(uuid=offer.uuid), HTTP_REFERER="https://evil.example/")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).netloc == "t.example.net"
    assert "evil" not in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/go//evil.example/",
        "/go/https://evil.example/",
        "/go/javascript:alert(1)/",
        "/go/%2F%2Fevil.example/",
        "/go/store/..%2F..%2Fevil/",
        "/go/store/evil.example/",
    ],
)
def test_malformed_click_out_paths_are_404_not_redirects(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Location" not in response
    assert clicks() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("template", "affiliate_url"),
    [
        ("javascript:alert(document.cookie)//{click_id}", "https://ok.example/"),
        ("//evil.example/?s={click_id}", "https://ok.example/"),
        ("", "javascript:alert(1)"),
        ("", "//evil.example/path"),
        ("", "data:text/html,hi"),
        ("{url}", "https://ok.example/"),  # the whole URL URL-encoded: not absolute any more
    ],
)
def test_a_stored_url_that_is_not_absolute_http_is_refused(client, template, affiliate_url):
    merchant = MerchantFactory(tracking_url_template=template, website_url="")
    offer = OfferFactory(merchant=merchant, affiliate_url=affiliate_url)
    response = client.get(f"/go/{offer.uuid}/")
    assert response.status_code == 503
    assert "Location" not in response
    assert "can't open this store" in response.content.decode()
    assert clicks() == []


def test_safe_url_checks():
    assert is_safe_external_url("https://a.example/x?y=1")
    assert is_safe_external_url("http://a.example")
    for bad in (
        "",
        "/local",
        "//evil.example",
        "javascript:x",
        "https://",
        "https://a.example/\nx",
        "https:\\\\evil.example",
        "ftp://a.example/",
        "https://a b.example/",
    ):
        assert not is_safe_external_url(bad), bad
    assert build_url_pattern(template="", affiliate_url="", website_url="", affiliate_id="", network="") is None


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["expired", "not-started", "deleted", "store-inactive", "store-deleted"])
def test_gone_offers_get_the_friendly_page_and_no_click(client, state):
    now = timezone.now()
    merchant = MerchantFactory()
    alternative = OfferFactory(merchant=merchant, title="Still live at the store")
    other = OfferFactory(title="Live elsewhere")
    offer = OfferFactory(merchant=merchant, title="The gone one")
    if state == "expired":
        Offer.objects.filter(pk=offer.pk).update(expires_at=now - timedelta(minutes=1))
    elif state == "not-started":
        Offer.objects.filter(pk=offer.pk).update(starts_at=now + timedelta(days=1))
    elif state == "deleted":
        offer.delete()
    elif state == "store-inactive":
        merchant.__class__.objects.filter(pk=merchant.pk).update(is_active=False)
    else:
        merchant.delete()
    response = client.get(f"/go/{offer.uuid}/")
    assert response.status_code == 410
    assert "Location" not in response
    html = response.content.decode()
    assert "Live offers" in html
    if state in ("store-inactive", "store-deleted"):
        assert "Live elsewhere" in html and "Still live at the store" not in html
    else:
        assert "Still live at the store" in html
    assert alternative and other
    assert clicks() == []


@pytest.mark.django_db
def test_unknown_offer_is_the_friendly_404(client):
    response = client.get(f"/go/{uuid.uuid4()}/")
    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


@pytest.mark.django_db
def test_only_get_records_a_click(client):
    offer = OfferFactory()
    assert client.post(f"/go/{offer.uuid}/").status_code == 405
    assert client.head(f"/go/{offer.uuid}/").status_code == 405
    assert clicks() == []


@pytest.mark.django_db
@override_settings(CLICKOUT_RATE_LIMIT="3/minute")
def test_click_outs_are_rate_limited_per_ip(client):
    offer = OfferFactory()
    for _ in range(3):
        assert client.get(f"/go/{offer.uuid}/", REMOTE_ADDR="198.51.100.1").status_code == 302
    blocked = client.get(f"/go/{offer.uuid}/", REMOTE_ADDR="198.51.100.1")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) >= 1
    assert "Location" not in blocked
    # the store-level click-out shares the limit; another address is not affected
    assert client.get(f"/go/store/{offer.merchant.slug}/", REMOTE_ADDR="198.51.100.1").status_code == 429
    assert client.get(f"/go/{offer.uuid}/", REMOTE_ADDR="198.51.100.2").status_code == 302
    assert len(clicks()) == 4


@pytest.mark.django_db
def test_a_changed_tracking_template_applies_to_the_next_click(
    client, admin_client, django_capture_on_commit_callbacks
):
    merchant = MerchantFactory(tracking_url_template="https://old.example.net/?s={click_id}")
    offer = OfferFactory(merchant=merchant)
    assert urlsplit(client.get(f"/go/{offer.uuid}/")["Location"]).netloc == "old.example.net"
    # an admin save (through the admin, which invalidates the listings)
    data = {
        "name": merchant.name,
        "slug": merchant.slug,
        "tracking_url_template": "https://new.example.net/?s={click_id}",
        "default_cashback_type": "percentage",
        "default_cashback_value": "5.00",
        "is_active": "on",
        "priority": "0",
        "validation_days": "60",
        "tracking_hours": "72",
        "website_url": merchant.website_url,
        "commissions-TOTAL_FORMS": "0",
        "commissions-INITIAL_FORMS": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        saved = admin_client.post(f"/admin/catalog/merchant/{merchant.pk}/change/", data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert urlsplit(client.get(f"/go/{offer.uuid}/")["Location"]).netloc == "new.example.net"


@pytest.mark.django_db
def test_the_offer_lookup_is_cached_so_a_click_runs_one_insert(client, django_assert_num_queries):
    offer = OfferFactory()
    client.get(f"/go/{offer.uuid}/")  # warms the per-process cache
    # inside the test's transaction the INSERT goes through a cursor (in autocommit it goes to libpq directly)
    with django_assert_num_queries(1) as captured:
        assert client.get(f"/go/{offer.uuid}/").status_code == 302
    assert captured.captured_queries[0]["sql"].startswith("INSERT INTO offer_clicks")
    assert OfferClick.objects.filter(offer=offer).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("prepared", [True, False])
def test_the_click_insert_works_prepared_or_not(client, settings, prepared):
    settings.CLICKOUT_PREPARED_INSERT = prepared
    offer = OfferFactory()
    for _ in range(3):
        assert client.get(f"/go/{offer.uuid}/").status_code == 302
    assert OfferClick.objects.filter(offer=offer).count() == 3


@pytest.mark.django_db
def test_an_offer_stops_redirecting_the_moment_it_expires_even_when_cached(client):
    offer = OfferFactory(expires_at=timezone.now() + timedelta(seconds=2))
    assert client.get(f"/go/{offer.uuid}/").status_code == 302

    later = timezone.now() + timedelta(seconds=3)
    with mock.patch("offers.views.timezone.now", return_value=later):
        assert client.get(f"/go/{offer.uuid}/").status_code == 410


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("prepared", [True, False])
def test_the_click_row_is_committed_before_the_redirect_is_returned(client, settings, prepared):
    # autocommit, as in production: the INSERT goes to libpq directly (prepared once per connection, or not)
    settings.CLICKOUT_PREPARED_INSERT = prepared
    offer = OfferFactory()
    response = client.get(f"/go/{offer.uuid}/")
    click_id = parse_qs(urlsplit(response["Location"]).query)["subid"][0]
    # another connection (its own transaction) sees the row as soon as the 302 is back
    with psycopg.connect(database_url()) as other:
        row = other.execute("SELECT offer_id FROM offer_clicks WHERE click_id = %s", [click_id]).fetchone()
    assert row == (offer.pk,)


@pytest.mark.parametrize(
    ("ua", "kind"),
    [
        (ANDROID, "mobile"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1", "mobile"),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Safari/604.1", "tablet"),
        ("Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 Chrome/120 Safari/537.36", "tablet"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130 Safari/537.36", "desktop"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot"),
        ("curl/8.5.0", "bot"),
        ("", "bot"),
    ],
)
def test_device_type(ua, kind):
    assert device_type(ua) == kind


@pytest.mark.django_db(transaction=True)
def test_a_forgotten_prepared_statement_is_prepared_again(client):

    offer = OfferFactory()
    assert client.get(f"/go/{offer.uuid}/").status_code == 302
    # the server forgets every prepared statement (as DISCARD ALL or a pooler would)
    connection.ensure_connection()
    connection.connection.execute("DEALLOCATE ALL")
    assert client.get(f"/go/{offer.uuid}/").status_code == 302
    assert OfferClick.objects.filter(offer=offer).count() == 2


@pytest.mark.django_db(transaction=True)
def test_an_offer_removed_for_good_after_it_was_cached_is_a_404_not_a_500(client):

    offer = OfferFactory()
    assert clickout.target_for_offer(offer.uuid) is not None  # cached by this process
    with connection.cursor() as cur:  # a hard delete behind the cache's back
        cur.execute("DELETE FROM offers WHERE id = %s", [offer.pk])
    response = client.get(f"/go/{offer.uuid}/")
    assert response.status_code == 404
    assert OfferClick.objects.count() == 0
    assert client.get(f"/go/{offer.uuid}/").status_code == 404  # and the stale entry is gone


@pytest.mark.django_db
@override_settings(CLICKOUT_RATE_LIMIT="2/minute")
def test_every_click_out_meets_the_rate_limit_once_whichever_path_answers(client):
    # The decision's one home is offers.views.clickout_rate_limit, run first by _click_out on both paths; the lean
    # path hands a click it cannot answer (an expired offer here) to the full path before counting it.
    ip = "198.51.100.7"
    live = OfferFactory()
    expired = OfferFactory(expires_at=timezone.now() - timedelta(days=1))
    assert client.get(f"/go/{expired.uuid}/", REMOTE_ADDR=ip).status_code == 410  # full path: counted once
    assert client.get(f"/go/{live.uuid}/", REMOTE_ADDR=ip).status_code == 302  # lean path
    blocked = client.get(f"/go/{live.uuid}/", REMOTE_ADDR=ip)  # the lean path answers the 429 itself
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) >= 1
    assert "Too many attempts" in blocked.content.decode()
    assert client.get(f"/go/{expired.uuid}/", REMOTE_ADDR=ip).status_code == 429
    assert len(clicks()) == 1


@pytest.mark.django_db
def test_the_benchmark_routes_exist_only_in_the_bench_urlconf(client, settings):
    offer = OfferFactory()
    assert client.get("/go/bench-302/").status_code == 404
    assert client.get("/bench-302/").status_code == 404
    settings.ROOT_URLCONF = "bench.urls"
    bare = client.get("/go/bench-302/")
    click = client.get(f"/go/{offer.uuid}/")
    assert bare.status_code == click.status_code == 302
    # the bare baseline is built by the click-out's own response builder: the same headers
    for header in ("Content-Length", "Cache-Control", "X-Robots-Tag"):
        assert bare[header] == click[header], header


@pytest.mark.django_db
@pytest.mark.parametrize("network", ["admitad", "vcommission", "cuelinks", "unknown-net"])
def test_a_link_without_template_carries_the_click_id_in_the_networks_link_parameter(client, network):
    merchant = MerchantFactory(tracking_url_template="", affiliate_network=network)
    offer = OfferFactory(merchant=merchant, affiliate_url="https://shop.example.in/sale?x=1")
    query = dict(parse_qsl(urlsplit(client.get(f"/go/{offer.uuid}/")["Location"]).query))
    assert query[link_click_param(network)] == str(clicks()[-1].click_id)
    assert query["x"] == "1"

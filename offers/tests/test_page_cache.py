"""The public page cache (offers.pagecache) and the public pages' autocommit (rls.no_protected_tables): fast
for shoppers who are not signed in, and nobody ever sees somebody else's page."""

from __future__ import annotations

import dataclasses
import re
import time
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from csp.middleware import CSPMiddleware
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.factories import NotificationFactory, UserFactory
from accounts.models import User
from catalog.cache import listing_changed
from catalog.factories import CategoryFactory, MerchantFactory
from devtools import embedded
from devtools.testing import celery_broker, celery_worker
from offers import buffers, pagecache
from offers.factories import OfferFactory
from offers.models import Offer, OfferView
from offers.services import impressions_flush

PUBLIC_PAGES = ["/", "/stores/", "/stores/bata/", "/categories/", "/categories/footwear/", "/search/?q=shoes"]


@pytest.fixture
def shop():
    footwear = CategoryFactory(name="Footwear", slug="footwear")
    bata = MerchantFactory(name="Bata", slug="bata")
    offer = OfferFactory(merchant=bata, category=footwear, title="Flat 40% off on running shoes", is_featured=True)
    return {"store": bata, "offer": offer, "pages": [*PUBLIC_PAGES, f"/offers/{offer.uuid}/"]}


def shopper(name, balance):
    user = UserFactory(full_name=f"{name} Shopper")
    User.objects.filter(pk=user.pk).update(wallet_balance=Decimal(balance))
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_anonymous_pages_are_served_from_the_cache_without_a_query(shop, django_assert_num_queries):
    for url in shop["pages"]:
        first = Client().get(url)
        assert first.status_code == 200 and "X-Page-Cache" not in first, url
        with django_assert_num_queries(0):
            again = Client().get(url)
        assert again["X-Page-Cache"] == "hit" and again.content == first.content, url
        assert not again.cookies, url


@pytest.mark.django_db
def test_a_shopper_never_sees_another_shoppers_page_from_the_cache(shop):
    # given shopper A signed in and browsing every public page first (so A's request fills the copies)
    alice = shopper("Alicia", "4321.50")
    for url in shop["pages"]:
        page = alice.get(url)
        assert "Hi, Alicia" in page.content.decode() and page["X-Page-Cache"] == "personalised", url
    # when shopper B and somebody not signed in ask for the same pages
    bob = shopper("Roberto", "10.00")
    for url in shop["pages"]:
        for client, name in ((bob, "Roberto"), (Client(), None)):
            text = client.get(url).content.decode()
            # then neither sees A's name, balance or sign-out form
            assert "Alicia" not in text and "4,321.50" not in text and "4321.50" not in text, url
            assert ("Hi, Roberto" in text) if name else ("Sign in" in text and "csrfmiddlewaretoken" not in text)
    # and what was stored is the page rendered for nobody, whoever asked first
    anonymous = Client().get("/")
    assert anonymous["X-Page-Cache"] == "hit" and "Sign in" in anonymous.content.decode()
    signed_in = bob.get("/")
    assert signed_in["X-Page-Cache"] == "personalised" and "Hi, Roberto" in signed_in.content.decode()
    assert "public" not in signed_in.get("Cache-Control", "")
    assert "Cookie" in signed_in["Vary"]


@pytest.mark.django_db
def test_what_is_never_stored_or_served(shop, settings):
    Client().get("/stores/bata/")  # cached now
    # a request with a session cookie (even an unknown one) or a messages cookie gets the copy personalised:
    # its header and messages are rendered for it, not replayed
    for cookie in (settings.SESSION_COOKIE_NAME, "messages"):
        client = Client()
        client.cookies[cookie] = "x"
        page = client.get("/stores/bata/")
        assert page["X-Page-Cache"] == "personalised" and "Sign in" in page.content.decode(), cookie
    # ?ref= still sets the referral cookie (its middleware runs below the cache)
    Client().get("/stores/bata/?ref=ABCD1234")
    referred = Client().get("/stores/bata/?ref=ABCD1234")
    assert "X-Page-Cache" not in referred and "ca_ref" in referred.cookies
    # responses that set a cookie, used a CSRF token or a CSP nonce, are private, or are not 200s are not kept
    factory = RequestFactory()
    ok = HttpResponse("x")
    plain = factory.get("/")
    assert pagecache.storable(plain, ok)
    with_token = factory.get("/")
    get_token(with_token)
    assert not pagecache.storable(with_token, ok)
    with_nonce = factory.get("/")
    CSPMiddleware(lambda request: ok).process_request(with_nonce)
    assert str(with_nonce.csp_nonce)  # the template used the nonce
    assert not pagecache.storable(with_nonce, ok)
    cookie = HttpResponse("x")
    cookie.set_cookie("a", "b")
    private = HttpResponse("x", headers={"Cache-Control": "no-store, private"})
    for response in (cookie, private, HttpResponse("x", status=404)):
        assert not pagecache.storable(plain, response)
    # unknown pages and other views are not cached
    Client().get("/stores/no-such-store/")
    assert "X-Page-Cache" not in Client().get("/stores/no-such-store/")
    Client().get("/robots.txt")
    assert "X-Page-Cache" not in Client().get("/robots.txt")


@pytest.mark.django_db
def test_a_listing_change_shows_at_once(shop, django_capture_on_commit_callbacks):
    assert "Flat 40% off on running shoes" in Client().get("/stores/bata/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        Offer.objects.filter(pk=shop["offer"].pk).update(title="Buy 1 Get 1 on sneakers")
        listing_changed()
    page = Client().get("/stores/bata/")
    assert "X-Page-Cache" not in page and "Buy 1 Get 1 on sneakers" in page.content.decode()


@pytest.mark.django_db
def test_a_page_is_kept_no_longer_than_its_first_offer_is_live(shop, monkeypatch):
    offer = Offer.objects.filter(pk=shop["offer"].pk)
    # under a second left: not worth storing, the page is rendered each time
    offer.update(expires_at=timezone.now() + timedelta(milliseconds=500))
    Client().get("/stores/bata/")
    assert "X-Page-Cache" not in Client().get("/stores/bata/")
    # an offer ending in 5 s: the page is served from the cache until then, not for PAGE_CACHE_TTL
    offer.update(expires_at=timezone.now() + timedelta(seconds=5))
    Client().get("/stores/bata/")
    assert Client().get("/stores/bata/")["X-Page-Cache"] == "hit"
    later = time.time() + 6
    monkeypatch.setattr(pagecache, "time", SimpleNamespace(time=lambda: later))
    assert "X-Page-Cache" not in Client().get("/stores/bata/")


@pytest.mark.django_db
def test_impressions_are_counted_on_a_cache_hit(shop):
    Client().get("/stores/bata/")
    Client().get("/stores/bata/")
    impressions_flush()
    assert OfferView.objects.filter(offer=shop["offer"]).count() == 2


@pytest.mark.django_db
def test_impressions_of_a_copy_are_counted_once_the_response_has_been_sent(shop, monkeypatch):
    """The Redis round trip of the impressions is not in the page's latency: the server sends the body, then
    closes the response, and only then are the impressions buffered (anonymous and signed in)."""
    Client().get("/stores/bata/")  # the copy
    impressions_flush()
    views = OfferView.objects.filter(offer=shop["offer"])
    rendered = views.count()  # the impression of the page that was rendered
    buffered: list[tuple[str, int, int]] = []
    close = pagecache.PageResponse.close

    def watched_close(response) -> None:
        before = buffers.impressions_buffered()
        close(response)
        buffered.append((response["X-Page-Cache"], before, buffers.impressions_buffered()))

    monkeypatch.setattr(pagecache.PageResponse, "close", watched_close)
    user = UserFactory()
    signed_in = Client()
    signed_in.force_login(user)
    Client().get("/stores/bata/")
    signed_in.get("/stores/bata/")
    assert buffered == [("hit", 0, 1), ("personalised", 1, 2)]
    impressions_flush()
    assert views.count() == rendered + 2 and views.filter(user=user).count() == 1


def test_work_after_the_response_goes_on_past_a_failing_piece(caplog):
    done = []

    def fails() -> None:
        raise RuntimeError("Redis went away")

    response = pagecache.PageResponse(b"page", then=[fails, None, lambda: done.append("refresh")])
    response.close()
    assert done == ["refresh"]
    [record] = caplog.records
    assert "work after the response" in record.getMessage() and str(record.exc_info[1]) == "Redis went away"
    response.close()  # closing again does the work no second time
    assert done == ["refresh"]


@pytest.mark.django_db(transaction=True)
def test_public_pages_run_without_the_request_transaction_and_private_ones_with_it():
    offer = OfferFactory(merchant=MerchantFactory(slug="bata"))
    client = Client()
    client.force_login(UserFactory())
    for url in ["/", "/stores/bata/", f"/offers/{offer.uuid}/", "/search/?q=shoes", "/robots.txt"]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        assert not any("set_config" in q["sql"] for q in captured.captured_queries), url
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/wallet/").status_code == 200
    assert any("set_config" in q["sql"] for q in captured.captured_queries)
    pagecache.forget_local()


# ---------------------------------------------------------------- signed-in shoppers: the copy, personalised

_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def _comparable(content: bytes) -> bytes:
    """A page with its CSRF tokens blanked: each rendering masks the token afresh."""
    return _TOKEN.sub(b'name="csrfmiddlewaretoken" value=""', content)


def _with_message_and_notification(user):
    NotificationFactory(user=user, is_read=False)
    client = Client()
    client.force_login(user)
    client.post("/accounts/logout/")  # "You are signed out." is a flash message...
    client.force_login(user)  # ...still waiting in the new session's messages cookie
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("staff", [False, True])
def test_a_personalised_page_is_the_page_rendered_for_the_shopper(shop, settings, staff):
    """Every difference between a signed-in and an anonymous render is inside a personal fragment: the copy
    with the fragments filled in equals the page rendered in full for the shopper (header, bell count, staff
    link, messages, bottom bar, no sign-in banner), for each public page."""
    user = UserFactory(full_name="Meera Iyer", is_staff=staff)
    for url in shop["pages"]:
        settings.PAGE_CACHE_TTL = 0  # nothing is kept: the page is rendered in full for the shopper
        full = _with_message_and_notification(user).get(url)
        assert "X-Page-Cache" not in full, url
        settings.PAGE_CACHE_TTL = 300
        Client().get(url)  # the copy for nobody
        personalised = _with_message_and_notification(user).get(url)
        assert personalised["X-Page-Cache"] == "personalised", url
        assert _comparable(personalised.content) == _comparable(full.content), url
        text = personalised.content.decode()
        assert "Hi, Meera" in text and "You are signed out." in text and "1 unread" in text, url
        assert ('href="/admin/"' in text) is staff and "Sign in to earn cashback" not in text, url


@pytest.mark.django_db
def test_a_personalised_page_costs_no_rendering_and_few_queries(shop, django_assert_max_num_queries):
    alice = shopper("Alicia", "1.00")
    Client().get("/stores/bata/")
    # the session's user and its session row (one query), the bell's count: the page itself is the copy
    with django_assert_max_num_queries(2):
        page = alice.get("/stores/bata/")
    assert page["X-Page-Cache"] == "personalised"


@pytest.mark.django_db
def test_a_personalised_page_has_a_working_sign_out_form_and_shows_a_message_once(shop):
    user = UserFactory(full_name="Kabir Shopper")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    Client().get("/")
    page = client.get("/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    signed_out = client.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    assert signed_out.status_code == 302
    after = client.get("/")
    assert after["X-Page-Cache"] == "personalised"
    assert "You are signed out." in after.content.decode() and "Hi, Kabir" not in after.content.decode()
    assert "You are signed out." not in client.get("/").content.decode()  # shown once


@pytest.mark.django_db
def test_a_copy_rendered_for_a_signed_in_shopper_counts_their_impressions_once(shop):
    user = UserFactory()
    client = Client()
    client.force_login(user)
    client.get("/stores/bata/")  # fills the copy (rendered for nobody) and personalises it
    client.get("/stores/bata/")  # the copy, personalised
    Client().get("/stores/bata/")  # the copy, for nobody
    impressions_flush()
    views = OfferView.objects.filter(offer=shop["offer"])
    assert views.count() == 3
    assert views.filter(user=user).count() == 2


@pytest.mark.django_db
def test_what_a_signed_in_shopper_gets_in_full(shop):
    client = Client()
    client.force_login(UserFactory(full_name="Zoya Shopper"))
    # an unknown store: no copy is made, the 404 is the full page
    missing = client.get("/stores/no-such-store/")
    assert missing.status_code == 404 and "X-Page-Cache" not in missing
    assert "X-Page-Cache" not in client.get("/stores/no-such-store/")
    # ?ref= (its cookie is set on the way out) and other pages are rendered for the shopper as before
    assert "X-Page-Cache" not in client.get("/stores/bata/?ref=ABCD1234")
    wallet = client.get("/wallet/")
    assert wallet.status_code == 200 and "X-Page-Cache" not in wallet


@pytest.mark.django_db
def test_an_old_copy_answers_while_the_next_is_rendered_after_the_response(shop, monkeypatch, settings):
    """Past PAGE_CACHE_TTL (within PAGE_CACHE_STALE) the old copy still answers at once, anonymous or signed in;
    the one request that claims the refresh renders the next copy once its own response is closed."""
    settings.PAGE_CACHE_TTL, settings.PAGE_CACHE_STALE = 60, 60
    Client().get("/stores/bata/")
    first = pagecache.lookup(pagecache.page_key(RequestFactory().get("/stores/bata/")))
    later = time.time() + 90
    monkeypatch.setattr(pagecache, "time", SimpleNamespace(time=lambda: later))

    for client in (Client(), shopper("Asha", "10.00")):
        old = client.get("/stores/bata/")
        assert old["X-Page-Cache"] in ("hit", "personalised")  # the old copy, served without a render

    # the first of them rendered the next copy when its response was closed (the test client closes it)
    nxt = pagecache.lookup(pagecache.page_key(RequestFactory().get("/stores/bata/")))
    assert nxt is not None and nxt.stored_at > first.stored_at
    assert nxt.fresh_until > later  # fresh again: the next request is a plain hit, no second refresh is claimed

    # past the grace too, the copy is not used: the request renders the page itself
    much_later = time.time() + 400
    monkeypatch.setattr(pagecache, "time", SimpleNamespace(time=lambda: much_later))
    assert "X-Page-Cache" not in Client().get("/stores/bata/")


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_the_next_copy_of_a_stale_page_is_rendered_by_the_celery_worker(shop, settings, monkeypatch):
    """The request that claims the refresh of a stale copy only queues it: a real Celery worker renders the next
    copy (so the web worker's GIL is not held by a render after the response); the task message carries no
    cookie, credential or client address, and the claim is let go once the copy is stored."""
    settings.PAGE_CACHE_TTL, settings.PAGE_CACHE_STALE = 1, 60
    host = {"HTTP_HOST": "localhost"}  # a host the worker process allows (the test client's is test-only)
    Client().get("/stores/bata/", **host)
    key = pagecache.page_key(RequestFactory().get("/stores/bata/", **host))
    first = cache.get(key)
    time.sleep(1.1)  # past the TTL, within the grace

    queued: list[dict] = []
    enqueue = pagecache.celery.enqueue

    def watched_enqueue(name, **kwargs):
        queued.append(kwargs)
        return enqueue(name, **kwargs)

    monkeypatch.setattr(pagecache.celery, "enqueue", watched_enqueue)
    with celery_worker():
        with CaptureQueriesContext(connection) as queries:  # the test client closes the response, too
            stale = Client(HTTP_AUTHORIZATION="Bearer secret", REMOTE_ADDR="203.0.113.9").get(
                "/stores/bata/", **host, HTTP_COOKIE="x=1", HTTP_X_FORWARDED_FOR="198.51.100.7"
            )
        deadline = time.monotonic() + 30
        while (cache.get(key) or first).stored_at == first.stored_at and time.monotonic() < deadline:
            time.sleep(0.1)
        while cache.get(pagecache.refresh_claim(key)) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert stale["X-Page-Cache"] == "hit"
    assert len(queries) == 0  # the web process rendered nothing: no query at all
    [message] = queued
    assert message["key"] == key and message["environ"]["PATH_INFO"] == "/stores/bata/"
    assert not {"HTTP_COOKIE", "HTTP_AUTHORIZATION"} & message["environ"].keys()
    assert not {"203.0.113.9", "198.51.100.7"} & set(message["environ"].values())  # nor the shopper's address
    nxt = cache.get(key)
    assert nxt.stored_at > first.stored_at and nxt.content.count(b"Flat 40% off on running shoes") >= 1
    assert cache.get(pagecache.refresh_claim(key)) is None  # the worker let the claim go


def stale_copy_of_the_store_page(monkeypatch, settings):
    """The store page's copy, made now and then found 90 s later: past its TTL (at most 60 s), within its grace."""
    settings.PAGE_CACHE_TTL, settings.PAGE_CACHE_STALE = 60, 60
    Client().get("/stores/bata/")
    key = pagecache.page_key(RequestFactory().get("/stores/bata/"))
    first = pagecache.lookup(key)
    later = time.time() + 90
    monkeypatch.setattr(pagecache, "time", SimpleNamespace(time=lambda: later))
    return key, first, later


@pytest.mark.django_db
def test_with_the_broker_down_the_next_copy_is_rendered_after_the_response_as_before(shop, monkeypatch, settings):
    key, first, later = stale_copy_of_the_store_page(monkeypatch, settings)
    with celery_broker(f"redis://127.0.0.1:{embedded.free_port(None)}/0"):  # nothing listens there
        assert Client().get("/stores/bata/")["X-Page-Cache"] == "hit"  # the client closes the response
    nxt = pagecache.lookup(key)
    assert nxt.stored_at > first.stored_at and nxt.fresh_until > later
    assert cache.get(pagecache.refresh_claim(key)) is None


def test_a_task_for_a_page_without_a_path_renders_nothing_and_lets_the_claim_go():
    cache.set(pagecache.refresh_claim("offers:page:1:abc"), 1, 30)
    assert pagecache.render_copy({}, "offers:page:1:abc") is False
    assert cache.get(pagecache.refresh_claim("offers:page:1:abc")) is None


@pytest.mark.django_db
def test_a_process_whose_copy_is_stale_takes_the_next_one_another_process_rendered(shop, monkeypatch, settings):
    """Each process keeps the copies it uses in memory; once one is stale, the newer copy another process had
    rendered is taken from Redis, rather than the stale one served (and the page rendered again) all through the
    grace period."""
    key, first, later = stale_copy_of_the_store_page(monkeypatch, settings)
    # another process rendered the next copy; this process's memory still holds the old one
    newer = dataclasses.replace(first, stored_at=later - 1, fresh_until=later + 59, usable_until=later + 119)
    cache.set(key, newer, 300)
    queued: list[dict] = []
    monkeypatch.setattr(pagecache.celery, "enqueue", lambda name, **kwargs: queued.append(kwargs) or True)

    with CaptureQueriesContext(connection) as queries:
        assert Client().get("/stores/bata/")["X-Page-Cache"] == "hit"
    assert queued == [] and len(queries) == 0  # no refresh claimed, nothing rendered
    assert pagecache.lookup(key).stored_at == newer.stored_at
    assert cache.get(pagecache.refresh_claim(key)) is None


@pytest.mark.django_db
def test_a_task_for_a_page_rendered_meanwhile_renders_nothing(shop, django_assert_num_queries):
    Client().get("/stores/bata/", HTTP_HOST="localhost")
    request = RequestFactory().get("/stores/bata/", HTTP_HOST="localhost")
    key = pagecache.page_key(request)
    cache.set(pagecache.refresh_claim(key), 1, 30)
    with django_assert_num_queries(0):
        assert pagecache.render_copy(pagecache.copy_environ(request), key) is False
    assert cache.get(pagecache.refresh_claim(key)) is None
    # a task for a host the site does not serve renders nothing either
    bad = pagecache.copy_environ(RequestFactory().get("/stores/bata/", HTTP_HOST="evil.example"))
    assert pagecache.render_copy(bad, key) is False


@pytest.mark.django_db
def test_copies_made_together_grow_stale_at_different_moments_and_keep_their_grace(shop, settings):
    """Each copy's TTL is PAGE_CACHE_TTL shortened by up to a fifth at random, so that copies made in the same
    second are not all rendered again in the same second; a copy ended by its TTL still has its grace."""
    settings.PAGE_CACHE_TTL, settings.PAGE_CACHE_STALE = 60, 30
    lifetimes = set()
    key = pagecache.page_key(RequestFactory().get("/stores/bata/"))
    for _ in range(20):
        pagecache.forget_local()
        cache.delete(key)
        Client().get("/stores/bata/")
        entry = pagecache.lookup(key)
        lifetime = entry.fresh_until - entry.stored_at
        assert 48 <= lifetime <= 60
        assert entry.usable_until == pytest.approx(entry.fresh_until + 30)
        lifetimes.add(round(lifetime, 3))
    assert len(lifetimes) > 10

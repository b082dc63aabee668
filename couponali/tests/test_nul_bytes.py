"""A NUL character in any input (path, query string, form, JSON body) gets 400 with a clear message on every
route, the admin and the API included, and writes nothing (couponali.middleware.RejectNulBytesMiddleware)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern

from accounts.factories import UserFactory
from couponali.middleware import nul_byte_location
from offers.factories import OfferClickFactory

MESSAGE = "NUL character (%00)"
SAMPLE = {"int": "1", "slug": "x", "str": "x", "path": "x", "uuid": "00000000-0000-4000-8000-000000000001"}


def _route_sample(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], route)


def _regex_sample(regex: str) -> str:
    """A path the regex matches: a named group of literal alternatives becomes the first one, any other
    group "1"; anchors and escapes go."""

    def group(m: re.Match) -> str:
        body = m.group(1)
        first = body.split("|")[0]
        return first if re.fullmatch(r"[\w-]+", first) else "1"

    text = re.sub(r"\(\?P<\w+>((?:[^()]|\([^()]*\))*)\)", group, regex)
    return text.removeprefix("^").removesuffix("$").removesuffix(r"\Z").replace("\\", "")


def concrete_urls(patterns=None, prefix: str = "") -> list[str]:
    """One concrete path per URL pattern of the project (walking includes: the admin, the API, every app)."""
    urls = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        pattern = entry.pattern
        if isinstance(pattern, RoutePattern):
            piece = _route_sample(str(pattern))
        elif isinstance(pattern, RegexPattern):
            piece = _regex_sample(pattern.regex.pattern)
        else:  # pragma: no cover - no other pattern types in the project
            raise AssertionError(f"unexpected pattern {pattern!r}")
        if isinstance(entry, URLResolver):
            urls += concrete_urls(entry.url_patterns, prefix + piece)
        elif isinstance(entry, URLPattern):
            urls.append("/" + prefix + piece)
    return sorted(set(urls))


def table_counts() -> dict[str, int]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        )
        tables = [r[0] for r in cur.fetchall()]
        counts = {}
        for table in tables:
            cur.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the catalogue
            counts[table] = cur.fetchone()[0]
    return counts


def assert_refused(response, *, api: bool) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    if api:
        assert MESSAGE in response.json()["error"]["message"]
    else:
        assert MESSAGE in response.content.decode()


@pytest.fixture
def staff_client(db):
    # Signed in as a superuser, so that without the guard the requests would reach every view's code.
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db
def test_every_route_refuses_a_nul_byte_in_the_query_and_in_a_form_value(staff_client):
    urls = concrete_urls()
    unresolved = []
    for url in urls:
        try:
            resolve(url)
        except Resolver404:
            unresolved.append(url)
    assert unresolved == [], "the walk must produce a path for every pattern"
    assert len(urls) > 100 and "/admin/wallet/cashbackevent/" in urls and "/api/v1/wallet/transactions/" in urls
    before = table_counts()
    for url in urls:
        api = url.startswith("/api/")
        assert_refused(staff_client.get(url, {"q": "\x00"}), api=api)
        assert_refused(staff_client.get(f"{url}?%00=1"), api=api)
        assert_refused(staff_client.post(url, {"q": "a\x00b", "name": "fine"}), api=api)
        if api:
            assert_refused(
                staff_client.post(url, {"q": ["ok", {"deep": "\x00"}]}, content_type="application/json"), api=True
            )
    assert table_counts() == before


@pytest.mark.django_db
def test_the_reported_cases_answer_400_with_a_clear_message(client, staff_client):
    # the store filter of the search page
    response = client.get("/search/?store=%00")
    assert_refused(response, api=False)
    assert "query parameter &#x27;store&#x27;" in response.content.decode()
    # a shopper's statement filter in the API
    shopper = Client()
    shopper.force_login(UserFactory())
    response = shopper.get("/api/v1/wallet/transactions/?type=%00")
    assert_refused(response, api=True)
    assert response.json()["error"]["message"].startswith(
        "The request has a NUL character (%00) in the query parameter 'type'"
    )
    # a path with one
    assert_refused(client.get("/stores/my%00ntra/"), api=False)
    assert_refused(client.get("/go/%00/"), api=False)


@pytest.mark.django_db
def test_a_postback_with_a_nul_byte_in_the_transaction_id_is_refused_and_writes_nothing(client):
    click = OfferClickFactory(user=UserFactory())
    query = (
        f"sub_id={click.click_id}&transaction_id=CL%00-1&sale_amount=1000&commission=60&status=validated"
        f"&secret={settings.POSTBACK_SECRETS['cuelinks']}"
    )
    before = table_counts()
    assert_refused(client.get(f"/api/v1/postbacks/cuelinks/?{query}"), api=True)
    body = {
        "sub_id": str(click.click_id),
        "transaction_id": "CL\x00-1",
        "sale_amount": "1000",
        "commission": "60",
        "status": "validated",
    }
    headers = {"HTTP_X_POSTBACK_SECRET": settings.POSTBACK_SECRETS["cuelinks"]}
    assert_refused(client.post("/api/v1/postbacks/cuelinks/", body, **headers), api=True)
    assert_refused(
        client.post("/api/v1/postbacks/cuelinks/", body, content_type="application/json", **headers), api=True
    )
    assert table_counts() == before


def test_only_nul_bytes_are_refused_and_file_contents_are_not_inspected():
    factory = RequestFactory()
    assert nul_byte_location(factory.get("/search/", {"store": "myntra", "q": "₹500 off"})) is None
    invoice = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4\x00\x00binary", content_type="application/pdf")
    assert nul_byte_location(factory.post("/support/", {"order_id": "A-1", "invoice": invoice})) is None
    # a body that is not JSON is left to the view (which answers its own 400)
    assert nul_byte_location(factory.post("/api/v1/x/", "{not json", content_type="application/json")) is None
    # nor is one too deeply nested to parse: the guard itself must not fail on it
    deep = "[" * 5000 + '"\\u0000"' + "]" * 5000
    assert nul_byte_location(factory.post("/api/v1/x/", deep, content_type="application/json")) is None
    escaped = factory.post("/api/v1/x/", '{"a\\u0000": 1}', content_type="application/json")
    assert nul_byte_location(escaped) == "the JSON body"


@pytest.mark.django_db
def test_a_json_body_nested_too_deeply_for_the_parser_is_a_400_not_a_500(client):
    # given a body far deeper than Python's JSON parser follows (it raises RecursionError, not ValueError)
    deep = "[" * 100_000 + "]" * 100_000
    before = table_counts()
    # when it is posted to API routes that parse JSON
    for path in ("/api/v1/auth/token/", "/api/v1/postbacks/cuelinks/", "/api/v1/wallet/withdrawals/"):
        response = client.post(path, deep, content_type="application/json")
        # then each answers a clear 400 (or refuses the anonymous caller first), never a 500, and nothing is written
        assert response.status_code in (400, 401, 403), (path, response.status_code)
        if response.status_code == 400:
            assert "nested too deeply" in response.json()["error"]["message"]
    assert table_counts() == before

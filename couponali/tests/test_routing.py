"""The per-request route (couponali.routing) and the once-reversed argument-free links
(couponali.templatetags.links.route_url) that the signed-in page fragments use."""

from __future__ import annotations

from unittest import mock

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse, set_script_prefix

from couponali import routing
from couponali.middleware import _reads_no_protected_table

NAMES = [
    "wallet:home",
    "accounts:notifications",
    "referrals:home",
    "accounts:profile",
    "accounts:kyc",
    "accounts:sessions",
    "accounts:logout",
    "accounts:login",
    "accounts:signup",
]


def _route_url(name: str) -> str:
    return Template("{% load links %}{% route_url name %}").render(Context({"name": name}))


def test_route_url_gives_what_url_gives_for_every_route_the_fragments_link_to():
    for name in NAMES:
        assert _route_url(name) == reverse(name)


def test_route_url_follows_the_script_prefix_and_the_urlconf(settings):
    before = _route_url("wallet:home")
    set_script_prefix("/shop/")
    try:
        assert _route_url("wallet:home") == "/shop" + before == reverse("wallet:home")
    finally:
        set_script_prefix("/")
    assert _route_url("wallet:home") == before
    # another URLconf (override_settings, as in a test) is not answered from the first one's cache
    settings.ROOT_URLCONF = "couponali.tests.urls_without_wallet"
    with pytest.raises(NoReverseMatch):
        _route_url("wallet:home")


def test_route_url_of_an_unknown_route_fails_as_url_does():
    with pytest.raises(NoReverseMatch):
        _route_url("wallet:nowhere")


def test_a_request_is_resolved_once_for_the_middleware_that_ask():
    request = RequestFactory().get("/stores/")
    with mock.patch.object(routing, "resolve", wraps=routing.resolve) as resolve:
        first = routing.request_match(request)
        assert routing.request_match(request) is first
        assert _reads_no_protected_table(request) is True  # the store list reads no protected table
        assert resolve.call_count == 1
        # a changed path is resolved again, not answered from the memo
        request.path_info = "/wallet/"
        assert routing.request_match(request).view_name == "wallet:home"
        assert _reads_no_protected_table(request) is False
        assert resolve.call_count == 2


def test_a_path_with_no_route_resolves_to_none():
    request = RequestFactory().get("/no/such/page/")
    assert routing.request_match(request) is None
    assert _reads_no_protected_table(request) is False

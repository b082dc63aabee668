"""Response headers: Cache-Control: no-store where money or personal data is shown, and the CSP everywhere."""

from __future__ import annotations

import pytest

from accounts.factories import UserFactory, UserKYCFactory
from couponali import rls
from couponali.cache_headers import NO_STORE_PREFIXES
from couponali.urls import urlpatterns


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/wallet/",
        "/wallet/statement/",
        "/wallet/statement.csv",
        "/wallet/withdraw/",
        "/accounts/kyc/",
        "/referrals/",
        "/api/v1/wallet/",
        "/api/v1/wallet/transactions/",
        "/api/v1/wallet/withdrawals/",
        "/api/v1/no-such-endpoint/",
    ],
)
def test_wallet_kyc_statement_and_api_responses_are_never_stored(client, path):
    user = UserFactory()
    with rls.bypass(reason="test set-up"):
        UserKYCFactory(user=user, status="verified")
    client.force_login(user)
    response = client.get(path)
    assert response.status_code in (200, 404), (path, response.status_code)
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control, path


@pytest.mark.django_db
def test_no_store_also_covers_refusals_and_anonymous_api_calls(client):
    for path in ["/api/v1/wallet/", "/wallet/"]:  # 401/403 and a redirect to sign in
        response = client.get(path)
        assert response.status_code in (302, 401, 403)
        assert "no-store" in response["Cache-Control"], path


@pytest.mark.django_db
def test_public_pages_stay_cacheable(client):
    response = client.get("/")
    assert "no-store" not in response.get("Cache-Control", "")
    assert not any("/".startswith(prefix) for prefix in NO_STORE_PREFIXES)


def test_the_no_store_prefixes_are_routed_paths():
    routed = {str(p.pattern) for p in urlpatterns}
    for prefix in NO_STORE_PREFIXES:
        assert any(r.startswith(prefix.lstrip("/")) for r in routed), prefix


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/stores/", "/admin/login/", "/api/docs/", "/api/redoc/", "/no-such-page/"])
def test_every_response_carries_a_csp_without_inline_script(client, path):
    response = client.get(path)
    directives = _directives(response)
    assert directives["script-src"] == ["'self'"], path
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    html = response.content.decode()
    # no inline script in what we serve: every <script> has a src
    assert html.count("<script") == html.count("<script src="), path


@pytest.mark.django_db
def test_api_docs_load_their_set_up_script_as_a_file_and_no_cdn(client):
    html = client.get("/api/docs/").content.decode()
    assert '<script src="/api/docs/?script="></script>' in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    redoc = client.get("/api/redoc/")
    assert "fonts.googleapis.com" not in redoc.content.decode()
    assert _directives(redoc)["worker-src"] == ["'self'", "blob:"]  # this page only
    assert "worker-src" not in _directives(client.get("/"))

"""The Content-Security-Policy in a real browser: Chromium reports no violation on the key pages, the admin and
the API docs included, and an inline script (what an injected <script> would be) is refused."""

from __future__ import annotations

import pytest

from tests.browser import chromium

PASSWORD = "correct horse battery"
# Collects what the page reports; runs before any page script (Playwright injects it outside the page's CSP).
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} in ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _sign_in(page, base_url: str, email: str, *, admin: bool = False) -> None:
    if admin:
        page.goto(f"{base_url}/admin/login/")
        page.fill("#id_username", email)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(f"{base_url}/admin/")
    else:
        page.goto(f"{base_url}/accounts/login/")
        page.get_by_label("E-mail or mobile number").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base_url}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_key_pages_and_the_admin_raise_no_csp_violation(live_server):
    from django.utils import timezone
    from playwright.sync_api import sync_playwright

    from accounts import crypto
    from accounts.factories import UserFactory, UserKYCFactory
    from catalog.factories import MerchantFactory
    from couponali import rls
    from offers.factories import OfferFactory

    store = MerchantFactory(name="Myntra", slug="myntra", is_featured=True)
    offer = OfferFactory(merchant=store, title="Flat 40% off", coupon_code="MYN40")
    now = timezone.now()
    shopper = UserFactory(email="priya@example.in", full_name="Priya Sharma", email_verified_at=now)
    with rls.bypass(reason="test set-up"):
        UserKYCFactory(user=shopper, status="verified", upi_id=crypto.encrypt("priya@okhdfcbank"))
    UserFactory(email="staff@couponali.in", is_staff=True, is_superuser=True, email_verified_at=now)
    base = live_server.url

    visits = {
        "shopper": [
            "/",
            "/stores/myntra/",
            f"/offers/{offer.uuid}/",
            "/search/?q=myntra",
            "/wallet/",
            "/wallet/statement/",
            "/wallet/withdraw/",
            "/referrals/",
            "/accounts/kyc/",
        ],
        "staff": [
            "/admin/",
            "/admin/offers/offer/",
            f"/admin/offers/offer/{offer.pk}/change/",
            "/admin/wallet/withdrawal/",
            "/api/docs/",
            "/api/redoc/",
        ],
    }
    reports: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = chromium.launch(p)
        try:
            for who, paths in visits.items():
                context = browser.new_context()
                context.add_init_script(LISTEN)
                page = context.new_page()
                console: list[str] = []
                page.on("console", lambda m, console=console: console.append(m.text))
                _sign_in(
                    page, base, "priya@example.in" if who == "shopper" else "staff@couponali.in", admin=who == "staff"
                )
                for path in paths:
                    console.clear()
                    response = page.goto(base + path)
                    assert response.status == 200, path
                    assert "script-src 'self'" in response.headers["content-security-policy"], path
                    page.wait_for_load_state("networkidle")
                    if path == "/api/docs/":
                        page.wait_for_selector(".swagger-ui .info")  # the UI was set up by its (file) script
                    if path == "/referrals/":
                        page.click("#share-link")  # the handler that replaced an inline onclick
                        start, end, length = page.evaluate(
                            "(() => { const f = document.getElementById('share-link');"
                            " return [f.selectionStart, f.selectionEnd, f.value.length]; })()"
                        )
                        assert (start, end) == (0, length) and length > 0
                    violations = page.evaluate("window.__csp") + [
                        t for t in console if "Content Security Policy" in t or "Refused to" in t
                    ]
                    if violations:
                        reports[path] = violations
                context.close()

            # and the policy is really enforced: an inline script does not run
            page = browser.new_page()
            page.goto(base + "/")
            page.evaluate(
                "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
                " document.body.appendChild(s); }"
            )
            assert page.evaluate("window.__ran") is None
        finally:
            browser.close()
    assert reports == {}

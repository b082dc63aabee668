"""An analyst opens the admin and sees the analytics charts drawn by Chart.js (from static/vendor/, installed
from npm): every canvas painted, with the figures of the views as data points, no console error and no
Content-Security-Policy violation."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import sync_playwright

from accounts.factories import UserFactory, grant_permissions
from analytics.tests.data import build_sample
from tests.browser import chromium

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""
CANVASES = ["analytics-activity", "analytics-cashback", "analytics-merchants", "analytics-funnel"]
# Per canvas: the data points of its chart (Chart.getChart) and how many of its pixels are painted.
DRAWN = """
(ids) => ids.map((id) => {
  const canvas = document.getElementById(id);
  const chart = window.Chart && window.Chart.getChart(canvas);
  const ctx = canvas.getContext("2d");
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted++; }
  return {
    id,
    points: chart ? chart.data.datasets.map((d) => d.data.map(Number)) : null,
    rendered: chart ? chart.getDatasetMeta(0).data.length : 0,
    painted,
  };
})
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_analyst_sees_the_dashboard_charts_drawn(live_server):

    sample = build_sample()
    call_command("refresh_analytics")
    analyst = UserFactory(email="analyst@couponali.in", is_staff=True, email_verified_at=timezone.now())
    grant_permissions(analyst, "analytics.view_dashboard", "analytics.export_data")
    base = live_server.url

    with sync_playwright() as p:
        browser = chromium.launch(p)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            context.add_init_script(LISTEN)
            page = context.new_page()
            errors = chromium.watch_errors(page)
            chromium.admin_sign_in(page, base, "analyst@couponali.in")

            for path in ["/admin/", f"/admin/analytics/?start={sample.start}&end={sample.end}"]:
                response = page.goto(base + path)
                assert response.status == 200, path
                page.wait_for_load_state("networkidle")
                page.wait_for_function("() => window.Chart && window.Chart.getChart('analytics-funnel')")
                drawn = {c["id"]: c for c in page.evaluate(DRAWN, CANVASES)}
                for canvas in CANVASES:
                    assert drawn[canvas]["points"], (path, canvas)
                    assert drawn[canvas]["rendered"] > 0, (path, canvas)
                    assert drawn[canvas]["painted"] > 500, (path, canvas, drawn[canvas]["painted"])
                # the sample's figures are what is drawn: 7 clicks and conversions; two stores
                assert sum(drawn["analytics-activity"]["points"][0]) == 7, path
                assert sum(drawn["analytics-activity"]["points"][1]) == 7, path
                assert len(drawn["analytics-merchants"]["points"][0]) == 2, path
                assert page.evaluate("window.__csp") == [], path
                assert errors == [], (path, errors)

            # the date range form narrows the period: today only
            page.fill("#analytics-start", str(sample.today))
            page.fill("#analytics-end", str(sample.today))
            page.get_by_role("button", name="Show").click()
            page.wait_for_function("() => window.Chart && window.Chart.getChart('analytics-activity')")
            days = page.evaluate("() => window.Chart.getChart('analytics-activity').data.labels")
            assert days == [str(sample.today)]
            assert page.evaluate("window.__csp") == [] and errors == []
            context.close()
        finally:
            browser.close()

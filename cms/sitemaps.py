"""sitemap.xml section of the published CMS pages and the blog (added to the index in couponali/urls.py)."""

from __future__ import annotations

from django.urls import reverse

from offers.sitemaps import _SiteSitemap

from .selectors import pages_published


class CmsPagesSitemap(_SiteSitemap):
    changefreq = "weekly"
    priority = 0.4

    def items(self):
        return ["blog", *pages_published().only("slug", "updated_at").order_by("slug")]

    def location(self, item):
        return reverse("pages:blog") if item == "blog" else reverse("pages:page", args=[item.slug])

    def lastmod(self, item):
        return None if item == "blog" else item.updated_at


SITEMAPS = {"content": CmsPagesSitemap}

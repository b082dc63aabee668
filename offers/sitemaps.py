"""sitemap.xml sections of the shopper site (the index is at /sitemap.xml, see couponali/urls.py).

URLs are absolute on SITE_URL (couponali.links), whatever host the sitemap was fetched from; the index is
couponali.views.sitemap_index.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from catalog.selectors import categories_listed, merchants_listed
from couponali.links import site_url

from .selectors import offers_live


class _SiteSitemap(Sitemap):
    def get_domain(self, site=None):
        return urlsplit(site_url()).netloc

    def get_protocol(self, protocol=None):
        return urlsplit(site_url()).scheme


class PagesSitemap(_SiteSitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["home", "stores", "categories"]

    def location(self, item):
        return reverse(item)


class StoresSitemap(_SiteSitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return merchants_listed().only("slug", "updated_at").order_by("slug")

    def location(self, item):
        return reverse("store", args=[item.slug])

    def lastmod(self, item):
        return item.updated_at


class CategoriesSitemap(_SiteSitemap):
    changefreq = "daily"
    priority = 0.7

    def items(self):
        return categories_listed().only("slug", "updated_at").order_by("slug")

    def location(self, item):
        return reverse("category", args=[item.slug])

    def lastmod(self, item):
        return item.updated_at


class OffersSitemap(_SiteSitemap):
    changefreq = "daily"
    priority = 0.5

    def items(self):
        return offers_live().only("uuid", "updated_at").order_by("id")

    def location(self, item):
        return reverse("offer", args=[item.uuid])

    def lastmod(self, item):
        return item.updated_at


SITEMAPS = {
    "pages": PagesSitemap,
    "stores": StoresSitemap,
    "categories": CategoriesSitemap,
    "offers": OffersSitemap,
}

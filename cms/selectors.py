"""Reads of the cms app: published pages, the blog, and pages rendered to safe HTML."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet

from .markdown import markdown_to_html
from .models import CmsPage

BLOG_PAGE_SIZE = 10


def pages_published() -> QuerySet[CmsPage]:
    """The one definition of a public page."""
    return CmsPage.objects.filter(is_published=True)


def page_published(*, slug: str) -> CmsPage | None:
    return pages_published().filter(slug=slug).first()


def blog_posts() -> QuerySet[CmsPage]:
    return pages_published().filter(page_type=CmsPage.PageType.BLOG).order_by("-published_at", "-id")


def page_html(page: CmsPage) -> str:
    """The page's body as sanitised HTML, cached per saved version (the key changes with updated_at)."""
    key = f"cms:html:{page.pk}:{page.updated_at.timestamp() if page.updated_at else 0}"
    html = cache.get(key)
    if html is None:
        html = markdown_to_html(page.content)
        cache.set(key, html, timeout=24 * 3600)
    return html

"""Writes for CMS pages: publishing is a step of its own, after a preview (the admin's Preview page)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.services import audit_log

from ..models import CmsPage

PUBLISH_PERMISSION = "cms.change_cmspage"


def _require_editor(actor) -> None:
    if actor is None or not actor.is_active or not actor.is_staff or not actor.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied("Only content editors can publish or unpublish pages.")


def cms_page_publish(*, page_id: int, actor) -> CmsPage:
    """Make the page public. ``published_at`` keeps the first publication (blog order, sitemap)."""
    _require_editor(actor)
    with transaction.atomic():
        page = CmsPage.objects.select_for_update().get(pk=page_id)
        if not page.is_published:
            page.is_published = True
            page.published_at = page.published_at or timezone.now()
            page.save(update_fields=["is_published", "published_at", "updated_at"])
            audit_log(actor_id=actor.pk, action="cms.page_published", entity_type="cms_page", entity_id=page.pk)
    return page


def cms_page_unpublish(*, page_id: int, actor) -> CmsPage:
    _require_editor(actor)
    with transaction.atomic():
        page = CmsPage.objects.select_for_update().get(pk=page_id)
        if page.is_published:
            page.is_published = False
            page.save(update_fields=["is_published", "updated_at"])
            audit_log(actor_id=actor.pk, action="cms.page_unpublished", entity_type="cms_page", entity_id=page.pk)
    return page

"""Writes for CMS pages: publishing is a step of its own, after a preview (the admin's Preview page)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.authz import actor_require
from cms.models import CmsPage
from couponali.audit import AuditAction, audit_log

PUBLISH_PERMISSION = "cms.publish_cmspage"


def _require_editor(actor) -> None:
    actor_require(actor, PUBLISH_PERMISSION)


def cms_page_publish(*, page_id: int, actor) -> CmsPage:
    """Make the page public. ``published_at`` keeps the first publication (blog order, sitemap)."""
    _require_editor(actor)
    with transaction.atomic():
        page = CmsPage.objects.select_for_update().get(pk=page_id)
        if not page.is_published:
            page.is_published = True
            page.published_at = page.published_at or timezone.now()
            page.save(update_fields=["is_published", "published_at", "updated_at"])
            audit_log(
                actor_id=actor.pk, action=AuditAction.CMS_PAGE_PUBLISHED, entity_type="cms_page", entity_id=page.pk
            )
    return page


def cms_page_unpublish(*, page_id: int, actor) -> CmsPage:
    _require_editor(actor)
    with transaction.atomic():
        page = CmsPage.objects.select_for_update().get(pk=page_id)
        if page.is_published:
            page.is_published = False
            page.save(update_fields=["is_published", "updated_at"])
            audit_log(
                actor_id=actor.pk, action=AuditAction.CMS_PAGE_UNPUBLISHED, entity_type="cms_page", entity_id=page.pk
            )
    return page

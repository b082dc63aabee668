from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.authz import actor_may
from cms import selectors
from cms.models import CmsPage
from cms.services import cms_page_publish, cms_page_unpublish
from cms.services.pages import PUBLISH_PERMISSION
from couponali.admin import AuditedModelAdmin, PermissionCheckedActionsMixin


@admin.register(CmsPage)
class CmsPageAdmin(PermissionCheckedActionsMixin, AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("title", "slug", "page_type", "is_published", "published_at", "updated_at", "preview_link")
    list_filter = ("page_type", "is_published")
    search_fields = ("title", "slug", "content")
    prepopulated_fields = {"slug": ("title",)}
    raw_id_fields = ("created_by_user",)
    # Publishing is its own step, from the preview page or the list's actions, never a checkbox in the form.
    readonly_fields = ("is_published", "published_at", "preview_link")
    fields = (
        "title",
        "slug",
        "page_type",
        "content",
        "excerpt",
        "seo_title",
        "seo_description",
        "seo_keywords",
        "is_published",
        "published_at",
        "preview_link",
    )
    actions = ["publish_selected", "unpublish_selected"]

    @admin.display(description="Preview")
    def preview_link(self, obj):
        if not obj or not obj.pk:
            return "Save the page, then preview it here."
        return format_html('<a href="{}">Preview</a>', reverse("admin:cms_cmspage_preview", args=[obj.pk]))

    def get_urls(self):
        return [
            path("<int:page_id>/preview/", self.admin_site.admin_view(self.preview_view), name="cms_cmspage_preview"),
            path("<int:page_id>/publish/", self.admin_site.admin_view(self.publish_view), name="cms_cmspage_publish"),
            *super().get_urls(),
        ]

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_user_id is None:
            obj.created_by_user = request.user
        super().save_model(request, obj, form, change)

    def preview_view(self, request, page_id):
        """The page as shoppers will see it (the real template), published or not."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        page = get_object_or_404(CmsPage, pk=page_id)
        context = {
            "page": page,
            "body": selectors.page_html(page),
            "preview": True,
            "can_publish": self.has_publish_permission(request),
        }
        return render(request, "cms/page.html", context)

    def publish_view(self, request, page_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        page = cms_page_publish(page_id=page_id, actor=request.user)
        self.message_user(request, f"“{page.title}” is published.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("pages:page", args=[page.slug]))

    def has_publish_permission(self, request):
        return actor_may(request.user, PUBLISH_PERMISSION)

    @admin.action(description="Publish selected pages", permissions=["publish"])
    def publish_selected(self, request, queryset):
        for page in queryset:
            cms_page_publish(page_id=page.pk, actor=request.user)
        self.message_user(request, f"Published {queryset.count()} page(s).", messages.SUCCESS)

    @admin.action(description="Unpublish selected pages", permissions=["publish"])
    def unpublish_selected(self, request, queryset):
        for page in queryset:
            cms_page_unpublish(page_id=page.pk, actor=request.user)
        self.message_user(request, f"Unpublished {queryset.count()} page(s).", messages.SUCCESS)

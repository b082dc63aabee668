from django.contrib import admin

from .models import CmsPage, SeoRedirect, SupportTicket


@admin.register(CmsPage)
class CmsPageAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "page_type", "is_published", "published_at", "updated_at")
    list_filter = ("page_type", "is_published")
    search_fields = ("title", "slug", "content")
    prepopulated_fields = {"slug": ("title",)}
    raw_id_fields = ("created_by_user",)


@admin.register(SeoRedirect)
class SeoRedirectAdmin(admin.ModelAdmin):
    list_display = ("source_path", "target_path", "http_status", "is_active", "created_at")
    list_filter = ("http_status", "is_active")
    search_fields = ("source_path", "target_path")


@admin.register(SupportTicket)
class SupportTicketAdmin(admin.ModelAdmin):
    list_display = ("id", "subject", "user", "status", "priority", "created_at", "updated_at")
    list_filter = ("status", "priority", "created_at")
    search_fields = ("subject", "user__email", "user__mobile")
    raw_id_fields = ("user",)

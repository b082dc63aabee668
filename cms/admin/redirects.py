"""SEO redirects in the admin (with CSV import), and the slug-rename hooks on the catalogue's admins.

The catalogue sits below cms and must not import it, yet a store or category renamed in the admin must leave a
301 behind. So cms, from above, extends the catalogue's own ModelAdmins: it re-registers Merchant and Category
with a subclass whose save_model records the redirect in the admin's transaction. catalog stays unaware of cms,
and the rename and its redirect commit or roll back together.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from catalog.admin import CategoryAdmin, MerchantAdmin
from catalog.models import Category, Merchant
from cms.models import SeoRedirect
from cms.services import (
    ImportRefused,
    RedirectRefused,
    seo_redirect_check,
    seo_redirect_delete,
    seo_redirect_for_rename,
    seo_redirect_save,
    seo_redirects_import,
)
from couponali.admin import AuditedModelAdmin


class SeoRedirectForm(forms.ModelForm):
    class Meta:
        model = SeoRedirect
        fields = ("source_path", "target_path", "http_status", "keep_query", "is_active")

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                seo_redirect_check(
                    source_path=data["source_path"],
                    target_path=data["target_path"],
                    http_status=data["http_status"],
                    keep_query=data["keep_query"],
                    is_active=data["is_active"],
                    redirect_id=self.instance.pk,
                )
            except RedirectRefused as exc:
                raise forms.ValidationError(str(exc)) from None
        return data

    def validate_unique(self):
        pass  # the service's check names the clashing redirect


class CsvImportForm(forms.Form):
    file = forms.FileField(label="CSV file")


@admin.register(SeoRedirect)
class SeoRedirectAdmin(AuditedModelAdmin, admin.ModelAdmin):
    form = SeoRedirectForm
    list_display = ("source_path", "target_path", "http_status", "keep_query", "is_active", "created_at")
    list_filter = ("http_status", "is_active", "keep_query")
    search_fields = ("source_path", "target_path")
    actions = ["delete_selected_redirects"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletes go through the service (cache, audit)
        return actions

    def save_model(self, request, obj, form, change):
        saved = seo_redirect_save(
            source_path=obj.source_path,
            target_path=obj.target_path,
            http_status=obj.http_status,
            keep_query=obj.keep_query,
            is_active=obj.is_active,
            redirect_id=obj.pk if change else None,
            actor_id=request.user.pk,
        )
        # The admin goes on with `obj` (its change message, log entry and redirect): give it what was saved.
        obj.pk, obj.target_path, obj.created_at = saved.pk, saved.target_path, saved.created_at

    def delete_model(self, request, obj):
        seo_redirect_delete(redirect_ids=[obj.pk], actor_id=request.user.pk)

    @admin.action(description="Delete selected redirects", permissions=["delete"])
    def delete_selected_redirects(self, request, queryset):
        n = seo_redirect_delete(redirect_ids=list(queryset.values_list("pk", flat=True)), actor_id=request.user.pk)
        self.message_user(request, f"Deleted {n} redirect(s).", messages.SUCCESS)

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="cms_seoredirect_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CsvImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > 5 * 1024 * 1024:
                errors = ["The file is larger than 5 MB; split it."]
            else:
                try:
                    count = seo_redirects_import(data=upload.read(), actor_id=request.user.pk)
                except ImportRefused as exc:
                    errors = exc.errors
                else:
                    self.message_user(request, f"Imported {count} redirect(s).", messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:cms_seoredirect_changelist"))
        return TemplateResponse(
            request,
            "admin/cms/seoredirect/import.html",
            {
                **self.admin_site.each_context(request),
                "title": "Import redirects from CSV",
                "form": form,
                "errors": errors,
                "opts": self.model._meta,
            },
            status=400 if errors else 200,
        )


class SlugRenameRedirectMixin:
    """Renaming the slug in the admin leaves a 301 from the old public URL to the new one."""

    slug_url_name: str

    def save_model(self, request, obj, form, change):
        old_slug = form.initial.get("slug") if change else None
        super().save_model(request, obj, form, change)
        if old_slug and old_slug != obj.slug:
            seo_redirect_for_rename(
                old_path=reverse(self.slug_url_name, args=[old_slug]),
                new_path=reverse(self.slug_url_name, args=[obj.slug]),
                actor_id=request.user.pk,
            )


class MerchantRedirectingAdmin(SlugRenameRedirectMixin, MerchantAdmin):
    slug_url_name = "store"


class CategoryRedirectingAdmin(SlugRenameRedirectMixin, CategoryAdmin):
    slug_url_name = "category"


for _model, _admin in ((Merchant, MerchantRedirectingAdmin), (Category, CategoryRedirectingAdmin)):
    admin.site.unregister(_model)
    admin.site.register(_model, _admin)

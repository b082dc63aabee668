"""Staff pages for partners: organisations (their stores and admin users), API keys (the new key is shown once,
on the page answering the save), webhook endpoints and deliveries (replay action).

Each page and action declares the permission its service checks (accounts.authz), so nobody sees a button they
cannot use; the services check it again.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.template.response import TemplateResponse

from accounts.authz import PermissionRefused, actor_may
from catalog.models import Merchant
from couponali.admin import AuditedModelAdmin

from . import selectors, services
from .models import ApiKey, PartnerMember, PartnerOrganisation, Scope, WebhookAttempt, WebhookDelivery, WebhookEndpoint


class PartnerOrganisationForm(forms.ModelForm):
    stores = forms.ModelMultipleChoiceField(
        queryset=Merchant.objects.all(),
        required=False,
        widget=FilteredSelectMultiple("stores", is_stacked=False),
        help_text="A brand's API keys may manage these stores' offers and read their reports.",
    )

    class Meta:
        model = PartnerOrganisation
        fields = ["name", "slug", "kind", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["stores"].initial = list(selectors.stores_of(self.instance))


class PartnerMemberInline(admin.TabularInline):
    model = PartnerMember
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]


@admin.register(PartnerOrganisation)
class PartnerOrganisationAdmin(AuditedModelAdmin, admin.ModelAdmin):
    form = PartnerOrganisationForm
    list_display = ("name", "kind", "is_active", "created_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [PartnerMemberInline]
    readonly_fields = ("service_user",)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            services.partner_organisation_create(actor=request.user, organisation=obj)

    def save_related(self, request, form, formsets, change):
        organisation = form.instance
        for formset in formsets:  # the admin users (PartnerMemberInline)
            members = formset.save(commit=False)
            for member in formset.deleted_objects:
                member.delete()
            for member in members:
                if member.pk is None:
                    services.partner_member_add(actor=request.user, organisation=organisation, user=member.user)
                else:
                    member.save()
        current = set(selectors.stores_of(organisation))
        wanted = set(form.cleaned_data.get("stores") or [])
        try:
            for merchant in sorted(wanted - current, key=lambda m: m.pk):
                services.partner_store_grant(actor=request.user, organisation=organisation, merchant=merchant)
            for merchant in sorted(current - wanted, key=lambda m: m.pk):
                services.partner_store_revoke(actor=request.user, organisation=organisation, merchant=merchant)
        except services.PartnerError as exc:
            messages.error(request, str(exc))


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiKey
        fields = ["organisation", "name", "scopes", "expires_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("name", "organisation", "prefix", "scopes", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("organisation",)
    search_fields = ("name", "prefix", "organisation__name")
    actions = ["revoke_keys"]
    readonly_fields = (
        "organisation",
        "name",
        "prefix",
        "scopes",
        "expires_at",
        "revoked_at",
        "revoked_by",
        "last_used_at",
        "created_by",
        "created_at",
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row stays for the audit trail

    def has_add_permission(self, request):
        return actor_may(request.user, "partners.add_apikey")

    def has_revoke_permission(self, request):
        return actor_may(request.user, "partners.change_apikey")

    def save_model(self, request, obj, form, change):
        if change:
            return  # every field of a saved key is read-only; revoke it instead
        key, full = services.api_key_create(
            actor=request.user,
            organisation=form.cleaned_data["organisation"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data.get("expires_at"),
        )
        obj.pk = key.pk
        request.partner_new_key = full  # shown once by response_add; never stored

    def save_related(self, request, form, formsets, change):
        """Nothing related to save (the service wrote the key)."""

    def log_addition(self, request, obj, message):
        """The service wrote the audit row; the admin's own log would need the row object."""

    def response_add(self, request, obj, post_url_continue=None):
        full = getattr(request, "partner_new_key", None)
        if full is None:
            return super().response_add(request, obj, post_url_continue)
        key = ApiKey.objects.select_related("organisation").get(pk=obj.pk)
        context = {**self.admin_site.each_context(request), "key": key, "full_key": full, "opts": self.opts}
        return TemplateResponse(request, "admin/partners/apikey_created.html", context)

    @admin.action(description="Revoke selected keys", permissions=["revoke"])
    def revoke_keys(self, request, queryset):
        done = 0
        for key in queryset.select_related("organisation"):
            try:
                services.api_key_revoke(actor=request.user, key=key)
            except PermissionRefused as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return
            done += 1
        self.message_user(request, f"{done} key(s) revoked.", messages.SUCCESS)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("url", "organisation", "events", "is_active", "created_at")
    list_filter = ("is_active", "organisation")
    search_fields = ("url", "organisation__name")
    fields = ("organisation", "url", "events", "is_active", "created_at")
    readonly_fields = ("organisation", "url", "events", "created_at")

    def has_add_permission(self, request):
        return False  # partners register endpoints through the API (the secret is shown to them once)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("number", "created_at", "ok", "response_code", "duration_ms", "error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("uuid", "event", "endpoint", "status", "attempts", "next_attempt_at", "delivered_at", "created_at")
    list_filter = ("status", "event")
    search_fields = ("uuid", "endpoint__url")
    readonly_fields = (
        "uuid",
        "endpoint",
        "event",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "give_up_at",
        "delivered_at",
        "created_at",
    )
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_replay_permission(self, request):
        return actor_may(request.user, "partners.replay_webhookdelivery")

    @admin.action(description="Replay selected deliveries (send again)", permissions=["replay"])
    def replay(self, request, queryset):
        done = 0
        for delivery in queryset:
            services.webhook_delivery_replay(actor=request.user, delivery=delivery)
            done += 1
        self.message_user(request, f"{done} delivery(ies) queued again.", messages.SUCCESS)

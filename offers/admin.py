from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType

from accounts.devices import DEVICE_TYPES
from accounts.models import User
from catalog.admin import ListingCacheAdminMixin, StoreScopedAdminMixin
from catalog.admin_filters import StoreFilter
from catalog.models import Merchant
from catalog.selectors import STORE_GRANT_CODENAME
from couponali import events
from couponali.admin import (
    AuditedModelAdmin,
    LargeTableAdminMixin,
    PermissionCheckedActionsMixin,
    SoftDeleteAdmin,
    choices_filter,
)

from .models import CounterWatermark, ImpressionBatch, Offer, OfferClick, OfferView, SearchWord, StoreGrant
from .services import offers_delete, offers_restore, store_grant, store_revoke


@admin.register(Offer)
class OfferAdmin(StoreScopedAdminMixin, ListingCacheAdminMixin, SoftDeleteAdmin):
    list_display = (
        "title",
        "merchant",
        "offer_type",
        "coupon_code",
        "cashback_type",
        "cashback_value",
        "expires_at",
        "is_verified",
        "is_exclusive",
        "is_featured",
        "clicks_count",
    )
    list_filter = (
        StoreFilter,
        "offer_type",
        "cashback_type",
        "is_verified",
        "is_exclusive",
        "is_featured",
        "is_store_visit",
        "category",
        "network",
    )
    search_fields = ("title", "coupon_code", "merchant__name", "network_offer_id", "uuid")
    autocomplete_fields = ("merchant",)
    readonly_fields = ("uuid", "views_count", "clicks_count", "conversion_count", "created_at", "updated_at")
    date_hierarchy = "created_at"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Staff edits reach the store's brand webhooks like the brand's own (offers.services.editing).
        events.offer_changed.send(
            sender=Offer, offer_id=obj.pk, merchant_id=obj.merchant_id, change="updated" if change else "created"
        )

    # Deleting and restoring go through the offer services: they check the actor on each offer's store, write
    # an offer.deleted / offer.restored audit row, refresh the cached listings and tell the brand's webhooks.
    def delete_model(self, request, obj):
        offers_delete(actor=request.user, offer_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        offers_delete(actor=request.user, offer_ids=list(queryset.values_list("pk", flat=True)))

    @admin.action(description="Restore selected (undelete)", permissions=["delete"])
    def restore_selected(self, request, queryset):
        count = offers_restore(actor=request.user, offer_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Restored {count} offer(s).", messages.SUCCESS)


class OfferStoreFilter(StoreFilter):
    # Through the offer (idx_clicks_offer, idx_offer_views_offer): the clicks' own merchant_id has no index on
    # purpose (one more index write per click), and views have no store column.
    store_lookup = "offer__merchant_id"


@admin.register(OfferClick)
class OfferClickAdmin(LargeTableAdminMixin, AuditedModelAdmin, admin.ModelAdmin):
    # Millions of rows: no date hierarchy (it scans every row for its years and months), the joins named,
    # the click id searched exactly (its index), a shopper by e-mail through the users' trigram index.
    list_display = ("click_id", "offer", "user", "device_type", "created_at")
    list_filter = (
        OfferStoreFilter,
        choices_filter("device_type", [(d, d) for d in DEVICE_TYPES], "device"),
        "created_at",
    )
    list_select_related = ("offer", "user")
    search_fields = ("=click_id", "user__email")
    search_help_text = "A click id (exactly) or part of the shopper's e-mail."
    raw_id_fields = ("offer", "user", "merchant")


@admin.register(OfferView)
class OfferViewAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("offer", "user", "ip_address", "created_at")
    list_filter = (OfferStoreFilter, "created_at")
    search_fields = ("offer__title", "user__email")
    raw_id_fields = ("offer", "user")


@admin.register(CounterWatermark)
class CounterWatermarkAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("name", "position", "updated_at")
    list_filter = ("name",)
    search_fields = ("name",)
    readonly_fields = ("name", "position", "updated_at")

    def has_add_permission(self, request):
        return False


@admin.register(ImpressionBatch)
class ImpressionBatchAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("batch_id", "rows", "created_at")
    list_filter = ("created_at",)
    search_fields = ("batch_id",)
    readonly_fields = ("batch_id", "rows", "created_at")

    def has_add_permission(self, request):
        return False


class WordUseFilter(admin.SimpleListFilter):
    title = "offers using it"
    parameter_name = "use"

    def lookups(self, request, model_admin):
        return [("1", "one offer"), ("few", "2-10 offers"), ("many", "more than 10")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "1":
            return queryset.filter(ndoc=1)
        if value == "few":
            return queryset.filter(ndoc__range=(2, 10))
        if value == "many":
            return queryset.filter(ndoc__gt=10)
        return queryset


@admin.register(SearchWord)
class SearchWordAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("word", "ndoc")
    list_filter = (WordUseFilter,)
    search_fields = ("word",)
    readonly_fields = ("word", "ndoc")
    ordering = ("-ndoc",)

    def has_add_permission(self, request):
        return False


class StoreGrantForm(forms.ModelForm):
    merchant = forms.ModelChoiceField(queryset=Merchant.objects.order_by("name"), label="store")

    class Meta:
        model = StoreGrant
        fields = ("user",)
        help_texts = {"user": "A staff member (usually with the merchant manager role)."}


class GrantedStoreFilter(StoreFilter):
    store_lookup = "object_pk"  # django-guardian's object id (text)


@admin.register(StoreGrant)
class StoreGrantAdmin(PermissionCheckedActionsMixin, AuditedModelAdmin, admin.ModelAdmin):
    """Which stores each merchant manager edits. Adding and deleting go through offers.services.store_grant /
    store_revoke (checked, audited); a grant is never edited, only given or taken back."""

    form = StoreGrantForm
    list_display = ("user", "store")
    list_filter = (GrantedStoreFilter, "user__is_active")
    list_select_related = ("user",)
    search_fields = ("user__email",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(content_type=ContentType.objects.get_for_model(Merchant), permission__codename=STORE_GRANT_CODENAME)
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(is_staff=True, is_active=True).order_by("email")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="store")
    def store(self, obj):
        return Merchant.all_objects.filter(pk=obj.object_pk).values_list("name", flat=True).first() or obj.object_pk

    def save_model(self, request, obj, form, change):
        merchant = form.cleaned_data["merchant"]
        obj.pk = store_grant(user_id=obj.user_id, merchant_id=merchant.pk, actor=request.user)
        obj.object_pk = str(merchant.pk)

    def save_related(self, request, form, formsets, change):
        pass  # nothing related: the service wrote the grant

    def delete_model(self, request, obj):
        store_revoke(user_id=obj.user_id, merchant_id=int(obj.object_pk), actor=request.user)

    def delete_queryset(self, request, queryset):
        for user_id, object_pk in queryset.values_list("user_id", "object_pk"):
            store_revoke(user_id=user_id, merchant_id=int(object_pk), actor=request.user)

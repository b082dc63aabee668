from django.contrib import admin

from catalog.admin import ListingCacheAdminMixin
from couponali import events
from couponali.admin import SoftDeleteAdmin

from .models import CounterWatermark, ImpressionBatch, Offer, OfferClick, OfferView, SearchWord


@admin.register(Offer)
class OfferAdmin(ListingCacheAdminMixin, SoftDeleteAdmin):
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


@admin.register(OfferClick)
class OfferClickAdmin(admin.ModelAdmin):
    list_display = ("click_id", "offer", "user", "device_type", "ip_address", "created_at")
    list_filter = ("device_type", "created_at")
    search_fields = ("click_id", "user__email", "offer__title")
    raw_id_fields = ("offer", "user", "merchant")
    date_hierarchy = "created_at"


@admin.register(OfferView)
class OfferViewAdmin(admin.ModelAdmin):
    list_display = ("offer", "user", "ip_address", "created_at")
    list_filter = ("created_at",)
    search_fields = ("offer__title", "user__email")
    raw_id_fields = ("offer", "user")


@admin.register(CounterWatermark)
class CounterWatermarkAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "updated_at")
    list_filter = ("name",)
    search_fields = ("name",)
    readonly_fields = ("name", "position", "updated_at")

    def has_add_permission(self, request):
        return False


@admin.register(ImpressionBatch)
class ImpressionBatchAdmin(admin.ModelAdmin):
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
class SearchWordAdmin(admin.ModelAdmin):
    list_display = ("word", "ndoc")
    list_filter = (WordUseFilter,)
    search_fields = ("word",)
    readonly_fields = ("word", "ndoc")
    ordering = ("-ndoc",)

    def has_add_permission(self, request):
        return False

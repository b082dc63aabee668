from django.contrib import admin

from accounts.devices import DEVICE_TYPES
from catalog.admin import ListingCacheAdminMixin
from couponali.admin import LargeTableAdminMixin, SoftDeleteAdmin, choices_filter

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


@admin.register(OfferClick)
class OfferClickAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    # Millions of rows: no date hierarchy (it scans every row for its years and months), the joins named,
    # the click id searched exactly (its index), a shopper by e-mail through the users' trigram index.
    list_display = ("click_id", "offer", "user", "device_type", "created_at")
    list_filter = (choices_filter("device_type", [(d, d) for d in DEVICE_TYPES], "device"), "created_at")
    list_select_related = ("offer", "user")
    search_fields = ("=click_id", "user__email")
    search_help_text = "A click id (exactly) or part of the shopper's e-mail."
    raw_id_fields = ("offer", "user", "merchant")


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

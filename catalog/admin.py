from django import forms
from django.contrib import admin

from couponali.admin import SoftDeleteAdmin

from .cache import listing_changed
from .models import Category, Inventory, Merchant, MerchantCommission, Product, ProductVariant
from .selectors import commission_share, format_number


class ListingCacheAdminMixin:
    """Admin saves, deletes and restores of shopper-visible rows invalidate the cached listings (home sections,
    category tree, stores A-Z, the click-out's redirect data) when their transaction commits."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        listing_changed()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        listing_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        listing_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        listing_changed()

    @admin.action(description="Restore selected (undelete)")
    def restore_selected(self, request, queryset):
        super().restore_selected(request, queryset)
        listing_changed()


@admin.register(Category)
class CategoryAdmin(ListingCacheAdminMixin, SoftDeleteAdmin):
    list_display = ("name", "slug", "parent", "type", "display_order", "is_featured", "is_active")
    list_filter = ("type", "is_featured", "is_active", "parent")
    search_fields = ("name", "slug", "description", "search_keywords")
    prepopulated_fields = {"slug": ("name",)}
    list_editable = ("display_order", "is_featured", "is_active")


class MerchantCommissionForm(forms.ModelForm):
    """Staff name the shopper's share on every row they add or edit: an empty share falls back to the site
    default (CASHBACK_DEFAULT_SHARE_PERCENT), which is meant for old rows, not as a choice."""

    cashback_percentage = forms.DecimalField(
        label="Shopper's share (%)",
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        help_text="Percent of the commission paid to the shopper as cashback.",
    )

    class Meta:
        model = MerchantCommission
        fields = (
            "merchant",
            "category",
            "commission_type",
            "commission_value",
            "cashback_percentage",
            "valid_from",
            "valid_until",
        )


class EffectiveShareMixin:
    @admin.display(description="effective share")
    def effective_share(self, obj: MerchantCommission) -> str:
        if obj.pk is None:
            return "-"
        share, is_default = commission_share(obj)
        return f"{format_number(share)}%" + (" (site default)" if is_default else "")


class MerchantCommissionInline(EffectiveShareMixin, admin.TabularInline):
    model = MerchantCommission
    form = MerchantCommissionForm
    readonly_fields = ("effective_share",)
    extra = 0


@admin.register(Merchant)
class MerchantAdmin(ListingCacheAdminMixin, SoftDeleteAdmin):
    list_display = (
        "name",
        "slug",
        "affiliate_network",
        "default_cashback_type",
        "default_cashback_value",
        "is_active",
        "is_featured",
        "priority",
    )
    list_filter = ("affiliate_network", "is_active", "is_featured", "default_cashback_type")
    search_fields = ("name", "slug", "website_url", "affiliate_id", "search_keywords")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MerchantCommissionInline]


@admin.register(MerchantCommission)
class MerchantCommissionAdmin(EffectiveShareMixin, ListingCacheAdminMixin, admin.ModelAdmin):
    form = MerchantCommissionForm
    readonly_fields = ("effective_share",)
    list_display = (
        "merchant",
        "category",
        "commission_type",
        "commission_value",
        "effective_share",
        "valid_from",
        "valid_until",
    )
    list_filter = ("commission_type", "category")
    search_fields = ("merchant__name", "category__name")
    autocomplete_fields = ("merchant",)


class ProductVariantInline(admin.TabularInline):
    model = ProductVariant
    extra = 0


@admin.register(Product)
class ProductAdmin(SoftDeleteAdmin):
    list_display = (
        "name",
        "sku",
        "merchant",
        "category",
        "card_type",
        "is_in_stock",
        "is_featured",
        "is_bestseller",
        "sales_count",
    )
    list_filter = ("card_type", "delivery_method", "is_in_stock", "is_featured", "is_bestseller", "category")
    search_fields = ("name", "sku", "slug", "merchant__name")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("merchant",)
    inlines = [ProductVariantInline]


@admin.register(ProductVariant)
class ProductVariantAdmin(admin.ModelAdmin):
    list_display = ("product", "denomination", "selling_price", "cost_price", "is_available", "stock_quantity")
    list_filter = ("is_available",)
    search_fields = ("product__name", "product__sku")
    raw_id_fields = ("product",)


@admin.register(Inventory)
class InventoryAdmin(admin.ModelAdmin):
    list_display = ("product", "variant", "quantity", "reserved", "updated_at")
    list_filter = ("updated_at",)
    search_fields = ("product__name", "product__sku")
    raw_id_fields = ("product", "variant")

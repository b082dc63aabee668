from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile

from couponali.admin import InrAmountsMixin, SoftDeleteAdmin

from .cache import listing_changed
from .logos import LogoError, logo_webp
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
    search_fields = ("name", "slug", "description")
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


class MerchantForm(forms.ModelForm):
    class Meta:
        model = Merchant
        fields = "__all__"  # noqa: DJ007 - the store's editors see every column, as before
        help_texts = {
            "logo": "PNG, JPEG, WebP or GIF; stored as a 256 x 256 WebP. Without one, the logo URL (or the "
            "two-letter tile) is shown.",
            "tracking_hours": "How fast this store's clicks usually track, shown on the store page.",
            "validation_days": "How long this store takes to confirm a cashback, shown on the store page.",
        }

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not isinstance(upload, UploadedFile):
            return upload  # unchanged (the stored file) or cleared (False/None)
        upload.seek(0)
        try:
            return logo_webp(upload.read(), stem=self.cleaned_data.get("slug") or "store")
        except LogoError as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(Merchant)
class MerchantAdmin(ListingCacheAdminMixin, SoftDeleteAdmin):
    form = MerchantForm
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
    search_fields = ("name", "slug", "website_url", "affiliate_id")
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
class ProductVariantAdmin(InrAmountsMixin, admin.ModelAdmin):
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

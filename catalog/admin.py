from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from couponali.admin import AuditedModelAdmin, InrAmountsMixin, SoftDeleteAdmin, inr_column

from .admin_filters import StoreFilter
from .cache import listing_changed
from .logos import LogoError, logo_webp
from .models import Category, Inventory, Merchant, MerchantCommission, Product, ProductVariant
from .selectors import commission_share, format_number, store_ids_granted_to


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

    @admin.action(description="Restore selected (undelete)", permissions=["delete"])
    def restore_selected(self, request, queryset):
        super().restore_selected(request, queryset)
        listing_changed()


class StoreScopedAdminMixin:
    """Rows that belong to a store, for merchant managers. Staff holding the model's permission store-wide (from
    a role) see and edit every row as usual; staff granted stores by object grants (django-guardian,
    ``catalog.change_merchant`` on each store) see, add, change and delete (per ``scoped_actions``) the rows of
    those stores only: the changelist and its actions cover only them, the store choice offers only them, and
    any other row's page answers 403, by link or by typed URL."""

    opts: Any  # of the ModelAdmin this is mixed into
    store_lookup = "merchant_id"  # the row's store in a queryset filter
    scoped_actions: tuple[str, ...] = ("view", "add", "change", "delete")

    def store_of(self, obj) -> int | None:
        """The store id of ``obj`` as the has_*_permission methods receive it (the parent row for an inline)."""
        return obj.merchant_id

    def _store_wide(self, request, action: str) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")

    def _granted(self, request) -> frozenset[int]:
        return store_ids_granted_to(request.user)

    def _scoped(self, request, action: str, obj=None) -> bool:
        if action not in self.scoped_actions:
            return False
        granted = self._granted(request)
        return bool(granted) if obj is None else self.store_of(obj) in granted

    def _sees_all(self, request) -> bool:
        return self._store_wide(request, "view") or self._store_wide(request, "change")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if self._sees_all(request):
            return qs
        return qs.filter(**{f"{self.store_lookup}__in": self._granted(request)})

    def get_object(self, request, object_id, from_field=None):
        """From all rows, so that another store's row is found and then refused (403), not "not found"."""
        queryset = super().get_queryset(request)
        field = queryset.model._meta.pk if from_field is None else queryset.model._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (queryset.model.DoesNotExist, ValidationError, ValueError):
            return None

    def has_module_permission(self, request):
        return super().has_module_permission(request) or bool(self._granted(request))

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or self._scoped(request, "view", obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) or self._scoped(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) or self._scoped(request, "delete", obj)

    def has_add_permission(self, request, *obj):
        # ModelAdmin passes no object, an inline its parent row.
        return super().has_add_permission(request, *obj) or self._scoped(request, "add", *obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "merchant" and not self._store_wide(request, "change"):
            kwargs["queryset"] = Merchant.all_objects.filter(pk__in=self._granted(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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


class MerchantCommissionInline(StoreScopedAdminMixin, EffectiveShareMixin, admin.TabularInline):
    model = MerchantCommission

    def store_of(self, obj) -> int | None:
        return obj.pk  # the store whose page this inline is on

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
class MerchantAdmin(StoreScopedAdminMixin, ListingCacheAdminMixin, SoftDeleteAdmin):
    store_lookup = "pk"
    scoped_actions = ("view", "change")  # a merchant manager neither creates nor deletes stores

    def store_of(self, obj) -> int | None:
        return obj.pk

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
    search_fields = ("name", "slug", "website_url", "affiliate_id", "search_keywords")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MerchantCommissionInline]


@admin.register(MerchantCommission)
class MerchantCommissionAdmin(
    StoreScopedAdminMixin, EffectiveShareMixin, ListingCacheAdminMixin, AuditedModelAdmin, admin.ModelAdmin
):
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
    list_filter = (StoreFilter, "commission_type", "category")
    search_fields = ("merchant__name", "category__name")
    autocomplete_fields = ("merchant",)


class ProductStoreFilter(StoreFilter):
    store_lookup = "product__merchant_id"  # the variant's (or stock row's) gift card's store


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
    list_filter = (
        StoreFilter,
        "card_type",
        "delivery_method",
        "is_in_stock",
        "is_featured",
        "is_bestseller",
        "category",
    )
    search_fields = ("name", "sku", "slug", "merchant__name")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("merchant",)
    inlines = [ProductVariantInline]


@admin.register(ProductVariant)
class ProductVariantAdmin(InrAmountsMixin, AuditedModelAdmin, admin.ModelAdmin):
    list_display = (
        "product",
        inr_column("denomination"),
        inr_column("selling_price"),
        inr_column("cost_price"),
        "is_available",
        "stock_quantity",
    )
    list_filter = (ProductStoreFilter, "is_available")
    search_fields = ("product__name", "product__sku")
    raw_id_fields = ("product",)


@admin.register(Inventory)
class InventoryAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("product", "variant", "quantity", "reserved", "updated_at")
    list_filter = (ProductStoreFilter, "updated_at")
    search_fields = ("product__name", "product__sku")
    raw_id_fields = ("product", "variant")

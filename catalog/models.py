"""Categories, merchants (stores), their commissions, and the gift-card catalogue (seed tables 4-6, 9, 10, 27)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import Q

from couponali.models import CreatedModel, MoneyField, SoftDeleteModel, TimeStampedModel, UuidField, counter, flag
from couponali.money import format_inr

from .logos import logo_src


class CashbackType(models.TextChoices):
    PERCENTAGE = "percentage", "Percentage"
    FIXED = "fixed", "Fixed amount"


class Category(SoftDeleteModel, TimeStampedModel):
    class Type(models.TextChoices):
        OFFER = "offer", "Offers"
        PRODUCT = "product", "Products"
        BOTH = "both", "Both"

    uuid = UuidField()
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True, db_index=False)
    description = models.TextField(null=True, blank=True)
    icon_url = models.CharField(max_length=500, null=True, blank=True)
    banner_url = models.CharField(max_length=500, null=True, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children", db_index=False
    )
    type = models.CharField(max_length=20, choices=Type.choices)
    display_order = models.IntegerField(default=0, db_default=0)
    is_featured = flag(False)
    is_active = flag(True)
    seo_title = models.CharField(max_length=255, null=True, blank=True)
    seo_description = models.TextField(null=True, blank=True)
    seo_keywords = models.TextField(null=True, blank=True)
    # Not in the seed: the words shoppers type for this category besides its name (products, brands, synonyms,
    # everyday and misspelt words: "sneakers, trainers, chappals"), matched by search and suggestions with
    # English stemming; edited in the admin.
    search_keywords = models.TextField(
        blank=True,
        default="",
        db_default="",
        help_text="Comma-separated words shoppers search for, besides the name: products, brands, synonyms "
        "(e.g. shoes, sneakers, trainers). Plural and singular both match.",
    )

    class Meta:
        db_table = "categories"
        verbose_name_plural = "categories"
        ordering = ["display_order", "name"]
        indexes = [
            models.Index(fields=["slug"], name="idx_categories_slug", condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["parent"], name="idx_categories_parent"),
            # Value(True) renders `is_active = true`, the seed's predicate, rather than a bare `is_active`.
            models.Index(fields=["type"], name="idx_categories_type", condition=Q(is_active=models.Value(True))),
            # Search: typo-tolerant name matching (pg_trgm).
            GinIndex(OpClass("name", name="gin_trgm_ops"), name="idx_categories_name_trgm"),
            GinIndex(SearchVector("search_keywords", config="english"), name="idx_categories_keywords"),
        ]

    def __str__(self) -> str:
        return self.name


class Merchant(SoftDeleteModel, TimeStampedModel):
    class Network(models.TextChoices):
        ADMITAD = "admitad", "Admitad"
        VCOMMISSION = "vcommission", "vCommission"
        CUELINKS = "cuelinks", "Cuelinks"
        MANUAL = "manual", "Manual"

    uuid = UuidField()
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True, db_index=False)
    description = models.TextField(null=True, blank=True)
    logo_url = models.CharField(max_length=500, null=True, blank=True)
    banner_url = models.CharField(max_length=500, null=True, blank=True)
    website_url = models.CharField(max_length=500, null=True, blank=True)
    affiliate_network = models.CharField(max_length=50, null=True, blank=True)
    affiliate_id = models.CharField(max_length=255, null=True, blank=True)
    # Placeholders: {click_id}, {user_id}, {affiliate_id}, {url}.
    tracking_url_template = models.TextField(null=True, blank=True)
    default_cashback_type = models.CharField(max_length=20, choices=CashbackType.choices, null=True, blank=True)
    default_cashback_value = MoneyField()
    is_active = flag(True)
    is_featured = flag(False)
    priority = models.IntegerField(default=0, db_default=0)
    seo_title = models.CharField(max_length=255, null=True, blank=True)
    seo_description = models.TextField(null=True, blank=True)
    # Not in the seed: the words shoppers type for this store besides its name (products, brands, synonyms,
    # everyday and misspelt words: "sneakers, trainers, chappals"), matched by search and suggestions with
    # English stemming; edited in the admin.
    search_keywords = models.TextField(
        blank=True,
        default="",
        db_default="",
        help_text="Comma-separated words shoppers search for, besides the name: products, brands, synonyms "
        "(e.g. shoes, sneakers, trainers). Plural and singular both match.",
    )
    # Not in the seed: days after which a pending cashback of this store may be auto-confirmed (the store page's
    # "confirmed within N days").
    validation_days = models.PositiveIntegerField(default=60, db_default=60)
    # Not in the seed: how many hours this store's network takes to report a purchase (the store page's "tracks
    # within N hours").
    tracking_hours = models.PositiveIntegerField(default=72, db_default=72)
    # Not in the seed: the uploaded logo, stored resized as WebP (catalog.logos); logo_url stays for a logo
    # hosted elsewhere, and the two-letter tile is the fallback when neither is set.
    logo = models.ImageField(upload_to="stores/", max_length=255, null=True, blank=True)

    class Meta:
        db_table = "merchants"
        ordering = ["-priority", "name"]
        # Granted per store (django-guardian object permission) to a brand partner's service user: its API keys
        # may then manage this store's offers and read its reports (partners app).
        permissions = [("manage_offers", "Can manage the store's offers and read its reports (brand partner)")]
        indexes = [
            models.Index(fields=["slug"], name="idx_merchants_slug", condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["is_active"], name="idx_merchants_active", condition=Q(deleted_at__isnull=True)),
            # Search: typo-tolerant name matching (pg_trgm): "flipcart" finds Flipkart.
            GinIndex(OpClass("name", name="gin_trgm_ops"), name="idx_merchants_name_trgm"),
            GinIndex(SearchVector("search_keywords", config="english"), name="idx_merchants_keywords"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def logo_src(self) -> str:
        """The logo a page shows (catalog.logos.logo_src: the uploaded WebP, else logo_url, else "")."""
        return logo_src(self)


class MerchantCommission(CreatedModel):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="commissions", db_index=False)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    commission_type = models.CharField(max_length=20, choices=CashbackType.choices)
    commission_value = models.DecimalField(max_digits=10, decimal_places=2)
    # Share of the commission passed on to the shopper as cashback, in percent.
    cashback_percentage = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        db_table = "merchant_commissions"
        indexes = [models.Index(fields=["merchant"], name="idx_commissions_merchant")]

    def __str__(self) -> str:
        return f"{self.merchant_id}/{self.category_id}: {self.commission_value} {self.commission_type}"


class Product(SoftDeleteModel, TimeStampedModel):
    class CardType(models.TextChoices):
        E_GIFT = "e-gift", "E-gift card"
        PHYSICAL = "physical", "Physical card"
        RELOAD = "reload", "Reload"

    class Delivery(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        WHATSAPP = "whatsapp", "WhatsApp"
        POSTAL = "postal", "Post"

    uuid = UuidField()
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True, db_index=False)
    sku = models.CharField(max_length=100, unique=True, db_index=False)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products", db_index=False
    )
    merchant = models.ForeignKey(Merchant, null=True, blank=True, on_delete=models.SET_NULL, related_name="products")
    description = models.TextField(null=True, blank=True)
    terms_conditions = models.TextField(null=True, blank=True)
    image_url = models.CharField(max_length=500, null=True, blank=True)
    gallery_images = models.JSONField(null=True, blank=True)
    base_price = MoneyField()
    discount_percentage = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0"), db_default=Decimal("0")
    )
    card_type = models.CharField(max_length=50, choices=CardType.choices, null=True, blank=True)
    delivery_method = models.CharField(max_length=50, choices=Delivery.choices, null=True, blank=True)
    validity_days = models.IntegerField(null=True, blank=True)
    is_in_stock = flag(True)
    is_featured = flag(False)
    is_bestseller = flag(False)
    priority = models.IntegerField(default=0, db_default=0)
    views_count = counter()
    sales_count = counter()

    class Meta:
        db_table = "products"
        ordering = ["-priority", "name"]
        indexes = [
            models.Index(fields=["slug"], name="idx_products_slug", condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["sku"], name="idx_products_sku", condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["category"], name="idx_products_category", condition=Q(deleted_at__isnull=True)),
            GinIndex(fields=["gallery_images"], name="idx_products_gallery_images"),
        ]

    def __str__(self) -> str:
        return self.name


class ProductVariant(TimeStampedModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants", db_index=False)
    denomination = models.DecimalField(max_digits=10, decimal_places=2)
    cost_price = MoneyField()
    selling_price = models.DecimalField(max_digits=10, decimal_places=2)
    is_available = flag(True)
    stock_quantity = models.IntegerField(null=True, blank=True, help_text="Empty = unlimited (digital).")

    class Meta:
        db_table = "product_variants"
        ordering = ["denomination"]
        indexes = [models.Index(fields=["product"], name="idx_variants_product")]

    def __str__(self) -> str:
        return f"{self.product_id} {format_inr(self.denomination)}"


class Inventory(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="inventory", db_index=False)
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.CASCADE, related_name="inventory"
    )
    quantity = models.IntegerField()
    reserved = models.IntegerField(default=0, db_default=0)
    # Not in the seed: units sold since the row was created (catalog.stock consumes them from quantity), so
    # that reconcile_orders can prove stock consumed = items sold.
    sold = models.IntegerField(default=0, db_default=0)
    updated_at = models.DateTimeField(auto_now=True, db_default=models.functions.Now())

    class Meta:
        db_table = "inventory"
        verbose_name_plural = "inventory"
        indexes = [models.Index(fields=["product"], name="idx_inventory_product")]
        constraints = [
            models.CheckConstraint(
                condition=Q(reserved__gte=0) & Q(reserved__lte=models.F("quantity")),
                name="inventory_reserved_within_quantity",
            ),
            models.CheckConstraint(condition=Q(sold__gte=0), name="inventory_sold_nonnegative"),
            # One stock row per variant: the stock services lock and update it by variant id.
            models.UniqueConstraint(
                fields=["variant"], name="inventory_one_row_per_variant", condition=Q(variant__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}/{self.variant_id}: {self.quantity - self.reserved} free"

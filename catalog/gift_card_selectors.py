"""Reads of the gift-card catalogue: the listing with its filters, a product page, the home strip and the
search hits. Each is a fixed number of queries, whatever the number of cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import DecimalField, Exists, ExpressionWrapper, F, Max, Min, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Floor

from .logos import logo_src
from .models import Category, Merchant, Product, ProductVariant
from .stock import stock_available

PER_PAGE = 24
LOW_STOCK = 10  # a denomination with this many cards or fewer left says how many


def gift_card_image(product: Product) -> str:
    """The one rule for which picture a gift card shows: its own ``image_url``, else its brand store's logo (the
    store cards' picture, catalog.logos.logo_src), else "" (the template draws a two-letter tile). Needs no query
    when the merchant is selected with the product (gift_cards_listed does)."""
    if product.image_url:
        return product.image_url
    return logo_src(product.merchant) if product.merchant else ""


def gift_card_tile_name(product: Product) -> str:
    """The name whose initials fill the tile of a card without a picture: the brand's, else the card's."""
    return product.merchant.name if product.merchant else product.name


def saving_percent(denomination: Decimal, selling_price: Decimal) -> int:
    """The "% off" of a denomination: what the shopper saves on the face value, rounded down to a whole
    percent (never rounded up: the badge must not promise more than the price gives)."""
    if denomination <= 0 or selling_price >= denomination:
        return 0
    return int((denomination - selling_price) * 100 / denomination)


def _variants_on_sale() -> QuerySet[ProductVariant]:
    return ProductVariant.objects.filter(is_available=True).order_by("denomination")


def gift_cards_listed() -> QuerySet[Product]:
    """Products a shopper can buy: not deleted, with at least one available denomination, of an active brand
    (or no brand). Featured first, then bestsellers, then by priority and name."""
    on_sale = _variants_on_sale().filter(product=OuterRef("pk"))
    return (
        Product.objects.filter(Exists(on_sale))
        .filter(Q(merchant__isnull=True) | Q(merchant__is_active=True, merchant__deleted_at__isnull=True))
        .select_related("merchant", "category")
        .prefetch_related(Prefetch("variants", queryset=_variants_on_sale(), to_attr="on_sale"))
        .order_by("-is_featured", "-is_bestseller", "-priority", "name", "id")
    )


class _ProductPicture:
    """The picture of a card's ``product`` (gift_card_image) and the name its fallback tile takes."""

    product: Product

    @property
    def image(self) -> str:
        return gift_card_image(self.product)

    @property
    def tile_name(self) -> str:
        return gift_card_tile_name(self.product)


@dataclass
class GiftCardCard(_ProductPicture):
    product: Product
    from_price: Decimal
    best_saving: int  # percent, for the "% off" badge
    denominations: list[Decimal] = field(default_factory=list)


def _on_sale(product: Product) -> list[ProductVariant]:
    """The variants prefetched into ``on_sale`` (Prefetch(to_attr=...), which the type checker cannot see)."""
    return product.on_sale  # type: ignore[attr-defined]


def _card(product: Product) -> GiftCardCard:
    variants = _on_sale(product)
    saving = max(
        [saving_percent(v.denomination, v.selling_price) for v in variants] + [int(product.discount_percentage or 0)]
    )
    return GiftCardCard(
        product=product,
        from_price=min(v.selling_price for v in variants),
        best_saving=saving,
        denominations=[v.denomination for v in variants],
    )


@dataclass
class GiftCardListing:
    cards: list[GiftCardCard]
    categories: list[Category]
    brands: list[Merchant]
    category: Category | None
    brand: Merchant | None
    page: int
    has_next: bool


def gift_card_listing(*, category_slug: str = "", brand_slug: str = "", page: int = 1) -> GiftCardListing:
    """/gift-cards/: four queries (products, their denominations, the category and brand filters)."""
    listed = gift_cards_listed()
    categories = list(
        Category.objects.filter(is_active=True, products__in=gift_cards_listed().values("pk"))
        .distinct()
        .order_by("display_order", "name")
    )
    brands = list(Merchant.objects.filter(products__in=gift_cards_listed().values("pk")).distinct().order_by("name"))
    category = next((c for c in categories if c.slug == category_slug), None)
    brand = next((b for b in brands if b.slug == brand_slug), None)
    if category is not None:
        listed = listed.filter(Q(category=category) | Q(category__parent=category))
    if brand is not None:
        listed = listed.filter(merchant=brand)
    page = max(page, 1)
    start = (page - 1) * PER_PAGE
    products = list(listed[start : start + PER_PAGE + 1])
    return GiftCardListing(
        cards=[_card(p) for p in products[:PER_PAGE]],
        categories=categories,
        brands=brands,
        category=category,
        brand=brand,
        page=page,
        has_next=len(products) > PER_PAGE,
    )


@dataclass
class Denomination:
    variant: ProductVariant
    saving: Decimal
    saving_percent: int
    available: int | None  # None = unlimited

    @property
    def sold_out(self) -> bool:
        return self.available == 0

    @property
    def few_left(self) -> bool:
        return self.available is not None and 0 < self.available <= LOW_STOCK


@dataclass
class GiftCardPage(_ProductPicture):
    product: Product
    denominations: list[Denomination]
    best_saving: int

    @property
    def chosen(self) -> Denomination | None:
        """The denomination picked when the page opens: the first one not sold out (None: all are)."""
        return next((d for d in self.denominations if not d.sold_out), None)


def gift_card_page(slug: str) -> GiftCardPage | None:
    """A product page: the product with its brand and category, its denominations, their stock (3 queries)."""
    product = gift_cards_listed().filter(slug=slug).first()
    if product is None:
        return None
    stock = stock_available(variant_ids=[v.pk for v in _on_sale(product)])
    rows = [
        Denomination(
            variant=v,
            saving=max(v.denomination - v.selling_price, Decimal("0")),
            saving_percent=saving_percent(v.denomination, v.selling_price),
            available=stock.get(v.pk),
        )
        for v in _on_sale(product)
    ]
    return GiftCardPage(product=product, denominations=rows, best_saving=_card(product).best_saving)


def _cards_in_one_query(products: QuerySet[Product], limit: int) -> list[GiftCardCard]:
    """Cards for a strip or search hits without the per-product denominations: price and best saving are
    aggregated in the same query (one query in all)."""
    on_sale = Q(variants__is_available=True)
    saving = ExpressionWrapper(
        Floor((F("variants__denomination") - F("variants__selling_price")) * 100 / F("variants__denomination")),
        output_field=DecimalField(),
    )
    rows = products.prefetch_related(None).annotate(
        from_price=Min("variants__selling_price", filter=on_sale),
        best=Max(saving, filter=on_sale & Q(variants__denomination__gt=0)),
    )[:limit]
    return [
        GiftCardCard(
            product=p,
            from_price=p.from_price,
            best_saving=max(int(p.best or 0), int(p.discount_percentage or 0), 0),
        )
        for p in rows
    ]


INDEX_KEY = "giftcards:index"
INDEX_SECONDS = 900  # the beat job refreshes it every 5 minutes; a product change shows within that time
INDEX_MAX = 1000


def gift_card_index_refresh() -> list[GiftCardCard]:
    """Build the gift-card index (every listed card, listing order) into Redis; one query."""
    cards = _cards_in_one_query(gift_cards_listed(), INDEX_MAX)
    cache.set(INDEX_KEY, cards, INDEX_SECONDS)
    return cards


def gift_card_index(*, build: bool) -> list[GiftCardCard]:
    """The cached index; with ``build`` a missing index is built now (one query), else it reads as empty until
    the beat job or a home page view builds it (site search must not add a query to its budget)."""
    cards = cache.get(INDEX_KEY)
    if cards is None:
        cards = gift_card_index_refresh() if build else []
    return cards


def gift_cards_for_home(*, limit: int = 8) -> list[GiftCardCard]:
    """The home page strip: featured and bestselling cards first, from the index."""
    return gift_card_index(build=True)[:limit]


def gift_cards_matching(q: str, *, limit: int = 6) -> list[GiftCardCard]:
    """Search hits from the index (no query): cards whose name or brand contains every word of the query."""
    words = [w.casefold() for w in (q or "").split() if w][:5]
    if not words:
        return []
    hits = []
    for card in gift_card_index(build=False):
        text = f"{card.product.name} {card.product.merchant.name if card.product.merchant else ''}".casefold()
        if all(w in text for w in words):
            hits.append(card)
            if len(hits) == limit:
                break
    return hits

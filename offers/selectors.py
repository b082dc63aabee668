"""Reads for offers: what a shopper may see, the page data of the shopper site, and search.

Every page builder here runs a fixed number of queries whatever the number of offers (tests assert it): offers
come with their store in one query, what the cashback rule needs for all the stores on a page in two more (their
commissions and their live offers' own rules: :func:`rate_book`), and the category tree from the cache.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, TypedDict, TypeVar

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    Expression,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from catalog.cache import PAGE_MAX_AGE, listing_generation
from catalog.logos import logo_src
from catalog.models import Merchant, MerchantCommission
from catalog.selectors import (
    CACHE_TTL,
    CategoryNode,
    CategoryRate,
    OfferRate,
    cashback_rate_for,
    category_tree,
    commissions_by_merchant,
    merchant_headline_rate,
    merchant_rates_by_category,
    merchants_listed,
    offer_own_rate,
)

from . import buffers
from .models import Offer

if TYPE_CHECKING:  # the stubs' helper for annotated rows (django-stubs-ext is a dev dependency)
    from django_stubs_ext import WithAnnotations

T = TypeVar("T")

PER_PAGE = 24
MAX_PAGE = 400  # the deepest numbered page of a listing or search (pages and API)
HOME_SECTION_SIZE = 12
ENDING_SOON = timedelta(days=3)
STORE_MATCH_MIN = 0.4  # trigram score for a store or category to count as a search hit
MAX_QUERY_LENGTH = 100
WORD_MATCH_MIN = 0.45  # trigram similarity for a query word to be corrected to a known word
KEYWORD_SCORE = 0.6  # a store or category found by its search keywords ranks after a close name match
# Featured first, then ending soonest: the order of idx_offers_browse, so listing pages read one page of rows.
BROWSE_ORDER = ("-is_featured", F("expires_at").asc(nulls_last=True), "id")


def offers_live(*, now: datetime | None = None) -> QuerySet[Offer]:
    """Listed offers (OfferQuerySet.listed: live, never the hidden store-visit offers). The generated search
    column is left out (it is only read inside SQL)."""
    return Offer.objects.listed(now or timezone.now()).defer("search_vector")


def offers_of_listed_stores() -> QuerySet[Offer]:
    """Every offer shoppers may be shown, live or not (not deleted, not a store-visit offer, of an active store):
    the API's listing, which narrows it with OfferQuerySet.live unless asked for the others too."""
    return Offer.objects.filter(
        is_store_visit=False, merchant__is_active=True, merchant__deleted_at__isnull=True
    ).defer("search_vector")


# ---------------------------------------------------------------- cards


@dataclass(frozen=True)
class StoreCard:
    id: int
    name: str
    slug: str
    logo_url: str
    cashback: str
    offers_count: int = 0


@dataclass(frozen=True)
class OfferCard:
    id: int
    uuid: str
    title: str
    description: str
    offer_type: str
    type_label: str
    coupon_code: str
    is_verified: bool
    is_exclusive: bool
    is_featured: bool
    expires_at: datetime | None
    cashback: str
    store: StoreCard
    used_today: int = 0

    @property
    def has_code(self) -> bool:
        return self.offer_type == Offer.Type.CODE and bool(self.coupon_code)


@dataclass(frozen=True)
class RateBook:
    """What the cashback rule needs to show the rates of a page's stores: their commission rows and their live
    offers' own rules (catalog.selectors.OfferRate), by store id."""

    commissions: dict[int, list[MerchantCommission]]
    offer_rates: dict[int, list[OfferRate]]

    def headline(self, merchant: Merchant) -> str:
        """The store's "Up to ..." line: the best row of its rates table (merchant_headline_rate)."""
        return merchant_headline_rate(
            merchant,
            commissions=self.commissions.get(merchant.pk, []),
            offer_rates=self.offer_rates.get(merchant.pk, []),
        ).display

    def table(self, merchant: Merchant) -> list[CategoryRate]:
        """The store's rates table (merchant_rates_by_category), whose best row is the headline."""
        return merchant_rates_by_category(
            merchant,
            commissions=self.commissions.get(merchant.pk, []),
            offer_rates=self.offer_rates.get(merchant.pk, []),
        )


def offer_rates_by_merchant(merchant_ids: Iterable[int], *, now: datetime | None = None) -> dict[int, list[OfferRate]]:
    """The own cashback rules of these stores' live offers, by store id, in listing order (one query)."""
    ids = {i for i in merchant_ids if i is not None}
    out: dict[int, list[OfferRate]] = {i: [] for i in ids}
    if ids:
        rows = (
            offers_live(now=now)
            .filter(merchant_id__in=ids, cashback_type__isnull=False, cashback_value__isnull=False)
            .order_by(*BROWSE_ORDER)
            .values_list("merchant_id", "uuid", "title", "cashback_type", "cashback_value", "max_cashback")
        )
        for merchant_id, offer_uuid, title, ctype, value, cap in rows:
            rate = offer_own_rate(SimpleNamespace(cashback_type=ctype, cashback_value=value, max_cashback=cap))
            out[merchant_id].append(OfferRate(title=title, uuid=offer_uuid, rate=rate))
    return out


def rate_book(merchant_ids: Iterable[int], *, now: datetime | None = None) -> RateBook:
    """The RateBook of these stores: two queries for a whole page."""
    ids = {i for i in merchant_ids if i is not None}
    return RateBook(commissions=commissions_by_merchant(ids), offer_rates=offer_rates_by_merchant(ids, now=now))


def _store_card(merchant: Merchant, book: RateBook, offers_count: int = 0) -> StoreCard:
    return StoreCard(
        id=merchant.pk,
        name=merchant.name,
        slug=merchant.slug,
        logo_url=logo_src(merchant),
        cashback=book.headline(merchant),
        offers_count=offers_count,
    )


def offer_cards(*, offers: Iterable[Offer], book: RateBook | None = None):
    """Cards for offers fetched with their merchant. Two queries for the stores' rates unless ``book`` is passed."""
    offers = list(offers)
    if book is None:
        book = rate_book(o.merchant_id for o in offers)
    parents = category_tree().parents()
    stores: dict[int, StoreCard] = {}
    cards = []
    for o in offers:
        rows = book.commissions.get(o.merchant_id, [])
        store = stores.get(o.merchant_id)
        if store is None:
            store = stores[o.merchant_id] = _store_card(o.merchant, book)
        rate = cashback_rate_for(o.merchant, o.category_id, o, commissions=rows, parents=parents)
        cards.append(
            OfferCard(
                id=o.pk,
                uuid=str(o.uuid),
                title=o.title,
                description=(o.description or "")[:240],
                offer_type=o.offer_type,
                type_label={"code": "Code", "deal": "Deal", "sale": "Sale"}.get(o.offer_type, o.offer_type),
                coupon_code=o.coupon_code or "",
                is_verified=o.is_verified,
                is_exclusive=o.is_exclusive,
                is_featured=o.is_featured,
                expires_at=o.expires_at,
                cashback=rate.display,
                store=store,
            )
        )
    return cards


def with_usage(*, cards: Sequence[OfferCard]) -> list[OfferCard]:
    """The cards with today's "N used today" (one Redis read for the whole list)."""
    counts = buffers.used_today([c.id for c in cards])
    return [replace(c, used_today=counts.get(c.id, 0)) for c in cards]


def _live_count_subquery(now: datetime) -> Coalesce:
    live = (
        Offer.objects.listed(now)
        .filter(merchant=OuterRef("pk"))
        .order_by()
        .values("merchant")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(live, output_field=IntegerField()), 0)


def _cards_page(qs: QuerySet[Offer], page: int, per_page: int = PER_PAGE, extra_merchants: Iterable[int] = ()):
    """One page of offer cards plus whether there is a next page (fetches one row more instead of counting)."""
    start = (page - 1) * per_page
    rows = list(qs.select_related("merchant")[start : start + per_page + 1])
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    book = rate_book([*(o.merchant_id for o in rows), *extra_merchants])
    return offer_cards(offers=rows, book=book), has_next, book


# ---------------------------------------------------------------- home


@dataclass
class HomeData:
    featured: list[OfferCard]
    exclusive: list[OfferCard]
    ending_soon: list[OfferCard]
    top_stores: list[StoreCard]
    categories: list[CategoryNode]

    def offer_ids(self) -> list[int]:
        return [c.id for c in (*self.featured, *self.exclusive, *self.ending_soon)]


def _home_data(now: datetime) -> HomeData:
    live = offers_live(now=now).select_related("merchant")
    n = HOME_SECTION_SIZE
    # The three offer sections in one UNION ALL query, each part ordered and limited on its own:
    # 0 "Top offers" (featured first, then the ones ending soonest, so it is full on a quiet day),
    # 1 exclusives, 2 ending within ENDING_SOON.
    top = live.annotate(section=Value(0, IntegerField())).order_by(*BROWSE_ORDER)[:n]
    exclusive = (
        live.filter(is_exclusive=True)
        .annotate(section=Value(1, IntegerField()))
        .order_by("expires_at", "-merchant__priority", "id")[:n]
    )
    ending = (
        live.filter(expires_at__lte=now + ENDING_SOON)
        .annotate(section=Value(2, IntegerField()))
        .order_by("expires_at", "id")[:n]
    )
    rows = list(top.union(exclusive, ending, all=True))
    sections: dict[int, list[Offer]] = {0: [], 1: [], 2: []}
    for row in rows:
        sections[row.section].append(row)
    stores = list(
        merchants_listed()
        .filter(is_featured=True)
        .annotate(live_offers=_live_count_subquery(now))
        .order_by("-priority", "name")[:n]
    )
    book = rate_book([*(o.merchant_id for o in rows), *(s.pk for s in stores)], now=now)
    return HomeData(
        featured=offer_cards(offers=sections[0], book=book),
        exclusive=offer_cards(offers=sections[1], book=book),
        ending_soon=offer_cards(offers=sections[2], book=book),
        top_stores=[_store_card(s, book, s.live_offers) for s in stores],
        categories=category_tree().roots,
    )


def _listing_cached(key: str, build: Callable[[datetime], T], cards: Callable[[T], Iterable[OfferCard]]) -> T:
    """Page data cached in Redis per listing generation. An entry lives at most until the first of its offers
    expires (and the expiry job bumps the generation too), so it never shows an expired offer."""
    key = f"{key}:{listing_generation(max_age=PAGE_MAX_AGE)}"
    data = cache.get(key)
    if data is None:
        now = timezone.now()
        data = build(now)
        expiries = [c.expires_at for c in cards(data) if c.expires_at]
        ttl = CACHE_TTL
        if expiries:
            ttl = min(ttl, int((min(expiries) - now).total_seconds()))
        if ttl >= 1:
            cache.set(key, data, ttl)
    return data


def home_data() -> HomeData:
    """The home page sections, cached per listing generation (_listing_cached)."""
    return _listing_cached("offers:home", _home_data, lambda data: (*data.featured, *data.exclusive, *data.ending_soon))


# ---------------------------------------------------------------- stores


@dataclass
class StoresIndex:
    letters: list[tuple[str, list[StoreCard]]]

    @property
    def count(self) -> int:
        return sum(len(s) for _, s in self.letters)


def _letter(name: str) -> str:
    first = name[:1].upper()
    return first if "A" <= first <= "Z" else "#"


def stores_a_to_z() -> StoresIndex:
    """Every listed store grouped by initial, with its headline cashback and live offer count. Two queries on a
    miss; cached per listing generation."""
    key = f"offers:stores-az:{listing_generation(max_age=PAGE_MAX_AGE)}"
    data = cache.get(key)
    if data is None:
        now = timezone.now()
        stores = list(merchants_listed().annotate(live_offers=_live_count_subquery(now)).order_by("name"))
        book = rate_book((s.pk for s in stores), now=now)
        groups: dict[str, list[StoreCard]] = {}
        for s in sorted(stores, key=lambda m: m.name.casefold()):
            groups.setdefault(_letter(s.name), []).append(_store_card(s, book, s.live_offers))
        data = StoresIndex(letters=sorted(groups.items(), key=lambda kv: (kv[0] == "#", kv[0])))
        cache.set(key, data, CACHE_TTL)
    return data


@dataclass
class StorePage:
    merchant: Merchant
    rates: list[CategoryRate]
    headline: str
    offers: list[OfferCard]
    has_next: bool
    page: int
    offer_type: str
    similar: list[StoreCard]


def store_page(*, merchant: Merchant, page: int = 1, offer_type: str = "") -> StorePage:
    """A store page's offers, rates and similar stores, cached per listing generation (_listing_cached)."""
    return _listing_cached(
        f"offers:store:{merchant.pk}:{page}:{offer_type}",
        lambda now: _store_page(merchant=merchant, page=page, offer_type=offer_type, now=now),
        lambda data: data.offers,
    )


def _store_page(*, merchant: Merchant, page: int, offer_type: str, now: datetime) -> StorePage:
    qs = offers_live(now=now).filter(merchant=merchant)
    if offer_type:
        qs = qs.filter(offer_type=offer_type)
    qs = qs.order_by("-is_featured", "-is_exclusive", F("expires_at").asc(nulls_last=True), "id")
    similar_qs = (
        merchants_listed()
        .exclude(pk=merchant.pk)
        .filter(
            Exists(
                offers_live(now=now).filter(
                    merchant=OuterRef("pk"),
                    category_id__in=Subquery(
                        offers_live(now=now).filter(merchant=merchant).exclude(category=None).values("category_id")[:5]
                    ),
                )
            )
        )
        .order_by("-priority", "name")[:8]
    )
    similar = list(similar_qs)
    cards, has_next, book = _cards_page(qs, page, extra_merchants=[merchant.pk, *(s.pk for s in similar)])
    # The page's offers may be filtered by type or be a later page: the table and headline take all live ones.
    rates = book.table(merchant)
    return StorePage(
        merchant=merchant,
        rates=rates,
        headline=book.headline(merchant),
        offers=cards,
        has_next=has_next,
        page=page,
        offer_type=offer_type,
        similar=[_store_card(s, book) for s in similar],
    )


# ---------------------------------------------------------------- categories


@dataclass
class CategoryPage:
    category: CategoryNode
    ancestors: list[CategoryNode]
    children: list[CategoryNode]
    offers: list[OfferCard]
    has_next: bool
    page: int
    offer_type: str
    stores: list[StoreCard]


def category_page(*, node: CategoryNode, page: int = 1, offer_type: str = "") -> CategoryPage:
    """A category page's offers and stores, cached per listing generation (_listing_cached)."""
    return _listing_cached(
        f"offers:category:{node.id}:{page}:{offer_type}",
        lambda now: _category_page(node=node, page=page, offer_type=offer_type, now=now),
        lambda data: data.offers,
    )


def _category_page(*, node: CategoryNode, page: int, offer_type: str, now: datetime) -> CategoryPage:
    tree = category_tree()
    ids = node.descendant_ids()
    qs = offers_live(now=now).filter(category_id__in=ids)
    if offer_type:
        qs = qs.filter(offer_type=offer_type)
    qs = qs.order_by(*BROWSE_ORDER)
    stores = list(
        merchants_listed()
        .filter(Exists(offers_live(now=now).filter(merchant=OuterRef("pk"), category_id__in=ids)))
        .order_by("-priority", "name")[:12]
    )
    cards, has_next, book = _cards_page(qs, page, extra_merchants=[s.pk for s in stores])
    return CategoryPage(
        category=node,
        ancestors=tree.ancestors(node),
        children=node.children,
        offers=cards,
        has_next=has_next,
        page=page,
        offer_type=offer_type,
        stores=[_store_card(s, book) for s in stores],
    )


def categories_index() -> list[tuple[CategoryNode, int]]:
    """Top-level categories (with their children) and each one's live offer count, subtree included. Cached."""
    key = f"offers:categories:{listing_generation(max_age=PAGE_MAX_AGE)}"
    data = cache.get(key)
    if data is None:
        tree = category_tree()
        counts = dict(offers_live().exclude(category=None).order_by().values_list("category_id").annotate(n=Count("*")))
        data = [(root, sum(counts.get(i, 0) for i in root.descendant_ids())) for root in tree.roots]
        cache.set(key, data, CACHE_TTL)
    return data


# ---------------------------------------------------------------- offer page


def offer_for_page(*, offer_uuid: uuid.UUID) -> Offer | None:
    """The offer behind /offers/<uuid>/ whatever its state (deleted and expired ones get the friendly page)."""
    return (
        Offer.all_objects.select_related("merchant", "category")
        .defer("search_vector")
        .filter(uuid=offer_uuid, is_store_visit=False)
        .first()
    )


def offer_alternatives(*, merchant_id: int | None, category_id: int | None, exclude_id: int | None = None, limit=8):
    """Live offers to show beside an offer or instead of a gone one: the same store's, else the same category's,
    else featured ones. At most three queries plus the commissions, cached per listing generation."""
    return _listing_cached(
        f"offers:alternatives:{merchant_id}:{category_id}:{exclude_id}:{limit}",
        lambda now: _offer_alternatives(
            merchant_id=merchant_id, category_id=category_id, exclude_id=exclude_id, limit=limit, now=now
        ),
        lambda cards: cards,
    )


def _offer_alternatives(
    *, merchant_id: int | None, category_id: int | None, exclude_id: int | None, limit: int, now: datetime
) -> list[OfferCard]:
    live = offers_live(now=now).select_related("merchant")
    if exclude_id is not None:
        live = live.exclude(pk=exclude_id)
    rows: list[Offer] = []
    if merchant_id:
        rows = list(live.filter(merchant_id=merchant_id).order_by("-is_featured", "expires_at", "id")[:limit])
    if not rows and category_id:
        rows = list(live.filter(category_id=category_id).order_by("-is_featured", "expires_at", "id")[:limit])
    if not rows:
        rows = list(live.order_by(*BROWSE_ORDER)[:limit])
    return offer_cards(offers=rows)


# ---------------------------------------------------------------- search


@dataclass
class SearchResults:
    query: str
    stores: list[StoreCard]
    categories: list[CategoryNode]
    offers: list[OfferCard]
    has_next: bool
    page: int
    offer_type: str = ""
    category: CategoryNode | None = None
    store: Merchant | None = None
    corrected: str = ""  # the query with unknown words replaced by the known words they were matched to

    @property
    def empty(self) -> bool:
        return not (self.stores or self.categories or self.offers)


_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"[^\W\d_]{4,}")
_TOKENS = re.compile(r"[^\W_]+")


def normalise_query(*, raw: str) -> str:
    return _SPACES.sub(" ", (raw or "").replace("\x00", "")).strip()[:MAX_QUERY_LENGTH]


def _name_score(q: str):
    # The best of: whole-name similarity ("flipcart" ~ "Flipkart"), the query within the name ("myntr" in
    # "Myntra"), and the name within the query ("amazon" in "amazon echo dot").
    return Greatest(
        TrigramSimilarity("name", q),
        TrigramWordSimilarity(q, "name"),
        Func(F("name"), Value(q), function="word_similarity", output_field=FloatField()),
    )


def _name_match(q: str) -> Q:
    # Both operators are served by the pg_trgm GIN index on name.
    return Q(name__trigram_similar=q) | Q(name__trigram_word_similar=q)


# Categories matched by name (pg_trgm) or by their search keywords (English stemming), and corrections for the
# query's unknown words, in one round trip. Keywords match any one word of the query, as typed or corrected
# ("sneekers" -> sneakers -> Footwear). `%%` keeps pg_trgm's similarity threshold.
_SUGGEST_SQL = """
WITH unknown AS (
    SELECT w.input, best.word AS known, coalesce(best.score, 0) AS score
      FROM unnest(%(words)s::text[]) AS w(input)
      LEFT JOIN LATERAL (
            SELECT s.word, similarity(s.word, w.input)::float AS score
              FROM offer_search_words s
             WHERE s.word %% w.input
             ORDER BY 2 DESC, s.ndoc DESC
             LIMIT 1) best ON true
     WHERE NOT EXISTS (SELECT 1 FROM offer_search_words k WHERE k.word = w.input)
), keywords AS (
    SELECT websearch_to_tsquery('english', %(any)s || coalesce(
               (SELECT ' or ' || string_agg(known, ' or ') FROM unknown WHERE score >= %(word_min)s), '')) AS q
)
(SELECT 'category', c.id, c.name,
        GREATEST(similarity(c.name, %(q)s), word_similarity(%(q)s, c.name), word_similarity(c.name, %(q)s),
                 CASE WHEN to_tsvector('english'::regconfig, COALESCE(c.search_keywords, '')) @@ keywords.q
                      THEN %(keyword_score)s ELSE 0 END)::float
   FROM categories c, keywords
  WHERE c.deleted_at IS NULL AND c.is_active AND c.type IN ('offer', 'both')
    AND (c.name %% %(q)s OR %(q)s <%% c.name
         OR to_tsvector('english'::regconfig, COALESCE(c.search_keywords, '')) @@ keywords.q)
  ORDER BY 4 DESC, c.name
  LIMIT 6)
UNION ALL
(SELECT 'word', NULL, input || ' ' || coalesce(known, ''), score FROM unknown)
UNION ALL
SELECT 'lexemes', numnode(websearch_to_tsquery('english', %(q)s)),
       CASE WHEN EXISTS (SELECT 1 FROM offer_search_words) THEN 'words' ELSE '' END, NULL
"""


@dataclass
class _Suggestions:
    categories: list[tuple[int, float]]
    # query words no live offer uses -> the most similar word one does, or None when there is none
    corrections: dict[str, str | None]
    has_lexemes: bool  # False when the query is only stop words ("the", "off"): nothing to full-text search


def _any_word(q: str) -> str:
    """The query's words OR-ed, for keyword matching (websearch syntax; signs and quotes dropped, so that
    "-shoes" cannot turn into "everything but shoes")."""
    return " or ".join(_TOKENS.findall(q)[:12])


def _suggestions(q: str, words: list[str]) -> _Suggestions:
    params: dict[str, str | float | list[str]] = {
        "q": q,
        "words": words,
        "any": _any_word(q),
        "word_min": WORD_MATCH_MIN,
        "keyword_score": KEYWORD_SCORE,
    }
    with connection.cursor() as cur:
        cur.execute(_SUGGEST_SQL, params)
        rows = cur.fetchall()
    out = _Suggestions(categories=[], corrections={}, has_lexemes=False)
    have_word_list = False
    for kind, number, text, score in rows:
        if kind == "category":
            out.categories.append((number, score))
        elif kind == "word":
            original, _, known = text.partition(" ")
            out.corrections[original] = known if known and score >= WORD_MATCH_MIN else None
        elif kind == "lexemes":
            out.has_lexemes = bool(number)
            have_word_list = text == "words"
    if not have_word_list:  # not built yet: every word would look unknown
        out.corrections = {}
    return out


def keyword_query(q: str, corrections: dict[str, str | None]) -> SearchQuery:
    """Any word of the query, as typed or as corrected, against stores' search keywords."""
    known = [word for word in corrections.values() if word]
    return SearchQuery(" or ".join(filter(None, [_any_word(q), *known])), search_type="websearch", config="english")


def keywords_match(query: SearchQuery) -> Q:
    """Stores (or categories) whose search keywords match; served by idx_merchants_keywords."""
    return Q(keywords_vector=query)


KEYWORDS_VECTOR = SearchVector("search_keywords", config="english")  # the expression of idx_merchants_keywords


def _word_key(token: str) -> str:
    return re.sub(r"[\W\d_]", "", token.lower())


def _tsquery(q: str, corrections: dict[str, str | None]) -> SearchQuery:
    """websearch_to_tsquery of the query. With corrections, the words AND-ed: an unknown word OR-ed with the known
    word it resembles (an offer newer than the word list still matches the word as typed), an unknown word that
    resembles nothing left out (unless nothing else is left)."""
    if not corrections:
        return SearchQuery(q, search_type="websearch", config="english")
    query: SearchQuery | None = None
    tokens = q.split()
    kept = [t for t in tokens if corrections.get(_word_key(t), "") is not None] or tokens
    for token in kept:
        term = SearchQuery(token, search_type="plain", config="english")
        known = corrections.get(_word_key(token))
        if known:
            term = term | SearchQuery(known, search_type="plain", config="english")
        query = term if query is None else query & term
    assert query is not None, "corrections exist only for a query with words, so at least one term was added"
    return query


def _match_and_rank(
    q: str, *, searchable: bool, corrections: dict[str, str | None], store_ids: list[int], category_ids: list[int]
):
    """The offers a query matches (its words, or a store or category matched by name) and their rank."""
    tsquery = _tsquery(q, corrections)
    match = Q(search_vector=tsquery) if searchable else Q(pk__in=[])
    if store_ids:
        match |= Q(merchant_id__in=store_ids)
    if category_ids:
        match |= Q(category_id__in=category_ids)
    rank: Expression = SearchRank(F("search_vector"), tsquery)
    if any(corrections.values()):  # the words as typed count too: an exact match comes before a corrected one
        rank = rank + SearchRank(F("search_vector"), SearchQuery(q, search_type="websearch", config="english"))
    if store_ids:
        rank = rank + Case(When(merchant_id__in=store_ids, then=Value(0.5)), default=Value(0.0))
    if category_ids:
        rank = rank + Case(When(category_id__in=category_ids, then=Value(0.2)), default=Value(0.0))
    rank = rank + Case(When(is_featured=True, then=Value(0.05)), default=Value(0.0))
    return match, rank


def unaccented(q: str) -> str:
    """The query without accents (PostgreSQL's unaccent: "café" finds cafe); ASCII needs no round trip."""
    if q.isascii():
        return q
    with connection.cursor() as cur:
        cur.execute("SELECT unaccent(%s)", [q])
        return cur.fetchone()[0]


def stores_matching(
    q: str, *, corrections: dict[str, str | None], now: datetime, limit: int = 6
) -> list[WithAnnotations[Merchant, _StoreMatch]]:
    """Listed stores matching a query by name (pg_trgm, typo tolerant) or by their search keywords (stemmed,
    any word of the query as typed or corrected), best first, with their live offer count."""
    keywords = keyword_query(q, corrections)
    found = keywords_match(keywords)
    return [
        m
        for m in merchants_listed()
        .annotate(keywords_vector=KEYWORDS_VECTOR)
        .filter(_name_match(q) | found)
        .annotate(
            score=Greatest(_name_score(q), Case(When(found, then=Value(KEYWORD_SCORE)), default=Value(0.0))),
            live_offers=_live_count_subquery(now),
        )
        .order_by("-score", "-priority", "name")[:limit]
        if m.score >= STORE_MATCH_MIN
    ]


class _StoreMatch(TypedDict):
    """What search() annotates on the stores that match a query by name."""

    score: float
    live_offers: int


def search(
    *, raw_query: str, category_slug: str = "", store_slug: str = "", offer_type: str = "", page: int = 1
) -> SearchResults:
    """Offers, stores and categories for a query, with filters.

    Offers match by full-text search on their own text (ranked with ts_rank; query words the site has never seen
    are corrected to the most similar known word with pg_trgm, "sneekers" -> sneakers), or because their store or
    category matched the query by name (pg_trgm, typo tolerant: "flipcart" finds Flipkart). Without a query, the
    filtered offers in listing order. At most five queries (the category tree is cached)."""
    q = normalise_query(raw=raw_query)
    tree = category_tree()
    category = tree.by_slug.get(category_slug) if category_slug else None
    store = merchants_listed().filter(slug=store_slug).first() if store_slug else None
    now = timezone.now()
    stores: list[WithAnnotations[Merchant, _StoreMatch]] = []
    matched_categories: list[CategoryNode] = []
    corrections: dict[str, str | None] = {}
    searchable = False
    if q:
        q = unaccented(q)
        words = list(dict.fromkeys(w.lower() for w in _WORDS.findall(q)))[:6]
        suggested = _suggestions(q, words)
        corrections = suggested.corrections
        searchable = suggested.has_lexemes or any(corrections.values())
        if not store:
            stores = stores_matching(q, corrections=corrections, now=now)
        if not category:
            matched_categories = [
                tree.by_id[pk] for pk, score in suggested.categories if score >= STORE_MATCH_MIN and pk in tree.by_id
            ]

    live = offers_live(now=now)
    if store:
        live = live.filter(merchant=store)
    if category:
        live = live.filter(category_id__in=category.descendant_ids())
    if offer_type:
        live = live.filter(offer_type=offer_type)

    store_ids = [m.pk for m in stores[:3]]
    category_ids = [i for c in matched_categories[:2] for i in c.descendant_ids()]
    qs: QuerySet[Offer]
    if searchable or store_ids or category_ids:
        match, rank = _match_and_rank(
            q, searchable=searchable, corrections=corrections, store_ids=store_ids, category_ids=category_ids
        )
        qs = live.filter(match).annotate(rank=rank).order_by("-rank", F("expires_at").asc(nulls_last=True), "id")
    else:  # no query, or only stop words: the filtered offers in listing order
        qs = live.order_by(*BROWSE_ORDER)
    cards, has_next, book = _cards_page(qs, page, extra_merchants=[m.pk for m in stores])
    corrected = ""
    if corrections:
        corrected = " ".join(
            corrections.get(_word_key(t)) or t for t in q.split() if corrections.get(_word_key(t), "") is not None
        )
    return SearchResults(
        query=q,
        stores=[_store_card(m, book, m.live_offers) for m in stores],
        categories=matched_categories,
        offers=cards,
        has_next=has_next,
        page=page,
        offer_type=offer_type,
        category=category,
        store=store,
        corrected=corrected,
    )


def categories_for_filter() -> list[tuple[CategoryNode, int]]:
    """(node, depth) in tree order, for the search page's category filter."""
    out: list[tuple[CategoryNode, int]] = []

    def walk(nodes, depth):
        for n in nodes:
            out.append((n, depth))
            walk(n.children, depth + 1)

    walk(category_tree().roots, 0)
    return out


def category_listed_by_slug(*, slug: str) -> CategoryNode | None:
    return category_tree().by_slug.get(slug)

"""Typeahead suggestions under the search box: stores, categories and offers whose words start with what the
shopper has typed so far ("sho" -> Shoppers Stop, Footwear via its keyword "shoes", "Flat 40% off on running
shoes").

Answered from a small suggestion table held in memory: every listed store and category (name and search
keywords) and the first live offers in listing order. The table is built once per listing generation (five
queries: stores, their commissions and offers' own rules, category keywords, offers), kept in Redis for the other
processes and in this process's memory, so a suggestion costs no database query at all; only a query whose
words match nothing is retried once with its longest word corrected against the search word list (one indexed
pg_trgm query), so that "sneekers" still suggests sneakers.
"""

from __future__ import annotations

import bisect
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from catalog.cache import PAGE_MAX_AGE, listing_generation
from catalog.models import Category
from catalog.selectors import (
    CACHE_TTL,
    CategoryNode,
    CategoryTree,
    category_tree,
    merchants_listed,
)

from .selectors import BROWSE_ORDER, WORD_MATCH_MIN, normalise_query, offers_live, rate_book

TABLE_OFFERS = 3000  # the first live offers in listing order go into the table
_SLUG_PLACEHOLDER = "slug-placeholder"
_UUID_PLACEHOLDER = uuid.UUID(int=0)
LIMITS = {"store": 4, "category": 3, "offer": 5}
MAX_SCAN = 1500  # word positions looked at for the first word of a query (a one-letter prefix matches many)
BUILD_LOCK_SECONDS = 30
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "store", "category" or "offer"
    label: str
    url: str
    detail: str  # the store's headline cashback, the category's parent, the offer's store
    expires_at: datetime | None = None

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "label": self.label, "url": self.url, "detail": self.detail}


@dataclass
class SuggestionTable:
    """Entries in rank order (stores by priority, categories in display order, offers in listing order) and a
    sorted list of (word, entry index) to find the entries whose words start with a prefix."""

    entries: list[Suggestion] = field(default_factory=list)
    words_of: list[frozenset[str]] = field(default_factory=list)
    index: list[tuple[str, int]] = field(default_factory=list)

    def add(self, suggestion: Suggestion, *texts: str) -> None:
        words = frozenset(w for text in texts for w in words_in(text))
        if not words:
            return
        self.words_of.append(words)
        self.entries.append(suggestion)

    def finish(self) -> SuggestionTable:
        self.index = sorted((w, i) for i, words in enumerate(self.words_of) for w in words)
        return self

    def matching(self, tokens: list[str], now: datetime) -> list[Suggestion]:
        """Entries every token of which starts one of their words, best first, at most LIMITS per kind."""
        if not tokens:
            return []
        first, rest = tokens[0], tokens[1:]
        lo = bisect.bisect_left(self.index, (first, -1))
        candidates: set[int] = set()
        for word, i in self.index[lo : lo + MAX_SCAN]:
            if not word.startswith(first):
                break
            candidates.add(i)
        counts = dict.fromkeys(LIMITS, 0)
        out = []
        for i in sorted(candidates):
            entry = self.entries[i]
            if counts[entry.kind] >= LIMITS[entry.kind]:
                continue
            if entry.expires_at is not None and entry.expires_at <= now:
                continue
            if all(any(w.startswith(t) for w in self.words_of[i]) for t in rest):
                counts[entry.kind] += 1
                out.append(entry)
        return out


def words_in(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text or "")]


def _words(q: str) -> list[str]:
    # Longest word first: it narrows the candidates most.
    return sorted(dict.fromkeys(words_in(q)), key=len, reverse=True)[:5]


def _prefixes(words: list[str]) -> list[str]:
    # A plural also finds the singular ("pizzas" -> pizza).
    return [w[:-1] if len(w) > 4 and w.endswith("s") else w for w in words]


def _build() -> SuggestionTable:
    table = SuggestionTable()
    now = timezone.now()
    # URLs from one reverse() each and the slug put in (reverse() per entry dominated the build)
    store_url = reverse("store", args=[_SLUG_PLACEHOLDER])
    category_url = reverse("category", args=[_SLUG_PLACEHOLDER])
    stores = list(merchants_listed().order_by("-priority", "name"))
    book = rate_book((s.pk for s in stores), now=now)
    for s in stores:
        rate = book.headline(s)
        url = store_url.replace(_SLUG_PLACEHOLDER, s.slug)
        table.add(Suggestion("store", s.name, url, rate), s.name, s.search_keywords)
    tree = category_tree()
    for node, keywords in _category_keywords(tree):
        parent = tree.by_id.get(node.parent_id) if node.parent_id else None
        url = category_url.replace(_SLUG_PLACEHOLDER, node.slug)
        table.add(Suggestion("category", node.name, url, parent.name if parent else ""), node.name, keywords)
    # The first offers in listing order (featured first, then ending soonest): one scan of idx_offers_browse.
    first_offers = (
        offers_live(now=now)
        .order_by(*BROWSE_ORDER)
        .select_related("merchant")
        .only("uuid", "title", "expires_at", "is_featured", "merchant__name")[:TABLE_OFFERS]
    )
    offer_url = reverse("offer", args=[_UUID_PLACEHOLDER])
    for o in first_offers:
        url = offer_url.replace(str(_UUID_PLACEHOLDER), str(o.uuid))
        table.add(Suggestion("offer", o.title, url, o.merchant.name, o.expires_at), o.title)
    return table.finish()


def _category_keywords(tree: CategoryTree) -> list[tuple[CategoryNode, str]]:
    keywords = dict(Category.objects.filter(pk__in=list(tree.by_id)).values_list("pk", "search_keywords"))
    return [(node, keywords.get(node.id, "")) for node in tree.by_id.values()]


_memo: dict[str, SuggestionTable] = {}
_lock = threading.Lock()


def suggestion_table() -> SuggestionTable:
    """The table of the current listing generation: from this process's memory, else Redis, else built. While
    another process builds a new generation's table, this one keeps answering from its previous table (a few
    seconds at most), so that a listing change does not make every process build at once."""
    generation = listing_generation(max_age=PAGE_MAX_AGE)
    table = _memo.get(generation)
    if table is not None:
        return table
    key = f"offers:suggest:{generation}"
    table = cache.get(key)
    if table is None:
        previous = next(iter(_memo.values()), None)
        if previous is not None and not cache.add(f"{key}:building", 1, BUILD_LOCK_SECONDS):
            return previous
        table = _build()
        cache.set(key, table, CACHE_TTL)
    with _lock:
        _memo.clear()
        _memo[generation] = table
    return table


_CLOSEST_WORD_SQL = """
SELECT word FROM offer_search_words
 WHERE word %% %(word)s AND similarity(word, %(word)s) >= %(min)s
 ORDER BY similarity(word, %(word)s) DESC, ndoc DESC
 LIMIT 1
"""


def _closest_word(word: str) -> str | None:
    """The known search word most like a mistyped one (the search word list, pg_trgm GIN index)."""
    with connection.cursor() as cur:
        cur.execute(_CLOSEST_WORD_SQL, {"word": word, "min": WORD_MATCH_MIN})
        row = cur.fetchone()
    return row[0] if row else None


def suggest(*, raw_query: str) -> list[Suggestion]:
    """Up to 12 suggestions for what has been typed: stores, then categories, then offers."""
    words = _words(normalise_query(raw=raw_query))
    if not words:
        return []
    now = timezone.now()
    table = suggestion_table()
    found = table.matching(_prefixes(words), now)
    if not found and len(words[0]) >= 4:
        known = _closest_word(words[0])
        if known:
            found = table.matching(_prefixes([known, *words[1:]]), now)
    order = {"store": 0, "category": 1, "offer": 2}
    return sorted(found, key=lambda s: order[s.kind])


def forget_local() -> None:
    """Drop this process's copy (tests)."""
    with _lock:
        _memo.clear()

"""The search word list: the words live offers use, and the search keywords of stores and categories, which
search corrects unknown query words to ("sneekers" -> sneakers)."""

from __future__ import annotations

from django.db import connection, transaction

from offers.models import LISTED_OFFER_SQL

# Set-based in SQL (ts_stat over every listed offer, plus the keywords of stores and categories that are not
# deleted); the listed-offer condition is models.LISTED_OFFER_SQL, which a test ties to OfferQuerySet.listed.
_SEARCH_WORDS = f"""
INSERT INTO offer_search_words (word, ndoc)
SELECT word, sum(ndoc) FROM (
    SELECT word, ndoc FROM ts_stat($q$
        SELECT to_tsvector('simple', coalesce(o.title, '') || ' ' || coalesce(o.description, ''))
          FROM offers o JOIN merchants m ON m.id = o.merchant_id
         WHERE {LISTED_OFFER_SQL}
    $q$)
    UNION ALL
    SELECT word, ndoc FROM ts_stat($q$
        SELECT to_tsvector('simple', m.search_keywords) FROM merchants m WHERE m.deleted_at IS NULL
        UNION ALL
        SELECT to_tsvector('simple', c.search_keywords) FROM categories c WHERE c.deleted_at IS NULL
    $q$)
) found
WHERE length(word) BETWEEN 4 AND 100 AND word ~ '^[[:alpha:]]+$'
GROUP BY word
"""  # noqa: S608 - built from a constant of ours, no input in it


def search_words_refresh() -> int:
    """Rebuild the list of words used by live offers (search corrects unknown query words to them). One
    transaction: searches see the old list until it commits; concurrent runs queue on an advisory lock."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('offer_search_words'))")
        cur.execute("DELETE FROM offer_search_words")
        cur.execute(_SEARCH_WORDS)
        return cur.rowcount

"""Writes for offers, by topic: offers edited one at a time (editing), click-outs (clicks), store-visit offers,
impressions, counters and expiry, the search word list, click partitions and feed imports. The public names are
re-exported here."""

from .clicks import click_record
from .counters import COUNTER_LAG, CounterRun, offer_counters_aggregate, offers_expire
from .editing import (
    MANAGE_STORE_OFFERS,
    OfferInvalid,
    offer_create,
    offer_expire,
    offer_update,
    offers_delete,
    offers_restore,
    store_actor_require,
)
from .feeds import FeedLineError, ImportReport, offers_import_feed
from .impressions import impressions_flush, impressions_record
from .partitions import click_partitions_ensure
from .search_words import search_words_refresh
from .store_grants import StoreGrantRefused, store_grant, store_revoke
from .store_visits import STORE_VISIT_NETWORK, offer_store_visit_ensure

__all__ = [
    "COUNTER_LAG",
    "MANAGE_STORE_OFFERS",
    "STORE_VISIT_NETWORK",
    "CounterRun",
    "FeedLineError",
    "ImportReport",
    "OfferInvalid",
    "StoreGrantRefused",
    "click_partitions_ensure",
    "click_record",
    "impressions_flush",
    "impressions_record",
    "offer_counters_aggregate",
    "offer_create",
    "offer_expire",
    "offer_store_visit_ensure",
    "offer_update",
    "offers_delete",
    "offers_expire",
    "offers_import_feed",
    "offers_restore",
    "search_words_refresh",
    "store_actor_require",
    "store_grant",
    "store_revoke",
]

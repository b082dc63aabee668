"""Search latency with 100,000 offers and 2,000 stores.

    DATABASE_URL=... DATABASE_OWNER_URL=... REDIS_URL=... .venv/bin/python bench/search.py [--reload]

1. creates and migrates a database of its own (`<db>_bench_search`), loads the demo data (`seed_demo`: 70 stores,
   21 categories, 700 offers) and then generated stores and offers up to 2,000 stores and 100,000 offers (COPY;
   reused on the next run unless --reload), and ANALYZEs;
2. requests the search page in-process (the full Django stack: middleware, the request transaction, selectors,
   template) for a mix of queries (store names with and without typos, generic words, several words,
   categories, filters, deep pages, typos in offer words, nonsense, stop words), after one warm-up pass, and
   reports p50/p95/p99/max per kind and overall, and the queries per request.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import django
import psycopg
from django.utils.text import slugify

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BASE_DIR, bench_env, ensure_database, manage, percentile

TARGET_MERCHANTS = 2000
TARGET_OFFERS = 100_000

PREFIXES = [
    "Shop",
    "Buy",
    "Desi",
    "Bharat",
    "Indi",
    "Smart",
    "Urban",
    "Royal",
    "Star",
    "Fresh",
    "Happy",
    "Lucky",
    "Super",
    "Mega",
    "Prime",
    "Zen",
    "Bolt",
    "Nova",
    "Swift",
    "Bright",
    "Green",
    "Blue",
    "Golden",
    "Silver",
    "Metro",
]
SUFFIXES = [
    "kart",
    "bazaar",
    "wala",
    "mart",
    "store",
    "hub",
    "box",
    "basket",
    "cart",
    "deals",
    "zone",
    "plus",
    "world",
    "point",
    "express",
    "direct",
    "gali",
    "adda",
    "dukaan",
    "shoppe",
]
CITIES = [
    "Delhi",
    "Mumbai",
    "Pune",
    "Jaipur",
    "Chennai",
    "Kolkata",
    "Bengaluru",
    "Hyderabad",
    "Lucknow",
    "Indore",
    "Surat",
    "Kochi",
    "Nagpur",
    "Bhopal",
    "Patna",
]
PRODUCTS = [
    "shoes",
    "sneakers",
    "kurtas",
    "sarees",
    "jeans",
    "t-shirts",
    "watches",
    "mobiles",
    "laptops",
    "headphones",
    "smart TVs",
    "refrigerators",
    "mattresses",
    "sofas",
    "lipsticks",
    "face wash",
    "perfumes",
    "pizza",
    "biryani",
    "groceries",
    "fruits",
    "flights",
    "hotels",
    "bus tickets",
    "movie tickets",
    "medicines",
    "lab tests",
    "toys",
    "diapers",
    "books",
    "courses",
    "gold coins",
    "earrings",
    "sunglasses",
    "backpacks",
    "protein",
    "yoga mats",
]
TEMPLATES = [
    ("code", "Flat {n}% off on {p} at {m}"),
    ("code", "Extra ₹{r} off on {p} above ₹{q}"),
    ("code", "{m}: {n}% off on {p} with HDFC Bank cards"),
    ("deal", "{m} end of season sale: up to {n}% off on {p}"),
    ("deal", "Buy 2 get 1 free on {p} at {m}"),
    ("deal", "New arrivals: {p} from ₹{r}"),
    ("sale", "{m} Big Savings Days: up to {n}% off"),
    ("sale", "Weekend sale on {p}: extra {n}% off"),
    ("code", "First order? ₹{r} off on {p}"),
    ("deal", "Free delivery on {p} at {m}"),
]
PHRASES = [
    "Valid on selected products.",
    "New users only.",
    "Not valid with other offers.",
    "Minimum order value applies.",
    "Limited period offer.",
    "Valid on app and website.",
    "Cashback credited within 72 hours.",
]

QUERIES = [
    ("store", {"q": "amazon"}),
    ("store", {"q": "flipkart"}),
    ("store", {"q": "myntra"}),
    ("store", {"q": "swiggy"}),
    ("store", {"q": "desikart"}),
    ("store", {"q": "urbanbazaar pune"}),
    ("store typo", {"q": "flipcart"}),
    ("store typo", {"q": "myntr"}),
    ("store typo", {"q": "amzon"}),
    ("store typo", {"q": "swigy"}),
    ("store typo", {"q": "nykka"}),
    ("store typo", {"q": "makemytrp"}),
    ("word", {"q": "shoes"}),
    ("word", {"q": "sale"}),
    ("word", {"q": "mobiles"}),
    ("word", {"q": "laptop"}),
    ("word", {"q": "pizza"}),
    ("word", {"q": "flights"}),
    ("word", {"q": "cashback"}),
    ("word", {"q": "off"}),
    ("words", {"q": "running shoes"}),
    ("words", {"q": "amazon echo dot"}),
    ("words", {"q": "first order"}),
    ("words", {"q": "hdfc bank cards"}),
    ("words", {"q": "buy 2 get 1 free"}),
    ("words", {"q": "free delivery"}),
    ("category", {"q": "electronics"}),
    ("category", {"q": "fashon"}),
    ("category", {"q": "beauty"}),
    ("category", {"q": "travel"}),
    ("filters", {"q": "shoes", "category": "footwear"}),
    ("filters", {"category": "electronics"}),
    ("filters", {"q": "sale", "type": "sale"}),
    ("filters", {"store": "amazon"}),
    ("filters", {"q": "kurtas", "category": "fashion", "type": "code"}),
    ("pages", {"q": "laptops", "page": "2"}),
    ("pages", {"q": "off", "page": "5"}),
    ("pages", {"page": "10"}),
    ("word typo", {"q": "sneekers"}),
    ("word typo", {"q": "biriyani"}),
    ("word typo", {"q": "matresses"}),
    ("word typo", {"q": "runing shoes"}),
    ("no match", {"q": "zzqqxx"}),
    ("no match", {"q": "qwertyuiop"}),
    ("stop words", {"q": "the"}),
]


def _names(rng: random.Random, n: int, taken: set[str]) -> list[str]:
    out = []
    for p in PREFIXES:
        for s in SUFFIXES:
            out.append(p + s)
    rng.shuffle(out)
    while len(out) < n * 2:
        out.append(f"{rng.choice(PREFIXES)}{rng.choice(SUFFIXES)} {rng.choice(CITIES)} {rng.randint(1, 99)}")
    unique = []
    for name in out:
        if name.lower() not in taken:
            taken.add(name.lower())
            unique.append(name)
        if len(unique) == n:
            break
    return unique


def load(env: dict[str, str]) -> None:
    rng = random.Random(2026)
    now = datetime.now(UTC)
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        offers = conn.execute("SELECT count(*) FROM offers").fetchone()[0]
        merchants = conn.execute("SELECT count(*) FROM merchants").fetchone()[0]
        if offers >= TARGET_OFFERS and merchants >= TARGET_MERCHANTS:
            print(f"data already loaded: {merchants} stores, {offers} offers", flush=True)
            return
        categories = [r[0] for r in conn.execute("SELECT id FROM categories")]
        taken = {r[0].lower() for r in conn.execute("SELECT name FROM merchants")}
        names = _names(rng, TARGET_MERCHANTS - merchants, taken)
        print(f"loading {len(names)} stores", flush=True)
        with conn.cursor().copy(
            "COPY merchants (name, slug, description, website_url, logo_url, affiliate_network, affiliate_id, "
            "tracking_url_template, default_cashback_type, default_cashback_value, is_active, is_featured, priority, "
            "seo_title, seo_description, validation_days, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i, name in enumerate(names):
                slug = f"{slugify(name)}-{i}"
                pct = rng.random() < 0.75
                copy.write_row(
                    (
                        name,
                        slug,
                        f"Shop at {name} with CouponAli.",
                        f"https://www.{slug}.example.in/",
                        None,
                        rng.choice(["admitad", "vcommission", "cuelinks"]),
                        f"ca-{i:05d}",
                        "https://track.example.net/c?aff={affiliate_id}&sub={click_id}&url={url}",
                        "percentage" if pct else "fixed",
                        round(rng.uniform(1, 15), 2) if pct else rng.choice([25, 50, 100]),
                        rng.random() < 0.95,
                        rng.random() < 0.03,
                        rng.randint(0, 100),
                        f"{name} coupons",
                        f"{name} coupon codes and cashback",
                        60,
                        now,
                        now,
                    )
                )
        stores = [(r[0], r[1]) for r in conn.execute("SELECT id, name FROM merchants")]
        with conn.cursor().copy(
            "COPY merchant_commissions (merchant_id, category_id, commission_type, commission_value, "
            "cashback_percentage, created_at) FROM STDIN"
        ) as copy:
            for merchant_id, _ in stores[-len(names) :]:
                for category_id in rng.sample(categories, 2):
                    copy.write_row((merchant_id, category_id, "percentage", round(rng.uniform(2, 20), 2), 70, now))
        todo = TARGET_OFFERS - offers
        print(f"loading {todo} offers", flush=True)
        weights = [1 / (k + 1) ** 0.6 for k in range(len(stores))]
        with conn.cursor().copy(
            "COPY offers (uuid, merchant_id, category_id, title, description, offer_type, coupon_code, cashback_type, "
            "cashback_value, max_cashback, affiliate_url, terms_conditions, starts_at, expires_at, is_exclusive, "
            "is_verified, is_featured, views_count, clicks_count, conversion_count, network, network_offer_id, "
            "is_store_visit, created_at, updated_at) FROM STDIN"
        ) as copy:
            for n, (merchant_id, store) in enumerate(rng.choices(stores, weights=weights, k=todo)):
                kind, pattern = rng.choice(TEMPLATES)
                title = pattern.format(
                    m=store,
                    p=rng.choice(PRODUCTS),
                    n=rng.choice([10, 15, 20, 25, 30, 40, 50, 60, 70, 80]),
                    r=rng.choice([100, 150, 200, 250, 300, 500]),
                    q=rng.choice([499, 999, 1499, 1999]),
                )[:255]
                roll = rng.random()
                expires = (
                    None
                    if roll < 0.1
                    else now + timedelta(days=rng.randint(-30, -1) if roll < 0.25 else rng.randint(1, 120))
                )
                ctype = rng.choice(["percentage", "fixed", None])
                copy.write_row(
                    (
                        uuid.uuid4(),
                        merchant_id,
                        rng.choice(categories),
                        title,
                        f"{title}. {' '.join(rng.sample(PHRASES, 2))}",
                        kind,
                        f"SAVE{rng.randint(100, 9999)}" if kind == "code" else None,
                        ctype,
                        round(rng.uniform(2, 12), 2)
                        if ctype == "percentage"
                        else (rng.choice([25, 50, 100, 150]) if ctype else None),
                        rng.choice([None, 200, 500]) if ctype == "percentage" else None,
                        f"https://aff.example.net/{n}",
                        "One use per user.",
                        now - timedelta(days=rng.randint(1, 60)),
                        expires,
                        rng.random() < 0.05,
                        rng.random() < 0.6,
                        rng.random() < 0.02,
                        0,
                        0,
                        0,
                        "bench",
                        f"bench-{n}",
                        False,
                        now,
                        now,
                    )
                )
    with psycopg.connect(env["DATABASE_OWNER_URL"], autocommit=True) as conn:
        conn.execute("ANALYZE")
    print("loaded and analyzed", flush=True)


def measure(env: dict[str, str], rounds: int) -> dict:
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    django.setup()
    from django.conf import settings  # noqa: PLC0415 - settings come from this script's environment
    from django.db import connection  # noqa: PLC0415 - settings come from this script's environment
    from django.test import Client  # noqa: PLC0415 - settings come from this script's environment
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415 - settings come from this script's environment

    settings.ALLOWED_HOSTS = ["*"]
    from offers.services import search_words_refresh  # noqa: PLC0415 - imported once Django is set up

    start = time.perf_counter()
    words = search_words_refresh()
    print(f"search word list rebuilt: {words} words in {time.perf_counter() - start:.2f} s", flush=True)
    client = Client()
    counts = {}
    for _kind, params in QUERIES:  # warm-up pass: connections, the cached category tree, PostgreSQL's caches
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/search/", params)
        assert response.status_code == 200, (params, response.status_code)
        counts[str(params)] = len(ctx.captured_queries)
    timings: dict[str, list[float]] = {}
    for _ in range(rounds):
        for kind, params in QUERIES:
            start = time.perf_counter()
            response = client.get("/search/", params)
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 200
            timings.setdefault(kind, []).append(elapsed)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM offers")
        offers = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM merchants")
        merchants = cur.fetchone()[0]
    return {"offers": offers, "merchants": merchants, "timings": timings, "queries": counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=8, help="timed passes over the query mix")
    parser.add_argument("--reload", action="store_true", help="drop the benchmark database and load it again")
    args = parser.parse_args()
    env = bench_env("search")
    env["LOG_LEVEL"] = "WARNING"
    created = ensure_database(env, fresh=args.reload)
    print(f"database {env['BENCH_DB_NAME']} ({'created' if created else 'reused'})", flush=True)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--quiet-logins")
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    load(env)
    result = measure(env, args.rounds)
    everything = [t for ts in result["timings"].values() for t in ts]
    out = io.StringIO()
    out.write(f"{result['merchants']} stores, {result['offers']} offers; {len(everything)} timed requests\n\n")
    out.write("| kind | requests | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|\n")
    for kind, ts in [*result["timings"].items(), ("all", everything)]:
        out.write(
            f"| {kind} | {len(ts)} | {percentile(ts, 50):.1f} ms | {percentile(ts, 95):.1f} ms | "
            f"{percentile(ts, 99):.1f} ms | {max(ts):.1f} ms |\n"
        )
    queries = list(result["queries"].values())
    out.write(
        f"\nqueries per request (incl. the request transaction's own): max {max(queries)}, "
        f"median {statistics.median(queries)}\n"
    )
    print(out.getvalue())


if __name__ == "__main__":
    main()

"""Typeahead latency (GET /search/suggest/?q=) with 100,000 offers and 2,000 stores (issue 15: p95 < 20 ms).

    DATABASE_URL=... DATABASE_OWNER_URL=... REDIS_URL=... .venv/bin/python bench/suggest.py [--rounds 3]

Uses the database of bench/search.py (`<db>_bench_search`: the demo data plus generated stores and offers up to
2,000 and 100,000; loaded by bench/search.py's loader when missing, reused otherwise), rebuilds the search word
list, then requests the endpoint in-process through the whole Django stack (middleware, URL resolving, view,
JSON) as a shopper who is not signed in:

- the suggestion table's build, timed once (it happens once per listing generation, in one process; the other
  processes read it from Redis);
- every prefix of a list of everyday words, store names and typos ("s", "sh", "sho", ... "sneek", "flipc"), each
  asked for the first time: computed from the table (a page cache miss);
- the same again: served by the page cache (as a second shopper typing the same letters is);
- the same after a listing change (a new generation: the table is rebuilt by the first request, which is
  reported on its own, and every query computed again).
Prints p50/p95/p99/max per kind and the database queries per request.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BASE_DIR, bench_env, ensure_database, manage, percentile
from search import load

WORDS = [
    "shoes",
    "pizza",
    "iphone",
    "sneakers",
    "recharge",
    "flipkart",
    "myntra",
    "amazon",
    "kurtas",
    "laptop",
    "flights",
    "hotels",
    "biryani",
    "electronics",
    "mobile recharge",
    "running shoes",
    "smart tv",
    "bigbasket",
    "sale",
    "cashback",
]
TYPOS = ["sneekers", "flipcart", "recharg", "iphon", "piza", "laptp", "myntr", "shoos"]


def queries() -> list[str]:
    out: list[str] = []
    for word in WORDS:
        out.extend(word[:n] for n in range(1, len(word) + 1))
    out.extend(TYPOS)
    return list(dict.fromkeys(out))


def measure(env: dict[str, str], rounds: int) -> dict:
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    django.setup()
    from django.conf import settings  # noqa: PLC0415 - settings come from this script's environment
    from django.db import connection  # noqa: PLC0415 - settings come from this script's environment
    from django.test import Client  # noqa: PLC0415 - settings come from this script's environment
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415 - settings come from this script's environment

    settings.ALLOWED_HOSTS = ["*"]
    from catalog.cache import listing_changed  # noqa: PLC0415 - in autocommit: a new generation at once
    from offers import pagecache, suggestions  # noqa: PLC0415 - imported once Django is set up
    from offers.services import search_words_refresh  # noqa: PLC0415 - imported once Django is set up

    print(f"search word list rebuilt: {search_words_refresh()} words", flush=True)
    client = Client()
    timings: dict[str, list[float]] = {}
    counts: list[int] = []
    found = 0
    qs = queries()

    def ask(kind: str, q: str) -> None:
        nonlocal found
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get("/search/suggest/", {"q": q})
            elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (q, response.status_code)
        found += bool(response.json()["suggestions"])
        timings.setdefault(kind, []).append(elapsed)
        counts.append(len(ctx.captured_queries))

    for n in range(rounds):
        listing_changed()
        suggestions.forget_local()
        pagecache.forget_local()
        start = time.perf_counter()
        suggestions.suggestion_table()
        timings.setdefault("table build (once per listing generation)", []).append((time.perf_counter() - start) * 1000)
        if n == 0:  # the first build also warmed PostgreSQL's caches; the later ones are the steady state
            listing_changed()
            suggestions.forget_local()
            suggestions.suggestion_table()
        for q in qs:
            ask("first time (computed)", q)
        for q in qs:
            ask("again (page cache)", q)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM offers")
        offers = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM merchants")
        merchants = cur.fetchone()[0]
    table = suggestions.suggestion_table()
    return {
        "offers": offers,
        "merchants": merchants,
        "entries": len(table.entries),
        "timings": timings,
        "queries": counts,
        "answered": found,
        "asked": len(qs) * 2 * rounds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the query list, each on a new generation")
    parser.add_argument("--reload", action="store_true", help="drop the benchmark database and load it again")
    args = parser.parse_args()
    env = bench_env("search")
    env["LOG_LEVEL"] = "WARNING"
    created = ensure_database(env, fresh=args.reload)
    print(f"database {env['BENCH_DB_NAME']} ({'created' if created else 'reused'})", flush=True)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--quiet-logins")
    os.environ.update(env)
    load(env)
    result = measure(env, args.rounds)
    print(
        f"\n{result['merchants']} stores, {result['offers']} offers; suggestion table of {result['entries']} "
        f"entries; {result['answered']} of {result['asked']} requests had suggestions; load average "
        f"{os.getloadavg()[0]:.1f}\n"
    )
    print("| kind | requests | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|")
    for kind, ts in result["timings"].items():
        print(
            f"| {kind} | {len(ts)} | {percentile(ts, 50):.2f} ms | {percentile(ts, 95):.2f} ms | "
            f"{percentile(ts, 99):.2f} ms | {max(ts):.2f} ms |"
        )
    counts = result["queries"]
    print(f"\ndatabase queries per request: max {max(counts)}, median {statistics.median(counts)}")


if __name__ == "__main__":
    main()

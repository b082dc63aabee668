"""The offers list of the API beside the HTML store page: requests per second at 16 clients, served the way
`make run` serves the site.

    DATABASE_URL=... DATABASE_OWNER_URL=... REDIS_URL=... .venv/bin/python bench/api_offers.py [--seconds 15]

What it does:
1. creates and migrates a database of its own (`<db>_bench_api`) and loads the demo data (`seed_demo`: 70 stores,
   700 offers);
2. starts gunicorn exactly as `make run` does (gunicorn.conf.py, WEB_CONCURRENCY workers) with the development
   settings; the API's per-address throttle is raised for the run (all load comes from 127.0.0.1), the
   throttle itself still runs (one Redis round trip per request);
3. runs wrk (Debian's `wrk`, 16 connections) on loopback, in turn for --rounds rounds, against:
   - `api_offers`: GET /api/v1/offers/ (the first cursor page, 50 offers, JSON),
   - `api_offers_store`: GET /api/v1/offers/?store=<slug> rotating over 20 stores (a filtered page),
   - `store_page`: GET /stores/<slug>/ rotating over the same 20 stores (the HTML page, 24 offers);
   and reports requests/s and latency (p50/p99) of each, the median over the rounds.
Prints a Markdown table (and --json FILE writes the raw figures).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clickout import start_gunicorn, wrk
from common import bench_env, ensure_database, manage

from devtools import processes  # importable once common has put the checkout on sys.path

CLIENTS = 16


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15, help="length of one wrk run (default 15)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every variant (default 3)")
    parser.add_argument("--port", type=int, default=8791, help="loopback port of the server (default 8791)")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--fresh", action="store_true", help="re-create the benchmark database")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    return parser.parse_args()


def prepare(env: dict[str, str], *, fresh: bool) -> list[str]:
    created = ensure_database(env, fresh=fresh)
    print(f"database {env['BENCH_DB_NAME']} ({'created' if created else 'reused'}); migrating and seeding", flush=True)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--quiet-logins")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        rows = conn.execute(
            "SELECT m.slug FROM merchants m WHERE m.is_active AND m.deleted_at IS NULL AND EXISTS "
            "(SELECT 1 FROM offers o WHERE o.merchant_id = m.id AND o.deleted_at IS NULL) ORDER BY m.id LIMIT 20"
        ).fetchall()
    return [r[0] for r in rows]


def path_file(paths: list[str]) -> Path:
    file = Path(tempfile.mkstemp(prefix="bench-api-", suffix=".txt")[1])
    file.write_text("\n".join(paths) + "\n")
    return file


def main() -> None:
    args = arguments()
    env = bench_env("api")
    env.update(API_RATE_LIMIT_ANON="100000000/minute", GUNICORN_LOG_LEVEL="warning", LOG_LEVEL="WARNING")
    slugs = prepare(env, fresh=args.fresh)
    files = {
        "api_offers": None,
        "api_offers_store": path_file([f"/api/v1/offers/?store={s}" for s in slugs]),
        "store_page": path_file([f"/stores/{s}/" for s in slugs]),
    }
    first = {"api_offers": "/api/v1/offers/", "api_offers_store": "/api/v1/offers/", "store_page": "/stores/"}
    workers = args.workers or int(env.get("WEB_CONCURRENCY", "0") or 0) or max(2, 2 * (os.cpu_count() or 1))
    base = f"http://127.0.0.1:{args.port}"
    results: dict[str, list[dict]] = {k: [] for k in files}
    server = start_gunicorn(env, args.port, workers)
    try:
        for kind, file in files.items():  # warm-up: caches, pools, the category tree
            wrk(base + first[kind], seconds=3, connections=CLIENTS, threads=2, paths=file)
        for _ in range(args.rounds):
            for kind, file in files.items():
                run = wrk(base + first[kind], seconds=args.seconds, connections=CLIENTS, threads=2, paths=file)
                bad = sum(n for status, n in run["status"].items() if status != 200)
                if bad:
                    raise SystemExit(f"{kind}: {bad} answers were not 200: {run['status']}")
                results[kind].append(run)
    finally:
        processes.stop(server)
        for file in files.values():
            if file is not None:
                file.unlink(missing_ok=True)
    print(f"\n{CLIENTS} clients, {workers} gunicorn workers, {args.rounds} rounds of {args.seconds} s (median)\n")
    print("| endpoint | requests/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    for kind, runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        p50 = statistics.median(r["latency_us"]["p50"] for r in runs) / 1000
        p99 = statistics.median(r["latency_us"]["p99"] for r in runs) / 1000
        print(f"| {kind} | {rps:.0f} | {p50:.1f} | {p99:.1f} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

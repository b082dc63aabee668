#!/usr/bin/env python
"""Gift-card orders placed per second (issue 11): 16 concurrent clients placing orders through
orders.services.checkout.order_place(), each order its own transaction in the shopper's row-level-security
scope like the checkout request (wallet part posted, stock reserved, order number drawn, order, item, payment
and audit rows written), on

  * one hot variant (every order reserves the same inventory row: the row lock serialises them), and
  * distinct variants (each client buys its own variant: no shared stock row).

The two scenarios alternate round by round. reconcile_wallets (with the store's checks) must be clean at the
end, and the hot variant's reserved count must equal the units of the orders placed on it.

Usage (DATABASE_URL / DATABASE_OWNER_URL / REDIS_URL of a server, or none: the embedded ones are started):
    .venv/bin/python bench/orders_bench.py [--seconds 10] [--rounds 3] [--clients 16] [--processes 2]
It creates and migrates the scratch database <name>_bench_orders (re-created on every run).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def django_setup() -> None:
    import django  # noqa: PLC0415 - the script sets DJANGO_SETTINGS_MODULE first

    django.setup()


def _client(seconds: float, user_id: int, variant_id: int) -> tuple[int, list[float]]:
    from accounts.models import User  # noqa: PLC0415 - after django.setup() in this process
    from couponali import rls  # noqa: PLC0415 - after django.setup() in this process
    from orders.services import checkout  # noqa: PLC0415 - after django.setup() in this process

    user = User.objects.get(pk=user_id)
    placed, latencies = 0, []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        with rls.scope(user_id=user_id):
            checkout.order_place(
                user=user,
                lines={variant_id: 1},
                email="bench@example.in",
                use_wallet=True,
                wallet_amount=Decimal("10.00"),
            )
        latencies.append(time.monotonic() - started)
        placed += 1
    return placed, latencies


def _process(seconds: float, pairs: list[tuple[int, int]]) -> tuple[int, list[float]]:
    """A worker process with one thread (and one connection) per client, like a gunicorn worker."""
    django_setup()
    from django.db import connections  # noqa: PLC0415 - after django.setup() in this process

    results: list[tuple[int, list[float]]] = []

    def run(user_id: int, variant_id: int) -> None:
        try:
            results.append(_client(seconds, user_id, variant_id))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(r[0] for r in results), [x for r in results for x in r[1]]


def setup(clients: int) -> dict:
    django_setup()
    from accounts.factories import UserFactory  # noqa: PLC0415 - after django.setup() in this process
    from catalog.factories import ProductFactory, ProductVariantFactory  # noqa: PLC0415 - after django.setup() in this process
    from couponali import rls  # noqa: PLC0415 - after django.setup() in this process
    from wallet import services as wallet_services  # noqa: PLC0415 - after django.setup() in this process
    from wallet.models import WalletTransaction  # noqa: PLC0415 - after django.setup() in this process

    tag = os.urandom(3).hex()
    users = [UserFactory(email=f"bench-{tag}-{i}@example.in") for i in range(clients)]
    with rls.bypass(reason="bench opening balances"):
        for user in users:
            wallet_services.wallet_post(
                user_id=user.pk, amount=Decimal("1000000.00"), type=WalletTransaction.Type.ADMIN_CREDIT
            )
    hot_product = ProductFactory(name=f"Hot card {tag}", slug=f"hot-{tag}", sku=f"HOT{tag}")
    hot = ProductVariantFactory(product=hot_product, selling_price=Decimal("485"), stock_quantity=10_000_000)
    distinct = []
    for i in range(clients):
        product = ProductFactory(name=f"Card {tag} {i}", slug=f"card-{tag}-{i}", sku=f"C{tag}{i}")
        distinct.append(
            ProductVariantFactory(product=product, selling_price=Decimal("485"), stock_quantity=10_000_000).pk
        )
    return {"users": [u.pk for u in users], "hot": hot.pk, "distinct": distinct}


def check(hot_variant: int) -> None:
    django_setup()
    from django.db import connection  # noqa: PLC0415 - after django.setup() in this process

    from couponali import rls  # noqa: PLC0415 - after django.setup() in this process
    from wallet.reconcile import wallet_reconcile  # noqa: PLC0415 - after django.setup() in this process

    with rls.bypass(reason="bench reconcile"):
        problems, _ = wallet_reconcile()
    with connection.cursor() as cur:
        cur.execute("SELECT reserved FROM inventory WHERE variant_id = %s", [hot_variant])
        reserved = cur.fetchone()[0]
        cur.execute("SELECT coalesce(sum(quantity), 0) FROM order_items WHERE variant_id = %s", [hot_variant])
        units = cur.fetchone()[0]
    print(f"CHECK reconcile_problems={len(problems)} hot_reserved={reserved} hot_units_ordered={units}")
    for line in problems[:10]:
        print("  ", line)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        from devtools import embedded  # noqa: PLC0415 - after the service URLs are in the environment

        app, owner = embedded.ensure_postgres()
        os.environ.setdefault("DATABASE_URL", app)
        os.environ.setdefault("DATABASE_OWNER_URL", owner)
        os.environ.setdefault("REDIS_URL", embedded.ensure_redis())
    from bench.common import bench_env, ensure_database, manage  # noqa: PLC0415 - after the service URLs are in the environment

    env = bench_env("orders")
    ensure_database(env, fresh=True)
    manage(env, "migrate", "-v", "0")
    os.environ.update(env)  # the spawned processes inherit the benchmark database

    ctx = get_context("spawn")
    procs = max(1, min(args.processes, args.clients))
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as one:
        data = one.submit(setup, args.clients).result()
    pairs_hot = [(u, data["hot"]) for u in data["users"]]
    pairs_distinct = list(zip(data["users"], data["distinct"], strict=True))

    def split(pairs):
        return [pairs[i::procs] for i in range(procs)]

    totals: dict[str, list[float]] = {"hot": [], "distinct": []}
    with ProcessPoolExecutor(max_workers=procs, mp_context=ctx) as pool:
        list(pool.map(_process, [0.5] * procs, split(pairs_distinct)))  # warm-up: imports and connections
        for n in range(args.rounds):
            for name, pairs in (("hot", pairs_hot), ("distinct", pairs_distinct)):
                started = time.monotonic()
                results = list(pool.map(_process, [args.seconds] * procs, split(pairs)))
                elapsed = time.monotonic() - started
                placed = sum(r[0] for r in results)
                lat = [x for r in results for x in r[1]]
                rate = placed / elapsed
                totals[name].append(rate)
                print(
                    f"ROUND {n + 1} {name:8s} orders_per_s={rate:6.0f} placed={placed} "
                    f"p50_ms={percentile(lat, 50) * 1000:.1f} p95_ms={percentile(lat, 95) * 1000:.1f} "
                    f"clients={args.clients} processes={procs}"
                )
    for name, rates in totals.items():
        rates.sort()
        print(f"RESULT {name} median_orders_per_s={rates[len(rates) // 2]:.0f} rounds={[round(r) for r in rates]}")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as one:
        one.submit(check, data["hot"]).result()


if __name__ == "__main__":
    main()

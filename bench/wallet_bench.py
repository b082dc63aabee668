#!/usr/bin/env python
"""Wallet benchmarks (issue 5), each printed beside its baseline, in one run, on one scratch database.

1. Ledger postings per second through wallet.services.wallet_post() with 16 concurrent clients (separate
   processes, each posting in its own transaction inside a shopper's row-level-security scope, like a
   request), beside pgbench's TPC-B with 16 clients on the same database in the same run.
2. 100,000 pending cashback events confirmed (credits posted, users notified) by the Celery job
   wallet.auto_confirm_cashback running in a real worker, beside the one-transaction-per-event path
   (cashback_confirm) measured on a sample and extrapolated.

reconcile_wallets runs after each part and must be clean.

Usage (with the worktree's DATABASE_URL / DATABASE_OWNER_URL / REDIS_URL exported):
    .venv/bin/python bench/wallet_bench.py [--seconds 15] [--events 100000] [--keep]
It creates the database <name>_bench (dropped afterwards unless --keep), migrates it, and runs pgbench as the
owner role (pgbench tables are created there and dropped with the database).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def bench_env(args) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": with_db(os.environ["DATABASE_URL"], args.db),
        "DATABASE_OWNER_URL": with_db(os.environ["DATABASE_OWNER_URL"], args.db),
        "DJANGO_SETTINGS_MODULE": "couponali.settings.development",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }


# ---------------------------------------------------------------- child side (Django set up)


def django_setup(pool: bool = False):
    sys.path.insert(0, str(ROOT))
    from django.conf import settings

    if not pool:
        settings.DATABASES["default"]["OPTIONS"].pop("pool", None)  # one plain connection per process
    import django

    django.setup()


def _ledger_client(seconds: float, user_ids: list[int], seed: int) -> tuple[int, int]:
    """One client: post for ``seconds``, each posting its own transaction in the shopper's RLS scope."""
    from couponali import rls
    from wallet.models import WalletTransaction
    from wallet.services import InsufficientBalance, wallet_post

    rng = random.Random(seed)
    posted = refused = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        user_id = rng.choice(user_ids)
        # A shop-like mix: more and larger credits than debits, so few debits are refused for lack of
        # balance (refusals are counted apart; they cost a lock and a rollback, not a posting).
        credit = rng.random() < 0.6
        amount = Decimal(rng.randint(1, 20000 if credit else 5000)) / 100
        try:
            with rls.scope(user_id=user_id):
                wallet_post(
                    user_id=user_id,
                    amount=amount if credit else -amount,
                    type=WalletTransaction.Type.ADMIN_CREDIT if credit else WalletTransaction.Type.ADMIN_DEBIT,
                )
            posted += 1
        except InsufficientBalance:
            refused += 1
    return posted, refused


def _ledger_process(threads: int, seconds: float, user_ids: list[int], seed: int) -> tuple[int, int]:
    """A worker process with ``threads`` clients, each with its own database connection (like a gunicorn
    worker with threads)."""
    import threading

    django_setup()
    from django.db import connections

    results: list[tuple[int, int]] = []

    def client(i: int) -> None:
        try:
            results.append(_ledger_client(seconds, user_ids, seed * 1000 + i))
        finally:
            connections.close_all()

    pool = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(r[0] for r in results), sum(r[1] for r in results)


def phase_ledger(args) -> None:
    django_setup()
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from django.db import connection

    tag = os.urandom(3).hex()
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO users (is_superuser, email, referral_code, created_at, updated_at) "
            "SELECT false, 'ledger-' || g || '-' || %s || '@example.in', 'L' || %s || '-' || g, now(), now() "
            "FROM generate_series(1, %s) g RETURNING id",
            [tag, tag, args.users],
        )
        user_ids = [r[0] for r in cur.fetchall()]
    # opening balances, through the service like everything else (not timed)
    from couponali import rls
    from wallet.models import WalletTransaction
    from wallet.services import wallet_post

    with rls.bypass(reason="bench opening balances"):
        for user_id in user_ids:
            wallet_post(user_id=user_id, amount=Decimal("500.00"), type=WalletTransaction.Type.ADMIN_CREDIT)
    connection.close()
    procs = max(1, min(args.processes, args.clients))
    threads = [args.clients // procs + (1 if i < args.clients % procs else 0) for i in range(procs)]
    with ProcessPoolExecutor(max_workers=procs, mp_context=get_context("spawn")) as pool:
        # warm-up: start the processes, import Django and open the connections before the clock starts
        list(pool.map(_ledger_process, threads, [0.5] * procs, [user_ids] * procs, range(procs)))
        started = time.monotonic()
        results = list(
            pool.map(_ledger_process, threads, [args.seconds] * procs, [user_ids] * procs, range(100, 100 + procs))
        )
        elapsed = time.monotonic() - started
    posted = sum(r[0] for r in results)
    refused = sum(r[1] for r in results)
    print(
        f"RESULT ledger_postings_per_s={posted / elapsed:.0f} posted={posted} refused={refused} "
        f"seconds={elapsed:.1f} clients={args.clients} processes={procs}"
    )


def phase_autoconfirm(args) -> None:
    django_setup(pool=True)
    from django.db import connection

    from accounts.authz import SYSTEM
    from couponali import rls
    from devtools import processes
    from devtools.testing import process_env
    from wallet import services, tasks
    from wallet.testing import pending_events_create

    # baseline: one transaction per event (the staff path), on a sample
    with rls.bypass(reason="bench baseline"):
        sample = pending_events_create(users=args.sample, per_user=1)
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM cashback_events WHERE user_id = ANY(%s) ORDER BY id", [sample["user_ids"]])
        sample_ids = [r[0] for r in cur.fetchall()]
    started = time.monotonic()
    for event_id in sample_ids:
        with rls.bypass(reason="bench baseline"):
            services.cashback_confirm(event_id=event_id, actor=SYSTEM, source="bench")
    per_event = (time.monotonic() - started) / len(sample_ids)

    with rls.bypass(reason="bench setup"):
        pending_events_create(users=args.events // 5, per_user=5)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
        cur.execute("SELECT count(*) FROM cashback_events WHERE status = 'pending'")
        pending = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM notifications")
        notes_before = cur.fetchone()[0]
    connection.close()

    from couponali.celery import app

    env = process_env()
    env.update({k: os.environ[k] for k in ("DATABASE_URL", "DATABASE_OWNER_URL")})
    env["DJANGO_SETTINGS_MODULE"] = "couponali.settings.development"
    hostname = f"bench-{os.getpid()}@localhost"
    worker = processes.start(
        [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "couponali",
            "worker",
            "-l",
            "warning",
            "-P",
            "solo",
            "-n",
            hostname,
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (app.control.ping(destination=[hostname], timeout=0.5) or []):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit("the Celery worker did not start")
        started = time.monotonic()
        confirmed = tasks.auto_confirm_cashback.delay().get(timeout=600)
        elapsed = time.monotonic() - started
    finally:
        processes.stop(worker, timeout=30)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM notifications")
        notified = cur.fetchone()[0] - notes_before
        cur.execute("SELECT count(*) FROM cashback_events WHERE status = 'pending'")
        left = cur.fetchone()[0]
    print(
        f"RESULT autoconfirm_seconds={elapsed:.1f} confirmed={confirmed} pending_before={pending} left={left} "
        f"notified={notified} baseline_per_event_ms={per_event * 1000:.1f} "
        f"baseline_extrapolated_seconds={per_event * pending:.0f} sample={len(sample_ids)}"
    )


def phase_reconcile(args) -> None:
    django_setup()
    from couponali import rls
    from wallet.reconcile import wallet_reconcile

    with rls.bypass(reason="bench reconcile"):
        problems, _counts = wallet_reconcile()
    print(f"RESULT reconcile_problems={len(problems)}")
    for p in problems[:20]:
        print("   ", p.check, p.message)


# ---------------------------------------------------------------- parent side


def run_child(args, phase: str) -> dict:
    cmd = [
        PYTHON,
        __file__,
        "--phase",
        phase,
        "--db",
        args.db,
        "--seconds",
        str(args.seconds),
        "--events",
        str(args.events),
        "--clients",
        str(args.clients),
        "--processes",
        str(args.processes),
        "--users",
        str(args.users),
        "--sample",
        str(args.sample),
    ]
    out = subprocess.run(cmd, env=bench_env(args), cwd=ROOT, capture_output=True, text=True)
    sys.stderr.write(out.stderr[-4000:] if out.returncode else "")
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT")]
    if out.returncode or not lines:
        print(out.stdout)
        raise SystemExit(f"phase {phase} failed ({out.returncode})")
    for line in out.stdout.splitlines():
        if line.startswith("    "):
            print(line)
    return dict(kv.split("=", 1) for kv in lines[-1].split()[1:])


def pgbench(args) -> float:
    owner = with_db(os.environ["DATABASE_OWNER_URL"], args.db)
    subprocess.run(["pgbench", "-i", "-q", "-s", str(args.clients), owner], check=True, capture_output=True)
    out = subprocess.run(
        ["pgbench", "-c", str(args.clients), "-j", "2", "-T", str(int(args.seconds)), "-n", owner],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def psql_owner(sql: str) -> None:
    admin = with_db(os.environ["DATABASE_OWNER_URL"], "postgres")
    subprocess.run(["psql", admin, "-qAtc", sql], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0, help="duration of each throughput run")
    parser.add_argument("--events", type=int, default=100_000, help="pending events for the auto-confirm job")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (database sessions)")
    parser.add_argument(
        "--processes", type=int, default=2, help="processes the clients are spread over as threads (default 2)"
    )
    parser.add_argument("--users", type=int, default=2000, help="wallets the ledger benchmark posts to")
    parser.add_argument("--sample", type=int, default=1000, help="events confirmed one by one (baseline)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        {"ledger": phase_ledger, "autoconfirm": phase_autoconfirm, "reconcile": phase_reconcile}[args.phase](args)
        return
    for var in ("DATABASE_URL", "DATABASE_OWNER_URL", "REDIS_URL"):
        if not os.environ.get(var):
            raise SystemExit(f"{var} must be set (see the brief / README)")
    args.db = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") + "_bench"
    psql_owner(f'DROP DATABASE IF EXISTS "{args.db}"')
    psql_owner(f'CREATE DATABASE "{args.db}"')
    try:
        subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], env=bench_env(args), cwd=ROOT, check=True)
        print(f"scratch database {args.db}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        ledger = run_child(args, "ledger")
        tps = pgbench(args)
        print(
            f"ledger postings through the service, {args.clients} clients ({ledger['processes']} processes): "
            f"{float(ledger['ledger_postings_per_s']):8.0f}/s "
            f"({ledger['posted']} postings, {ledger['refused']} debits refused for lack of balance)"
        )
        print(f"pgbench TPC-B, {args.clients} clients, same database:        {tps:8.0f} tps")
        print(f"reconcile_wallets after the ledger run: {run_child(args, 'reconcile')['reconcile_problems']} problems")
        auto = run_child(args, "autoconfirm")
        print(
            f"auto-confirm job (Celery worker, set-based): {auto['confirmed']} events in "
            f"{auto['autoconfirm_seconds']} s, {auto['notified']} notifications, {auto['left']} left pending"
        )
        print(
            f"baseline one transaction per event: {auto['baseline_per_event_ms']} ms/event "
            f"-> ~{auto['baseline_extrapolated_seconds']} s for {auto['pending_before']} events "
            f"(measured on {auto['sample']})"
        )
        print(f"reconcile_wallets after the job: {run_child(args, 'reconcile')['reconcile_problems']} problems")
    finally:
        if not args.keep:
            psql_owner(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')


if __name__ == "__main__":
    main()

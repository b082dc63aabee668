"""The admin changelists of clicks, cashback events, users and audit logs at 100,000 rows each (issue 12: within
10 queries and under 300 ms), each beside its baseline.

    DATABASE_URL=... DATABASE_OWNER_URL=... REDIS_URL=... .venv/bin/python bench/admin_changelists.py [--rows 100000]

Migrates its own database `<db>_bench_admin`, seeds --rows rows in offer_clicks, cashback_events, users and
audit_logs (once; kept for the next run), ANALYZEs them, then requests each changelist through Django's test
client as a superuser (the whole middleware stack, the session, row-level security): the plain list, a filter
and a search, for our admin (/admin/...) and for the baseline (/baseline-admin/..., bench/admin_urls.py: plain
ModelAdmins with the columns, filters and search these lists had before, i.e. Django's defaults), alternating
the two request by request. Prints per URL the median and p95 time of the whole request, the median time spent
in SQL (the rest is Python: middleware, rendering 100 rows) and the number of queries.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import analyze, bench_env, ensure_database, manage, percentile

BATCH = 5000


def seed(rows: int) -> None:  # noqa: C901 - one recipe per table, kept together
    from django.utils import timezone  # noqa: PLC0415 - imported once Django is set up

    from accounts.models import User  # noqa: PLC0415 - imported once Django is set up
    from catalog.factories import MerchantFactory  # noqa: PLC0415 - imported once Django is set up
    from couponali import rls  # noqa: PLC0415 - imported once Django is set up
    from couponali.models import AuditLog  # noqa: PLC0415 - imported once Django is set up
    from offers.factories import OfferFactory  # noqa: PLC0415 - imported once Django is set up
    from offers.models import Offer, OfferClick  # noqa: PLC0415 - imported once Django is set up
    from wallet.models import CashbackEvent  # noqa: PLC0415 - imported once Django is set up

    rnd = random.Random(12)
    now = timezone.now()
    # Everything inside the current month: the click partitions of this month exist whatever the date.
    span = max((now - now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)).total_seconds(), 3600)

    def at(i: int):
        return now - timedelta(seconds=span * i / rows)

    with rls.bypass(reason="benchmark seed"):
        if User.all_objects.filter(email__startswith="bench").count() < rows:
            print(f"seeding {rows} users ...", flush=True)
            for start in range(0, rows, BATCH):
                User.all_objects.bulk_create(
                    User(
                        email=f"bench{i}@example.in",
                        mobile=f"8{i:09d}",
                        full_name=f"Bench Shopper {i}",
                        referral_code=f"BEN{i:07d}",
                        password="!",  # noqa: S106 - an unusable password (Django's marker)
                        is_active=i % 50 != 0,
                    )
                    for i in range(start, min(start + BATCH, rows))
                )
        user_ids = list(User.all_objects.filter(email__startswith="bench").values_list("pk", flat=True)[:rows])
        if Offer.objects.count() < 20:
            for _ in range(20):
                OfferFactory(merchant=MerchantFactory())
        offers = list(Offer.objects.select_related("merchant")[:20])
        if OfferClick.objects.count() < rows:
            print(f"seeding {rows} clicks ...", flush=True)
            for start in range(0, rows, BATCH):
                batch = []
                for i in range(start, min(start + BATCH, rows)):
                    offer = offers[i % len(offers)]
                    batch.append(
                        OfferClick(
                            offer=offer,
                            merchant_id=offer.merchant_id,
                            user_id=user_ids[rnd.randrange(len(user_ids))] if i % 3 else None,
                            click_id=uuid.uuid4(),
                            ip_address="203.0.113.7",
                            device_type=("mobile", "desktop", "tablet")[i % 3],
                            created_at=at(i),
                        )
                    )
                OfferClick.objects.bulk_create(batch)
        if CashbackEvent.objects.count() < rows:
            print(f"seeding {rows} cashback events ...", flush=True)
            for start in range(0, rows, BATCH):
                CashbackEvent.objects.bulk_create(
                    CashbackEvent(
                        user_id=user_ids[rnd.randrange(len(user_ids))],
                        merchant_id=offers[i % len(offers)].merchant_id,
                        offer=offers[i % len(offers)],
                        click_id=uuid.uuid4(),
                        transaction_amount=Decimal("2499.00"),
                        commission_amount=Decimal("149.94"),
                        cashback_amount=Decimal("112.45"),
                        network="bench",
                        affiliate_transaction_id=f"BENCH-{i:08d}",
                        created_at=at(i),
                    )
                    for i in range(start, min(start + BATCH, rows))
                )
        if AuditLog.objects.count() < rows:
            print(f"seeding {rows} audit rows ...", flush=True)
            actions = [a for a, _ in AuditLog.Action.choices]
            for start in range(0, rows, BATCH):
                AuditLog.objects.bulk_create(
                    AuditLog(
                        actor_user_id=user_ids[rnd.randrange(len(user_ids))],
                        action=actions[i % len(actions)],
                        entity_type=("withdrawal", "cashback_event", "order", "user")[i % 4],
                        entity_id=i,
                        metadata={},
                        created_at=at(i),
                    )
                    for i in range(start, min(start + BATCH, rows))
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in each of the four tables")
    parser.add_argument("--requests", type=int, default=25, help="timed requests per URL and variant")
    args = parser.parse_args()

    env = bench_env("admin")
    ensure_database(env)
    manage(env, "migrate", "--noinput", "-v", "0")
    env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    os.environ.update(env)
    django.setup()

    from django.conf import settings  # noqa: PLC0415 - settings come from this script's environment
    from django.db import connection  # noqa: PLC0415 - imported once Django is set up
    from django.test import Client  # noqa: PLC0415 - imported once Django is set up
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415 - imported once Django is set up

    from accounts.models import User  # noqa: PLC0415 - imported once Django is set up

    settings.ROOT_URLCONF = "bench.admin_urls"
    # Django's plain storage: the pages' static URLs without a collectstatic manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    seed(args.rows)
    # As the owner: the app role's ANALYZE is skipped (it owns no table), which left the planner guessing.
    analyze(env, "users", "offer_clicks", "cashback_events", "audit_logs")
    admin_user, _ = User.all_objects.get_or_create(
        email="bench-admin@example.in",
        defaults={"mobile": "7000000001", "referral_code": "BENADMIN", "is_staff": True, "is_superuser": True},
    )
    shopper = User.all_objects.filter(email__startswith="bench").order_by("pk")[500]
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin_user)

    pages = [
        ("clicks", "offers/offerclick/", ""),
        ("clicks", "offers/offerclick/", "?device_type__exact=mobile"),
        ("clicks", "offers/offerclick/", f"?q={shopper.email}"),
        ("cashback events", "wallet/cashbackevent/", ""),
        ("cashback events", "wallet/cashbackevent/", "?status__exact=pending"),
        ("cashback events", "wallet/cashbackevent/", "?q=BENCH-00004242"),
        ("users", "accounts/user/", ""),
        ("users", "accounts/user/", "?is_active__exact=1"),
        ("users", "accounts/user/", "?q=shopper 4242"),
        ("audit logs", "couponali/auditlog/", ""),
        ("audit logs", "couponali/auditlog/", "?action__exact=withdrawal.approved"),
        ("audit logs", "couponali/auditlog/", f"?q={shopper.email}"),
    ]
    print(f"\n{args.rows} rows per table; {args.requests} requests per URL and variant, alternating\n")
    header = ["list", "query", "ours median", "ours p95", "ours SQL", "ours queries"]
    header += ["baseline median", "baseline p95", "baseline SQL", "baseline queries"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, path, query in pages:
        times: dict[str, list[float]] = {"ours": [], "baseline": []}
        sql: dict[str, list[float]] = {"ours": [], "baseline": []}
        queries: dict[str, int] = {}
        urls = {"ours": f"/admin/{path}{query}", "baseline": f"/baseline-admin/{path}{query}"}
        for n in range(args.requests + 2):
            for variant, url in urls.items():
                with CaptureQueriesContext(connection) as ctx:
                    t0 = time.perf_counter()
                    response = client.get(url)
                    elapsed = (time.perf_counter() - t0) * 1000
                if response.status_code != 200:
                    sys.exit(f"{url}: HTTP {response.status_code}")
                if n >= 2:  # the first two warm the caches
                    times[variant].append(elapsed)
                    sql[variant].append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
                    queries[variant] = len(ctx.captured_queries)
        row = [name, f"`{query or '(none)'}`"]
        for variant in ("ours", "baseline"):
            row += [
                f"{percentile(times[variant], 50):.0f} ms",
                f"{percentile(times[variant], 95):.0f} ms",
                f"{percentile(sql[variant], 50):.0f} ms",
                str(queries[variant]),
            ]
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()

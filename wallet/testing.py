"""Bulk fixtures for tests and benchmarks of the wallet: many users with many pending cashback events,
created set-based (a handful of statements), consistent with what cashback_record() would have written
(users.pending_cashback included), so that reconcile_wallets is clean before and after."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.db import connection, transaction


def pending_events_create(*, users: int, per_user: int, amount: Decimal = Decimal("12.34"), age_days: int = 90) -> dict:
    """Create ``users`` shoppers with ``per_user`` pending cashback events each, reported ``age_days`` ago at
    a store whose validation period (30 days) has passed. Returns ids and counts. Runs as the app role
    (needs rls.bypass only if the caller's scope hides rows; inserts of these tables are not restricted)."""
    tag = secrets.token_hex(4)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO merchants (uuid, name, slug, is_active, is_featured, priority, validation_days,
                                   default_cashback_type, default_cashback_value, created_at, updated_at)
            VALUES (gen_random_uuid(), %s, %s, true, false, 0, 30, 'percentage', 5, now(), now())
            RETURNING id
            """,
            [f"Bulk store {tag}", f"bulk-store-{tag}"],
        )
        merchant_id = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO users (is_superuser, email, referral_code, full_name, created_at, updated_at)
            SELECT false, 'bulk-' || %(tag)s || '-' || g || '@example.in', 'B' || %(tag)s || g, 'Bulk Shopper ' || g,
                   now(), now()
            FROM generate_series(1, %(users)s) g
            RETURNING id
            """,
            {"tag": tag, "users": users},
        )
        user_ids = [r[0] for r in cur.fetchall()]
        cur.execute(
            """
            INSERT INTO cashback_events (user_id, merchant_id, click_id, transaction_amount, commission_amount,
                                         cashback_amount, status, affiliate_transaction_id, network, network_status,
                                         rate_type, rate_value, rate_source, created_at, updated_at)
            SELECT u.id, %(merchant)s, gen_random_uuid(), %(amount)s * 20, %(amount)s * 1.4, %(amount)s, 'pending',
                   %(tag)s || '-' || u.id || '-' || g, 'bulk', 'pending', 'percentage', 5, 'merchant',
                   now() - make_interval(days => %(age)s), now()
            FROM unnest(%(users)s::bigint[]) AS u(id), generate_series(1, %(per)s) g
            """,
            {
                "merchant": merchant_id,
                "amount": amount,
                "tag": tag,
                "users": user_ids,
                "per": per_user,
                "age": age_days,
            },
        )
        cur.execute("UPDATE users SET pending_cashback = %s WHERE id = ANY(%s)", [amount * per_user, user_ids])
    return {"merchant_id": merchant_id, "user_ids": user_ids, "events": users * per_user, "tag": tag}

"""The analytics materialized views of the seed's §30, and the functions through which the app role uses them.

* mv_daily_cashback_summary - per day: conversions reported, and their cashback by current status;
* mv_top_merchants          - per store and month: clicks, conversions, conversion rate, commission, cashback;
* mv_conversion_funnel      - per store and day: offer views -> clicks -> conversions -> confirmed.

Days and months are India time (Asia/Kolkata, the site's TIME_ZONE), so that a day on the dashboard is the day
staff mean. Each view has a unique index: REFRESH MATERIALIZED VIEW CONCURRENTLY needs one, and it is what lets
pages keep reading a view while it is recomputed (a concurrent refresh takes an EXCLUSIVE lock, which plain
SELECTs do not conflict with; a plain refresh takes ACCESS EXCLUSIVE and would block them).

The views are created WITH NO DATA, so this migration is quick on a large database; the first refresh populates
them (it cannot be concurrent: there is nothing to compare with yet).

Who may refresh: only the owner of a materialized view can REFRESH it, and the web app, Celery beat and
`manage.py refresh_analytics` connect as the app role, which owns nothing (couponali/db.py). Rather than give the
app role ownership (it could then ALTER or DROP the views) or hand the workers the owner's credentials (they
would escape every grant and the append-only rules), analytics_refresh(view) is a SECURITY DEFINER function
owned by the owner: it refreshes one of these three views and nothing else. EXECUTE is revoked from PUBLIC and
granted to the app role by couponali.db.grant_app_privileges after migrate. (PostgreSQL 17's MAINTAIN privilege
would do it without a function, but the code must run on PostgreSQL 15.)

analytics_kyc_pending_count() gives the dashboard the number of KYC submissions waiting for review. user_kyc is
under forced row-level security and an analyst holds no KYC permission, so a plain count would see nothing; the
function switches the RLS bypass on for its one count (the pattern of accounts_session_by_token) and returns a
number, never a row.

A later migration that changes the type of a column these views read must drop and re-create the views
(PostgreSQL refuses to alter a column a view depends on).
"""

from django.db import migrations, models

TZ = "Asia/Kolkata"

DAILY = f"""
CREATE MATERIALIZED VIEW mv_daily_cashback_summary AS
SELECT (e.created_at AT TIME ZONE '{TZ}')::date AS day,
       count(*)::bigint AS conversions,
       coalesce(sum(e.cashback_amount) FILTER (WHERE e.status = 'pending'), 0)::numeric(14, 2) AS pending_amount,
       coalesce(sum(e.cashback_amount) FILTER (WHERE e.status = 'confirmed'), 0)::numeric(14, 2) AS confirmed_amount,
       coalesce(sum(e.cashback_amount) FILTER (WHERE e.status = 'paid'), 0)::numeric(14, 2) AS paid_amount,
       coalesce(sum(e.cashback_amount) FILTER (WHERE e.status = 'reversed'), 0)::numeric(14, 2) AS reversed_amount,
       coalesce(sum(e.cashback_amount) FILTER (WHERE e.status = 'rejected'), 0)::numeric(14, 2) AS rejected_amount,
       coalesce(sum(e.commission_amount) FILTER (WHERE e.status NOT IN ('rejected', 'reversed')), 0)::numeric(14, 2)
           AS commission_amount
FROM cashback_events e
GROUP BY 1
WITH NO DATA;
CREATE UNIQUE INDEX mv_daily_cashback_summary_day ON mv_daily_cashback_summary (day);
"""

# offer_clicks.merchant_id is denormalised from the offer and may be empty on old rows: the offer says then.
CLICKS = f"""
SELECT coalesce(c.merchant_id, o.merchant_id) AS merchant_id,
       (c.created_at AT TIME ZONE '{TZ}')::date AS day,
       count(*)::bigint AS clicks
FROM offer_clicks c
LEFT JOIN offers o ON o.id = c.offer_id AND c.merchant_id IS NULL
GROUP BY 1, 2
"""

# Conversions: every event reported (any status). Commission and cashback: of events neither rejected nor
# reversed, i.e. what the store owes us and what we owe (or paid) the shopper.
TOP_MERCHANTS = f"""
CREATE MATERIALIZED VIEW mv_top_merchants AS
WITH clicks AS (
    SELECT merchant_id, date_trunc('month', day)::date AS month, sum(clicks)::bigint AS clicks
    FROM ({CLICKS}) per_day
    GROUP BY 1, 2
), conversions AS (
    SELECT e.merchant_id,
           date_trunc('month', e.created_at AT TIME ZONE '{TZ}')::date AS month,
           count(*)::bigint AS conversions,
           coalesce(sum(e.commission_amount) FILTER (WHERE e.status NOT IN ('rejected', 'reversed')), 0) AS commission,
           coalesce(sum(e.cashback_amount) FILTER (WHERE e.status NOT IN ('rejected', 'reversed')), 0) AS cashback
    FROM cashback_events e
    GROUP BY 1, 2
)
SELECT merchant_id,
       month,
       coalesce(k.clicks, 0)::bigint AS clicks,
       coalesce(v.conversions, 0)::bigint AS conversions,
       CASE WHEN coalesce(k.clicks, 0) > 0
            THEN round(100.0 * coalesce(v.conversions, 0) / k.clicks, 2) END::numeric(7, 2) AS conversion_rate,
       coalesce(v.commission, 0)::numeric(14, 2) AS commission,
       coalesce(v.cashback, 0)::numeric(14, 2) AS cashback
FROM clicks k
FULL JOIN conversions v USING (merchant_id, month)
WHERE merchant_id IS NOT NULL
WITH NO DATA;
CREATE UNIQUE INDEX mv_top_merchants_merchant_month ON mv_top_merchants (merchant_id, month);
CREATE INDEX mv_top_merchants_month ON mv_top_merchants (month);
"""

FUNNEL = f"""
CREATE MATERIALIZED VIEW mv_conversion_funnel AS
WITH views AS (
    SELECT o.merchant_id, (v.created_at AT TIME ZONE '{TZ}')::date AS day, count(*)::bigint AS views
    FROM offer_views v
    JOIN offers o ON o.id = v.offer_id
    GROUP BY 1, 2
), clicks AS ({CLICKS}
), conversions AS (
    SELECT e.merchant_id,
           (e.created_at AT TIME ZONE '{TZ}')::date AS day,
           count(*)::bigint AS conversions,
           count(*) FILTER (WHERE e.status IN ('confirmed', 'paid'))::bigint AS confirmed
    FROM cashback_events e
    GROUP BY 1, 2
)
SELECT merchant_id,
       day,
       coalesce(w.views, 0)::bigint AS views,
       coalesce(k.clicks, 0)::bigint AS clicks,
       coalesce(v.conversions, 0)::bigint AS conversions,
       coalesce(v.confirmed, 0)::bigint AS confirmed
FROM views w
FULL JOIN clicks k USING (merchant_id, day)
FULL JOIN conversions v USING (merchant_id, day)
WHERE merchant_id IS NOT NULL
WITH NO DATA;
CREATE UNIQUE INDEX mv_conversion_funnel_merchant_day ON mv_conversion_funnel (merchant_id, day);
CREATE INDEX mv_conversion_funnel_day ON mv_conversion_funnel (day);
"""

DROP_VIEWS = """
DROP MATERIALIZED VIEW IF EXISTS mv_conversion_funnel;
DROP MATERIALIZED VIEW IF EXISTS mv_top_merchants;
DROP MATERIALIZED VIEW IF EXISTS mv_daily_cashback_summary;
"""

# Returns true for a concurrent refresh, false for the first one (which populates the view and cannot be
# concurrent). Concurrent refreshes of one view queue on its EXCLUSIVE lock.
REFRESH_FUNCTION = """
CREATE OR REPLACE FUNCTION analytics_refresh(p_view text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_populated boolean;
BEGIN
    IF p_view IS NULL OR p_view NOT IN ('mv_daily_cashback_summary', 'mv_top_merchants', 'mv_conversion_funnel') THEN
        RAISE EXCEPTION 'not an analytics view: %', p_view USING ERRCODE = '22023';
    END IF;
    SELECT m.ispopulated INTO v_populated FROM pg_matviews m
    WHERE m.schemaname = 'public' AND m.matviewname = p_view;
    IF v_populated THEN
        EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY public.%I', p_view);
        RETURN true;
    END IF;
    EXECUTE format('REFRESH MATERIALIZED VIEW public.%I', p_view);
    RETURN false;
END
$$;
REVOKE ALL ON FUNCTION analytics_refresh(text) FROM PUBLIC;
"""

KYC_COUNT_FUNCTION = """
CREATE OR REPLACE FUNCTION analytics_kyc_pending_count() RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    previous text := coalesce(current_setting('app.rls_bypass', true), '');
    n bigint;
BEGIN
    PERFORM set_config('app.rls_bypass', 'on', true);
    SELECT count(*) INTO n FROM public.user_kyc WHERE status = 'pending';
    PERFORM set_config('app.rls_bypass', previous, true);
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION analytics_kyc_pending_count() FROM PUBLIC;
"""

DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS analytics_refresh(text);
DROP FUNCTION IF EXISTS analytics_kyc_pending_count();
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0003_staff_permissions"),
        ("catalog", "0002_search_indexes"),
        ("offers", "0005_click_rate_snapshot"),
        ("wallet", "0006_cashback_held_for_review"),
    ]

    operations = [
        migrations.RunSQL(DAILY + TOP_MERCHANTS + FUNNEL, DROP_VIEWS),
        migrations.RunSQL(REFRESH_FUNCTION + KYC_COUNT_FUNCTION, DROP_FUNCTIONS),
        migrations.CreateModel(
            name="DailyCashbackSummary",
            fields=[
                ("day", models.DateField(primary_key=True, serialize=False)),
                ("conversions", models.BigIntegerField()),
                ("pending_amount", models.DecimalField(decimal_places=2, max_digits=14)),
                ("confirmed_amount", models.DecimalField(decimal_places=2, max_digits=14)),
                ("paid_amount", models.DecimalField(decimal_places=2, max_digits=14)),
                ("reversed_amount", models.DecimalField(decimal_places=2, max_digits=14)),
                ("rejected_amount", models.DecimalField(decimal_places=2, max_digits=14)),
                ("commission_amount", models.DecimalField(decimal_places=2, max_digits=14)),
            ],
            options={
                "verbose_name": "daily cashback summary",
                "verbose_name_plural": "daily cashback summaries",
                "db_table": "mv_daily_cashback_summary",
                "permissions": [
                    ("view_dashboard", "Can view the analytics dashboard"),
                    ("export_data", "Can export analytics data (CSV)"),
                ],
                "managed": False,
                "default_permissions": (),
            },
        ),
    ]

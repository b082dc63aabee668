"""Monthly partitions of offer_clicks, created through a SECURITY DEFINER function.

The app role owns no table and cannot CREATE TABLE, yet the beat job and `manage.py create_partitions` run as it.
offer_clicks_create_partition(month) runs with the rights of its owner (the table owner, who runs migrations);
EXECUTE is revoked from PUBLIC and granted to the app role by couponali.db.grant_app_privileges after migrate.

Partitions are calendar months in UTC, named offer_clicks_yYYYYmMM. Rows already in the DEFAULT partition for the
month (clicks that arrived before the partition existed) are moved into it, so creating a partition late never
fails and never loses a row.
"""

from django.db import migrations

CREATE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION offer_clicks_create_partition(p_month date) RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_start timestamptz;
    v_end timestamptz;
    v_name text;
BEGIN
    IF p_month IS NULL OR p_month < date '2000-01-01' OR p_month >= date '2100-01-01' THEN
        RAISE EXCEPTION 'month out of range: %', p_month USING ERRCODE = '22023';
    END IF;
    v_start := (date_trunc('month', p_month)::timestamp) AT TIME ZONE 'UTC';
    v_end := ((date_trunc('month', p_month) + interval '1 month')::timestamp) AT TIME ZONE 'UTC';
    v_name := 'offer_clicks_' || to_char(p_month, '"y"YYYY"m"MM');
    IF to_regclass(v_name) IS NOT NULL THEN
        RETURN false;
    END IF;
    -- New clicks for this month go to the DEFAULT partition until the new one is attached: hold them back
    -- (briefly) so that none lands there between the move and the attach.
    LOCK TABLE offer_clicks_default IN EXCLUSIVE MODE;
    IF to_regclass(v_name) IS NOT NULL THEN  -- created meanwhile by a concurrent call
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE offer_clicks INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', v_name);
    EXECUTE format(
        'WITH moved AS (DELETE FROM offer_clicks_default WHERE created_at >= %L AND created_at < %L RETURNING *) '
        'INSERT INTO %I SELECT * FROM moved',
        v_start, v_end, v_name
    );
    EXECUTE format(
        'ALTER TABLE offer_clicks ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', v_name, v_start, v_end
    );
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION offer_clicks_create_partition(date) FROM PUBLIC;
"""

DROP_FUNCTION = "DROP FUNCTION IF EXISTS offer_clicks_create_partition(date)"

# The current month and the next three exist from the first migrate on; the beat job keeps months ahead.
INITIAL_PARTITIONS = """
SELECT offer_clicks_create_partition((date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => m))::date)
FROM generate_series(0, 3) AS m
"""


class Migration(migrations.Migration):
    dependencies = [
        ("offers", "0002_search_clicks_counters"),
    ]

    operations = [
        migrations.RunSQL(CREATE_FUNCTION, DROP_FUNCTION),
        migrations.RunSQL(INITIAL_PARTITIONS, migrations.RunSQL.noop),
    ]

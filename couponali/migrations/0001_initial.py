from django.db import migrations

# Shared database functions used by the apps' migrations.
SET_UPDATED_AT = """
CREATE OR REPLACE FUNCTION couponali_set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
"""


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS pg_trgm", migrations.RunSQL.noop),
        migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS unaccent", migrations.RunSQL.noop),
        migrations.RunSQL(SET_UPDATED_AT, "DROP FUNCTION IF EXISTS couponali_set_updated_at()"),
    ]

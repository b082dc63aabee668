"""The rate advertised at click time now travels on the click itself (offer_clicks.cashback_*, written by the
click-out from catalog.selectors.cashback_rate_for, the one rule the site shows and the wallet pays), so the
per-click trigger that copied the inputs into click_cashback_rates - a second insert on the site's hottest
write, and a second implementation of the rule - goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0003_ledger_triggers"),
        ("offers", "0005_click_rate_snapshot"),
    ]

    operations = [
        migrations.RunSQL(
            "DROP TRIGGER IF EXISTS wallet_click_rate_snapshot ON offer_clicks; "
            "DROP FUNCTION IF EXISTS wallet_click_rate_snapshot();",
            migrations.RunSQL.noop,
        ),
        migrations.DeleteModel(
            name="ClickCashbackRate",
        ),
    ]

"""Click-outs: the click row, written through group commit (offers/click_writer.py, offers/click_sql.py)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import connection

from offers.click_sql import INSERT_CLICK, insert_click_rows
from offers.click_writer import GroupCommitWriter
from offers.clickout import ClickTarget

click_writer = GroupCommitWriter(insert_click_rows)


def click_record(
    *,
    target: ClickTarget,
    click_id: uuid.UUID,
    user_id: int | None,
    ip_address: str | None,
    user_agent: str,
    referrer: str,
    device_type: str,
) -> None:
    """Write one offer_clicks row: the database routes it to the month's partition and stamps created_at. Outside a
    transaction (the click-out runs in autocommit) the row is committed when this returns, which the click-out
    relies on: the row exists before the shopper is redirected.

    This is the hottest write of the site, so outside a transaction it goes through ``click_writer``: the clicks
    that arrive together in this process share one INSERT and one commit (group commit, see
    offers/click_writer.py). Inside a transaction (tests, or a caller's atomic block) it is an ordinary INSERT
    that joins that transaction."""
    row = (
        target.offer_id,
        target.merchant_id,
        user_id,
        click_id,
        ip_address or None,
        (user_agent or "")[:1000] or None,
        (referrer or "")[:2000] or None,
        device_type[:20],
        target.rate.type,
        target.rate.value if target.rate.type else None,
        target.rate.cap,
        target.rate.source,
    )
    if connection.in_atomic_block or not connection.settings_dict["AUTOCOMMIT"]:
        with connection.cursor() as cur:
            cur.execute(INSERT_CLICK, row)
    elif settings.CLICKOUT_GROUP_COMMIT:
        click_writer.write(row)
    else:
        insert_click_rows([row])

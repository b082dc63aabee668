"""Database-side guards of the wallet (the code keeps them too, but the database has the last word):

* wallet_transactions: each posting of a user starts where the previous one ended (balance_before = the
  previous balance_after, 0 for the first), checked once per INSERT statement, so set-based batches too;
* wallet_balances: the snapshot always equals the balance_after of the user's last posting;
* cashback_events and withdrawals: only the lifecycle's transitions are possible, rows are born
  'pending', and amount/owner/network keys cannot change once money depends on them;
* offer_clicks: every click copies the cashback terms in force into click_cashback_rates, so that the rate
  advertised at click time can be honoured when the conversion is confirmed weeks later.

The check functions read wallet_transactions across users, so they are SECURITY DEFINER (owned by the
table owner, who is not subject to row-level security): a shopper's request sees only their own postings,
but the guard must see all of them.
"""

from django.db import migrations

LEDGER_SQL = r"""
CREATE OR REPLACE FUNCTION wallet_tx_check_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.id, n.user_id, n.balance_before, coalesce(prev.balance_after, 0) AS expected INTO bad
    FROM new_rows n
    LEFT JOIN LATERAL (
        SELECT t.balance_after FROM wallet_transactions t
        WHERE t.user_id = n.user_id AND t.id < n.id ORDER BY t.id DESC LIMIT 1
    ) prev ON true
    WHERE n.balance_before <> coalesce(prev.balance_after, 0)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger chain broken: posting % of user % starts at % but the previous posting ended at %',
            bad.id, bad.user_id, bad.balance_before, bad.expected
            USING ERRCODE = 'check_violation', CONSTRAINT = 'wallet_tx_chain';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER wallet_tx_chain AFTER INSERT ON wallet_transactions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION wallet_tx_check_chain();

CREATE OR REPLACE FUNCTION wallet_balance_check_snapshot() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.user_id, n.balance, coalesce(last.balance_after, 0) AS expected INTO bad
    FROM new_rows n
    LEFT JOIN LATERAL (
        SELECT t.balance_after FROM wallet_transactions t
        WHERE t.user_id = n.user_id ORDER BY t.id DESC LIMIT 1
    ) last ON true
    WHERE n.balance <> coalesce(last.balance_after, 0)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'wallet balance of user % would be % but the ledger says %', bad.user_id, bad.balance, bad.expected
            USING ERRCODE = 'check_violation', CONSTRAINT = 'wallet_balance_matches_ledger';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER wallet_balance_snapshot_ins AFTER INSERT ON wallet_balances
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION wallet_balance_check_snapshot();
CREATE TRIGGER wallet_balance_snapshot_upd AFTER UPDATE ON wallet_balances
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION wallet_balance_check_snapshot();
"""

LEDGER_REVERSE = """
DROP TRIGGER IF EXISTS wallet_tx_chain ON wallet_transactions;
DROP TRIGGER IF EXISTS wallet_balance_snapshot_ins ON wallet_balances;
DROP TRIGGER IF EXISTS wallet_balance_snapshot_upd ON wallet_balances;
DROP FUNCTION IF EXISTS wallet_tx_check_chain();
DROP FUNCTION IF EXISTS wallet_balance_check_snapshot();
"""

LIFECYCLE_SQL = r"""
CREATE OR REPLACE FUNCTION cashback_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'pending' OR NEW.paid_at IS NOT NULL THEN
            RAISE EXCEPTION 'a cashback event is created pending and uncredited (got %)', NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'cashback_lifecycle';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.status <> OLD.status AND (OLD.status, NEW.status) NOT IN (
        ('pending', 'confirmed'), ('pending', 'paid'), ('pending', 'rejected'),
        ('confirmed', 'paid'), ('confirmed', 'reversed'), ('paid', 'reversed')
    ) THEN
        RAISE EXCEPTION 'cashback event %: % -> % is not a legal transition', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'cashback_lifecycle';
    END IF;
    IF NEW.user_id <> OLD.user_id OR NEW.network IS DISTINCT FROM OLD.network
       OR NEW.affiliate_transaction_id IS DISTINCT FROM OLD.affiliate_transaction_id THEN
        RAISE EXCEPTION 'cashback event %: owner and network transaction are fixed', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'cashback_lifecycle';
    END IF;
    IF OLD.status <> 'pending' AND NEW.cashback_amount <> OLD.cashback_amount THEN
        RAISE EXCEPTION 'cashback event %: the amount is fixed once it is %', OLD.id, OLD.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'cashback_lifecycle';
    END IF;
    IF OLD.paid_at IS NOT NULL AND NEW.paid_at IS DISTINCT FROM OLD.paid_at THEN
        RAISE EXCEPTION 'cashback event %: paid_at is written once', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'cashback_lifecycle';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER cashback_event_guard BEFORE INSERT OR UPDATE ON cashback_events
    FOR EACH ROW EXECUTE FUNCTION cashback_event_guard();

CREATE OR REPLACE FUNCTION withdrawal_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'pending' THEN
            RAISE EXCEPTION 'a withdrawal is created pending (got %)', NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'withdrawal_lifecycle';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.status <> OLD.status AND (OLD.status, NEW.status) NOT IN (
        ('pending', 'approved'), ('pending', 'rejected'), ('approved', 'rejected'),
        ('approved', 'processing'), ('processing', 'completed'), ('processing', 'failed')
    ) THEN
        RAISE EXCEPTION 'withdrawal %: % -> % is not a legal transition', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'withdrawal_lifecycle';
    END IF;
    IF NEW.amount <> OLD.amount OR NEW.user_id <> OLD.user_id OR NEW.uuid <> OLD.uuid THEN
        RAISE EXCEPTION 'withdrawal %: amount, owner and uuid are fixed', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'withdrawal_lifecycle';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER withdrawal_guard BEFORE INSERT OR UPDATE ON withdrawals
    FOR EACH ROW EXECUTE FUNCTION withdrawal_guard();
"""

LIFECYCLE_REVERSE = """
DROP TRIGGER IF EXISTS cashback_event_guard ON cashback_events;
DROP TRIGGER IF EXISTS withdrawal_guard ON withdrawals;
DROP FUNCTION IF EXISTS cashback_event_guard();
DROP FUNCTION IF EXISTS withdrawal_guard();
"""

# The terms in force at the click: the offer's own rule, the store's commission for the offer's category
# valid that day (with the share passed on to the shopper), and the store default. Only the inputs are
# copied; wallet.rates.cashback_rule_for() decides which applies, for snapshots and live rows alike.
CLICK_RATE_SQL = r"""
CREATE OR REPLACE FUNCTION wallet_click_rate_snapshot() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    day date := (NEW.created_at AT TIME ZONE 'Asia/Kolkata')::date;
BEGIN
    INSERT INTO click_cashback_rates (
        click_id, clicked_at, offer_id, merchant_id, category_id,
        offer_cashback_type, offer_cashback_value, offer_max_cashback,
        commission_type, commission_value, commission_share,
        merchant_cashback_type, merchant_cashback_value
    )
    SELECT NEW.click_id, NEW.created_at, o.id, m.id, o.category_id,
           o.cashback_type, o.cashback_value, o.max_cashback,
           c.commission_type, c.commission_value, c.cashback_percentage,
           m.default_cashback_type, m.default_cashback_value
    FROM offers o
    JOIN merchants m ON m.id = o.merchant_id
    LEFT JOIN LATERAL (
        SELECT mc.commission_type, mc.commission_value, mc.cashback_percentage
        FROM merchant_commissions mc
        WHERE mc.merchant_id = o.merchant_id AND mc.category_id = o.category_id
          AND mc.cashback_percentage IS NOT NULL
          AND (mc.valid_from IS NULL OR mc.valid_from <= day)
          AND (mc.valid_until IS NULL OR mc.valid_until >= day)
        ORDER BY mc.valid_from DESC NULLS LAST, mc.id DESC
        LIMIT 1
    ) c ON true
    WHERE o.id = NEW.offer_id
    ON CONFLICT (click_id) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER wallet_click_rate_snapshot AFTER INSERT ON offer_clicks
    FOR EACH ROW EXECUTE FUNCTION wallet_click_rate_snapshot();
"""

CLICK_RATE_REVERSE = """
DROP TRIGGER IF EXISTS wallet_click_rate_snapshot ON offer_clicks;
DROP FUNCTION IF EXISTS wallet_click_rate_snapshot();
"""

# Payouts written before payouts.withdrawal_id existed (the first demo data) are linked to their withdrawal.
LINK_PAYOUTS_SQL = """
UPDATE payouts p SET withdrawal_id = w.id
FROM withdrawals w
WHERE p.withdrawal_id IS NULL AND w.user_id = p.user_id AND w.status = 'completed'
  AND w.amount = p.amount AND w.transaction_reference = p.reference
  AND NOT EXISTS (SELECT 1 FROM payouts q WHERE q.withdrawal_id = w.id);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0002_ledger_constraints_and_review_tables"),
        ("offers", "0001_initial"),
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(LEDGER_SQL, LEDGER_REVERSE),
        migrations.RunSQL(LIFECYCLE_SQL, LIFECYCLE_REVERSE),
        migrations.RunSQL(CLICK_RATE_SQL, CLICK_RATE_REVERSE),
        migrations.RunSQL(LINK_PAYOUTS_SQL, migrations.RunSQL.noop),
    ]

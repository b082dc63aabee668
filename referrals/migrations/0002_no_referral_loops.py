"""No referral loops, enforced by the database: a new referral may not close a cycle (A refers B, B refers
A, or longer). Referral rows are few and written rarely, so the check serialises them with a transaction-
level advisory lock; two concurrent inserts that would together close a loop cannot both pass."""

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION referrals_no_loop() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('referrals_no_loop'));
    IF EXISTS (
        WITH RECURSIVE up(uid, depth) AS (
            SELECT NEW.referrer_user_id, 1
            UNION ALL
            SELECT r.referrer_user_id, up.depth + 1
            FROM referrals r JOIN up ON r.referred_user_id = up.uid
            WHERE up.depth < 1000 AND r.id IS DISTINCT FROM NEW.id
        )
        SELECT 1 FROM up WHERE uid = NEW.referred_user_id
    ) THEN
        RAISE EXCEPTION 'referral of user % by user % would create a loop', NEW.referred_user_id, NEW.referrer_user_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'referrals_no_loop';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER referrals_no_loop BEFORE INSERT OR UPDATE OF referrer_user_id, referred_user_id ON referrals
    FOR EACH ROW EXECUTE FUNCTION referrals_no_loop();
"""

REVERSE = """
DROP TRIGGER IF EXISTS referrals_no_loop ON referrals;
DROP FUNCTION IF EXISTS referrals_no_loop();
"""


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]

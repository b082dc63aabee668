"""reconcile_wallets checks contributed by referrals (settings.WALLET_RECONCILE_CHECKS)."""

from wallet.reconcile import Check

CHECKS = [
    Check(
        "referral_total_earned",
        "referrals.total_earned = the referrer's bonus postings for this friend, net of claw-backs",
        """
        SELECT r.id, r.total_earned, coalesce(t.net, 0) - coalesce(d.owed, 0)
        FROM referrals r
        LEFT JOIN LATERAL (
            SELECT sum(t.amount) AS net FROM wallet_transactions t
            WHERE t.user_id = r.referrer_user_id AND (
                (t.type = 'referral_bonus' AND t.reference_type = 'referral' AND t.reference_id = r.id)
                OR (t.type IN ('referral_bonus', 'referral_bonus_reversed') AND t.reference_type = 'cashback_event'
                    AND t.reference_id IN (SELECT id FROM cashback_events WHERE user_id = r.referred_user_id)))
        ) t ON true
        LEFT JOIN LATERAL (
            SELECT sum(d.amount) AS owed FROM wallet_debts d
            WHERE d.user_id = r.referrer_user_id AND d.reference_type = 'cashback_event'
              AND d.reference_id IN (SELECT id FROM cashback_events WHERE user_id = r.referred_user_id)
        ) d ON true
        WHERE r.total_earned <> coalesce(t.net, 0) - coalesce(d.owed, 0)
        """,
        "referral {0}: total_earned {1:inr} but the ledger says {2:inr}",
    ),
    Check(
        "referral_active_has_cashback",
        "an active referral's friend has a confirmed cashback",
        """
        SELECT r.id FROM referrals r
        WHERE r.status = 'active' AND NOT EXISTS (
            SELECT 1 FROM cashback_events e WHERE e.user_id = r.referred_user_id AND e.paid_at IS NOT NULL)
        """,
        "referral {0} is active but the friend has no confirmed cashback",
    ),
]

"""reconcile_wallets checks contributed by CouponAli gift cards (settings.WALLET_RECONCILE_CHECKS)."""

from wallet.reconcile import Check

CHECKS = [
    Check(
        "gift_card_value",
        "each gift card's initial value = its remaining value + the uses not given back (released or refunded)",
        """
        SELECT g.id, g.initial_value, g.remaining_value, coalesce(u.used, 0)
        FROM gift_cards g
        LEFT JOIN (
            SELECT gift_card_id, sum(amount - refunded_amount) AS used FROM gift_card_redemptions
            WHERE status = 'applied' GROUP BY gift_card_id
        ) u ON u.gift_card_id = g.id
        WHERE g.initial_value <> g.remaining_value + coalesce(u.used, 0)
        """,
        "gift card {0}: initial {1:inr}, remaining {2:inr}, but its uses add up to {3:inr}",
    ),
    Check(
        "gift_card_wallet_credit",
        "each gift card redeemed into a wallet has one gift_card_redeemed posting of its amount, and no other",
        """
        SELECT coalesce(r.gift_card_id, t.reference_id), coalesce(r.amount, 0), coalesce(t.amount, 0)
        FROM (SELECT gift_card_id, user_id, amount FROM gift_card_redemptions WHERE kind = 'wallet') r
        FULL JOIN (
            SELECT reference_id, user_id, amount FROM wallet_transactions
            WHERE type = 'gift_card_redeemed' AND reference_type = 'gift_card'
        ) t ON t.reference_id = r.gift_card_id
        WHERE r.gift_card_id IS NULL OR t.reference_id IS NULL OR r.amount <> t.amount OR r.user_id <> t.user_id
        UNION ALL
        SELECT NULL, NULL, amount FROM wallet_transactions
        WHERE type = 'gift_card_redeemed' AND reference_type IS DISTINCT FROM 'gift_card'
        """,
        "gift card {0}: redeemed {1:inr} into the wallet but the ledger credited {2:inr}",
    ),
]

"""reconcile_wallets checks contributed by the store (settings.WALLET_RECONCILE_CHECKS): every paid order is
covered by what the gateway captured, the wallet paid and the gift-card discount; refunds match their
postings and payments; stock consumed equals items sold."""

from wallet.reconcile import Check

CHECKS = [
    Check(
        "order_amounts",
        "every order: total = subtotal - gift-card discount + tax",
        """
        SELECT o.order_number, o.total_amount, o.subtotal - o.discount_amount + o.tax_amount FROM orders o
        WHERE o.total_amount <> o.subtotal - o.discount_amount + o.tax_amount
        """,
        "order {0}: total {1:inr} but subtotal - discount + tax = {2:inr}",
    ),
    Check(
        "order_paid_covered",
        "every paid order: total = gateway captured + wallet used (the discount is already off the total)",
        """
        SELECT o.order_number, o.total_amount, coalesce(g.captured, 0), o.wallet_used FROM orders o
        LEFT JOIN LATERAL (
            SELECT sum(p.amount) AS captured FROM payments p
            WHERE p.order_id = o.id AND p.gateway IS NOT NULL AND p.status IN ('success', 'refunded')
        ) g ON true
        WHERE o.status IN ('paid', 'processing', 'fulfilled', 'refunded')
          AND o.total_amount <> coalesce(g.captured, 0) + o.wallet_used
        """,
        "order {0}: total {1:inr} but the gateway captured {2:inr} and the wallet paid {3:inr}",
    ),
    Check(
        "order_wallet_postings",
        "the wallet part of every order is one order_payment posting, and a closed unpaid order got it back",
        """
        SELECT o.order_number, o.wallet_used, coalesce(-pay.amount, 0), coalesce(back.amount, 0), o.status
        FROM orders o
        LEFT JOIN wallet_transactions pay ON pay.reference_type = 'order' AND pay.reference_id = o.id
             AND pay.type = 'order_payment'
        LEFT JOIN wallet_transactions back ON back.reference_type = 'order' AND back.reference_id = o.id
             AND back.type = 'order_refund'
        WHERE coalesce(-pay.amount, 0) <> o.wallet_used
           OR coalesce(back.amount, 0) <> CASE WHEN o.cancelled_at IS NOT NULL THEN o.wallet_used ELSE 0 END
        """,
        "order {0}: wallet used {1:inr}, posted {2:inr}, posted back {3:inr} ({4})",
    ),
    Check(
        "refund_wallet_postings",
        "the wallet part of every refund is one order_refund posting of that amount",
        """
        SELECT r.id, r.wallet_amount, coalesce(t.amount, 0) FROM order_refunds r
        LEFT JOIN wallet_transactions t ON t.reference_type = 'order_refund' AND t.reference_id = r.id
             AND t.type = 'order_refund'
        WHERE r.wallet_amount <> coalesce(t.amount, 0)
        """,
        "refund {0}: wallet part {1:inr} but the ledger holds {2:inr}",
    ),
    Check(
        "refund_payments",
        "payments.refund_amount = the refunds sent through that payment (gateway) or posted (wallet)",
        """
        SELECT p.id, coalesce(p.refund_amount, 0),
               coalesce(CASE WHEN p.gateway IS NULL THEN w.total ELSE g.total END, 0)
        FROM payments p
        LEFT JOIN LATERAL (
            SELECT sum(r.gateway_amount) AS total FROM order_refunds r
            WHERE r.payment_id = p.id AND r.gateway_refund_id IS NOT NULL
        ) g ON true
        LEFT JOIN LATERAL (
            SELECT sum(r.wallet_amount) AS total FROM order_refunds r WHERE r.order_id = p.order_id
        ) w ON true
        JOIN orders o ON o.id = p.order_id
        WHERE o.status NOT IN ('cancelled', 'failed')
          AND coalesce(p.refund_amount, 0) <> coalesce(CASE WHEN p.gateway IS NULL THEN w.total ELSE g.total END, 0)
        """,
        "payment {0}: refund_amount {1:inr} but the refunds add up to {2:inr}",
    ),
    Check(
        "refunds_within_paid",
        "no order is refunded more than it was paid",
        """
        SELECT o.order_number, sum(r.amount), o.total_amount FROM orders o
        JOIN order_refunds r ON r.order_id = o.id
        GROUP BY o.id HAVING sum(r.amount) > o.total_amount
        """,
        "order {0}: refunds of {1:inr} exceed what was paid ({2:inr})",
    ),
    Check(
        "stock_sold",
        "stock consumed = items sold: inventory.sold = units in paid orders; reserved = units in unpaid ones",
        """
        SELECT i.variant_id, i.sold, coalesce(s.sold, 0), i.reserved, coalesce(s.held, 0)
        FROM inventory i
        LEFT JOIN LATERAL (
            SELECT sum(oi.quantity) FILTER (
                       WHERE o.status IN ('paid', 'processing', 'fulfilled', 'refunded')
                          OR (o.status = 'failed' AND o.cancelled_at IS NULL)) AS sold,
                   sum(oi.quantity) FILTER (WHERE o.status = 'pending') AS held
            FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE oi.variant_id = i.variant_id
        ) s ON true
        WHERE i.variant_id IS NOT NULL AND (i.sold <> coalesce(s.sold, 0) OR i.reserved <> coalesce(s.held, 0))
        """,
        "variant {0}: inventory sold {1} but paid orders hold {2}; reserved {3} but unpaid orders hold {4}",
    ),
]

"""Writes of the store, one module per topic: checkout (cart to placed order, cancel, abandon), payments
(the gateway's answers), refunds. Part of the lock order and the helpers they share live in checkout."""

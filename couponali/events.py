"""Domain events that an app above the sender listens to, for notifications to the outside world only.

A lower app (offers, wallet) cannot import the partners app that sends webhooks to brands, so it announces what
happened through these signals and partners subscribes (partners/receivers.py). They carry ids and a few plain
values, are sent inside the sender's transaction after the change is written, and a receiver may only record
what it will tell someone (the webhook deliveries, written in that same transaction so that a rolled-back change
announces nothing) and queue work with couponali.celery.enqueue_on_commit. No business rule may hang off them
(README, house style): the sender's service has done all of its work before it sends.

These are plain django.dispatch signals sent by our services, not model signals (those stay banned).
"""

from __future__ import annotations

from django.dispatch import Signal

offer_changed = Signal()
"""An offer was created, updated or expired. Keywords: ``offer_id``, ``merchant_id``, ``change`` ("created",
"updated", "expired")."""

conversion_recorded = Signal()
"""A network reported a new conversion, now a cashback event. Keywords: ``event_id``, ``merchant_id``."""

cashback_status_changed = Signal()
"""Cashback events changed status (confirmed/paid, rejected, reversed). Keywords: ``event_ids`` (a list: the
auto-confirm batch sends one signal for its whole batch), ``status``."""

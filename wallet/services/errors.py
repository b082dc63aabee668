"""The wallet's refusals. Each says its HTTP answer (``http_status``, ``error_code``) for the API's one exception
handler (couponali.api_errors); pages and the admin show the message."""

from __future__ import annotations


class WalletError(Exception):
    """A refusal with a message fit to show the user or staff member; nothing was changed."""

    http_status = 400
    error_code = "invalid"


class InsufficientBalance(WalletError):
    """The debit would take the balance below zero."""

    http_status = 409
    error_code = "insufficient_balance"


class IllegalTransition(WalletError):
    """The entity's lifecycle does not allow this move from its current state."""

    http_status = 409
    error_code = "illegal_transition"


class NotAllowed(WalletError):
    """The actor may not do this (not in finance, same approver twice, no verified KYC...)."""

    http_status = 403
    error_code = "not_allowed"

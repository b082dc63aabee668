"""The refusals of accounts: typed, with a message safe to show to the person.

Each class says how the API answers it (``http_status``, read by the one DRF exception handler,
couponali.api_errors); the pages show the message in the form. Its own module (re-exported by
accounts.services) because the selectors raise one too (``referrer_for_code``).
"""

from __future__ import annotations


class AccountsError(Exception):
    """A refusal the caller shows to the person (its message is safe to display)."""

    default = "That did not work."
    http_status = 400

    def __init__(self, message: str | None = None):
        super().__init__(message or self.default)


class InvalidCredentials(AccountsError):
    default = "That e-mail/mobile and password do not match an account."
    http_status = 401


class AccountLocked(AccountsError):
    http_status = 401

    def __init__(self, retry_after: int):
        minutes = max(1, round(retry_after / 60))
        super().__init__(
            f"Too many failed sign-ins for this account. Try again in {minutes} minute{'s' if minutes > 1 else ''}"
            " or reset your password."
        )
        self.retry_after = retry_after


class VerificationRequired(AccountsError):
    """The password was right but the account may not sign in yet (User.may_sign_in)."""

    default = "Verify your e-mail or mobile number on the website first."
    http_status = 403


class InvalidReferralCode(AccountsError):
    default = "This referral code is not valid."


class CodeInvalid(AccountsError):
    def __init__(self, remaining: int):
        super().__init__(
            f"That code is not right. {remaining} attempt{'s' if remaining != 1 else ''} left."
            if remaining
            else "That code is not right, and it cannot be used any more. Ask for a new code."
        )
        self.remaining = remaining


class CodeExpired(AccountsError):
    default = "This code or link has expired or was already used. Ask for a new one."


class TooManyAttempts(AccountsError):
    default = "Too many wrong attempts for this code. Ask for a new code."


class TokenInvalid(AccountsError):
    default = "The token is invalid, expired or revoked. Sign in again."
    http_status = 401

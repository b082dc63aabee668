"""Secrets for sessions, API tokens and one-time codes, and the hashes that are stored instead of them."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.crypto import salted_hmac

ISSUER = "couponali"
ALGORITHM = "HS256"


def new_secret() -> str:
    """256 random bits, URL-safe: browser session tokens, refresh tokens, e-mail link tokens."""
    return secrets.token_urlsafe(32)


def new_otp() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def token_hash(secret: str) -> str:
    """What user_sessions.token stores: SHA-256 of a 256-bit random secret (no key needed at that entropy)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def code_hash(secret: str) -> str:
    """What verification_codes.secret_hash stores. Keyed, because a 6-digit code has only a million values."""
    return salted_hmac("accounts.verification-code", secret, algorithm="sha256").hexdigest()


# ---------------------------------------------------------------- JWT access tokens


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: int
    family_id: uuid.UUID
    expires_at: datetime


class InvalidAccessToken(Exception):
    pass


def _key() -> str:
    key = settings.ACCOUNTS_JWT_SIGNING_KEY
    if not key or len(key) < 32:
        raise ImproperlyConfigured("ACCOUNTS_JWT_SIGNING_KEY must be set to at least 32 random characters.")
    return key


def access_token_encode(*, user_id: int, session_id: int, family_id: uuid.UUID) -> tuple[str, datetime]:
    now = timezone.now()
    expires = now + settings.ACCOUNTS_ACCESS_TOKEN_TTL
    payload = {
        "iss": ISSUER,
        "typ": "access",
        "sub": str(user_id),
        "sid": session_id,
        "fam": str(family_id),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(payload, _key(), algorithm=ALGORITHM), expires


def access_token_decode(token: str) -> AccessClaims:
    try:
        data = jwt.decode(
            token,
            _key(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid", "fam", "typ"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidAccessToken("The access token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise InvalidAccessToken("The access token is not valid.") from exc
    if data.get("typ") != "access":
        raise InvalidAccessToken("Not an access token.")
    try:
        return AccessClaims(
            user_id=int(data["sub"]),
            session_id=int(data["sid"]),
            family_id=uuid.UUID(data["fam"]),
            expires_at=datetime.fromtimestamp(data["exp"], tz=UTC),
        )
    except (TypeError, ValueError) as exc:
        raise InvalidAccessToken("The access token is not valid.") from exc

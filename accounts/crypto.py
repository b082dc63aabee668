"""Application-level encryption of KYC values, their blind index and their masks.

PAN, bank account number and UPI id are encrypted before they reach the database with the ``cryptography``
package's MultiFernet (AES-128-CBC + HMAC-SHA256, authenticated). ``KYC_ENCRYPTION_KEYS`` lists Fernet keys
newest first: new values are encrypted under the first, any listed key decrypts, and ``manage.py
rotate_kyc_keys`` re-encrypts every value under the first so that old keys can then be removed.

The keys come from the environment and are never derived from SECRET_KEY (rotating one must not touch the
other). The blind index is an HMAC-SHA256 of the normalised PAN under its own key, ``KYC_BLIND_INDEX_KEY``:
equal PANs give equal hashes, so duplicates are found without decrypting, and a dump without the key does
not give the PANs back.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from couponali import masking


class DecryptionFailed(Exception):
    """The value was not encrypted under any configured key (or was tampered with)."""


def _keys() -> tuple[str, ...]:
    keys = tuple(k.strip() for k in settings.KYC_ENCRYPTION_KEYS if k and k.strip())
    if not keys:
        raise ImproperlyConfigured("KYC_ENCRYPTION_KEYS is not set: give one or more Fernet keys, newest first.")
    return keys


@functools.lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "KYC_ENCRYPTION_KEYS must be url-safe base64 Fernet keys of 32 bytes "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        ) from exc


def fernet() -> MultiFernet:
    return _multifernet(_keys())


def encrypt(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str | None) -> str | None:
    if token in (None, ""):
        return None
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("A KYC value could not be decrypted with the configured keys.") from exc


def rotate(token: str | None) -> str | None:
    """Re-encrypt under the newest key (MultiFernet.rotate: decrypt with any key, encrypt with the first)."""
    if token in (None, ""):
        return token
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("A KYC value could not be decrypted with the configured keys.") from exc


def blind_index(value: str | None) -> str | None:
    if not value:
        return None
    key = settings.KYC_BLIND_INDEX_KEY
    if not key or len(key) < 32:
        raise ImproperlyConfigured("KYC_BLIND_INDEX_KEY must be set to at least 32 random characters.")
    return hmac.new(key.encode(), value.strip().upper().encode(), hashlib.sha256).hexdigest()


def check_configuration() -> list[str]:
    """Problems with the KYC keys, for the system check (empty when all is well)."""
    problems: list[str] = []
    try:
        fernet()
    except ImproperlyConfigured as exc:
        problems.append(str(exc))
    try:
        blind_index("AAAAA0000A")
    except ImproperlyConfigured as exc:
        problems.append(str(exc))
    return problems


# ---------------------------------------------------------------- masks
# One masking rule for the whole site lives in the kernel (the audit log applies it too); re-exported here for the
# KYC pages and services that already use accounts.crypto.
mask_tail = masking.mask_tail
mask_upi = masking.mask_upi
masked = masking.masked

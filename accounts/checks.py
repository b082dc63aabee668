"""System checks: the KYC and token keys must be usable before the app serves anyone."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from . import crypto


@register()
def keys_configured(app_configs, **kwargs) -> list[Error]:
    errors = [Error(problem, id="accounts.E001") for problem in crypto.check_configuration()]
    key = getattr(settings, "ACCOUNTS_JWT_SIGNING_KEY", "")
    if not key or len(key) < 32:
        errors.append(
            Error("ACCOUNTS_JWT_SIGNING_KEY must be set to at least 32 random characters.", id="accounts.E002")
        )
    if key and key == settings.SECRET_KEY:
        errors.append(Error("ACCOUNTS_JWT_SIGNING_KEY must differ from SECRET_KEY.", id="accounts.E003"))
    blind = getattr(settings, "KYC_BLIND_INDEX_KEY", "")
    if blind and blind in (settings.SECRET_KEY, key):
        errors.append(Error("KYC_BLIND_INDEX_KEY must be its own key.", id="accounts.E004"))
    return errors

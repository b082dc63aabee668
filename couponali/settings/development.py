"""Settings for `make run` and local work. Secrets here are throw-away values, never used in production."""

from .base import *  # noqa: F403
from .base import configure_services, env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-not-secret-8c1f2b7e4d9a6e3f0b5c2a7d1e8f4b6a")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

# Throw-away postback secrets so that `make run` accepts the sample postbacks (README, Wallet section).
POSTBACK_SECRETS = env.dict(
    "POSTBACK_SECRETS",
    default={"admitad": "dev-admitad-secret", "vcommission": "dev-vc-secret", "cuelinks": "dev-cl-secret"},
)

configure_services(globals())

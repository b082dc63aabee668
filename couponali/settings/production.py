"""Production settings: refuse to start without a secret key, DEBUG off, HTTPS everywhere."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # ImproperlyConfigured when unset: no default on purpose
BENCH_BASELINE_VIEW = False  # the benchmark's bare-302 view is never routed in production

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
# No defaults on purpose: ImproperlyConfigured names the missing variable. accounts.checks validates them.
KYC_ENCRYPTION_KEYS = env.list("KYC_ENCRYPTION_KEYS")
KYC_BLIND_INDEX_KEY = env.str("KYC_BLIND_INDEX_KEY")
ACCOUNTS_JWT_SIGNING_KEY = env.str("ACCOUNTS_JWT_SIGNING_KEY")

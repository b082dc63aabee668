"""Settings for pytest: the real PostgreSQL and Redis (embedded when no URL is set)."""

from .base import *  # noqa: F403
from .base import configure_services, env

DEBUG = False
SECRET_KEY = "test-only-not-secret-1b9e6a3c5d7f2e8a4c6b0d1e3f5a7c9e"
# Hashing cost is not what the suite tests; a cheap hasher keeps factories fast. Argon2 stays first in
# base.py, which a test checks.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
# Throw-away keys; the KYC tests switch them to test rotation.
KYC_ENCRYPTION_KEYS = ["mwFMClSqNRr9yJuD7XnXoZvYc2k1JFXAmgylRHWNa_E="]
KYC_BLIND_INDEX_KEY = "test-only-blind-index-key-8e1d4b7a2c9f6e3d0a5b"
ACCOUNTS_JWT_SIGNING_KEY = "test-only-jwt-key-5c8f1e4a7d2b9c6e3f0a"
# Fake provider apps: the tests answer the providers' HTTP calls with `responses`.
SOCIALACCOUNT_PROVIDERS["google"]["APP"] = {"client_id": "test-google-client.apps.example", "secret": "g-secret"}
SOCIALACCOUNT_PROVIDERS["facebook"]["APP"] = {"client_id": "1234567890", "secret": "fb-secret"}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHE_KEY_PREFIX = "test"
REDIS_DB = env.int("TEST_REDIS_DB", default=1)
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
# Tasks run inline when their transaction commits; tests of the real worker and broker switch this off
# (couponali.testing.celery_worker).
# Static files straight from static/ (no collectstatic before tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

# Affiliate postback secrets used by the tests (sent as ?secret= or signed).
POSTBACK_SECRETS = {"admitad": "test-admitad-secret", "vcommission": "test-vc-secret", "cuelinks": "test-cl-secret"}

# No Razorpay keys: the local fake checkout signs payments with this throw-away secret (orders/gateway.py).
RAZORPAY_FAKE_CHECKOUT = True
RAZORPAY_FAKE_SECRET = "test-only-fake-razorpay-secret-9d2f6a1e"

configure_services(globals())

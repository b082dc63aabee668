"""Settings for pytest: the real PostgreSQL and Redis, whose URLs `make test` sets (devtools/embedded.py)."""

from .base import *  # noqa: F403
from .base import DATABASES, cache_settings, env, redis_url_with_db

DEBUG = False
# Fixed, whatever PORT or SITE_URL the shell running the tests has.
SITE_URL = "http://127.0.0.1:8000"
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
# Tests use their own logical Redis database (and key prefix) so that flushing it never touches `make run`'s data.
REDIS_URL = redis_url_with_db(REDIS_URL, env.int("TEST_REDIS_DB", default=1))
CACHES = cache_settings(REDIS_URL, key_prefix="test")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
RATELIMIT_STORAGE_URL = env.str("RATELIMIT_STORAGE_URL", default=REDIS_URL)
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
SUPPORT_ATTACHMENTS_ROOT = BASE_DIR / "var" / "test-private" / "support"
# Static files straight from static/ (no collectstatic before tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tasks run inline when their transaction commits; tests of the real worker and broker switch this off
# (devtools.testing.celery_worker).
CELERY_TASK_ALWAYS_EAGER = True
# Every request re-reads the SEO redirect generation (the cache is emptied between tests).
SEO_REDIRECTS_MAX_AGE = 0.0
CELERY_TASK_EAGER_PROPAGATES = True

# Affiliate postback secrets used by the tests (sent as ?secret= or signed).
POSTBACK_SECRETS = {"admitad": "test-admitad-secret", "vcommission": "test-vc-secret", "cuelinks": "test-cl-secret"}

# Demo logins for the seed_demo tests (development.py has the ones `make run` prints).
DEMO_STAFF_EMAIL = "demo-staff@couponali.test"
DEMO_SHOPPER_EMAIL = "demo-shopper@couponali.test"
DEMO_AGENT_EMAIL = "demo-agent@couponali.test"
DEMO_FINANCE_EMAIL = "demo-finance@couponali.test"
DEMO_EDITOR_EMAIL = "demo-editor@couponali.test"
DEMO_ANALYST_EMAIL = "demo-analyst@couponali.test"
DEMO_BRAND_EMAIL = "demo-brands@couponali.test"
DEMO_PASSWORD = "Demo-test-2026"

# The concurrency tests run 16 worker threads beside the main thread, each holding a pooled connection; a pool of
# exactly 16 (the web default) made one of them wait for another to finish, which on a loaded machine exceeded the
# pool's 10 s timeout. Tests get headroom; the web's pool size is unchanged.
DATABASES["default"]["OPTIONS"]["pool"] = {**DATABASES["default"]["OPTIONS"]["pool"], "max_size": 24}

# No Razorpay keys: the local fake checkout signs payments with this throw-away secret (orders/gateway.py).
RAZORPAY_FAKE_CHECKOUT = True
RAZORPAY_FAKE_SECRET = "test-only-fake-razorpay-secret-9d2f6a1e"

# The API throttle's tests set their own small rates; the rest of the suite (the schema-driven test sends hundreds
# of requests from one address) stays under these.
API_RATE_LIMITS = {"key": "100000/minute", "user": "100000/minute", "anon": "100000/minute"}

# Webhook tests post to faked receivers (responses) on hosts that do not resolve here.
PARTNER_WEBHOOKS_ALLOW_LOCAL = True

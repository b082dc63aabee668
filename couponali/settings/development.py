"""Settings for `make run` and local work. Secrets here are throw-away values, never used in production."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-not-secret-8c1f2b7e4d9a6e3f0b5c2a7d1e8f4b6a")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# Throw-away keys for local work only (production.py requires real ones from the environment).
KYC_ENCRYPTION_KEYS = env.list("KYC_ENCRYPTION_KEYS", default=["zCTWwugBZ3ve51CzCwOoVOfL4Fl_ZdJlpRwNAVb6zjA="])
KYC_BLIND_INDEX_KEY = env.str("KYC_BLIND_INDEX_KEY", default="dev-only-blind-index-key-3f9a1c7e5b2d8f4a6c0e")
ACCOUNTS_JWT_SIGNING_KEY = env.str("ACCOUNTS_JWT_SIGNING_KEY", default="dev-only-jwt-key-7a2c9e4f1b8d3a6c5e0f")

# Throw-away postback secrets so that `make run` accepts the sample postbacks (README, Wallet section).
POSTBACK_SECRETS = env.dict(
    "POSTBACK_SECRETS",
    default={"admitad": "dev-admitad-secret", "vcommission": "dev-vc-secret", "cuelinks": "dev-cl-secret"},
)

# Demo logins that `manage.py seed_demo` creates and `make run` prints (devtools/runner.py). Only the development
# and test settings define them: seed_demo refuses to run without them.
DEMO_STAFF_EMAIL = "admin@couponali.in"
DEMO_SHOPPER_EMAIL = "shopper@couponali.in"
DEMO_AGENT_EMAIL = "support@couponali.in"  # a support-desk agent who is not a superuser
# Staff with one seeded role each (README, "Roles and permissions"): finance, content editor, analyst, and a
# merchant manager granted two stores.
DEMO_FINANCE_EMAIL = "finance@couponali.in"
DEMO_EDITOR_EMAIL = "editor@couponali.in"
DEMO_ANALYST_EMAIL = "analyst@couponali.in"
DEMO_BRAND_EMAIL = "brands@couponali.in"
DEMO_PASSWORD = "CouponAli@2026"

# No Razorpay keys: the local fake checkout signs payments with this throw-away secret (orders/gateway.py).
RAZORPAY_FAKE_CHECKOUT = env.bool("RAZORPAY_FAKE_CHECKOUT", default=True)
RAZORPAY_FAKE_SECRET = env.str("RAZORPAY_FAKE_SECRET", default="dev-only-fake-razorpay-secret-4e7b1c9a")

# Webhooks to a receiver on this machine (http://localhost) while developing.
PARTNER_WEBHOOKS_ALLOW_LOCAL = env.bool("PARTNER_WEBHOOKS_ALLOW_LOCAL", default=True)

"""Production settings: refuse to start without a secret key or with a stand-in backend, DEBUG off, HTTPS
everywhere."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, site_url_from_env

# Stand-ins for `make run` and the tests: the fake gateway "pays" nobody, the console and file backends print or
# write the OTPs and reset links instead of delivering them. Each is refused at start-up, like a missing secret,
# with what to set instead.
STAND_IN_BACKENDS = {
    "PAYOUT_GATEWAY": (
        {"wallet.gateways.FakePayoutGateway"},
        "PAYOUT_GATEWAY=wallet.gateways.RazorpayXGateway (and RAZORPAYX_KEY_ID, RAZORPAYX_KEY_SECRET, "
        "RAZORPAYX_ACCOUNT_NUMBER)",
    ),
    "SMS_BACKEND": (
        {"accounts.sms.ConsoleSmsBackend", "accounts.sms.FileSmsBackend", "accounts.sms.LocmemSmsBackend"},
        "SMS_BACKEND=accounts.sms.HttpSmsBackend (and SMS_HTTP_URL, SMS_HTTP_API_KEY)",
    ),
    # The local generator makes up voucher codes that no brand honours: selling them would defraud the buyer.
    "GIFTCARD_SUPPLIER_BACKEND": (
        {"orders.suppliers.LocalVoucherSupplier"},
        "GIFTCARD_SUPPLIER_BACKEND=orders.suppliers.HttpVoucherSupplier (and GIFTCARD_SUPPLIER_URL, "
        "GIFTCARD_SUPPLIER_API_KEY)",
    ),
    "EMAIL_BACKEND": (
        {
            "django.core.mail.backends.console.EmailBackend",
            "django.core.mail.backends.filebased.EmailBackend",
            "django.core.mail.backends.locmem.EmailBackend",
            "django.core.mail.backends.dummy.EmailBackend",
        },
        "EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend (and EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, "
        "EMAIL_HOST_PASSWORD, EMAIL_USE_TLS)",
    ),
}
# What the real backends cannot work without.
BACKEND_SECRETS = {
    "wallet.gateways.RazorpayXGateway": ("RAZORPAYX_KEY_ID", "RAZORPAYX_KEY_SECRET", "RAZORPAYX_ACCOUNT_NUMBER"),
    "accounts.sms.HttpSmsBackend": ("SMS_HTTP_URL", "SMS_HTTP_API_KEY"),
    "orders.suppliers.HttpVoucherSupplier": ("GIFTCARD_SUPPLIER_URL", "GIFTCARD_SUPPLIER_API_KEY"),
}


def refuse_stand_ins(namespace: dict) -> None:
    for setting, (stand_ins, instead) in STAND_IN_BACKENDS.items():
        if namespace[setting] in stand_ins:
            raise ImproperlyConfigured(
                f"{setting}={namespace[setting]} is a development stand-in and is refused in production: set {instead}."
            )
        missing = [name for name in BACKEND_SECRETS.get(namespace[setting], ()) if not namespace[name]]
        if missing:
            raise ImproperlyConfigured(f"{setting}={namespace[setting]} needs {', '.join(missing)} in production.")


DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # ImproperlyConfigured when unset: no default on purpose

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
SITE_URL = site_url_from_env(required=True)  # every absolute link (e-mails, SMS, sitemap); no default on purpose

# Webhooks to private networks (SSRF) are never allowed in production, whatever the environment says.
PARTNER_WEBHOOKS_ALLOW_LOCAL = False

refuse_stand_ins(globals())

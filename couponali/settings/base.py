"""Settings shared by every environment. Values come from the environment (django-environ); see .env.example.

Nothing secret has a default here: development.py and test.py supply throw-away values, production.py
requires them.
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry

from couponali.links import development_site_url, validate_site_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env is optional; real environment variables win over it.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = False
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])


def site_url_from_env(*, required: bool) -> str:
    """SITE_URL, the base of every absolute link (couponali.links). Outside production it defaults to where
    `make run` serves (HOST, PORT); production requires it."""
    value = env.str("SITE_URL") if required else env.str("SITE_URL", default="") or development_site_url(os.environ)
    try:
        return validate_site_url(value)
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from None


SITE_URL = site_url_from_env(required=False)

INSTALLED_APPS = [
    # The admin with our AdminSite (work queues, sections, plumbing for superusers only): couponali/admin_site.py.
    "couponali.admin_apps.CouponAliAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "csp",
    "guardian",
    # Google and Facebook sign-in only (SOCIALACCOUNT_ONLY); email/mobile sign-in is the accounts app's own.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    "couponali",
    "accounts",
    "catalog",
    "offers",
    "wallet",
    "orders",
    "referrals",
    "cms",
    # Reads the other apps' tables through materialized views (the admin's dashboard).
    "analytics",
    # Partner organisations, API keys, brand self-service and outgoing webhooks (above analytics: its reports).
    "partners",
    # On top of every app: it builds its data through their services.
    "demo",
]

MIDDLEWARE = [
    # X-Request-ID and the client's IP for the audit log of this request (couponali/middleware.py).
    "couponali.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Cache-Control: no-store on wallet, account, API... responses (couponali/cache_headers.py).
    "couponali.cache_headers.NoStoreMiddleware",
    # 400 for a NUL character anywhere in the input, before anything reads it (couponali/middleware.py);
    # after the header middleware above, so that its answer carries their headers too.
    "couponali.middleware.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # SEO redirects (seo_redirects), an in-memory exact-path lookup before anything else is done.
    "cms.middleware.SeoRedirectMiddleware",
    # Anonymous offer click-outs are answered here, before sessions and authentication (offers/middleware.py).
    "offers.middleware.ClickoutLeanPathMiddleware",
    # Anonymous GETs of the public catalogue pages from the page cache (offers/pagecache.py), before sessions.
    "offers.middleware.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signs out revoked/expired browser sessions and authenticates API bearer tokens, before the RLS scope
    # is chosen from request.user.
    "accounts.middleware.SessionGuardMiddleware",
    "accounts.middleware.ReferralCodeMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "couponali.middleware.RowLevelSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A signed-in shopper's public catalogue page: the shared copy with their own header and messages filled in
    # (offers/pagecache.py), instead of the view. Last, so that everything above knows the request.
    "offers.middleware.PersonalisedPageMiddleware",
]

# Content-Security-Policy (django-csp) on every response, the admin and the API docs included. No inline script
# anywhere: scripts are static files ('self'); where one cannot be avoided, csp.constants.NONCE and
# {{ request.csp_nonce }}. Inline styles stay allowed: the admin's change list, Swagger UI and ReDoc inject them,
# and a style cannot run code. Images may come from store networks' https CDNs (merchant logos).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "https:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    },
}

ROOT_URLCONF = "couponali.urls"
WSGI_APPLICATION = "couponali.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "couponali.context_processors.site",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.EmailOrMobileBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "/accounts/login/"
# django-guardian: no anonymous user row (our users need an email or a mobile number).
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

# Argon2 first: new and re-hashed passwords use it; the others only verify older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-in"
FORMAT_MODULE_PATH = ["couponali.formats"]  # en_IN: "4 Dec 2026, 3:05 p.m. IST" in the admin and forms
TIME_ZONE = "Asia/Kolkata"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The database holds the sessions and Redis serves the reads: a Redis restart or outage signs nobody out (the next
# request reads the row and caches it again).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "default"

# ---------------------------------------------------------------- database and Redis

# DATABASE_URL is what the web app and the workers connect as; DATABASE_OWNER_URL (same server and
# database) is the role that owns the tables and runs migrations. Settings only read the URLs and never start a
# server: in a development checkout `make run` and `make test` start embedded ones under var/ and set the URLs
# (devtools/embedded.py).
# Per process. A gunicorn worker runs GUNICORN_THREADS request threads (gunicorn.conf.py), each of
# which may hold a connection: the pool never has fewer connections than that.
DATABASE_POOL = {
    "min_size": 2,
    "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=max(8, env.int("GUNICORN_THREADS", default=16))),
    "timeout": 10,
}


DATABASE_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}


def required_url(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"DATABASE_URL and REDIS_URL must be set ({name} is not). In a development checkout `make run` and "
            "`make test` start embedded PostgreSQL and Valkey and set them; run any other command through "
            "`.venv/bin/python -m devtools.embedded run -- <command>` (e.g. `make manage ARGS=shell`)."
        )
    return value


def database_config(url: str) -> dict:
    cfg = env.db_url_config(url)
    options = cfg.setdefault("OPTIONS", {})
    # Unix-socket URLs (postgresql://user@/db?host=/path) carry host and port as query options.
    if "host" in options:
        cfg["HOST"] = options.pop("host")
    if "port" in options:
        cfg["PORT"] = str(options.pop("port"))
    return cfg


# Every Redis client of the app (cache, sessions, rate limits, impression buffers) connects with these options.
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=1.0)
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.5)


# redis-py connection options of our clients. A connection that Redis closed (a restart) fails its next command
# with ConnectionError: one immediate retry on a new connection makes the restart invisible, and a request that
# meets a Redis that is really down loses two refused connects, not the seconds of redis-py's default (ten
# retries with backoff). Timeouts are not retried (a hung or unreachable server would hold the request longer;
# each call waits at most the timeouts below). The health check PINGs a connection that sat idle before use.
REDIS_CONNECTION_OPTIONS = {
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "retry": Retry(NoBackoff(), retries=1, supported_errors=(RedisConnectionError,)),
    "health_check_interval": 30,
}


def database_settings(*, url: str, owner_url: str, pool: dict | None) -> tuple[dict, dict]:
    """DATABASES (the app role, pooled) and DATABASE_OWNER (the owner role's credentials) for the two URLs."""
    default = database_config(url)
    # TCP keepalives: a server that vanished without closing the connection (a crashed host, a dropped network
    # path) fails the waiting query within about a minute instead of the kernel's two hours. That bounds how long
    # a request, and the click-outs queued behind a click INSERT (offers/click_writer.py), can hang on it. (libpq
    # ignores them on unix sockets; a URL can set its own.)
    for key, value in DATABASE_KEEPALIVES.items():
        default["OPTIONS"].setdefault(key, value)
    default["CONN_MAX_AGE"] = 0  # the pool below keeps connections; Django must not keep its own
    default["CONN_HEALTH_CHECKS"] = False
    if pool:
        default["OPTIONS"]["pool"] = dict(pool)
    if env.str("DATABASE_TEST_NAME", default=""):
        default["TEST"] = {"NAME": env.str("DATABASE_TEST_NAME")}
    owner = database_config(owner_url or url)
    return {"default": default}, {k: owner[k] for k in ("USER", "PASSWORD", "HOST", "PORT")}


def redis_url_with_db(url: str, db: int) -> str:
    """The same Redis server with another logical database."""
    base, _, current = url.rpartition("/")
    return f"{base}/{db}" if current.isdigit() else f"{url.rstrip('/')}/{db}"


def cache_settings(redis_url: str, *, key_prefix: str) -> dict:
    return {
        "default": {
            # django-redis: with IGNORE_EXCEPTIONS an unreachable Redis is a cache miss (reads fall back to the
            # database) and a skipped write, logged (throttled) on the couponali.redis logger, never a 500.
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": key_prefix,
            "TIMEOUT": 300,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "CONNECTION_POOL_KWARGS": REDIS_CONNECTION_OPTIONS,
            },
        }
    }


DATABASES, DATABASE_OWNER = database_settings(
    url=required_url("DATABASE_URL"), owner_url=env.str("DATABASE_OWNER_URL", default=""), pool=DATABASE_POOL
)
REDIS_URL = required_url("REDIS_URL")
CACHES = cache_settings(REDIS_URL, key_prefix="ca")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
RATELIMIT_STORAGE_URL = env.str("RATELIMIT_STORAGE_URL", default=REDIS_URL)

# ---------------------------------------------------------------- Celery

CELERY_TASK_ACKS_LATE = True  # a task lost with its worker is delivered again; every task is idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(hours=6)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    # With the broker down, publishing a task gives up within about a second (the request that queued it goes on;
    # see couponali.celery.enqueue) instead of waiting on a connection.
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "health_check_interval": 30,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# The whole periodic schedule, one block per app.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "healthcheck-heartbeat": {"task": "couponali.tasks.heartbeat", "schedule": timedelta(minutes=1)},
    # accounts: drop spent verification codes and sessions long past their expiry.
    "accounts-purge-expired": {"task": "accounts.purge_expired", "schedule": timedelta(hours=6)},
    # offers: impressions, counters, expiry, click partitions, the words search corrects typos against
    "offers-flush-impressions": {"task": "offers.tasks.flush_impressions", "schedule": timedelta(seconds=30)},
    "offers-aggregate-counters": {"task": "offers.tasks.aggregate_counters", "schedule": timedelta(minutes=5)},
    "offers-expire": {"task": "offers.tasks.expire_offers", "schedule": timedelta(minutes=1)},
    "offers-click-partitions": {"task": "offers.tasks.ensure_click_partitions", "schedule": timedelta(hours=12)},
    "offers-search-words": {"task": "offers.tasks.refresh_search_words", "schedule": timedelta(minutes=30)},
    # wallet and referrals: cashback past its validation period, payouts, the nightly invariant check, and
    # the sweep that catches referral messages lost on the way
    "wallet-auto-confirm-cashback": {"task": "wallet.auto_confirm_cashback", "schedule": timedelta(hours=1)},
    "wallet-process-payouts": {"task": "wallet.process_payouts", "schedule": timedelta(minutes=1)},
    "wallet-reconcile-nightly": {"task": "wallet.reconcile_wallets", "schedule": crontab(hour=2, minute=30)},
    "referrals-sweep": {"task": "referrals.sweep", "schedule": timedelta(hours=1)},
    # analytics: recompute the dashboard's materialized views (concurrently: pages keep reading them)
    "analytics-refresh-views": {"task": "analytics.refresh_views", "schedule": timedelta(minutes=15)},
    # partners: send the webhook deliveries whose (re)try is due (exponential backoff, for 24 hours)
    "partners-retry-webhooks": {"task": "partners.retry_webhooks", "schedule": timedelta(minutes=1)},
}

# ---------------------------------------------------------------- partners (outgoing webhooks)

# Seconds a webhook receiver has to answer one attempt (the delivery row stays locked meanwhile).
PARTNER_WEBHOOKS_TIMEOUT = env.float("PARTNER_WEBHOOKS_TIMEOUT", default=10.0)
# Allow http://localhost targets and private addresses (development and tests only; never in production, where
# every target must be https:// and resolve to public addresses only: SSRF).
PARTNER_WEBHOOKS_ALLOW_LOCAL = env.bool("PARTNER_WEBHOOKS_ALLOW_LOCAL", default=False)

# ---------------------------------------------------------------- REST API

REST_FRAMEWORK = {
    # drf-spectacular's, plus the error answers every operation can give (couponali/api_schema.py).
    "DEFAULT_SCHEMA_CLASS": "couponali.api_schema.AutoSchema",
    # Partner API keys (partners.authentication.ApiKeyAuthentication) are accepted by the partner endpoints alone,
    # which name it themselves: a key never signs in to a shopper endpoint as its organisation's service user.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.AccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "couponali.api_parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # JSON only: no browsable API (it would need inline scripts, which the CSP forbids).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Long lists page with a cursor (couponali/api_pagination.py); filters with django-filter, ?ordering= with
    # DRF's OrderingFilter, which the cursor follows.
    "DEFAULT_PAGINATION_CLASS": "couponali.api_pagination.CursorPage",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # Per API key, per user, else per address, in the site's Redis limits (couponali/api_throttling.py).
    "DEFAULT_THROTTLE_CLASSES": ["couponali.api_throttling.RedisRateThrottle"],
    # Refusals of the services become HTTP answers here, from the status their exception classes declare, all
    # in one error format: {"error": {"code", "message", "fields"}}.
    "EXCEPTION_HANDLER": "couponali.api_errors.exception_handler",
}
# Requests per caller of the API (sliding windows; `limits` notation). Per API key, per signed-in user, and per
# client address for anonymous calls.
API_RATE_LIMITS = {
    "key": env.str("API_RATE_LIMIT_KEY", default="1200/minute"),
    "user": env.str("API_RATE_LIMIT_USER", default="600/minute"),
    "anon": env.str("API_RATE_LIMIT_ANON", default="300/minute"),
}
API_DESCRIPTION = """The CouponAli API for partners and the shopper's app: the catalogue (categories, stores, offers,
search, gift cards), click-outs, and the signed-in shopper's account, wallet, referrals, notifications, support
tickets and gift-card orders. JSON in and out, under /api/v1/.

**Authentication.** `POST /api/v1/auth/token/` with the shopper's e-mail or mobile and password answers a
10-minute JWT access token (send it as `Authorization: Bearer <token>`) and a 30-day refresh token; exchange the
refresh token at `POST /api/v1/auth/token/refresh/` (it rotates on every use). Catalogue reads need no token.

**Errors.** Every failure answers one shape, whatever the status (400, 401, 403, 404, 405, 409, 422, 429, 500):
`{"error": {"code": "not_found", "message": "No such offer.", "fields": {}}}`. `code` is for programs, `message`
for people, `fields` names the refused request fields.

**Pagination.** Long lists answer `{"next": <url|null>, "previous": <url|null>, "results": [...]}`; follow
`next` (an opaque `cursor` parameter). `page_size` up to 100 (default 50); `ordering` where a list documents it.

**Throttling.** Per API key, per signed-in user, else per client address (API_RATE_LIMITS: 1200, 600 and 300
requests a minute by default). Past it: 429 with a `Retry-After` header (seconds). Click-outs and sign-in have
the site's own, tighter limits.

**Money** is a decimal string in rupees (`"1299.00"`), never a float.
"""
SPECTACULAR_SETTINGS = {
    "TITLE": "CouponAli API",
    "DESCRIPTION": API_DESCRIPTION,
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Separate request and response components, so read-only fields are not asked for in requests.
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status" (and "category") choice set: each gets its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.Order.Status",
        "TicketStatusEnum": "cms.models.SupportTicket.Status",
        "TicketCategoryEnum": "cms.models.SupportTicket.Category",
        "WithdrawalStatusEnum": "wallet.models.Withdrawal.Status",
    },
    # Swagger UI and ReDoc assets come from the drf-spectacular-sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# ---------------------------------------------------------------- logging

# Redis outages are logged on couponali.redis (cache reads and writes skipped by django-redis, rate limits let
# through, tasks not queued): throttled to one line per message per interval, with the count of lines held back,
# so that an outage under load is visible without flooding the log.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "couponali.redis"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"throttle": {"()": "couponali.logs.Throttle", "seconds": 30}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "couponali.redis": {"filters": ["throttle"]}},
}

# ---------------------------------------------------------------- rate limits (couponali.ratelimit)

RATELIMIT_KEY_PREFIX = "rl"
# Proxies in front of the app that append to X-Forwarded-For (0: use REMOTE_ADDR).
RATELIMIT_TRUSTED_PROXIES = env.int("RATELIMIT_TRUSTED_PROXIES", default=0)

# ---------------------------------------------------------------- accounts (sign-in, sessions, KYC)

# Browser sessions: every sign-in is a user_sessions row that expires with the session cookie.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)
# API tokens: a short-lived JWT access token and a rotating, opaque refresh token (user_sessions rows).
ACCOUNTS_ACCESS_TOKEN_TTL = timedelta(seconds=env.int("ACCOUNTS_ACCESS_TOKEN_TTL", default=600))
ACCOUNTS_REFRESH_TOKEN_TTL = timedelta(seconds=env.int("ACCOUNTS_REFRESH_TOKEN_TTL", default=60 * 60 * 24 * 30))
# One-time codes and links, stored only as keyed hashes.
ACCOUNTS_OTP_TTL = timedelta(minutes=10)
ACCOUNTS_OTP_MAX_ATTEMPTS = 5
ACCOUNTS_EMAIL_LINK_TTL = timedelta(hours=24)
ACCOUNTS_PASSWORD_RESET_TTL = timedelta(hours=1)
# Lockout: after this many failed sign-ins within the window the account is locked for the duration.
ACCOUNTS_LOCKOUT_FAILURES = env.int("ACCOUNTS_LOCKOUT_FAILURES", default=5)
ACCOUNTS_LOCKOUT_WINDOW = timedelta(minutes=15)
ACCOUNTS_LOCKOUT_DURATION = timedelta(minutes=env.int("ACCOUNTS_LOCKOUT_MINUTES", default=15))
# Sliding-window limits (couponali.ratelimit, `limits` notation) per client IP or per target; 429 past them.
ACCOUNTS_RATE_LIMITS = {
    "signin": "20/10minutes",  # per IP
    "signup": "10/hour",  # per IP
    "referral-signup-ip": "5/hour",  # sign-ups with a referral code, per IP
    "referral-signup-code": "30/day",  # sign-ups per referral code
    "otp-send": "3/10minutes",  # codes sent to one mobile/email (resends included)
    "otp-send-ip": "10/10minutes",
    "otp-verify": "10/10minutes",  # per IP, on top of the 5 tries per code
    "password-reset": "5/hour",  # per IP
    "password-reset-target": "3/hour",  # per email/mobile
    "token": "20/10minutes",  # API token sign-in, per IP
    "token-refresh": "60/10minutes",  # per IP
}
# SMS delivery: accounts.sms.ConsoleSmsBackend (prints, the default), FileSmsBackend (one file a message under
# SMS_FILE_PATH), LocmemSmsBackend (tests), HttpSmsBackend (a provider's JSON API: SMS_HTTP_URL/_API_KEY).
SMS_BACKEND = env.str("SMS_BACKEND", default="accounts.sms.ConsoleSmsBackend")
SMS_FILE_PATH = env.path("SMS_FILE_PATH", default=BASE_DIR / "var" / "sms")
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_API_KEY = env.str("SMS_HTTP_API_KEY", default="")
SMS_SENDER_ID = env.str("SMS_SENDER_ID", default="CPNALI")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CouponAli <no-reply@couponali.in>")
# The SMTP server of django.core.mail.backends.smtp.EmailBackend (production's e-mail backend).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# KYC encryption (accounts/crypto.py): KYC_ENCRYPTION_KEYS are Fernet keys, newest first (MultiFernet);
# KYC_BLIND_INDEX_KEY keys the HMAC that finds duplicate PANs. Never derived from SECRET_KEY; no default
# here: development.py and test.py set throw-away keys, production.py requires them.
KYC_ENCRYPTION_KEYS: list[str] = []
KYC_BLIND_INDEX_KEY = ""
# Signs API access tokens (HS256); like SECRET_KEY it has no default here.
ACCOUNTS_JWT_SIGNING_KEY = ""

# django-allauth, used for Google and Facebook sign-in only. Our users columns (google_id, facebook_id,
# email_verified_at) are the source of truth; allauth keeps its own link tables beside them.
SOCIALACCOUNT_ONLY = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "accounts.social.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.social.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False  # the sign-in page POSTs (with a CSRF token) to start the OAuth dance


def social_providers() -> dict:
    """Google/Facebook apps from the environment; a provider without credentials is not offered."""
    providers: dict[str, dict] = {
        "google": {"SCOPE": ["profile", "email"], "AUTH_PARAMS": {"prompt": "select_account"}},
        # Facebook returns only confirmed addresses, so an address it gives us counts as verified.
        "facebook": {"SCOPE": ["email", "public_profile"], "VERIFIED_EMAIL": True, "METHOD": "oauth2"},
    }
    for name, id_var, secret_var in [
        ("google", "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"),
        ("facebook", "FACEBOOK_APP_ID", "FACEBOOK_APP_SECRET"),
    ]:
        client_id, secret = env.str(id_var, default=""), env.str(secret_var, default="")
        if client_id and secret:
            providers[name]["APP"] = {"client_id": client_id, "secret": secret}
    return providers


SOCIALACCOUNT_PROVIDERS = social_providers()
# ---------------------------------------------------------------- wallet, cashback, referrals, payouts

# Withdrawals: the smallest amount (rupees), and above which amount two different finance approvers are needed.
WALLET_MIN_WITHDRAWAL = Decimal(env.str("WALLET_MIN_WITHDRAWAL", default="250.00"))
WALLET_SECOND_APPROVAL_ABOVE = Decimal(env.str("WALLET_SECOND_APPROVAL_ABOVE", default="10000.00"))
# Auto-confirmation of pending cashback after the store's validation period: events per set-based batch.
CASHBACK_AUTO_CONFIRM_BATCH = env.int("CASHBACK_AUTO_CONFIRM_BATCH", default=5000)
# A reported cashback above this multiple of the reported commission is held for staff review instead of being
# paid automatically (1 = never more than the store pays us; raise it for boosted offers the site subsidises).
CASHBACK_MAX_COMMISSION_MULTIPLE = Decimal(env.str("CASHBACK_MAX_COMMISSION_MULTIPLE", default="1"))
# The shopper's share (percent) of a store commission whose row names none (merchant_commissions.cashback_percentage
# empty): catalog.selectors.cashback_rate_for applies it; the admin requires a share on new and edited rows.
CASHBACK_DEFAULT_SHARE_PERCENT = Decimal(env.str("CASHBACK_DEFAULT_SHARE_PERCENT", default="70"))
# Affiliate postbacks (/api/v1/postbacks/<network>/): one shared secret per network, "admitad=...,cuelinks=...".
# No defaults: a network without a secret is refused.
POSTBACK_SECRETS: dict[str, str] = env.dict("POSTBACK_SECRETS", default={})
# Payout gateway (dotted path): the fake bank by default; wallet.gateways.RazorpayXGateway for RazorpayX.
PAYOUT_GATEWAY = env.str("PAYOUT_GATEWAY", default="wallet.gateways.FakePayoutGateway")
PAYOUT_FAKE_OUTCOME = env.str("PAYOUT_FAKE_OUTCOME", default="success")  # success / fail / pending / timeout
PAYOUT_CONNECT_TIMEOUT = env.float("PAYOUT_CONNECT_TIMEOUT", default=5.0)
PAYOUT_READ_TIMEOUT = env.float("PAYOUT_READ_TIMEOUT", default=20.0)
RAZORPAYX_BASE_URL = env.str("RAZORPAYX_BASE_URL", default="https://api.razorpay.com/v1")
RAZORPAYX_KEY_ID = env.str("RAZORPAYX_KEY_ID", default="")
RAZORPAYX_KEY_SECRET = env.str("RAZORPAYX_KEY_SECRET", default="")
RAZORPAYX_ACCOUNT_NUMBER = env.str("RAZORPAYX_ACCOUNT_NUMBER", default="")
# Referral bonus for the referrer: a share (percent) of each confirmed cashback of the friend, and a fixed
# joining bonus when the friend's first cashback is confirmed. Either can be 0.
REFERRAL_BONUS_PERCENT = Decimal(env.str("REFERRAL_BONUS_PERCENT", default="10"))
REFERRAL_JOINING_BONUS = Decimal(env.str("REFERRAL_JOINING_BONUS", default="50.00"))
# Extra invariant checks for reconcile_wallets contributed by apps above the wallet.
WALLET_RECONCILE_CHECKS = [
    "referrals.reconcile.CHECKS",
    "orders.reconcile_gift_cards.CHECKS",
    "orders.reconcile.CHECKS",
]
# ---------------------------------------------------------------- gift cards: CouponAli's own, and fulfilment

# Where the vouchers of a paid order come from (orders/suppliers.py): the local generator, or
# orders.suppliers.HttpVoucherSupplier for a supplier's JSON API at GIFTCARD_SUPPLIER_URL with a bearer key.
GIFTCARD_SUPPLIER_BACKEND = env.str("GIFTCARD_SUPPLIER_BACKEND", default="orders.suppliers.LocalVoucherSupplier")
GIFTCARD_SUPPLIER_URL = env.str("GIFTCARD_SUPPLIER_URL", default="")
GIFTCARD_SUPPLIER_API_KEY = env.str("GIFTCARD_SUPPLIER_API_KEY", default="")
GIFTCARD_SUPPLIER_CONNECT_TIMEOUT = env.float("GIFTCARD_SUPPLIER_CONNECT_TIMEOUT", default=5.0)
GIFTCARD_SUPPLIER_READ_TIMEOUT = env.float("GIFTCARD_SUPPLIER_READ_TIMEOUT", default=20.0)
# Attempts to redeem or apply a CouponAli gift card code, per shopper and per client address (moving window in
# Redis); every attempt counts, every refused one is audited.
GIFTCARD_GUESS_RATE_LIMIT = env.str("GIFTCARD_GUESS_RATE_LIMIT", default="10/hour")
GIFTCARD_GUESS_IP_RATE_LIMIT = env.str("GIFTCARD_GUESS_IP_RATE_LIMIT", default="30/hour")
# Staff issue at most this many cards at a time, each worth at most GIFTCARD_MAX_VALUE rupees.
GIFTCARD_BATCH_MAX = env.int("GIFTCARD_BATCH_MAX", default=1000)
GIFTCARD_MAX_VALUE = Decimal(env.str("GIFTCARD_MAX_VALUE", default="10000.00"))
# ---------------------------------------------------------------- shopper site and click-out

# Seconds a public page served to shoppers who are not signed in is kept in the page cache (offers/pagecache.py):
# how stale "N used today" may get. Changes to offers, stores and categories show at once (listing generation).
PAGE_CACHE_TTL = env.int("PAGE_CACHE_TTL", default=60)
# Seconds a page copy past its TTL may still answer while one request renders the next after its response
# (offers.pagecache: stale-while-revalidate); 0 renders in the request that finds the copy old.
PAGE_CACHE_STALE = env.int("PAGE_CACHE_STALE", default=60)

# Click-outs per client IP (sliding window in Redis); past it the click-out answers 429 with Retry-After.
CLICKOUT_RATE_LIMIT = env.str("CLICKOUT_RATE_LIMIT", default="60/minute")
# The click-out caches offer->redirect data per process; a change elsewhere reaches it within this many seconds.
CLICKOUT_GENERATION_MAX_AGE = env.float("CLICKOUT_GENERATION_MAX_AGE", default=1.0)
CLICKOUT_CACHE_SECONDS = env.int("CLICKOUT_CACHE_SECONDS", default=300)
CLICKOUT_CACHE_MAX_ENTRIES = env.int("CLICKOUT_CACHE_MAX_ENTRIES", default=50000)
# The click INSERT is prepared once per pooled connection (less work for PostgreSQL on every click). Turn it off
# behind a pooler that cannot keep prepared statements (PgBouncer before 1.21 in transaction mode).
CLICKOUT_PREPARED_INSERT = env.bool("CLICKOUT_PREPARED_INSERT", default=True)
# Clicks recorded at the same moment in a process share one INSERT and one commit (offers/click_writer.py). Off:
# one INSERT per click (the benchmark compares the two).
CLICKOUT_GROUP_COMMIT = env.bool("CLICKOUT_GROUP_COMMIT", default=True)
# Months of offer_clicks and audit_logs partitions kept ready ahead of the current one (beat job and
# create_partitions).
CLICK_PARTITION_MONTHS_AHEAD = env.int("CLICK_PARTITION_MONTHS_AHEAD", default=3)

# ---------------------------------------------------------------- gift-card store (issue 11)

# Razorpay (orders/gateway.py). With no keys, the local fake checkout plays the gateway where
# RAZORPAY_FAKE_CHECKOUT allows it (development and tests only); otherwise only wallet payment works.
RAZORPAY_KEY_ID = env.str("RAZORPAY_KEY_ID", default="")
RAZORPAY_KEY_SECRET = env.str("RAZORPAY_KEY_SECRET", default="")
RAZORPAY_WEBHOOK_SECRET = env.str("RAZORPAY_WEBHOOK_SECRET", default="")
RAZORPAY_FAKE_CHECKOUT = env.bool("RAZORPAY_FAKE_CHECKOUT", default=False)
RAZORPAY_FAKE_SECRET = env.str("RAZORPAY_FAKE_SECRET", default="")
RAZORPAY_CONNECT_TIMEOUT = env.float("RAZORPAY_CONNECT_TIMEOUT", default=5.0)
RAZORPAY_READ_TIMEOUT = env.float("RAZORPAY_READ_TIMEOUT", default=20.0)
# GST or other tax on gift cards, in percent of the discounted subtotal (orders/services/checkout.py).
ORDER_TAX_RATE_PERCENT = Decimal(env.str("ORDER_TAX_RATE_PERCENT", default="0"))
# Most units of gift cards in one order (all lines together).
ORDER_MAX_UNITS = env.int("ORDER_MAX_UNITS", default=10)
# Unpaid orders older than this are cancelled by the beat job (stock released, wallet part posted back).
ORDER_ABANDON_AFTER_MINUTES = env.int("ORDER_ABANDON_AFTER_MINUTES", default=30)
CELERY_BEAT_SCHEDULE |= {
    "orders-release-abandoned": {"task": "orders.release_abandoned", "schedule": timedelta(minutes=5)},
    "orders-refresh-gift-card-index": {"task": "orders.refresh_gift_card_index", "schedule": timedelta(minutes=5)},
}

# ---------------------------------------------------------------- content, redirects and support

# Each process checks at most this often (seconds) whether the SEO redirects changed (cms/redirect_table.py).
SEO_REDIRECTS_MAX_AGE = env.float("SEO_REDIRECTS_MAX_AGE", default=1.0)
# Support attachments (invoices): a private directory outside the web root, served only through a checked view.
SUPPORT_ATTACHMENTS_ROOT = env.path("SUPPORT_ATTACHMENTS_ROOT", default=BASE_DIR / "var" / "private" / "support")

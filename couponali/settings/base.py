"""Settings shared by every environment. Values come from the environment (django-environ); see .env.example.

Nothing secret has a default here: development.py and test.py supply throw-away values, production.py
requires them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env is optional; real environment variables win over it.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = False
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
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
    "guardian",
    "couponali",
    "accounts",
    "catalog",
    "offers",
    "wallet",
    "orders",
    "referrals",
    "cms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "couponali.middleware.RowLevelSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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

SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "default"

# ---------------------------------------------------------------- database and Redis

# DATABASE_URL is what the web app and the workers connect as; DATABASE_OWNER_URL (same server and
# database) is the role that owns the tables and runs migrations. Both default to an embedded server
# under var/ when DATABASE_URL is unset (see couponali/embedded.py); REDIS_URL likewise.
EMBEDDED_SERVICES_ALLOWED = True
DATABASE_POOL = {"min_size": 2, "max_size": 8, "timeout": 10}


def database_config(url: str) -> dict:
    cfg = env.db_url_config(url)
    options = cfg.setdefault("OPTIONS", {})
    # Unix-socket URLs (postgresql://user@/db?host=/path) carry host and port as query options.
    if "host" in options:
        cfg["HOST"] = options.pop("host")
    if "port" in options:
        cfg["PORT"] = str(options.pop("port"))
    return cfg


def configure_services(namespace: dict) -> None:
    """Fill DATABASES, DATABASE_OWNER, CACHES and the Celery URLs from the environment or embedded servers."""
    database_url = env.str("DATABASE_URL", default="")
    owner_url = env.str("DATABASE_OWNER_URL", default="")
    redis_url = env.str("REDIS_URL", default="")
    if not database_url or not redis_url:
        if not namespace["EMBEDDED_SERVICES_ALLOWED"]:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured("DATABASE_URL and REDIS_URL must be set in production.")
        from couponali import embedded

        if not database_url:
            database_url, owner_url = embedded.ensure_postgres()
        if not redis_url:
            redis_url = embedded.ensure_redis()
    default = database_config(database_url)
    default["CONN_MAX_AGE"] = 0  # the pool below keeps connections; Django must not keep its own
    default["CONN_HEALTH_CHECKS"] = False
    if namespace["DATABASE_POOL"]:
        default["OPTIONS"]["pool"] = dict(namespace["DATABASE_POOL"])
    if env.str("DATABASE_TEST_NAME", default=""):
        default["TEST"] = {"NAME": env.str("DATABASE_TEST_NAME")}
    namespace["DATABASES"] = {"default": default}
    owner = database_config(owner_url or database_url)
    namespace["DATABASE_OWNER"] = {k: owner[k] for k in ("USER", "PASSWORD", "HOST", "PORT")}
    if namespace.get("REDIS_DB") is not None:
        # Tests use their own logical database so that flushing it never touches `make run`'s data.
        base, _, _db = redis_url.rpartition("/")
        redis_url = (
            f"{base}/{namespace['REDIS_DB']}" if _db.isdigit() else f"{redis_url.rstrip('/')}/{namespace['REDIS_DB']}"
        )
    namespace["REDIS_URL"] = redis_url
    namespace["CACHES"] = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": namespace.get("CACHE_KEY_PREFIX", "ca"),
            "TIMEOUT": 300,
        }
    }
    namespace["CELERY_BROKER_URL"] = env.str("CELERY_BROKER_URL", default=redis_url)
    namespace["CELERY_RESULT_BACKEND"] = env.str("CELERY_RESULT_BACKEND", default=redis_url)
    namespace["RATELIMIT_STORAGE_URL"] = env.str("RATELIMIT_STORAGE_URL", default=redis_url)


# ---------------------------------------------------------------- Celery

CELERY_TASK_ACKS_LATE = True  # a task lost with its worker is delivered again; every task is idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(hours=6)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "healthcheck-heartbeat": {
        "task": "couponali.tasks.heartbeat",
        "schedule": timedelta(minutes=1),
    },
}
# Apps add their periodic jobs to CELERY_BEAT_SCHEDULE here, one block each, so that the whole schedule
# reads in one place.

# offers (issue 3): impressions, counters, expiry, click partitions
CELERY_BEAT_SCHEDULE |= {
    "offers-flush-impressions": {"task": "offers.tasks.flush_impressions", "schedule": timedelta(seconds=30)},
    "offers-aggregate-counters": {"task": "offers.tasks.aggregate_counters", "schedule": timedelta(minutes=5)},
    "offers-expire": {"task": "offers.tasks.expire_offers", "schedule": timedelta(minutes=1)},
    "offers-click-partitions": {"task": "offers.tasks.ensure_click_partitions", "schedule": timedelta(hours=12)},
    "offers-search-words": {"task": "offers.tasks.refresh_search_words", "schedule": timedelta(minutes=30)},
}

# ---------------------------------------------------------------- REST API

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CouponAli API",
    "DESCRIPTION": "Partner and app API: offers, clicks, wallet, postbacks.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc assets come from the drf-spectacular-sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# ---------------------------------------------------------------- logging

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# ---------------------------------------------------------------- rate limits (couponali.ratelimit)

RATELIMIT_KEY_PREFIX = "rl"
# Proxies in front of the app that append to X-Forwarded-For (0: use REMOTE_ADDR).
RATELIMIT_TRUSTED_PROXIES = env.int("RATELIMIT_TRUSTED_PROXIES", default=0)

# ---------------------------------------------------------------- shopper site and click-out (issue 3)

# Click-outs per client IP (sliding window in Redis); past it the click-out answers 429 with Retry-After.
CLICKOUT_RATE_LIMIT = env.str("CLICKOUT_RATE_LIMIT", default="60/minute")
# The click-out caches offer->redirect data per process; a change elsewhere reaches it within this many seconds.
CLICKOUT_GENERATION_MAX_AGE = env.float("CLICKOUT_GENERATION_MAX_AGE", default=1.0)
CLICKOUT_CACHE_SECONDS = env.int("CLICKOUT_CACHE_SECONDS", default=300)
CLICKOUT_CACHE_MAX_ENTRIES = env.int("CLICKOUT_CACHE_MAX_ENTRIES", default=50000)
# The click INSERT is prepared once per pooled connection (less work for PostgreSQL on every click). Turn it off
# behind a pooler that cannot keep prepared statements (PgBouncer before 1.21 in transaction mode).
CLICKOUT_PREPARED_INSERT = env.bool("CLICKOUT_PREPARED_INSERT", default=True)
# Months of offer_clicks partitions kept ready ahead of the current one (beat job and create_partitions).
CLICK_PARTITION_MONTHS_AHEAD = env.int("CLICK_PARTITION_MONTHS_AHEAD", default=3)
# Benchmark only: route the bare-302 baseline view /go/bench-302/ (bench/clickout.py). Never on in production.
BENCH_BASELINE_VIEW = env.bool("BENCH_BASELINE_VIEW", default=False)

# ---------------------------------------------------------------- business settings

DEMO_STAFF_EMAIL = "admin@couponali.in"
DEMO_SHOPPER_EMAIL = "shopper@couponali.in"

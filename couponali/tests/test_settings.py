"""Settings: production refuses to start without a secret, passes `check --deploy`, Argon2 hashes first."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

from couponali.settings import base

# Keys production requires besides the secret key (accounts: KYC encryption, blind index, API tokens).
PRODUCTION_KEYS = {
    "KYC_ENCRYPTION_KEYS": "CeefMr1-ZJi4r72dgDCojlxD2rKDGIfFlC3lSQC9QxY=",
    "KYC_BLIND_INDEX_KEY": "b" * 40,
    "ACCOUNTS_JWT_SIGNING_KEY": "j" * 40,
}


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "KYC_", "ACCOUNTS_"))
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=settings.BASE_DIR, env=clean, capture_output=True, text=True, timeout=120
    )


def test_argon2_is_the_first_password_hasher():
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_production_refuses_to_start_without_a_secret_key():
    result = _run(
        ["manage.py", "check"],
        DJANGO_SETTINGS_MODULE="couponali.settings.production",
        DATABASE_URL="postgresql://u@127.0.0.1:1/db",
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_embedded_services():
    result = _run(
        ["manage.py", "check"],
        DJANGO_SETTINGS_MODULE="couponali.settings.production",
        DJANGO_SECRET_KEY="x" * 60,
        **PRODUCTION_KEYS,
    )
    assert result.returncode != 0
    assert "DATABASE_URL and REDIS_URL must be set" in result.stderr


def test_settings_without_service_urls_say_how_to_get_them_and_start_nothing(tmp_path):
    # given a checkout whose embedded servers would keep their data in an empty directory
    var = tmp_path / "var"
    # when manage.py runs with the development settings and no URLs
    result = _run(
        ["manage.py", "check"], DJANGO_SETTINGS_MODULE="couponali.settings.development", COUPONALI_VAR_DIR=str(var)
    )
    # then it stops with a message that names the way in, and no server was started
    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL and REDIS_URL must be set (DATABASE_URL is not)" in result.stderr
    assert "make run" in result.stderr and "python -m devtools.embedded run -- <command>" in result.stderr
    assert not var.exists()


def test_importing_the_settings_never_imports_the_dev_tools():
    result = _run(
        ["-c", "import sys, couponali.settings.development; print(sorted(m for m in sys.modules if 'devtools' in m))"],
        DATABASE_URL="postgresql://u@127.0.0.1:1/db",
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_test_settings_use_their_own_redis_database():
    assert settings.REDIS_URL.endswith("/1") and settings.CACHES["default"]["LOCATION"] == settings.REDIS_URL
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL and settings.CACHES["default"]["KEY_PREFIX"] == "test"
    assert base.redis_url_with_db("redis://h:6379/0", 3) == "redis://h:6379/3"
    assert base.redis_url_with_db("redis://h:6379", 3) == "redis://h:6379/3"


def test_check_deploy_is_clean_with_production_settings():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_SETTINGS_MODULE="couponali.settings.production",
        DJANGO_SECRET_KEY="k3y-" + "9f8e7d6c5b4a3210" * 4,
        DJANGO_ALLOWED_HOSTS="couponali.in",
        DATABASE_URL="postgresql://couponali_app@127.0.0.1:1/couponali",
        REDIS_URL="redis://127.0.0.1:1/0",
        **PRODUCTION_KEYS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_has_debug_off():
    result = _run(
        ["-c", "import django, os; django.setup(); from django.conf import settings; print(settings.DEBUG)"],
        DJANGO_SETTINGS_MODULE="couponali.settings.production",
        DJANGO_SECRET_KEY="s" * 60,
        DATABASE_URL="postgresql://u@127.0.0.1:1/db",
        REDIS_URL="redis://127.0.0.1:1/0",
        DJANGO_DEBUG="1",
        **PRODUCTION_KEYS,
    )
    assert result.stdout.strip() == "False", result.stderr


def test_database_connections_are_pooled():
    assert settings.DATABASES["default"]["OPTIONS"].get("pool"), "psycopg pool must be on"
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0


def test_database_connections_use_tcp_keepalives_unless_the_url_sets_them():
    databases, owner = base.database_settings(
        url="postgresql://app@db.internal:5432/couponali?keepalives_idle=5",
        owner_url="postgresql://owner@db.internal:5432/couponali",
        pool=base.DATABASE_POOL,
    )
    assert owner["USER"] == "owner" and databases["default"]["USER"] == "app"
    options = databases["default"]["OPTIONS"]
    assert (options["keepalives"], options["keepalives_interval"], options["keepalives_count"]) == (1, 10, 3)
    assert str(options["keepalives_idle"]) == "5"  # the URL's own value wins


def test_the_live_connection_carries_the_keepalive_settings(db):
    from django.db import connection

    connection.ensure_connection()
    params = connection.connection.info.get_parameters()
    assert params.get("keepalives_idle") == "30"

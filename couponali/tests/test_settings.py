"""Settings: production refuses to start without a secret, passes `check --deploy`, Argon2 hashes first."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from couponali.settings import base

# What production requires besides the secret key: the public URL, keys (accounts: KYC encryption, blind index,
# API tokens), and real payout, SMS and e-mail backends with their credentials.
PRODUCTION_KEYS = {
    "SITE_URL": "https://couponali.in",
    "KYC_ENCRYPTION_KEYS": "CeefMr1-ZJi4r72dgDCojlxD2rKDGIfFlC3lSQC9QxY=",
    "KYC_BLIND_INDEX_KEY": "b" * 40,
    "ACCOUNTS_JWT_SIGNING_KEY": "j" * 40,
    "PAYOUT_GATEWAY": "wallet.gateways.RazorpayXGateway",
    "RAZORPAYX_KEY_ID": "rzp_live_x",
    "RAZORPAYX_KEY_SECRET": "r" * 24,
    "RAZORPAYX_ACCOUNT_NUMBER": "2323230000000000",
    "SMS_BACKEND": "accounts.sms.HttpSmsBackend",
    "SMS_HTTP_URL": "https://sms.example.net/v1/send",
    "SMS_HTTP_API_KEY": "s" * 24,
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "GIFTCARD_SUPPLIER_BACKEND": "orders.suppliers.HttpVoucherSupplier",
    "GIFTCARD_SUPPLIER_URL": "https://vouchers.example.net/api/v1",
    "GIFTCARD_SUPPLIER_API_KEY": "g" * 24,
}
# A production that would otherwise start (the servers are never connected to by `check`).
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "couponali.settings.production",
    "DJANGO_SECRET_KEY": "k3y-" + "9f8e7d6c5b4a3210" * 4,
    "DJANGO_ALLOWED_HOSTS": "couponali.in",
    "DATABASE_URL": "postgresql://couponali_app@127.0.0.1:1/couponali",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    **PRODUCTION_KEYS,
}

# Variables of the shell running the tests that must not leak into the settings under test.
INHERITED_PREFIXES = ("DJANGO_", "DATABASE_", "REDIS_", "KYC_", "ACCOUNTS_", "SITE_URL", "PORT", "HOST")
INHERITED_PREFIXES += ("PAYOUT_", "RAZORPAYX_", "SMS_", "EMAIL_", "GIFTCARD_")


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED_PREFIXES)}
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
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("setting", "stand_in", "what_to_set"),
    [
        ("PAYOUT_GATEWAY", "wallet.gateways.FakePayoutGateway", "PAYOUT_GATEWAY=wallet.gateways.RazorpayXGateway"),
        ("SMS_BACKEND", "accounts.sms.ConsoleSmsBackend", "SMS_BACKEND=accounts.sms.HttpSmsBackend"),
        ("SMS_BACKEND", "accounts.sms.FileSmsBackend", "SMS_BACKEND=accounts.sms.HttpSmsBackend"),
        ("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend", "EMAIL_BACKEND=django.core.mail.back"),
        ("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend", "EMAIL_BACKEND=django.core.mail.b"),
        (
            "GIFTCARD_SUPPLIER_BACKEND",
            "orders.suppliers.LocalVoucherSupplier",
            "GIFTCARD_SUPPLIER_BACKEND=orders.suppliers.HttpVoucherSupplier",
        ),
    ],
)
def test_production_refuses_to_start_with_a_stand_in_backend(setting, stand_in, what_to_set):
    result = _run(["manage.py", "check"], **{**PRODUCTION_ENV, setting: stand_in})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{setting}={stand_in} is a development stand-in and is refused in production: set {what_to_set}" in (
        result.stderr
    )


def test_production_defaults_are_stand_ins_so_an_unset_gateway_is_refused():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "PAYOUT_GATEWAY"}
    result = _run(["manage.py", "check"], **env)
    assert result.returncode != 0
    assert "PAYOUT_GATEWAY=wallet.gateways.FakePayoutGateway is a development stand-in" in result.stderr


@pytest.mark.parametrize(
    ("unset", "message"),
    [
        ("RAZORPAYX_KEY_SECRET", "PAYOUT_GATEWAY=wallet.gateways.RazorpayXGateway needs RAZORPAYX_KEY_SECRET"),
        ("SMS_HTTP_URL", "SMS_BACKEND=accounts.sms.HttpSmsBackend needs SMS_HTTP_URL"),
        (
            "GIFTCARD_SUPPLIER_API_KEY",
            "GIFTCARD_SUPPLIER_BACKEND=orders.suppliers.HttpVoucherSupplier needs GIFTCARD_SUPPLIER_API_KEY",
        ),
        ("SITE_URL", "SITE_URL"),
    ],
)
def test_production_refuses_to_start_without_what_the_real_backends_need(unset, message):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != unset}
    result = _run(["manage.py", "check"], **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


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

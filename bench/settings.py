"""Settings of the server bench/clickout.py starts: the development settings plus the benchmark-only routes
(bench/urls.py). Never a deployment's settings module."""

from couponali.settings.development import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

"""devtools.embedded: commands get the service URLs in their environment; servers already up stay up."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

from devtools import embedded

PRINT_URLS = "import os; print(os.environ['DATABASE_URL']); print(os.environ['REDIS_URL'])"


def _devtools(*args: str) -> subprocess.CompletedProcess:
    # No URLs in the environment: the command must find (here: the running) embedded servers by itself.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    return subprocess.run(
        [sys.executable, "-m", "devtools.embedded", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_gives_the_command_the_urls_and_leaves_running_servers_up():
    before = embedded.running()
    result = _devtools("run", "--", sys.executable, "-c", PRINT_URLS + "; raise SystemExit(3)")
    assert result.returncode == 3, result.stderr  # the command's own exit status
    database_url, redis_url = result.stdout.split()
    app_url, _owner_url = embedded.ensure_postgres()
    assert database_url == app_url and "couponali_app@" in database_url
    assert redis_url == embedded.ensure_redis()
    assert embedded.running() == before  # already up before the command, so still up after it


def test_env_prints_shell_exports_of_the_urls():
    result = _devtools("env")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [
        "export DATABASE_URL",
        "export DATABASE_OWNER_URL",
        "export REDIS_URL",
    ]
    assert "couponali_owner@" in lines[1]


def test_run_without_a_command_prints_the_usage():
    result = _devtools("run")
    assert result.returncode == 2 and "usage:" in result.stderr

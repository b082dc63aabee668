"""Helpers for tests that need real processes or files outside the code: a Celery worker on the real broker and
the test database, URLs of the test database for subprocesses, the design inputs in ../shared or design/.

Test support rather than site code, so it lives with the dev tools and shares their process helper.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from couponali.celery import app
from devtools import processes

BASE_DIR = Path(settings.BASE_DIR)


def shared_path(relative: str) -> Path:
    """A design input (seed, tools/schema_check.py, samples/...): ../shared/ beside the checkout when it is
    there (the source of truth), else the copy in design/ (a bare clone, as in CI)."""
    for root in (BASE_DIR.parent / "shared", BASE_DIR / "design"):
        candidate = root / relative
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{relative} is neither in ../shared nor in design/")


def _url(s: dict) -> str:
    user = quote(s["USER"] or "", safe="")
    password = f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
    host, port = s.get("HOST") or "", s.get("PORT") or ""
    if host.startswith("/"):  # unix socket directory
        return f"postgresql://{user}{password}@/{s['NAME']}?host={host}" + (f"&port={port}" if port else "")
    return f"postgresql://{user}{password}@{host}{':' + str(port) if port else ''}/{s['NAME']}"


def database_url() -> str:
    """A URL for the database the tests are using right now (the test database, as the app role)."""
    return _url(connection.settings_dict)


def owner_database_url() -> str:
    return _url({**connection.settings_dict, **settings.DATABASE_OWNER})


def process_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "couponali.settings.test",
        "DATABASE_URL": database_url(),
        "DATABASE_OWNER_URL": owner_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


@contextlib.contextmanager
def celery_worker(
    *, concurrency: int = 1, queues: str | None = None, timeout: float = 30.0, extra_args: tuple[str, ...] = ()
) -> Iterator[subprocess.Popen]:
    """Run a real `celery worker` process against the test database and the test broker."""
    hostname = f"test-{os.getpid()}-{time.monotonic_ns()}@localhost"
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "couponali",
        "worker",
        "-l",
        "warning",
        "-P",
        "prefork",
        "-c",
        str(concurrency),
        "-n",
        hostname,
        "--without-gossip",
        "--without-mingle",
        *extra_args,
    ]
    if queues:
        args += ["-Q", queues]
    proc = processes.start(args, cwd=BASE_DIR, env=process_env())
    previous_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + timeout
        while True:
            replies = app.control.ping(destination=[hostname], timeout=0.5) or []
            if replies:
                break
            if proc.poll() is not None:
                raise RuntimeError(f"celery worker exited with {proc.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("celery worker did not answer a ping in time")
        yield proc
    finally:
        app.conf.task_always_eager = previous_eager
        processes.stop(proc, timeout=15)

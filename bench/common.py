"""Shared helpers of the benchmark scripts: a separate database per benchmark, migrated like production.

The benchmarks never touch the database of DATABASE_URL itself: they create `<that database>_bench_<name>` on
the same server (the owner role has CREATEDB), migrate it with `manage.py migrate` (owner role, then grants for
the app role) and point the processes they start at it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# The scripts run as `python bench/<name>.py`; the checkout's packages (devtools, the Django project) import
# from its root.
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def bench_env(name: str) -> dict[str, str]:
    """Environment for processes working on the benchmark database `<db>_bench_<name>`."""
    app = os.environ.get("DATABASE_URL")
    owner = os.environ.get("DATABASE_OWNER_URL") or app
    if not app or not os.environ.get("REDIS_URL"):
        sys.exit("Set DATABASE_URL, DATABASE_OWNER_URL and REDIS_URL (the benchmarks use a server, not embedded).")
    db = urlsplit(app).path.lstrip("/")
    bench_db = f"{db}_bench_{name}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "couponali.settings.development",
        "DATABASE_URL": _with_db(app, bench_db),
        "DATABASE_OWNER_URL": _with_db(owner, bench_db),
        "BENCH_DB_NAME": bench_db,
        "PYTHONUNBUFFERED": "1",
    }


def ensure_database(env: dict[str, str], *, fresh: bool = False) -> bool:
    """Create (or with ``fresh``, re-create) the benchmark database; True when it was created now."""
    owner = env["DATABASE_OWNER_URL"]
    name = env["BENCH_DB_NAME"]
    with psycopg.connect(_with_db(owner, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return not exists


def analyze(env: dict[str, str], *tables: str) -> None:
    """ANALYZE the benchmark database (or ``tables``) as the owner: the app role owns no table, and PostgreSQL
    skips, with only a warning, an ANALYZE by a role that does not own the table. A freshly seeded database has no
    statistics until autovacuum gets to it, and the planner's guesses for empty tables can turn a 1 ms query into
    seconds, so every script analyzes once its data is loaded."""
    with psycopg.connect(env["DATABASE_OWNER_URL"], autocommit=True) as conn:
        if tables:
            for table in tables:
                conn.execute(f"ANALYZE {table}")
        else:
            conn.execute("ANALYZE")


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, str(BASE_DIR / "manage.py"), *args], cwd=BASE_DIR, env=env, check=True)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# A hiccup meter: a process that asks to sleep 1 ms over and over and records how late it wakes up. It does
# no work, so when it wakes 50 ms late the machine itself (the scheduler, the hypervisor, other tenants) did
# not run it for 50 ms, and a request in flight then was delayed as much whatever the server does. Run beside
# a latency measurement, it tells the machine's stalls from the server's.
_HICCUP_CODE = """
import json, sys, time
end = time.perf_counter() + float(sys.argv[1])
late = []
while True:
    start = time.perf_counter()
    if start > end:
        break
    time.sleep(0.001)
    late.append(time.perf_counter() - start - 0.001)
late.sort()
n = len(late)
print(json.dumps({
    "samples": n,
    "p99_ms": round(late[int(n * 0.99)] * 1000, 1),
    "p999_ms": round(late[int(n * 0.999)] * 1000, 1),
    "max_ms": round(late[-1] * 1000, 1),
    "over_20ms": sum(1 for x in late if x > 0.02),
}))
"""


def hiccups_start(seconds: float) -> subprocess.Popen:
    """Start the hiccup meter for ``seconds``; hiccups_result() waits for its figures."""
    return subprocess.Popen([PYTHON, "-c", _HICCUP_CODE, str(seconds)], stdout=subprocess.PIPE, text=True)


def hiccups_result(proc: subprocess.Popen) -> dict:
    """How late the meter woke: p99, p99.9 and max (ms) and how many wake-ups were more than 20 ms late."""
    out, _ = proc.communicate(timeout=120)
    return json.loads(out)

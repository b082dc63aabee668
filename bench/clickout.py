"""Click-out throughput and latency against a bare 302 baseline, served the way `make run` serves the site.

    DATABASE_URL=... DATABASE_OWNER_URL=... REDIS_URL=... .venv/bin/python bench/clickout.py [--rounds 3]

What it does:
1. creates and migrates a database of its own (`<db>_bench_clickout`) and loads the demo data (700 offers);
2. starts gunicorn exactly as `make run` does (gunicorn.conf.py, WEB_CONCURRENCY workers, default
   max(2, 2 x CPUs)) with the settings bench/settings.py, whose URLconf (bench/urls.py) adds /go/bench-302/: a
   view that only returns the click-out's 302, behind the same middleware and under the same /go/ prefix. The
   per-IP click-out limit is raised for the run (all load comes from 127.0.0.1); the limiter itself still runs on
   every click. A second, identical server with CLICKOUT_GROUP_COMMIT=0 (one INSERT per click), run in turn,
   serves the comparison;
3. runs wrk (Debian's `wrk`) on loopback, baseline and click-out alternately for --rounds rounds (the click-out
   rotating over 200 live offers), and compares the rows written to offer_clicks with the 302s wrk counted;
4. sends exactly --exact-requests click-outs from a Python client (every request completes) and checks that
   rows written == 302s answered, exactly;
5. holds the click-out at half its peak rate (wrk with a per-connection delay) and reports the latency.
Prints a Markdown summary (and --json FILE writes the raw figures).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BASE_DIR, bench_env, ensure_database, manage

from devtools import processes  # importable once common has put the checkout on sys.path

LUA = Path(__file__).resolve().parent / "wrk_counts.lua"
BASELINES = {"bare302_go": "/go/bench-302/", "bare302_page": "/bench-302/"}


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    args = [
        str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
        "couponali.wsgi:application",
        "--config",
        str(BASE_DIR / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
    ]
    proc = processes.start(args, cwd=BASE_DIR, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            # A port in use (an orphan of an earlier run): gunicorn says so and stops; whatever answers the
            # port is not the server under test.
            raise SystemExit(f"gunicorn exited with {proc.returncode} (see its log above); is port {port} in use?")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    processes.stop(proc)
    raise SystemExit("gunicorn did not answer within 60 s")


def wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    threads: int,
    paths: Path | None = None,
    delay_ms=0,
    cookie: str = "",
    delay_dist: str = "exponential",
) -> dict:
    env = {
        **os.environ,
        "WRK_PATHS": str(paths) if paths else "",
        "WRK_DELAY_MS": str(int(delay_ms)),
        "WRK_COOKIE": cookie,
        "WRK_DELAY_DIST": delay_dist,
    }
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(LUA),
            url,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("WRK_JSON "))
    data = json.loads(line[len("WRK_JSON ") :])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["status"] = {int(k): v for k, v in data["status"].items()}
    return data


def cpu_ticks() -> dict[str, int]:
    """CPU time (user + system, in clock ticks) used so far by the processes of each group: the web server
    (gunicorn), PostgreSQL and Redis/Valkey. Linux only (/proc); elsewhere empty."""
    groups = {"web": 0, "postgres": 0, "redis": 0}
    proc = Path("/proc")
    if not proc.is_dir():
        return {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if b"gunicorn" in cmdline:
            group = "web"
        elif b"postgres" in cmdline:
            group = "postgres"
        elif b"redis-server" in cmdline or b"valkey" in cmdline:
            group = "redis"
        else:
            continue
        groups[group] += int(stat[11]) + int(stat[12])
    return groups


def cpu_per_request(before: dict[str, int], after: dict[str, int], requests: int) -> dict[str, float]:
    """Microseconds of CPU per request, by group."""
    tick = os.sysconf("SC_CLK_TCK")
    return {g: (after[g] - before[g]) / tick * 1e6 / max(requests, 1) for g in after}


def clicks(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT count(*) FROM offer_clicks").fetchone()[0]


def exact_run(port: int, paths: list[str], total: int, connections: int) -> dict:
    """Exactly `total` click-outs over keep-alive connections; every request completes."""
    per = [total // connections + (1 if i < total % connections else 0) for i in range(connections)]
    counts: dict[int, int] = {}
    lock = threading.Lock()

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local: dict[int, int] = {}
        for _ in range(n):
            conn.request("GET", random.choice(paths), headers={"User-Agent": "bench-exact (Android; Mobile)"})
            response = conn.getresponse()
            response.read()
            local[response.status] = local.get(response.status, 0) + 1
        conn.close()
        with lock:
            for k, v in local.items():
                counts[k] = counts.get(k, 0) + v

    threads = [threading.Thread(target=worker, args=(n,)) for n in per]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    # Enough connections to keep the server busy while click-outs wait on Redis and PostgreSQL (the bare 302
    # never waits, so it is saturated either way).
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (the machine's CPUs are shared)")
    parser.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 1) * 2))
    parser.add_argument("--port", type=int, default=8139)
    parser.add_argument("--exact-requests", type=int, default=5000)
    parser.add_argument("--fresh", action="store_true", help="drop and re-create the benchmark database")
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: sudo apt-get install wrk")
    return args


def main() -> None:
    args = arguments()
    env = bench_env("clickout")
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        CLICKOUT_RATE_LIMIT="100000000/minute",
        GUNICORN_LOG_LEVEL="warning",
        LOG_LEVEL="WARNING",
    )
    paths, path_file, orm_file = prepare(env, fresh=args.fresh)
    variants = {
        "bare302_go": None,
        "bare302_page": None,
        "orm": orm_file,
        "clickout": path_file,
        "clickout_single": path_file,
    }
    try:
        results = measure(args, env, paths, variants)
    finally:
        path_file.unlink(missing_ok=True)
        orm_file.unlink(missing_ok=True)
    report(results, kinds=list(variants), json_path=args.json)


def prepare(env: dict[str, str], *, fresh: bool) -> tuple[list[str], Path, Path]:
    """The benchmark database migrated and seeded with an empty click table; the click-out paths to request
    (in a file for wrk), and the same offers through the naive ORM view."""
    created = ensure_database(env, fresh=fresh)
    print(f"database {env['BENCH_DB_NAME']} ({'created' if created else 'reused'}); migrating and seeding", flush=True)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--quiet-logins")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    # every run starts from an empty click table, so that runs compare (index sizes, WAL full-page writes)
    with psycopg.connect(env["DATABASE_OWNER_URL"], autocommit=True) as conn:
        conn.execute("TRUNCATE offer_clicks")
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        uuids = [
            str(r[0])
            for r in conn.execute(
                "SELECT o.uuid FROM offers o JOIN merchants m ON m.id = o.merchant_id WHERE o.deleted_at IS NULL "
                "AND NOT o.is_store_visit AND m.is_active AND (o.starts_at IS NULL OR o.starts_at <= now()) "
                "AND (o.expires_at IS NULL OR o.expires_at > now() + interval '1 hour') ORDER BY o.id LIMIT 200"
            )
        ]
    paths = [f"/go/{u}/" for u in uuids]
    path_file = Path(tempfile.mkstemp(prefix="bench-go-", suffix=".txt")[1])
    path_file.write_text("\n".join(paths) + "\n")
    orm_file = Path(tempfile.mkstemp(prefix="bench-orm-", suffix=".txt")[1])
    orm_file.write_text("\n".join(f"/go/bench-orm/{u}/" for u in uuids) + "\n")
    return paths, path_file, orm_file


def measure(args: argparse.Namespace, env: dict[str, str], paths: list[str], variants: dict) -> dict:
    """The rounds (every variant, in rotating order), the exact run and the half-peak run."""
    path_file = variants["clickout"]

    # "single" is the same server with one INSERT per click instead of group commit (CLICKOUT_GROUP_COMMIT=0), for
    # comparison. One server runs at a time (both at once would need twice the database connections); switching
    # restarts gunicorn and warms it up (caches, pools) with a few seconds of click-outs that are not counted.
    servers = {"default": env, "single": {**env, "CLICKOUT_GROUP_COMMIT": "0"}}
    serving: dict = {"name": None, "proc": None}
    base = f"http://127.0.0.1:{args.port}"

    def use(name: str) -> None:
        if serving["name"] == name:
            return
        if serving["proc"] is not None:
            processes.stop(serving["proc"])
            serving["proc"] = serving["name"] = None
        serving["proc"] = start_gunicorn(servers[name], args.port, args.workers)
        serving["name"] = name
        wrk(base + paths[0], seconds=3, connections=args.connections, threads=args.threads, paths=path_file)
        time.sleep(1)  # the warm-up requests still in flight finish before anything is counted

    results: dict = {"workers": args.workers, "connections": args.connections, "rounds": []}

    def run(kind: str, seconds: int, delay_ms: float = 0) -> dict:
        use("single" if kind == "clickout_single" else "default")
        if kind in BASELINES:
            cpu_before = cpu_ticks()
            r = wrk(base + BASELINES[kind], seconds=seconds, connections=args.connections, threads=args.threads)
            r["cpu_us"] = cpu_per_request(cpu_before, cpu_ticks(), r["requests"])
            return r
        before = clicks(env["DATABASE_URL"])
        cpu_before = cpu_ticks()
        r = wrk(
            base + paths[0],
            seconds=seconds,
            connections=args.connections,
            threads=args.threads,
            paths=variants[kind],
            delay_ms=delay_ms,
        )
        r["cpu_us"] = cpu_per_request(cpu_before, cpu_ticks(), r["requests"])
        time.sleep(1)  # requests cut off by wrk at the end may still be finishing on the server
        r["rows"] = clicks(env["DATABASE_URL"]) - before
        return r

    try:
        print("warming up", flush=True)
        for kind in variants:
            run(kind, 3)

        kinds = list(variants)
        for n in range(args.rounds):
            round_ = {}
            shift = n % len(kinds)
            for kind in kinds[shift:] + kinds[:shift]:  # the order rotates from round to round
                r = round_[kind] = run(kind, args.seconds)
                print(
                    f"round {n + 1} {kind}: {r['rps']:.0f} req/s, p99 {r['latency_us']['p99'] / 1000:.1f} ms, "
                    f"status {r['status']}"
                    + (f", rows {r['rows']}" if "rows" in r else "")
                    + (", CPU per request: " + ", ".join(f"{g} {us:.0f} us" for g, us in r["cpu_us"].items())),
                    flush=True,
                )
            round_["ratio"] = round_["clickout"]["rps"] / round_["bare302_go"]["rps"]
            round_["ratio_page"] = round_["clickout"]["rps"] / round_["bare302_page"]["rps"]
            round_["orm_ratio"] = round_["orm"]["rps"] / round_["bare302_go"]["rps"]
            round_["single_ratio"] = round_["clickout_single"]["rps"] / round_["bare302_go"]["rps"]
            results["rounds"].append(round_)

        use("default")
        before = clicks(env["DATABASE_URL"])
        exact = exact_run(args.port, paths, args.exact_requests, min(args.connections, 16))
        exact_rows = clicks(env["DATABASE_URL"]) - before
        results["exact"] = {"requests": args.exact_requests, "status": exact, "rows": exact_rows}
        print(f"exact run: {exact} answered, {exact_rows} rows written", flush=True)

        results["half_peak"] = half_peak(run, results["rounds"], connections=args.connections, seconds=args.seconds)
    finally:
        if serving["proc"] is not None:
            processes.stop(serving["proc"])
    return results


def half_peak(run, rounds: list[dict], *, connections: int, seconds: int) -> dict:
    """Click-outs at half the best round's rate (wrk's per-connection delay tuned until the rate is within
    10%), for the latency at a load the server is not saturated by."""
    peak = max(r["clickout"]["rps"] for r in rounds)
    target = peak / 2
    mean_ms = statistics.mean(r["clickout"]["latency_us"]["mean"] for r in rounds) / 1000
    delay_ms = max(0.0, connections * 1000 / target - mean_ms)
    half = None
    for _attempt in range(5):
        half = run("clickout", seconds * 2, delay_ms)
        print(
            f"half-peak try: target {target:.0f} req/s, delay {delay_ms:.1f} ms -> {half['rps']:.0f} req/s, "
            f"p99 {half['latency_us']['p99'] / 1000:.1f} ms",
            flush=True,
        )
        if abs(half["rps"] - target) / target < 0.1:
            break
        # each connection sends one request per (delay + latency): solve for the delay at the target rate
        delay_ms = max(0.0, connections * 1000 / target - half["latency_us"]["mean"] / 1000)
    return {"target_rps": target, "delay_ms": delay_ms, **half}


def report(results: dict, *, kinds: list[str], json_path: str | None) -> None:
    rounds = results["rounds"]
    ratios = [r["ratio"] for r in rounds]
    print(
        "\n| round | bare 302 under /go/ (no request transaction) | bare 302 at /bench-302/ (request transaction) | "
        "naive ORM click-out | click-out, one INSERT per click | click-out | click-out / bare /go/ | "
        "click-out / bare page | click-out p99 | 302s counted | rows written |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for i, r in enumerate(rounds, 1):
        c = r["clickout"]
        print(
            f"| {i} | {r['bare302_go']['rps']:.0f} | {r['bare302_page']['rps']:.0f} | {r['orm']['rps']:.0f} "
            f"({r['orm_ratio']:.0%}) | {r['clickout_single']['rps']:.0f} ({r['single_ratio']:.0%}) | {c['rps']:.0f} | "
            f"{r['ratio']:.0%} | {r['ratio_page']:.0%} | "
            f"{c['latency_us']['p99'] / 1000:.1f} ms | {c['status'].get(302, 0)} | {c['rows']} |"
        )
    ratios_page = [r["ratio_page"] for r in rounds]
    print(
        f"\nmedian click-out / bare 302: {statistics.median(ratios):.0%} against the /go/ baseline (min "
        f"{min(ratios):.0%}), {statistics.median(ratios_page):.0%} against the page baseline (min "
        f"{min(ratios_page):.0%}); exact run: {results['exact']['requests']} requests, status "
        f"{results['exact']['status']}, {results['exact']['rows']} rows; half peak: "
        f"{results['half_peak']['rps']:.0f} req/s (target {results['half_peak']['target_rps']:.0f}), p50 "
        f"{results['half_peak']['latency_us']['p50'] / 1000:.1f} ms, p99 "
        f"{results['half_peak']['latency_us']['p99'] / 1000:.1f} ms"
    )
    if rounds and rounds[0]["clickout"]["cpu_us"]:
        print("\nmedian CPU per request (microseconds):")
        for kind in kinds:
            per = {g: statistics.median(r[kind]["cpu_us"][g] for r in rounds) for g in rounds[0][kind]["cpu_us"]}
            parts = ", ".join(f"{g} {us:.0f}" for g, us in per.items())
            print(f"  {kind}: {parts}, total {sum(per.values()):.0f}")
    if json_path:
        Path(json_path).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""Page throughput side by side with /robots.txt, served the way `make run` serves the site (issue 15).

    DATABASE_URL=... DATABASE_OWNER_URL=... REDIS_URL=... .venv/bin/python bench/pages.py [--rounds 3]
    .venv/bin/python -m devtools.embedded run -- .venv/bin/python bench/pages.py   # embedded servers

What it does:
1. creates and migrates a database of its own (`<db>_bench_pages`) and loads the demo data (70 stores,
   21 categories, 700 offers);
2. starts gunicorn and the Celery worker exactly as `make run` does (gunicorn.conf.py: gthread, WEB_CONCURRENCY
   workers, default max(2, 2 x CPUs); the worker renders the next copy of a stale page) with the development
   settings;
3. signs the demo shopper in through the sign-in form (a real session cookie);
4. runs wrk (Debian's `wrk`) on loopback, for --rounds rounds with the order rotating: /robots.txt (the
   baseline: the smallest page the whole middleware stack serves), then the home page, the store pages (rotating
   over every store), the category pages and the offer pages (rotating over 200 live offers), search (rotating
   over everyday words) and the typeahead endpoint, first as a shopper who is not signed in (the page cache),
   then the same pages signed in (the same copy with the shopper's header and messages rendered per request);
5. holds the anonymous and the signed-in page mixes at half their peak rate and reports the latency: each of
   the 64 connections waits between its requests, a wait drawn from an exponential distribution whose mean is
   tuned until the rate is within 10% of half the peak (independent shoppers; arrivals close to a Poisson
   process). `--delay-dist fixed` makes every wait the same instead, as the first version of this script did:
   connections that start together then stay in step and the server sees bursts of 64 requests at once.
   Beside each held run a hiccup meter (bench/common.py) records how late the machine woke a process that
   only sleeps, which tells the machine's stalls from the server's. `--repeat N` holds each mix N times,
   `--mix` picks one of them.
Prints a Markdown table (and --json FILE writes the raw figures).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clickout import cpu_per_request, cpu_ticks, start_gunicorn, wrk
from common import BASE_DIR, analyze, bench_env, ensure_database, hiccups_result, hiccups_start, manage

from devtools import processes, runner  # importable once common has put the checkout on sys.path

WORDS = ["shoes", "pizza", "iphone", "sneekers", "recharge", "flights", "myntra", "kurtas", "laptop", "hotels"]
PREFIXES = ["s", "sh", "sho", "pi", "piz", "ip", "iph", "rec", "fli", "my", "myn", "ku", "lap", "ho", "bo", "am"]
ANONYMOUS = ["home", "store", "category", "offer", "search", "suggest"]
TARGETS = {"anonymous": 0.50, "signed_in": 0.15}  # share of /robots.txt's requests per second


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (the machine's CPUs are shared)")
    parser.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 1) * 2))
    parser.add_argument("--port", type=int, default=8141)
    parser.add_argument("--fresh", action="store_true", help="drop and re-create the benchmark database")
    parser.add_argument("--no-half-peak", action="store_true", help="skip the latency runs at half of peak")
    parser.add_argument("--half-peak-only", action="store_true", help="only the latency runs at half of peak")
    parser.add_argument(
        "--delay-dist",
        choices=["exponential", "fixed"],
        default="exponential",
        help="how each connection's wait between requests is drawn in the half-peak runs (default: exponential)",
    )
    parser.add_argument(
        "--half-peak-trials",
        type=int,
        default=3,
        help="how often a half-peak run is tried again when the peaks before and after it differ by more than 20%%",
    )
    parser.add_argument(
        "--mix",
        choices=["both", "anonymous", "signed-in"],
        default="both",
        help="which page mix the half-peak runs hold (default: both)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="hold each half-peak mix this many times on the same server, each with its own peak: the spread of "
        "the p99 across repeats, not one figure (default: 1)",
    )
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    return args


def _write(paths: list[str]) -> Path:
    path = Path(tempfile.mkstemp(prefix="bench-pages-", suffix=".txt")[1])
    path.write_text("\n".join(paths) + "\n")
    return path


def prepare(env: dict[str, str], *, fresh: bool) -> dict[str, Path]:
    """The benchmark database migrated and seeded; a file of paths for wrk per kind of page."""
    created = ensure_database(env, fresh=fresh)
    print(f"database {env['BENCH_DB_NAME']} ({'created' if created else 'reused'}); migrating and seeding", flush=True)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--quiet-logins")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    analyze(env)
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        stores = [r[0] for r in conn.execute("SELECT slug FROM merchants WHERE is_active AND deleted_at IS NULL")]
        categories = [r[0] for r in conn.execute("SELECT slug FROM categories WHERE is_active AND deleted_at IS NULL")]
        offers = [
            str(r[0])
            for r in conn.execute(
                "SELECT o.uuid FROM offers o JOIN merchants m ON m.id = o.merchant_id WHERE o.deleted_at IS NULL "
                "AND NOT o.is_store_visit AND m.is_active AND (o.starts_at IS NULL OR o.starts_at <= now()) "
                "AND (o.expires_at IS NULL OR o.expires_at > now() + interval '1 hour') ORDER BY o.id LIMIT 200"
            )
        ]
    files = {
        "robots": _write(["/robots.txt"]),
        "home": _write(["/"]),
        "store": _write([f"/stores/{s}/" for s in stores]),
        "category": _write([f"/categories/{c}/" for c in categories]),
        "offer": _write([f"/offers/{u}/" for u in offers]),
        "search": _write([f"/search/?q={urllib.parse.quote(w)}" for w in WORDS]),
        "suggest": _write([f"/search/suggest/?q={urllib.parse.quote(p)}" for p in PREFIXES]),
    }
    rng = random.Random(15)
    mix = [f"/stores/{s}/" for s in stores] + [f"/categories/{c}/" for c in categories]
    mix += [f"/offers/{u}/" for u in offers[:70]] + ["/"] * 20
    rng.shuffle(mix)
    files["mix"] = _write(mix)
    return files


def sign_in(base: str, email: str, password: str) -> str:
    """The Cookie header of the demo shopper signed in through the sign-in form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/login/").read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode({"identifier": email, "password": password, "csrfmiddlewaretoken": token})
    # base is the loopback http:// address of the server this script started
    request = urllib.request.Request(f"{base}/accounts/login/", data=data.encode(), headers={"Referer": base + "/"})  # noqa: S310
    opener.open(request).read()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise SystemExit("could not sign the demo shopper in")
    page = opener.open(f"{base}/").read().decode()
    if "Sign out" not in page:
        raise SystemExit("the session cookie does not sign the shopper in")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def measure(args: argparse.Namespace, env: dict[str, str], files: dict[str, Path]) -> dict:
    base = f"http://127.0.0.1:{args.port}"
    # The Celery worker of `make run` too: it renders the next copy of a page whose copy has grown stale
    # (offers.pagecache.refresh_if_stale). Beat is not started: its periodic jobs are not part of a page's cost.
    worker = processes.start(runner.commands(host="127.0.0.1", port=str(args.port))["worker"], cwd=BASE_DIR, env=env)
    proc = start_gunicorn(env, args.port, args.workers)
    results: dict = {"workers": args.workers, "connections": args.connections, "rounds": []}
    try:
        cookie = sign_in(base, "shopper@couponali.in", "CouponAli@2026")

        def run(kind: str, seconds: int, *, signed_in: bool = False, delay_ms: float = 0) -> dict:
            cpu_before = cpu_ticks()
            r = wrk(
                base + "/",
                seconds=seconds,
                connections=args.connections,
                threads=args.threads,
                paths=files[kind],
                delay_ms=delay_ms,
                cookie=cookie if signed_in else "",
                delay_dist=args.delay_dist,
            )
            r["cpu_us"] = cpu_per_request(cpu_before, cpu_ticks(), r["requests"])
            return r

        kinds = [("robots", False)] + [(k, False) for k in ANONYMOUS] + [(k, True) for k in ANONYMOUS[:5]]
        print("warming up", flush=True)
        for kind, signed in kinds:
            run(kind, 2, signed_in=signed)
        for n in range(0 if args.half_peak_only else args.rounds):
            round_: dict = {}
            shift = n % len(kinds)
            for kind, signed in kinds[shift:] + kinds[:shift]:
                name = f"{kind}{' signed in' if signed else ''}"
                r = round_[name] = run(kind, args.seconds, signed_in=signed)
                print(
                    f"round {n + 1} {name}: {r['rps']:.0f} req/s, p99 {r['latency_us']['p99'] / 1000:.1f} ms, "
                    f"status {r['status']}, load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
            results["rounds"].append(round_)
        if not args.no_half_peak:
            groups = [("anonymous", False), ("signed_in", True)]
            groups = [(g, s) for g, s in groups if args.mix in ("both", g.replace("_", "-"))]
            results["half_peak"] = {}
            for group, signed in groups:
                repeats = [half_peak(run, "mix", signed_in=signed, args=args) for _ in range(args.repeat)]
                results["half_peak"][group] = {**repeats[-1], "repeats": repeats}
    finally:
        processes.stop([proc, worker])
    return results


def half_peak(run, kind: str, *, signed_in: bool, args: argparse.Namespace) -> dict:
    """The page mix at half its peak rate (the waits tuned until the rate is within 10%), for the latency at a
    load the server is not saturated by. The peak is measured again right after: when the two peaks differ by
    more than 20% the machine's capacity moved during the measurement (this is a shared 2-vCPU machine; a
    peak measured during a dip sets a target far below half, one measured before a loss a target above it),
    and the trial is repeated (up to --half-peak-trials); every trial is printed and kept in the results."""
    who = "signed in" if signed_in else "anonymous"
    trials: list[dict] = []
    for _trial in range(args.half_peak_trials):
        peak = run(kind, args.seconds, signed_in=signed_in)
        if not peak["rps"]:
            print(f"half-peak {kind}: the peak run answered nothing ({peak['status']}); no latency figure", flush=True)
            return {"peak_rps": 0, "target_rps": 0, "delay_ms": 0, "trials": trials, **peak}
        target = peak["rps"] / 2
        # the wait that gives the target rate if a request took ~5 ms; then corrected by what was held
        delay_ms = max(0.0, args.connections * 1000 / target - 5)
        half = peak
        for _attempt in range(5):
            meter = hiccups_start(args.seconds * 2)
            half = run(kind, args.seconds * 2, signed_in=signed_in, delay_ms=delay_ms)
            half["hiccups"] = hiccups_result(meter)
            print(
                f"half-peak {who}: target {target:.0f} req/s, {args.delay_dist} delay {delay_ms:.1f} ms -> "
                f"{half['rps']:.0f} req/s, p50 {half['latency_us']['p50'] / 1000:.1f} ms, "
                f"p99 {half['latency_us']['p99'] / 1000:.1f} ms; machine: woke up to "
                f"{half['hiccups']['max_ms']:.0f} ms late, {half['hiccups']['over_20ms']} times over 20 ms",
                flush=True,
            )
            if abs(half["rps"] - target) / target < 0.1:
                break
            delay_ms = max(0.0, args.connections * 1000 / target - half["latency_us"]["mean"] / 1000)
        after = run(kind, args.seconds, signed_in=signed_in)
        stable = min(peak["rps"], after["rps"]) >= 0.8 * max(peak["rps"], after["rps"])
        trial = {
            "peak_rps": peak["rps"],
            "peak_after_rps": after["rps"],
            "stable": stable,
            "target_rps": target,
            "delay_ms": delay_ms,
            "delay_dist": args.delay_dist,
            **half,
        }
        trials.append(trial)
        print(
            f"half-peak {who}: peak {peak['rps']:.0f} req/s before, {after['rps']:.0f} after"
            + ("" if stable else ": the peak moved by more than 20%, so the load held was not half of it; again"),
            flush=True,
        )
        if stable:
            break
    return {**trials[-1], "trials": trials}


def report(results: dict, json_path: str | None) -> None:
    rounds = results["rounds"]
    if not rounds:
        for group, last in results.get("half_peak", {}).items():
            for n, half in enumerate(last["repeats"], 1):
                print(
                    f"half peak, {group} #{n}: held {half['rps']:.0f} req/s, latency (us) {half['latency_us']}, peak "
                    f"{half['peak_rps']:.0f} before and {half.get('peak_after_rps', 0):.0f} after, "
                    f"{len(half.get('trials', []))} trial(s); machine hiccups {half.get('hiccups')}"
                )
        report_repeats(results)
        if json_path:
            Path(json_path).write_text(json.dumps(results, indent=2))
        return
    names = [n for n in rounds[0] if n != "robots"]
    print("\n| page | " + " | ".join(f"round {i}" for i in range(1, len(rounds) + 1)) + " | median | target |")
    print("|---|" + "---|" * (len(rounds) + 2))
    robots = [r["robots"]["rps"] for r in rounds]
    print("| /robots.txt | " + " | ".join(f"{v:.0f} req/s" for v in robots) + f" | {statistics.median(robots):.0f} | |")
    for name in names:
        shares = [r[name]["rps"] / r["robots"]["rps"] for r in rounds]
        cells = [f"{r[name]['rps']:.0f} ({s:.0%})" for r, s in zip(rounds, shares, strict=True)]
        target = TARGETS["signed_in" if name.endswith("signed in") else "anonymous"]
        print(f"| {name} | " + " | ".join(cells) + f" | {statistics.median(shares):.0%} | ≥ {target:.0%} |")
    print(
        "\np99 latency (ms): "
        + ", ".join(f"{n} {statistics.median(r[n]['latency_us']['p99'] for r in rounds) / 1000:.1f}" for n in rounds[0])
    )
    for group, half in results.get("half_peak", {}).items():
        print(
            f"half peak, {group} page mix: peak {half['peak_rps']:.0f} req/s, held {half['rps']:.0f} req/s "
            f"(target {half['target_rps']:.0f}, {half['delay_dist']} waits): "
            f"p50 {half['latency_us']['p50'] / 1000:.1f} ms, "
            f"p99 {half['latency_us']['p99'] / 1000:.1f} ms; peak after {half['peak_after_rps']:.0f} req/s"
            + ("" if half["stable"] else " (the machine lost capacity in every trial)")
            + "; discarded trials: "
            + (", ".join(f"p99 {t['latency_us']['p99'] / 1000:.1f} ms" for t in half["trials"][:-1]) or "none")
        )
    report_repeats(results)
    print("\nmedian CPU per request (microseconds):")
    for name in rounds[0]:
        per = {g: statistics.median(r[name]["cpu_us"][g] for r in rounds) for g in rounds[0][name]["cpu_us"]}
        print(f"  {name}: " + ", ".join(f"{g} {us:.0f}" for g, us in per.items()) + f", total {sum(per.values()):.0f}")
    if json_path:
        Path(json_path).write_text(json.dumps(results, indent=2))


def report_repeats(results: dict) -> None:
    """With --repeat: each mix's p99 over the repeats, sorted, and in how many it was under 100 ms."""
    for group, last in results.get("half_peak", {}).items():
        if len(last["repeats"]) > 1:
            p99s = sorted(h["latency_us"]["p99"] / 1000 for h in last["repeats"])
            under = sum(p < 100 for p in p99s)
            print(
                f"half peak, {group}: p99 over {len(p99s)} repeats (ms, sorted) "
                + ", ".join(f"{p:.1f}" for p in p99s)
                + f"; median {statistics.median(p99s):.1f}; under 100 ms in {under} of {len(p99s)}"
            )


def main() -> None:
    args = arguments()
    env = bench_env("pages")
    env.update(GUNICORN_LOG_LEVEL="warning", LOG_LEVEL="WARNING", CLICKOUT_RATE_LIMIT="100000000/minute")
    files = prepare(env, fresh=args.fresh)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    try:
        results = measure(args, env, files)
    finally:
        for path in files.values():
            path.unlink(missing_ok=True)
    results["started"] = started
    print(f"\nstarted {started}, load average at the end {os.getloadavg()}")
    report(results, args.json)


if __name__ == "__main__":
    main()

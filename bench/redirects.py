"""What the SEO redirect middleware costs per request once its table is cached (issue 13: under 0.2 ms).

    DATABASE_URL=... DATABASE_OWNER_URL=... REDIS_URL=... .venv/bin/python bench/redirects.py [--rounds 7]

Migrates its own database `<db>_bench_redirects`, stores --redirects redirects through the service, then, in
this process, alternating the variants round by round:

* full stack: Django's WSGI handler with the project's MIDDLEWARE, against the same handler built without
  cms.middleware.SeoRedirectMiddleware, for GET /robots.txt (a path that is not redirected: what every request
  pays) - the difference of the medians is the middleware's cost through the whole stack;
* the middleware alone: its __call__ for a path that is not redirected and for one that is (the redirect
  built), against calling the next handler directly - the same cost without the stack's noise.

The table is warm (cached per process, checked against Redis at most every SEO_REDIRECTS_MAX_AGE seconds):
the figures are for the cache hit the issue asks about.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_env, ensure_database, manage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=3000, help="full-stack requests per variant and round")
    parser.add_argument("--calls", type=int, default=200_000, help="middleware calls per variant and round")
    parser.add_argument("--redirects", type=int, default=5000, help="redirects in the table")
    args = parser.parse_args()

    env = bench_env("redirects")
    ensure_database(env)
    manage(env, "migrate", "--noinput", "-v", "0")
    os.environ.update(env)

    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.http import HttpResponse
    from django.test import RequestFactory, override_settings

    from cms.middleware import SeoRedirectMiddleware
    from cms.models import SeoRedirect
    from cms.redirect_table import forget_local, redirect_table
    from cms.services import seo_redirects_import

    if SeoRedirect.objects.count() < args.redirects:
        SeoRedirect.objects.all().delete()
        lines = ["source_path,target_path,http_status,keep_query"]
        lines += [f"/old-page-{i}/,/stores/store-{i}/,301,yes" for i in range(args.redirects)]
        seo_redirects_import(data="\n".join(lines).encode(), actor_id=None)
    forget_local()
    max_age = settings.SEO_REDIRECTS_MAX_AGE
    print(f"{len(redirect_table())} active redirects in the table; SEO_REDIRECTS_MAX_AGE={max_age}")

    factory = RequestFactory()
    with_mw = WSGIHandler()
    without = [m for m in settings.MIDDLEWARE if m != "cms.middleware.SeoRedirectMiddleware"]
    with override_settings(MIDDLEWARE=without):
        without_mw = WSGIHandler()

    def start_response(status, headers, exc_info=None):
        return None

    def full_stack(handler, n: int) -> float:
        environ = factory._base_environ(PATH_INFO="/robots.txt", REQUEST_METHOD="GET", SERVER_NAME="127.0.0.1")
        t0 = time.perf_counter()
        for _ in range(n):
            response = handler(dict(environ), start_response)
            assert response.status_code == 200
            response.close()
        return (time.perf_counter() - t0) / n * 1e6

    ok = HttpResponse("ok")
    middleware = SeoRedirectMiddleware(lambda request: ok)
    miss = factory.get("/robots.txt")
    hit = factory.get("/old-page-4321/", {"utm_source": "mail"})

    def alone(call, request, n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            call(request)
        return (time.perf_counter() - t0) / n * 1e6

    def bare(request):
        return ok

    assert middleware(hit).status_code == 301 and middleware(miss) is ok
    full_stack(with_mw, 300), full_stack(without_mw, 300)  # warm-up (connections, templates, the table)
    rows: dict[str, list[float]] = {k: [] for k in ("stack_with", "stack_without", "bare", "miss", "hit")}
    for r in range(args.rounds):
        order = [("stack_with", with_mw), ("stack_without", without_mw)]
        for name, handler in order if r % 2 == 0 else reversed(order):
            rows[name].append(full_stack(handler, args.requests))
        rows["bare"].append(alone(bare, miss, args.calls))
        rows["miss"].append(alone(middleware, miss, args.calls))
        rows["hit"].append(alone(middleware, hit, args.calls))
        print(
            f"round {r + 1}: full stack with {rows['stack_with'][-1]:.1f} µs, without {rows['stack_without'][-1]:.1f}"
            f" µs | alone: bare call {rows['bare'][-1]:.3f} µs, not redirected {rows['miss'][-1]:.3f} µs,"
            f" redirected {rows['hit'][-1]:.3f} µs"
        )
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(
        f"median full stack: with {med['stack_with']:.1f} µs, without {med['stack_without']:.1f} µs, "
        f"difference {med['stack_with'] - med['stack_without']:+.1f} µs per request"
    )
    print(
        f"median middleware alone: not redirected {med['miss'] - med['bare']:.2f} µs, "
        f"redirected (301 built) {med['hit'] - med['bare']:.2f} µs over a bare call"
    )


if __name__ == "__main__":
    main()

"""Gunicorn settings for `make run`, the benchmarks and production (override with GUNICORN_CMD_ARGS).

Deployment configuration rather than Django code, so it sits at the root under the name gunicorn reads from its
working directory by default; `make run` and bench/clickout.py pass it with --config all the same.
"""

import os
import socket
import sys

# Threads per worker let keep-alive connections, slow clients and requests waiting on PostgreSQL or Redis share
# a process. 16 rather than a handful because the hottest request, the click-out, mostly waits (a Redis round
# trip, then a commit): while one thread waits another runs, and the clicks that wait together share one INSERT
# and one commit (offers/click_writer.py), which the benchmark shows (bench/README.md). The psycopg pool is per
# process and grows to as many connections as there are threads (settings.DATABASE_POOL). The cost: pages that
# are mostly template rendering lose some throughput to more threads contending for each process's GIL (about
# 10-15% on a 2-vCPU machine, bench/README.md). GUNICORN_THREADS changes it; a deployment can also route /go/ to
# a gunicorn pool of its own with 16 threads and serve the pages with fewer.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
keepalive = 5
# Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new connections over them. On one
# shared socket, the worker that happens to be awake accepts a burst of connections all alone: clients that keep
# their connection open (a load balancer's pool, HTTP keep-alive) then stay on one busy process while the others
# idle, and that process's requests queue for its GIL (bench/README.md, "One process took all the connections").
# The price: a worker that stops (max_requests, a reload) drops the connections still waiting in its own queue,
# which clients retry. GUNICORN_REUSE_PORT=0 goes back to the one shared socket.
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "1") == "1"
timeout = 30
graceful_timeout = 20
# Recycle workers now and then as a guard against slow leaks; rarely enough that the restart (a Django boot
# and an empty per-process cache) stays out of the way under load.
max_requests = 500000
max_requests_jitter = 50000
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Once the worker has loaded Django: move everything allocated so far (modules, URLconf, settings) out of
    the garbage collector's reach, so that a full collection under load scans only what requests allocate
    rather than the whole framework: shorter pauses, in which every thread of the process waits."""
    import gc  # noqa: PLC0415 - only needed in the worker, after the fork

    if os.environ.get("GUNICORN_GC_FREEZE", "1") == "1":
        gc.collect()
        gc.freeze()


def on_starting(server):
    """With a socket per worker (reuse_port) the master binds nothing itself, and a port that another server
    already listens on would not stop it: with SO_REUSEPORT on both sides (a second `make run`) the two would
    silently share the port's connections, and otherwise every worker would fail to bind and be started again
    for ever. So the master tries each TCP address first, without SO_REUSEPORT, and stops with a clear message
    when it is taken."""
    if not server.cfg.reuse_port:
        return
    for address in server.cfg.address:
        if not isinstance(address, tuple):
            continue  # a unix socket path: gunicorn itself refuses one that is in use
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # As gunicorn's own sockets: connections of a server that just stopped (TIME_WAIT) do not count.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address[:2])
            except OSError as exc:
                server.log.error("Cannot listen on %s:%s: %s. Is another server running there?", *address[:2], exc)
                sys.exit(1)

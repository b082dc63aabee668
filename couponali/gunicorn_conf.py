"""Gunicorn settings for `make run` and production (override with GUNICORN_CMD_ARGS)."""

import os

# Threads per worker let keep-alive connections and slow clients share a process; the psycopg pool is
# per process and thread-safe.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 5
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

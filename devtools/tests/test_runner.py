"""devtools.runner: what `make run` starts."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection
from psycopg.conninfo import make_conninfo

from catalog.factories import MerchantFactory
from devtools import runner


def test_the_worker_and_beat_run_below_the_web_servers_cpu_priority(monkeypatch):
    monkeypatch.delenv("CELERY_NICE", raising=False)
    commands = runner.commands(host="127.0.0.1", port="8000")
    assert commands["worker"][:3] == ["nice", "-n", "10"] and commands["beat"][:3] == ["nice", "-n", "10"]
    assert commands["web"][0].endswith("gunicorn")

    monkeypatch.setenv("CELERY_NICE", "0")
    commands = runner.commands(host="127.0.0.1", port="8000")
    assert commands["worker"][0].endswith("celery") and commands["beat"][0].endswith("celery")


class _Healthy(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_waiting_for_health_stops_when_a_process_exits_rather_than_trusting_whoever_answers_the_port():
    other = http.server.HTTPServer(("127.0.0.1", 0), _Healthy)  # another server on the port, answering 200
    threading.Thread(target=other.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{other.server_port}/healthz"
    try:
        exited_web = subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)"])
        exited_web.wait()
        assert runner.wait_healthy(url, timeout=30, stopping=[False], procs={"web": exited_web}) is False
        assert runner.exited({"web": exited_web}) == "web"
        running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            started = time.monotonic()
            assert runner.wait_healthy(url, timeout=30, stopping=[False], procs={"web": running}) is True
            assert time.monotonic() - started < 5 and runner.exited({"web": running}) is None
        finally:
            running.kill()
            running.wait()
    finally:
        other.shutdown()
        other.server_close()


@pytest.mark.django_db(transaction=True)
def test_the_demo_is_loaded_into_any_database_without_stores_and_not_again():
    params = connection.get_connection_params()
    url = make_conninfo(**{k: v for k, v in params.items() if k in ("dbname", "user", "password", "host", "port")})
    assert runner.has_stores(url) is False  # a new (or wiped) database: make run seeds it
    MerchantFactory()
    assert runner.has_stores(url) is True  # seeded already: no second load
    assert runner.has_stores("postgresql://nobody@127.0.0.1:1/none") is False  # cannot tell: seed (idempotent)

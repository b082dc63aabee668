"""The lock files hold every direct pin of requirements*.txt, at the same version, and a hash for every package.

A pin changed without `make lock` fails here instead of installing something else than the lock says.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;]+)", re.MULTILINE)


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if line.startswith("-r "):
            pins |= _pins(path.parent / line[3:].strip())
        elif match := PIN.match(line):
            pins[_name(match[1])] = match[2]
    return pins


def _locked(path: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of each package in a lock file."""
    entries = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", path.read_text()):
        if match := PIN.match(block):
            entries[_name(match[1])] = (match[2], block.count("--hash=sha256:"))
    return entries


def test_every_direct_pin_is_locked_at_its_version_with_hashes():
    for source, lock in [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")]:
        pins, locked = _pins(ROOT / source), _locked(ROOT / lock)
        assert pins, source
        for name, version in pins.items():
            assert name in locked, f"{name} is pinned in {source} but missing from {lock}: run `make lock`"
            assert locked[name][0] == version, f"{name}: {source} pins {version}, {lock} has {locked[name][0]}"
        assert all(hashes for _version, hashes in locked.values()), f"a package in {lock} has no hash"


def test_the_dev_lock_includes_the_runtime_lock():
    runtime, dev = _locked(ROOT / "requirements.lock"), _locked(ROOT / "requirements-dev.lock")
    assert {name: v for name, (v, _h) in runtime.items()}.items() <= {name: v for name, (v, _h) in dev.items()}.items()

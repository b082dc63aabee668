"""The import contracts of .importlinter (the README's layers) hold on the checkout, and a new import that breaks
one makes `lint-imports` fail, naming the contract and the import. The broken cases run on a copy of the
packages' Python files with one module added, so the checkout is never touched."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _root_packages() -> list[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return config["importlinter"]["root_packages"].split()


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """The root packages' Python files and the contracts, in a scratch directory."""
    target = tmp_path_factory.mktemp("layers")

    def not_python(directory: str, names: list[str]) -> set[str]:
        return {n for n in names if not n.endswith(".py") and not (Path(directory) / n).is_dir()} | {"__pycache__"}

    for package in _root_packages():
        shutil.copytree(ROOT / package, target / package, ignore=not_python)
    shutil.copy(ROOT / ".importlinter", target / ".importlinter")
    return target


def test_the_checkout_keeps_every_contract():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout


def test_the_copy_keeps_every_contract_before_anything_is_added(copy):
    result = _lint_imports(copy)
    assert result.returncode == 0, result.stdout + result.stderr


# (new module, its import, the contract it breaks, the imported module reported)
PROBES = [
    # a lower app importing a higher one
    ("catalog.upward_probe", "from wallet import models", "Apps depend downwards only", "wallet.models"),
    ("offers.upward_probe", "import referrals.services", "Apps depend downwards only", "referrals.services"),
    # the kernel importing an app (only the URLconf may)
    ("couponali.upward_probe", "from offers import models", "Apps depend downwards only", "offers.models"),
    # two apps of one layer importing each other
    ("accounts.upward_probe", "import catalog.models", "Apps depend downwards only", "catalog.models"),
    # the site importing the dev tools
    ("cms.upward_probe", "from devtools import processes", "The site never imports devtools", "devtools.processes"),
    # an app importing the URLconf
    ("wallet.upward_probe", "import couponali.urls", "Nothing imports the URLconf", "couponali.urls"),
    # site code importing a factory (factory-boy is not installed in production)
    ("demo.upward_probe", "from catalog import factories", "Only tests (and other factories)", "catalog.factories"),
]


def test_new_imports_against_the_layers_break_their_contracts(copy):
    # one lint-imports run for all the probes (each is reported on its own line)
    probes = [copy / (module.replace(".", "/") + ".py") for module, *_ in PROBES]
    for path, (_, line, _, _) in zip(probes, PROBES, strict=True):
        path.write_text(f'"""An import the contracts must refuse."""\n\n{line}\n')
    try:
        result = _lint_imports(copy)
    finally:
        for path in probes:
            path.unlink()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Contracts: 0 kept, 4 broken." in result.stdout, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[1]
    for module, _, contract, reported in PROBES:
        assert contract in broken, result.stdout
        assert f"{module} -> {reported}" in broken, result.stdout

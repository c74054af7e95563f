"""Every module of the package imports on its own, in a fresh interpreter.

An import cycle shows only when one of its modules is imported first (``claims.commands``
once failed that way while ``claims.cli`` worked), so each module gets its own process:
importing them one after the other in one process would hide it.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import claims

ROOT = Path(claims.__file__).parent


def modules(path: list[str], prefix: str) -> list[str]:
    """Every module and package under ``path``, found on disk (nothing is imported to find them)."""
    found = []
    for info in pkgutil.iter_modules(path, prefix):
        found.append(info.name)
        if info.ispkg:
            found += modules([str(Path(path[0]) / info.name.rsplit(".", 1)[-1])], info.name + ".")
    return found


MODULES = ["claims", *(m for m in modules([str(ROOT)], "claims.") if not m.endswith(".__main__"))]


def import_alone(name: str) -> tuple[str, int, str]:
    proc = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True, timeout=300)
    return name, proc.returncode, proc.stderr


def test_the_module_list_is_the_package():
    assert {"claims.cli", "claims.cli.common", "claims.cli.follow", "claims.pipeline", "claims.nlp.parse", "claims.extract.hedging"} <= set(MODULES)
    assert len(MODULES) == len(set(MODULES)) == sum(1 for p in ROOT.rglob("*.py") if p.name != "__main__.py")


@pytest.mark.slow
def test_every_module_imports_in_a_fresh_interpreter():
    with ThreadPoolExecutor(max_workers=2) as pool:
        failed = [(name, err) for name, rc, err in pool.map(import_alone, MODULES) if rc != 0]
    assert not failed, "\n\n".join(f"python -c 'import {name}' failed:\n{err}" for name, err in failed)


def test_the_package_runs_as_a_module():
    proc = subprocess.run([sys.executable, "-m", "claims.cli", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("claims, version ")

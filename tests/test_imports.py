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


NO_TORCH = """
import sys
from click.testing import CliRunner
from claims.cli import cli
args = sys.argv[1:]
result = CliRunner().invoke(cli, args, catch_exceptions=False)
assert result.exit_code == 0, result.output
print(sorted(m for m in ("torch", "stanza", "thinc", "spacy") if m in sys.modules))
"""


@pytest.mark.parametrize(
    "args, loaded",
    [
        (["--help"], []),
        (["ingest", "--parser", "spacy", "--db", "{db}", str(ROOT.parent / "examples")], ["spacy", "thinc"]),
    ],
    ids=["help", "spacy-ingest"],
)
def test_help_and_a_spacy_ingest_never_import_torch_or_stanza(tmp_path, args, loaded):
    args = [a.replace("{db}", str(tmp_path / "claims.db")) for a in args]
    proc = subprocess.run([sys.executable, "-c", NO_TORCH, *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == repr(loaded)


def test_only_the_parser_boundary_imports_stanza():
    """stanza's output becomes claims' Document in nlp/parse.py; nothing else imports stanza."""
    importing = sorted(
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.py")
        if any(line.lstrip().startswith(("import stanza", "from stanza")) for line in p.read_text(encoding="utf-8").splitlines())
    )
    assert importing == ["nlp/parse.py"]

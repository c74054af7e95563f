"""The installed package is self-contained: the wheel carries the repository's schema/ and db/
files byte for byte, and the package finds them through importlib.resources."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from claims import resources

ROOT = Path(__file__).resolve().parent.parent
SERVED = ("schema/*.json", "db/metadata.yml", "db/templates/*")  # every template, whatever its extension


def repo_files() -> dict[str, bytes]:
    found = {str(p.relative_to(ROOT)): p.read_bytes() for pattern in SERVED for p in ROOT.glob(pattern)}
    assert "schema/claim.schema.json" in found and "db/metadata.yml" in found
    return found


def test_the_package_serves_the_repository_files():
    for rel, data in repo_files().items():
        assert (resources.DATA / rel).read_bytes() == data, rel
    assert resources.METADATA.is_file() and resources.TEMPLATES.is_dir()
    assert resources.schema("document.schema.json")["type"] == "object"


@pytest.mark.slow
def test_the_wheel_carries_the_same_bytes(tmp_path):
    pytest.importorskip("build")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("claims-*.whl")
    with zipfile.ZipFile(wheel) as z:
        shipped = {n.removeprefix("claims/data/"): z.read(n) for n in z.namelist() if n.startswith("claims/data/")}
        names = set(z.namelist())
    assert shipped == repo_files()
    # the rest of the package's own data too
    assert {"claims/static/timeline.js", "claims/templates/report.md.j2", "claims/extract/lexicons/hedges.yml"} <= names


def test_the_command_line_starts_without_dev_tooling_parser_or_cluster():
    from claims.bench import HEAVY_MODULES

    heavy = {*HEAVY_MODULES, "dask"}
    probe = f"import sys, claims.cli; print(' '.join(m for m in sys.modules if m in {heavy!r} or m.split('.')[0] in {heavy!r}))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == []
    # and every command is still there, with its help
    from click.testing import CliRunner

    from claims.cli import cli

    out = CliRunner().invoke(cli, ["--help"]).output
    for name in ("ingest", "reextract", "export", "serve", "schema", "compare", "report", "verify", "link", "eval", "bench"):
        assert f"  {name} " in out, name
    assert "--scheduler ADDRESS" in CliRunner().invoke(cli, ["ingest", "--help"]).output

"""Datasette on the claims database, with the project's metadata, templates and plugin."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

DB_DIR = Path(__file__).resolve().parent.parent / "db"
METADATA = DB_DIR / "metadata.yml"
TEMPLATES = DB_DIR / "templates"


def datasette_args(db: str, host: str = "127.0.0.1", port: int = 8001, writable: bool = False) -> list[str]:
    """The command line that serves ``db``: immutable unless asked otherwise."""
    exe = shutil.which("datasette") or str(Path(sys.executable).with_name("datasette"))
    args = [exe, "serve", "--host", host, "--port", str(port)]
    args += [db] if writable else ["-i", db]
    if METADATA.exists():
        args += ["--metadata", str(METADATA)]
    if TEMPLATES.is_dir():
        args += ["--template-dir", str(TEMPLATES)]
    args += ["--setting", "sql_time_limit_ms", "3000", "--setting", "facet_time_limit_ms", "1000"]
    return args

"""Datasette on the claims database, with the project's metadata, templates and plugin.

Datasette names a database after its file (``db/claims.db`` is served as ``claims``)
and ``db/metadata.yml`` describes ``databases.claims``; a database file with another
name is served through a link called ``claims.db`` so that the same metadata,
canned queries and pages apply. The plugin (``claims.datasette_plugin``) is loaded
through the package's ``datasette`` entry point.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

DB_DIR = Path(__file__).resolve().parent.parent / "db"
METADATA = DB_DIR / "metadata.yml"
TEMPLATES = DB_DIR / "templates"
DB_NAME = "claims"  # the name metadata.yml's databases.claims refers to


def served_path(db: str) -> str:
    """``db`` itself when its file is called claims.db, otherwise a link to it with that name."""
    path = Path(db)
    if path.stem == DB_NAME:
        return db
    link = Path(tempfile.mkdtemp(prefix="claims-serve-")) / f"{DB_NAME}.db"
    link.symlink_to(path.resolve())
    return str(link)


def datasette_args(
    db: str, host: str = "127.0.0.1", port: int = 8001, writable: bool = False
) -> list[str]:
    """The command line that serves ``db`` as ``claims``: immutable unless asked otherwise."""
    exe = shutil.which("datasette") or str(Path(sys.executable).with_name("datasette"))
    served = served_path(db)
    args = [exe, "serve", "--host", host, "--port", str(port)]
    args += [served] if writable else ["-i", served]
    if METADATA.exists():
        args += ["--metadata", str(METADATA)]
    if TEMPLATES.is_dir():
        args += ["--template-dir", str(TEMPLATES)]
    # facet suggestions cost ~2 s per table page on a 1M-claim archive (docs/performance.md);
    # the facets a fact-checker uses are configured in metadata.yml and linked from the table.
    # "0" rather than "off": Datasette's command line reads both, and so does `claims bench`,
    # which passes these settings to Datasette() as Python values (where "off" is truthy).
    args += ["--setting", "sql_time_limit_ms", "3000", "--setting", "facet_time_limit_ms", "1000", "--setting", "suggest_facets", "0"]
    return args

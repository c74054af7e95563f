"""Datasette on the claims database, with the project's metadata, templates and plugin.

Datasette names a database after its file (``db/claims.db`` is served as ``claims``)
and ``db/metadata.yml`` describes ``databases.claims``; a database file with another
name is served through a link called ``claims.db`` (in a temporary folder removed when
the server stops) so that the same metadata, canned queries and pages apply. The
metadata and templates are the package's own (:mod:`claims.resources`), so an installed
``claims`` serves them from any folder. The plugin (``claims.datasette_plugin``) is
loaded through the package's ``datasette`` entry point.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .resources import METADATA, TEMPLATES

DB_NAME = "claims"  # the name metadata.yml's databases.claims refers to
__all__ = ["DB_NAME", "METADATA", "TEMPLATES", "datasette_args", "served_as_claims", "serve"]


@contextlib.contextmanager
def served_as_claims(db: str) -> Iterator[str]:
    """``db`` itself when its file is called claims.db, otherwise a link to it with that name (removed on exit)."""
    path = Path(db)
    if path.stem == DB_NAME:
        yield db
        return
    with tempfile.TemporaryDirectory(prefix="claims-serve-") as folder:
        link = Path(folder) / f"{DB_NAME}.db"
        link.symlink_to(path.resolve())
        yield str(link)


def datasette_args(
    db: str, host: str = "127.0.0.1", port: int = 8001, writable: bool = False
) -> list[str]:
    """The command line that serves ``db`` (a file called claims.db: see :func:`served_as_claims`), immutable unless asked otherwise."""
    exe = shutil.which("datasette") or str(Path(sys.executable).with_name("datasette"))
    args = [exe, "serve", "--host", host, "--port", str(port)]
    args += [db] if writable else ["-i", db]
    args += ["--metadata", str(METADATA), "--template-dir", str(TEMPLATES)]
    # facet suggestions cost ~2 s per table page on a 1M-claim archive (docs/performance.md);
    # the facets a fact-checker uses are configured in metadata.yml and linked from the table.
    # "0" rather than "off": Datasette's command line reads both, and so does `claims bench`,
    # which passes these settings to Datasette() as Python values (where "off" is truthy).
    args += ["--setting", "sql_time_limit_ms", "3000", "--setting", "facet_time_limit_ms", "1000", "--setting", "suggest_facets", "0"]
    return args


def serve(db: str, host: str = "127.0.0.1", port: int = 8001, writable: bool = False) -> int:
    """Run Datasette on ``db`` until it stops (Ctrl-C); its exit code. Leaves no temporary file behind."""
    with served_as_claims(db) as served:
        proc = subprocess.Popen(datasette_args(served, host=host, port=port, writable=writable))
        # `kill PID` (SIGTERM) stops Datasette too, and the temporary link is still removed
        previous = signal.signal(signal.SIGTERM, lambda _sig, _frame: proc.terminate())
        try:
            return proc.wait()
        except KeyboardInterrupt:  # the terminal sent SIGINT to Datasette too
            try:
                return proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                return proc.wait()
        finally:
            signal.signal(signal.SIGTERM, previous)

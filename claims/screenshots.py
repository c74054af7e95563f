"""Every page type of the desk in headless Chromium: ``make screenshots`` and tests/test_browser.py.

``python -m claims.screenshots --db DB --out docs/screenshots`` serves DB as ``claims serve`` does
(a real ``datasette serve`` on a free loopback port) and saves a 1400 px wide screenshot of each
page in :func:`pages`. The browser is Debian's ``/usr/bin/chromium`` (``apt-get install -y
chromium``), run headless with a fresh profile and no network beyond the loopback server.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .serve import datasette_args

CHROMIUM = Path("/usr/bin/chromium")
WIDTH = 1400
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
)  # fmt: skip


@dataclass(frozen=True)
class Page:
    name: str  # the screenshot's file name, without .png
    path: str  # URL path and query on the server
    height: int  # window height: the screenshot's height
    what: str  # what it shows, for docs/desk.md


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(db: Path, log: Path) -> Iterator[str]:
    """``datasette serve`` as ``claims serve`` runs it; yields its base URL."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(datasette_args(str(db), port=port), stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("datasette did not start:\n" + log.read_text()) from None
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def chromium(profile: Path, url: str, *extra: str) -> str:
    args = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000", *extra, url]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed on {url}:\n{done.stderr[-2000:]}")
    return done.stdout


def dom(profile: Path, url: str) -> str:
    return chromium(profile, url, "--dump-dom")


def screenshot(profile: Path, url: str, path: Path, height: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    chromium(profile, url, f"--screenshot={path}", f"--window-size={WIDTH},{height}")
    return path


def pages(db: Path) -> list[Page]:
    """One page of each type, with ids taken from the database (its best-linked claim and entity)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as c:

        def one(sql: str) -> str:
            row = c.execute(sql).fetchone()
            if row is None:
                raise RuntimeError(f"{db}: nothing for the screenshots ({sql})")
            return str(row[0])

        prop = one("select id from propositions order by n_claims desc, id limit 1")
        claim = one(f"select id from claims where proposition_id = {prop} order by doc_date desc, start_char limit 1")
        doc = one(f"select document_id from claims where id = '{claim}'")
        source = one("select source_text from claims where source_type != 'author' group by lower(source_text) order by count(*) desc limit 1")
        entity = one("select e.canonical from claim_entities ce join entities e on e.id = ce.entity_id group by e.canonical order by count(*) desc limit 1")
        word = one(f"select lower(canonical) from entities where canonical = '{entity}'")
    q = urllib.parse.urlencode
    return [
        Page("home", "/", 1000, "the home page: what the data is, and where to start"),
        Page("claims", "/claims/claims", 1400, "the claims report, newest first"),
        Page("search", "/claims/claims?" + q({"_search": "drone"}), 900, "the claims report searched for a word"),
        Page("claim-card", "/claims/claims/" + urllib.parse.quote(claim.replace(":", "~3A"), safe="~"), 1000, "a claim's card"),
        Page("document", "/claims/documents/" + doc, 800, "a document with its claims highlighted"),
        Page("source", "/-/source?" + q({"name": source}), 1100, "a source: every claim it made"),
        Page("timelines", "/-/timeline", 1000, "the timelines page: a search box and where to start"),
        Page("timeline-search", "/-/timeline?" + q({"q": word}), 1000, "a word on the timeline page: propositions and entities to pick"),
        Page("timeline-proposition", "/-/timeline?" + q({"proposition": prop}), 1100, "one proposition's timeline"),
        Page("timeline-entity", "/-/timeline?" + q({"entity": entity}), 1500, "an entity's propositions, one line each"),
        Page("query-sources", "/claims/sources?q=", 1000, "canned query: who is cited, how often, how firmly"),
        Page("query-assessment_changes", "/claims/assessment_changes?since=&until=", 900, "canned query: assessments that changed"),
        Page("query-claims_about", "/claims/claims_about?" + q({"entity": entity}), 1000, "canned query: claims about an entity"),
        Page("query-assessment_timeline", "/claims/assessment_timeline?" + q({"proposition": prop, "q": ""}), 1000, "canned query: a proposition's claims in date order"),
        Page("query-unattributed_claims", "/claims/unattributed_claims?document=", 1000, "canned query: claims in the document's own voice"),
        Page("query-coverage", "/claims/coverage?document=", 900, "canned query: sentences nothing was extracted from"),
        Page("query-search", "/claims/search?q=drone", 900, "canned query: claims and sentences containing a word"),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="the database to serve (e.g. one made from examples/)")
    ap.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = ap.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} not found: apt-get install -y chromium", file=sys.stderr)
        return 2
    if not args.db.exists():
        print(f"{args.db}: no such database (make one with `claims ingest examples/ --db {args.db}`)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="claims-shots-") as tmp, serve(args.db, Path(tmp) / "datasette.log") as base:
        for page in pages(args.db):
            path = screenshot(Path(tmp) / "profile", base + page.path, args.out / f"{page.name}.png", page.height)
            print(f"{path}  {page.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The pages in a real browser: headless Debian chromium against a real `datasette serve`.

Each check loads a page the way a fact-checker would, waits for scripts (the
timeline's chart) with a virtual-time budget, and inspects the rendered DOM;
screenshots go to test-output/screenshots/. CI installs chromium (.ci/run).
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_datasette import HOSTILE_DATE, SCRIPT, build_desk_db, query

from claims.serve import datasette_args

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs /usr/bin/chromium: apt-get install -y chromium (CI does)",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`datasette serve` as `claims serve` runs it, on a free loopback port."""
    db = build_desk_db(tmp_path_factory.mktemp("desk"))
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "datasette.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            datasette_args(str(db), port=port), stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("datasette did not start:\n" + log.read_text())
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def chromium(tmp_path: Path, url: str, *extra: str) -> str:
    args = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", *extra, url,
    ]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def dom(tmp_path: Path, url: str) -> str:
    return chromium(tmp_path, url, "--dump-dom")


def screenshot(tmp_path: Path, url: str, name: str, height: int = 900) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    chromium(tmp_path, url, f"--screenshot={path}", f"--window-size=1280,{height}")
    assert path.exists() and path.stat().st_size > 10_000
    return path


def test_home_leads_to_the_timeline(server, tmp_path):
    html = dom(tmp_path, server + "/")
    assert "Start here" in html
    assert "/-/timeline?q=iran%7Cdirect%7Cgroup" in html
    screenshot(tmp_path, server + "/", "home")


def test_claims_table(server, tmp_path):
    html = dom(tmp_path, server + "/claims/claims")
    assert "Claims report" in html
    assert re.search(r"\d+ rows\s+sorted by doc_date descending", html)
    assert '<mark class="cl-claim"' in html and "cl-badge cl-certainty-certain" in html
    screenshot(tmp_path, server + "/claims/claims", "claims", height=1400)


def test_search(server, tmp_path):
    url = server + "/claims/claims?" + urllib.parse.urlencode({"_search": "drone"})
    html = dom(tmp_path, url)
    assert "search matches" in html and "drone" in html
    rows = re.findall(r'<td class="col-text[^"]*">(.*?)</td>', html, re.S)
    assert rows and all("drone" in r.lower() for r in rows)
    screenshot(tmp_path, url, "search")


def test_facet(server, tmp_path):
    url = (
        server
        + "/claims/claims?"
        + urllib.parse.urlencode({"_entity": "Iran", "certainty": "certain"})
    )
    html = dom(tmp_path, url)
    assert 'mention "Iran"' in html.replace("&quot;", '"').replace("&#34;", '"')
    assert "cl-certainty-probable" not in html.split('class="rows-and-columns')[1]
    screenshot(tmp_path, url, "facet", height=1200)


def test_timeline_chart_is_drawn(server, tmp_path):
    url = server + "/-/timeline?" + urllib.parse.urlencode({"q": "iran|direct|group"})
    html = dom(tmp_path, url)
    chart = html[html.index('id="cl-chart"') :]
    assert "<svg" in chart[:2000] or "<svg" in chart, "no SVG chart rendered"
    assert "could not be drawn" not in html
    marks = re.findall(r'role="graphics-symbol"', chart)
    n_claims = len(re.findall(r'<td class="cl-nowrap"><a href="/claims/claims/', html))
    assert n_claims >= 3 and len(marks) >= n_claims
    for word in ("certain", "probable", "possible", "unknown"):
        assert f">{word}<" in chart or f">{word}ly<" in chart or word in chart
    path = screenshot(tmp_path, url, "timeline", height=1000)
    assert path.stat().st_size > 30_000


def test_hostile_document_is_shown_as_text(server, tmp_path):
    db = build_desk_db(Path("unused"))
    doc_id = query(db, "select id from documents where doc_date = ?", (HOSTILE_DATE,))[0][0]
    for url in (
        f"{server}/claims/documents/{doc_id}",
        f"{server}/claims/claims?document_id={doc_id}",
        f"{server}/claims/search?q=Erbil",
    ):
        html = dom(tmp_path, url)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        assert SCRIPT not in html, url
        # had the onerror handler run, <body> would carry data-pwned
        assert "data-pwned" not in html and '<img src="x"' not in html, url
        # the only scripts are Datasette's and ours, none from the document
        assert all(
            "alert(1)" not in s for s in re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
        ), url
    screenshot(tmp_path, f"{server}/claims/claims?document_id={doc_id}", "hostile", height=1500)

"""The pages in a real browser: headless Debian chromium against a real `datasette serve`.

Each check loads a page the way a fact-checker would, waits for scripts (the
timeline's chart) with a virtual-time budget, and inspects the rendered DOM;
screenshots go to test-output/screenshots/. CI installs chromium (.ci/run).
"""

from __future__ import annotations

import html as htmllib
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_datasette import HOSTILE_DATE, SCRIPT, build_desk_db, query

from claims import screenshots as shots
from claims.screenshots import CHROMIUM, serve

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs /usr/bin/chromium: apt-get install -y chromium (CI does)",
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`datasette serve` as `claims serve` runs it, on a free loopback port."""
    db = build_desk_db(tmp_path_factory.mktemp("desk"))
    with serve(db, tmp_path_factory.mktemp("serve") / "datasette.log") as base:
        yield base


def dom(tmp_path: Path, url: str) -> str:
    return shots.dom(tmp_path / "profile", url)


def screenshot(tmp_path: Path, url: str, name: str, height: int = 900) -> Path:
    path = shots.screenshot(tmp_path / "profile", url, SHOTS / f"{name}.png", height)
    assert path.exists() and path.stat().st_size > 10_000
    return path


def test_home_leads_to_the_timeline(server, tmp_path):
    html = dom(tmp_path, server + "/")
    assert "Start here" in html
    assert "/-/timeline?key=iran%7Cdirect%7Cgroup" in html
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
    url = server + "/-/timeline?" + urllib.parse.urlencode({"key": "iran|direct|group"})
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


# --- every page type, as `make screenshots` shows them ------------------------------------------


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", html)))


def rows_of(html: str) -> int:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return body.count("<tr")


def check_card(html: str) -> None:
    t = text_of(html)
    for heading in ("Who says it", "How firmly", "When", "About", "The proposition", "Provenance report", "Where it comes from"):
        assert heading in t, heading
    assert '<mark class="cl-claim"' in html and "sha256:" in t
    for label in ("Markdown", "HTML", "JSON", "W3C PROV"):
        assert f">{label}</a>" in html, label
    assert 'value="ClaimReview (JSON-LD)"' in html and 'name="rating"' in html


def check_document(html: str) -> None:
    n = int(re.search(r"<h2>(\d+) claims?</h2>", html).group(1))
    assert n > 0 and len(re.findall(r'<a class="cl-doc-claim', html)) >= n
    assert "By source" in html and "Content hash" in html


def check_source(html: str) -> None:
    assert ("Every claim, newest first" in html or "claims in <a" in html) and "How firmly:" in html and rows_of(html) > 0


def check_chart(html: str) -> list[str]:
    chart = html[html.index('id="cl-chart"') :]
    assert "<svg" in chart and "could not be drawn" not in html
    return re.findall(r'role="graphics-symbol"', chart)


def check_proposition_timeline(html: str) -> None:
    assert "How the assessment changed:" in html
    assert len(check_chart(html)) >= rows_of(html.split("The quotes")[1]) >= 2


def check_entity_timeline(html: str) -> None:
    assert "What is claimed about" in html and "each its own line" in html
    check_chart(html)
    chart = html[html.index('id="cl-chart"') :]
    assert ">Proposition<" in chart  # the legend: one colour per proposition


def check_picks(html: str) -> None:
    assert 'id="cl-chart"' not in html
    assert "Propositions" in html and "Entities" in html
    assert re.search(r'href="/-/timeline\?proposition=\d+"', html) and 'href="/-/timeline?entity=' in html


def check_query(html: str, json_rows: int) -> None:
    assert "show the SQL" in html and 'id="sql-query"' not in html
    assert rows_of(html) == json_rows  # every row the query returns, as a report
    if not json_rows:
        assert "No rows." in html
        return
    headers = re.findall(r'<th class="col-([^"]+)"', html)
    assert headers and not {"proposition_id", "document_id", "score"} & set(headers)


CHECKS = {
    "home": lambda h: "Start here" in h and "How did the assessment change?" in h,
    "claims": lambda h: "Claims report" in h and '<mark class="cl-claim"' in h,
    "search": lambda h: "search matches" in h,
    "claim-card": check_card,
    "document": check_document,
    "source": check_source,
    "timelines": lambda h: "Find a proposition or entity" in h and "Start here" in h,
    "timeline-search": check_picks,
    "timeline-proposition": check_proposition_timeline,
    "timeline-entity": check_entity_timeline,
}


def test_every_page_type_reads_in_the_browser(server, tmp_path):
    pages = shots.pages(build_desk_db(Path("unused")))
    names = {p.name for p in pages}
    assert set(CHECKS) <= names and all(n in CHECKS or n.startswith("query-") for n in names)
    for page in pages:
        html = dom(tmp_path, server + page.path)
        if page.name in CHECKS:
            assert CHECKS[page.name](html) is not False, page.name
        else:
            path, _, query_string = page.path.partition("?")
            with urllib.request.urlopen(f"{server}{path}.json?{query_string}&_shape=array") as r:
                check_query(html, len(json.load(r)))
        screenshot(tmp_path, server + page.path, page.name, page.height)

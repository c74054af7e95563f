"""The desk's own pages through Datasette's test client: the claim card, the document page, the
source page, the provenance reports and the canned queries read as reports.

Same database as tests/test_datasette.py (examples/ plus a hostile document); the browser
checks of the same pages are in tests/test_browser.py.
"""

from __future__ import annotations

import asyncio
import html as htmllib
import json
import re
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette
from sqlmodel import Session, create_engine
from test_datasette import (
    HOSTILE_DATE,
    METADATA,
    SCRIPT,
    build_desk_db,
    get,
    get_json,
    iran_directing_id,
    q,
    query,
    served,
)

from claims.report import build_report, render

IRAN_DIRECTING = "Iran is directing these groups"


@pytest.fixture(scope="module")
def desk_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_desk_db(tmp_path_factory.mktemp("desk"))


@pytest.fixture(scope="module")
def ds(desk_db: Path) -> Datasette:
    return served(desk_db)


def card_path(claim_id: str) -> str:
    return "/claims/claims/" + claim_id.replace(":", "~3A")


def claim_id_of(db: Path, text: str, date: str | None = None) -> str:
    sql = "select id from claims where text = ?" + (" and doc_date = ?" if date else "")
    return query(db, sql, (text, date) if date else (text,))[0][0]


# --- the claim card ----------------------------------------------------------------------


def test_claim_card_shows_the_claim_and_everything_about_it(ds, desk_db):
    cid = claim_id_of(desk_db, IRAN_DIRECTING, "2024-02-15")
    page = get(ds, card_path(cid)).text
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", page))
    text = re.sub(r"\s+", " ", text)
    # the claim inside its sentence, cues highlighted
    assert '<mark class="cl-claim"' in page and 'class="cl-cue"' in page
    assert "but Tehran does not control every attack" in text
    # the source chain, linked to the source's page
    assert 'href="/-/source?name=Intelligence+officials"' in page
    # certainty with its cue, in words; hedging with typed cues
    assert "Assessment probably" in text and "Certainty set by “believe”" in text
    assert "hedge: medium" in text and "(evidential)" in text
    # entities with their aliases
    assert "Iran GPE" in text and "Tehran" in text and "Islamic Republic of Iran" in text
    # the proposition and its place in its timeline: the claim before it, none after
    pid = iran_directing_id(desk_db)
    label = query(desk_db, "select label from propositions where id = ?", (pid,))[0][0]
    assert f'href="/-/timeline?proposition={pid}"' in page and label in text
    before = query(
        desk_db,
        "select id, doc_date from claims where proposition_id = ? and doc_date < '2024-02-15' order by doc_date desc limit 1",
        (pid,),
    )[0]
    after = query(
        desk_db,
        "select id, doc_date from claims where proposition_id = ? and doc_date > '2024-02-15' order by doc_date limit 1",
        (pid,),
    )[0]
    neighbours = page.split('class="cl-neighbours"')[1].split("</table>")[0]
    assert f'href="{card_path(before[0])}">{before[1]}</a>: <strong>certainly</strong>' in neighbours
    assert f'href="{card_path(after[0])}">{after[1]}</a>: <strong>probably</strong>' in neighbours
    last = get(ds, card_path(after[0])).text
    assert "none yet: the latest claim of it" in last
    # the document and the parse it came from
    doc = query(desk_db, "select content_hash, id from documents where id = (select document_id from claims where id = ?)", (cid,))[0]
    assert f"sha256:{doc[0]}" in text and f'href="/claims/documents/{doc[1]}"' in page
    assert "by spacy" in text
    # the reports, one click each
    for fmt in ("md", "html", "json", "prov"):
        assert f'href="/-/report?claim={cid.replace(":", "%3A")}&amp;format={fmt}"' in page, fmt
    assert 'name="rating"' in page and 'name="reviewer"' in page and 'value="claimreview"' in page


def test_claim_card_shows_columns_a_later_schema_adds(desk_db, tmp_path):
    """estimative_band, confidence, statement dates and change labels light up when the columns exist."""
    db = tmp_path / "claims.db"
    shutil.copy(desk_db, db)
    cid = claim_id_of(desk_db, IRAN_DIRECTING, "2024-02-15")
    pid = iran_directing_id(desk_db)
    first = query(desk_db, "select id from claims where proposition_id = ? order by doc_date limit 1", (pid,))[0][0]
    with sqlite3.connect(db) as conn:
        have = {r[1] for r in conn.execute("pragma table_info(claims)")}
        for column in ("estimative_band", "confidence", "statement_date", "statement_date_text", "change_label", "change_detail", "previous_claim_id"):
            if column not in have:  # a database made before the column
                conn.execute(f"alter table claims add column {column} text")
        conn.execute(
            "update claims set estimative_band = 'likely', confidence = 'moderate', statement_date = '2024-02-14',"
            " statement_date_text = 'on Wednesday', change_label = 'weakened', change_detail = 'certainly → probably',"
            " previous_claim_id = ? where id = ?",
            (first, cid),
        )
    with sqlite3.connect(db) as conn:  # served immutable: fold the WAL back into the file
        conn.execute("pragma wal_checkpoint(truncate)")
    later = served(db)
    page = get(later, card_path(cid)).text
    text = re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert "ICD 203 band likely" in text and "Confidence moderate" in text
    assert "Statement date 2024-02-14 (“on Wednesday”)" in text
    assert "weakened (certainly → probably)" in text
    # previous_claim_id, when stored, is the claim before
    assert f'href="{card_path(first)}"' in page.split("before</th>")[1].split("</tr>")[0]


def test_claim_card_of_a_missing_claim_is_a_404(ds):
    get(ds, "/claims/claims/nope~3A0~3A0", status=404)


# --- the document page -------------------------------------------------------------------


def test_document_page_reads_like_the_document(ds, desk_db):
    doc_id = query(desk_db, "select document_id from claims where text = ?", (IRAN_DIRECTING,))[0][0]
    page = get(ds, f"/claims/documents/{doc_id}").text
    claims = {r[0] for r in query(desk_db, "select id from claims where document_id = ?", (doc_id,))}
    linked = {htmllib.unescape(h).replace("~3A", ":") for h in re.findall(r'class="cl-doc-claim[^"]*" href="/claims/claims/([^"]+)"', page)}
    assert linked == claims  # every claim highlighted and linked to its card
    text = query(desk_db, "select text from documents where id = ?", (doc_id,))[0][0]
    body = page.split('class="cl-doc-text"')[1].split("</section>")[0]
    assert htmllib.unescape(re.sub(r"<[^>]+>", "", body.split(">", 1)[1])) == text  # the whole text, as written
    n_certain = query(desk_db, "select count(*) from claims where document_id = ? and certainty = 'certain'", (doc_id,))[0][0]
    assert f"certain {n_certain}</span>" in page
    assert f"{len(claims)} claims" in page
    assert 'href="/-/source?name=Intelligence+officials"' in page
    assert f'href="/-/source?name=the+author&amp;document={doc_id}"' in page


# --- the source page -----------------------------------------------------------------------


def test_source_page_merges_case_and_scopes_the_author(ds, desk_db):
    page = get(ds, "/-/source?name=the+us").text
    n = query(desk_db, "select count(*) from claims where lower(source_text) = 'the us' and source_type != 'author'")[0][0]
    spellings = {r[0] for r in query(desk_db, "select distinct source_text from claims where lower(source_text) = 'the us'")}
    assert n >= 2 and len(spellings) >= 2  # the sample writes it "The US" and "the US"
    assert f"{n} claims" in page and page.count('title="the claim\'s card"') == n
    # the author of one document is not the author of another
    for doc_id, count in query(desk_db, "select document_id, count(*) from claims where source_type = 'author' group by document_id"):
        name = query(desk_db, "select source_text from claims where document_id = ? and source_type = 'author' limit 1", (doc_id,))[0][0]
        page = get(ds, q("/-/source", name=name, document=doc_id)).text
        assert page.count('title="the claim\'s card"') == count, doc_id
    get(ds, "/-/source?name=nobody+at+all", status=404)


def test_source_page_lists_where_its_assessment_changed(ds, desk_db):
    rows = query(
        desk_db,
        "select source_text, proposition_id from claims where source_type != 'author' and proposition_id is not null"
        " group by lower(source_text), proposition_id having count(distinct certainty || polarity) > 1",
    )
    for name, pid in rows:
        assert f'href="/-/timeline?proposition={pid}"' in get(ds, q("/-/source", name=name)).text.split("Every claim")[0]
    none = get(ds, q("/-/source", name="a senior defense official")).text
    assert re.search(r"\b1 claim in 1 document, ", none)
    assert "Where its assessment changed" not in none


def test_sources_query_merges_case_and_splits_authors(ds, desk_db):
    rows = get_json(ds, "/claims/sources.json?q=&_shape=array&_size=max")
    named = [r["source"].lower() for r in rows if r["source_type"] != "author"]
    assert len(named) == len(set(named))
    assert "the us" in named
    authors = [r for r in rows if r["source_type"] == "author"]
    assert len({r["document_id"] for r in authors}) == len(authors) == query(
        desk_db, "select count(distinct document_id) from claims where source_type = 'author'"
    )[0][0]
    assert sum(r["n_claims"] for r in rows) == query(desk_db, "select count(*) from claims")[0][0]
    assert next(r for r in rows if r["source"] == "Analysts")["source_type"] == "unnamed"


# --- provenance reports --------------------------------------------------------------------


def cli_report(db: Path, claim: str, fmt: str, **extra: str) -> str:
    engine = create_engine(f"sqlite:///file:{db}?mode=ro&uri=true")
    with Session(engine) as s:
        return render(s, build_report(s, claim=claim, generated_at=extra.pop("generated_at", None)), fmt, **extra)


def test_reports_are_claims_report(ds, desk_db):
    cid = claim_id_of(desk_db, IRAN_DIRECTING, "2024-02-15")
    for fmt, ctype in (("md", "text/markdown"), ("html", "text/html"), ("json", "application/json"), ("prov", "application/json")):
        response = get(ds, q("/-/report", claim=cid, format=fmt))
        assert response.headers["content-type"].startswith(ctype), fmt
        assert response.text == cli_report(desk_db, cid, fmt), fmt
        if fmt != "html":
            assert "attachment" in response.headers["content-disposition"]
    review = get(ds, q("/-/report", claim=cid, format="claimreview", rating="Unproven", reviewer="Desk")).json()
    today = datetime.now(UTC).date().isoformat()
    assert review == json.loads(cli_report(desk_db, cid, "claimreview", rating="Unproven", reviewer="Desk", generated_at=today))
    assert review["datePublished"] == today and review["reviewRating"]["alternateName"] == "Unproven"
    assert review["itemReviewed"]["author"] == {"@type": "Organization", "name": "Intelligence officials"}


def test_report_errors_say_what_to_do(ds):
    assert "no claim nope" in get(ds, "/-/report?claim=nope&format=md", status=404).text
    assert "--rating" in get(ds, "/-/report?claim=be8f49cc99a87ad0:2:6&format=claimreview", status=404).text
    assert "use one of" in get(ds, "/-/report?claim=x&format=docx", status=400).text


# --- canned queries as reports -------------------------------------------------------------


def test_canned_queries_read_as_reports(ds):
    queries = yaml.safe_load(METADATA.read_text(encoding="utf-8"))["databases"]["claims"]["queries"]
    for name, spec in queries.items():
        assert spec.get("hide_sql") is True, name
        page = get(ds, f"/claims/{name}").text
        assert 'id="sql-query"' not in page and "show the SQL" in page, name
        assert spec["description"].split(":")[0][:40] in htmllib.unescape(page), name
        shown = get(ds, f"/claims/{name}?_show_sql=1").text
        assert 'id="sql-query"' in shown and "hide the SQL" in shown, name
        headers = re.findall(r'<th class="col-([^"]+)" scope="col"', page)
        for column in ("proposition_id", "document_id", "score", "proposition_key"):
            assert column not in headers, (name, column)
    changes = get(ds, "/claims/assessment_changes?since=&until=").text
    assert ">certainly not</span>" in changes and ">certain, negative<" not in changes  # the 2023-11-08 scoped negation, in words
    assert ">first assessment</th>" in changes and ">distinct assessments</th>" in changes
    about = get(ds, "/claims/claims_about?entity=Iran").text
    assert ">date</th>" in about and ">doc_date</th>" not in about


def test_claims_table_arrow_says_newest_first(ds):
    page = get(ds, "/claims/claims").text
    assert "date&nbsp;▼" in page and "date&nbsp;▲" not in page
    assert "date&nbsp;▲" in get(ds, "/claims/claims?_sort=doc_date").text


def test_hostile_text_is_escaped_on_the_new_pages(ds, desk_db):
    doc_id = query(desk_db, "select id from documents where doc_date = ?", (HOSTILE_DATE,))[0][0]
    cid = query(desk_db, "select id from claims where text like ?", (f"%{SCRIPT}%",))[0][0]
    source = query(desk_db, "select source_text from claims where id = ?", (cid,))[0][0]
    pages = {
        "card": card_path(cid),
        "document": f"/claims/documents/{doc_id}",
        "source": q("/-/source", name=source),
        "author": q("/-/source", name="the author", document=doc_id),
        "report": q("/-/report", claim=cid, format="html"),
        "picks": "/-/timeline?q=militia",
    }
    for name, path in pages.items():
        page = asyncio.run(ds.client.get(path)).text
        assert SCRIPT not in page and "<img src=x" not in page and "<b>these</b>" not in page, name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in get(ds, pages["card"]).text


def test_a_long_source_lists_its_latest_claims_and_links_them_all(ds, desk_db, monkeypatch):
    from claims import desk

    monkeypatch.setattr(desk, "SOURCE_LIMIT", 1)
    n = query(desk_db, "select count(*) from claims where lower(source_text) = 'the us' and source_type != 'author'")[0][0]
    page = get(ds, "/-/source?name=the+us").text
    assert page.count('title="the claim\'s card"') == 1 and "The latest 1 claims" in page
    link = htmllib.unescape(re.search(r'All \d+ in <a href="([^"]+)">the claims report</a>', page).group(1))
    path, _, query_string = link.partition("?")
    data = get_json(ds, f"{path}.json?{query_string}&_shape=objects")
    assert data["filtered_table_rows_count"] == n and n > 1


def test_claimreview_author_types():
    from claims.report import claim_author_type

    assert claim_author_type("Intelligence officials", "intelligence") == "Organization"
    assert claim_author_type("US officials", "official") == "Organization"  # a group, in the plural
    assert claim_author_type("Analysts", "unnamed") == "Organization"
    assert claim_author_type("a senior defense official", "official") == "Person"
    assert claim_author_type("John Kirby", "person") == "Person"
    assert claim_author_type("the Pentagon", "government") == "Organization"

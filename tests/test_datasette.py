"""The Datasette experience, through Datasette's own test client: pages, facets, search,
every canned query, the timeline page, and escaping of hostile document text.

The database is the bundled examples plus one hostile document, ingested once with
the spaCy fallback and served immutable as ``claims``, as ``claims serve`` does.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import yaml
from datasette.app import Datasette

from claims.serve import DB_NAME, METADATA, TEMPLATES, datasette_args, served_as_claims

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

SCRIPT = "<script>alert(1)</script>"
PWN = "document.body.dataset.pwned=1"
# A document whose title, source and text try to run code in the browser.
HOSTILE = f"""---
title: "{SCRIPT} Militia report"
source: "<img src=x onerror=\\"{PWN}\\">"
date: 2024-03-01
---
US officials said that {SCRIPT} militias may have attacked the base near Erbil. Analysts believe that Iran is directing <b>these</b> groups.
"""
HOSTILE_DATE = "2024-03-01"

_cache: dict[str, Path] = {}


def build_desk_db(root: Path) -> Path:
    """examples/ and the hostile document ingested into ``root/claims.db`` (once per session)."""
    if "db" not in _cache:
        from claims.pipeline import Ingest

        root.mkdir(parents=True, exist_ok=True)
        hostile = root / "hostile.md"
        hostile.write_text(HOSTILE, encoding="utf-8")
        path = root / "claims.db"
        ingest = Ingest(path, parser="spacy")
        for paths in ([EXAMPLES], [hostile]):
            result = ingest.run(paths)
            assert result.ok, result.problems
        ingest.engine.dispose()
        # served immutable: fold the WAL back in so the file alone is the database
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _cache["db"] = path
    return _cache["db"]


@pytest.fixture(scope="session")
def desk_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_desk_db(tmp_path_factory.mktemp("desk"))


def served(db: Path, **settings: Any) -> Datasette:
    """A database served as `claims serve` serves it (immutable, the project's metadata and templates)."""
    return Datasette(
        [],
        immutables=[str(db)],
        metadata=yaml.safe_load(METADATA.read_text(encoding="utf-8")),
        template_dir=str(TEMPLATES),
        settings=settings or {"sql_time_limit_ms": 3000, "facet_time_limit_ms": 1000},
    )


@pytest.fixture(scope="session")
def ds(desk_db: Path) -> Datasette:
    return served(desk_db)


def get(ds: Datasette, path: str, status: int = 200) -> Any:
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == status, (path, response.status_code, response.text[:2000])
    return response


def get_json(ds: Datasette, path: str) -> Any:
    return get(ds, path).json()


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(sql, params).fetchall()


def q(path: str, **params: Any) -> str:
    return path + "?" + urllib.parse.urlencode(params)


def iran_directing_id(db: Path) -> int:
    return query(db, "select id from propositions where key = 'iran|direct|group'")[0][0]


# --- home and database pages ----------------------------------------------------


def test_home_page_explains_and_leads_to_the_change(ds):
    html = get(ds, "/").text
    assert "Claims desk" in html
    assert "Who asserts what, how firmly" in html
    assert "Apache-2.0" in html
    assert "Start here" in html
    assert "How did the assessment change?" in html
    # linked by proposition key, not by an id assigned at ingest
    assert "/-/timeline?key=iran%7Cdirect%7Cgroup" in html
    assert "/-/static-plugins/claims/claims.css" in html


def test_database_page_describes_queries_and_links_the_question(ds):
    html = get(ds, "/claims").text
    assert "How did the assessment of Iran directing the militias change?" in html
    assert 'href="/-/timeline?key=iran%7Cdirect%7Cgroup"' in html
    for title in (
        "Claims about an entity",
        "Assessment timeline",
        "Assessments that changed",
        "Sources",
        "Unattributed claims",
        "Coverage",
        "Search claims and sentences",
    ):
        assert title in html
    assert "Start here" in html


def test_every_visible_table_and_column_is_described(ds, desk_db):
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))["databases"]["claims"]["tables"]
    tables = get_json(ds, "/claims.json")["tables"]
    visible = [t for t in tables if not t["hidden"]]
    assert {t["name"] for t in visible} >= {
        "claims",
        "documents",
        "sentences",
        "propositions",
        "entities",
    }
    for table in visible:
        meta = metadata.get(table["name"])
        assert meta, f"no metadata for table {table['name']}"
        assert meta.get("title") and (meta.get("description") or meta.get("description_html")), (
            table["name"]
        )
        missing = set(table["columns"]) - set(meta.get("columns", {}))
        assert not missing, f"{table['name']}: no description for {sorted(missing)}"


# --- the claims table -------------------------------------------------------------


def test_claims_table_reads_like_a_report(ds, desk_db):
    data = get_json(ds, "/claims/claims.json?_shape=objects&_size=max")
    dates = [r["doc_date"] for r in data["rows"]]
    assert dates == sorted(dates, reverse=True), "newest first by default"
    assert len(dates) == query(desk_db, "select count(*) from claims")[0][0]
    # no default facet (Datasette runs facets one after another, each a pass over a large
    # archive); every one is a link away
    assert data["facet_results"] == {}
    facets = "&".join(
        f"_facet={f}"
        for f in ("certainty", "hedge_level", "polarity", "source_type", "source_text", "document_id", "doc_month")
    )
    more = get_json(ds, f"/claims/claims.json?{facets}&_facet_entity=canonical&_size=max")
    assert set(more["facet_results"]) == {
        "certainty", "hedge_level", "polarity", "source_type", "source_text", "mentions", "document_id", "doc_month",
    }  # fmt: skip
    months = {r["value"]: r["count"] for r in more["facet_results"]["doc_month"]["results"]}
    assert (
        months["2023-11"]
        == query(desk_db, "select count(*) from claims where doc_month = '2023-11'")[0][0]
    )

    html = get(ds, "/claims/claims").text
    assert "Claims report" in html
    # the links that add the other facets, keeping the current filters
    assert 'href="/claims/claims?_facet=certainty"' in html
    assert 'href="/claims/claims?_facet_entity=canonical"' in html
    filtered = get(ds, "/claims/claims?polarity=negative&_facet=certainty").text
    assert 'href="/claims/claims?polarity=negative&amp;_facet=certainty&amp;_facet=source_text"' in filtered
    links = filtered.split('class="cl-facet-links')[1].split("</p>")[0]
    assert ">certainty</a>" not in links and ">source</a>" in links  # shown facets are not offered
    # report columns in reading order, with friendly headings
    thead = html[html.index('<table class="rows-and-columns cl-report">') :]
    thead = thead[: thead.index("</thead>")]
    headings = [
        "date",
        "source",
        "claim, in its sentence",
        "certainty",
        "hedging",
        "polarity",
        "proposition",
        "document",
    ]
    positions = [thead.index(f">{h}") for h in headings]
    assert positions == sorted(positions)
    assert ">start_char" not in thead and ">conllu" not in thead
    # badges with a hover title
    assert 'class="cl-badge cl-certainty-probable" title="certainty: probable' in html
    assert (
        'class="cl-badge cl-polarity-negative" title="polarity: negative (negated)">negated</span>'
        in html
    )
    assert 'class="cl-badge cl-hedge-medium"' in html


def test_claim_shown_in_its_sentence_with_cues_and_links(ds, desk_db):
    claim_id = query(
        desk_db,
        "select id from claims where text = 'Iran is not explicitly directing these groups'",
    )[0][0]
    html = get(ds, q("/claims/claims", id=claim_id)).text
    # the claim inside its sentence, the hedge cue marked with its kind
    assert '<mark class="cl-claim" title="claim: certain, negated">Iran is not ' in html  # a scoped negation
    assert (
        'title="hedge cue: qualifier: limits the scope (not explicitly, not always)">explicitly</span>'
        in html
    )
    assert "it is providing guidance and assurance" in html  # the rest of the sentence
    sentence_id, document_id, proposition_id = query(
        desk_db,
        "select sentence_id, document_id, proposition_id from claims where id = ?",
        (claim_id,),
    )[0]
    assert f'href="/claims/sentences/{sentence_id.replace(":", "~3A")}"' in html
    assert f'href="/claims/documents/{document_id}"' in html
    assert f'href="/claims/propositions/{proposition_id}"' in html
    assert f'href="/-/timeline?proposition={proposition_id}"' in html
    # the untitled sample document still gets a readable link
    assert "Recent intelligence reveals that Iranian-backed militia groups are preparing to…" in html

    attributed = get(ds, q("/claims/claims", _search="Analysts")).text
    assert (
        'class="cl-cue" title="attribution cue: warn (source: Analysts, unnamed)">warn</span>'
        in attributed
    )


def test_claim_row_page_renders_cells(ds, desk_db):
    claim_id = query(desk_db, "select id from claims where text like 'The IRGC may be supplying%'")[
        0
    ][0]
    html = get(ds, "/claims/claims/" + claim_id.replace(":", "~3A")).text
    assert '<mark class="cl-claim"' in html
    assert 'title="hedge cue: epistemic (may, could, should)">may</span>' in html
    assert "cl-certainty-possible" in html


def test_search_uses_claims_fts(ds, desk_db):
    data = get_json(ds, "/claims/claims.json?_search=drone&_shape=objects&_size=max")
    texts = [r["text"] for r in data["rows"]]
    assert texts and all("drone" in t.lower() for t in texts)
    expected = query(
        desk_db,
        "select count(*) from claims where rowid in (select rowid from claims_fts where claims_fts match 'drone')",
    )
    assert len(texts) == expected[0][0]
    # the source is searchable too, and the page keeps the search box filled in
    html = get(ds, q("/claims/claims", _search="Pentagon")).text
    assert 'value="Pentagon"' in html
    rows = get_json(ds, q("/claims/claims.json", _search="Pentagon", _shape="objects"))["rows"]
    assert rows and all("Pentagon" in r["text"] + (r["source_text"] or "") for r in rows)
    # words that would be FTS syntax are escaped, not an error
    get(ds, q("/claims/claims", _search='"unbalanced OR'))


def test_sentences_table_search(ds):
    data = get_json(ds, q("/claims/sentences.json", _search="guidance", _shape="objects"))
    assert [r["text"] for r in data["rows"]] and all("guidance" in r["text"] for r in data["rows"])


def test_entity_facet_and_filter(ds, desk_db):
    data = get_json(ds, "/claims/claims.json?_entity=Iran&_shape=objects&_size=max")
    expected = query(
        desk_db,
        "select count(distinct ce.claim_id) from claim_entities ce join entities e on e.id = ce.entity_id"
        " where e.canonical = 'Iran' collate nocase or ce.text = 'Iran' collate nocase",
    )[0][0]
    assert len(data["rows"]) == expected > 3
    assert 'mention "Iran"' in data["human_description_en"]
    facet = {
        r["value"]: r
        for r in get_json(ds, "/claims/claims.json?_facet_entity=canonical&_facet_size=max")[
            "facet_results"
        ]["mentions"]["results"]
    }
    assert facet["Iran"]["count"] >= expected
    assert "_entity=Iran" in facet["Iran"]["toggle_url"]
    # unfiltered, the counts come from the mention index alone: claims per canonical name
    assert {v: r["count"] for v, r in facet.items()} == dict(
        query(
            desk_db,
            "select e.canonical, count(distinct ce.claim_id) from claim_entities ce"
            " join entities e on e.id = ce.entity_id group by e.canonical",
        )
    )
    selected = get_json(ds, "/claims/claims.json?_entity=Iran&_facet_entity=canonical")[
        "facet_results"
    ]["mentions"]["results"]
    assert any(r["selected"] and r["value"] == "Iran" for r in selected)
    # a facet on a column, combined with the entity filter
    combined = get_json(
        ds, "/claims/claims.json?_entity=Iran&certainty=certain&_shape=objects&_size=max"
    )
    assert combined["rows"] and all(r["certainty"] == "certain" for r in combined["rows"])


def test_entity_facet_counts_follow_the_filters(ds, desk_db):
    def facet(path: str) -> dict[str, int]:
        data = get_json(ds, path + "&_facet_entity=canonical&_facet_size=max")
        return {r["value"]: r["count"] for r in data["facet_results"]["mentions"]["results"]}

    def expected(where: str, params: tuple[Any, ...] = ()) -> dict[str, int]:
        return dict(
            query(
                desk_db,
                "select e.canonical, count(distinct ce.claim_id) from claims c"
                " join claim_entities ce on ce.claim_id = c.id join entities e on e.id = ce.entity_id"
                f" where {where} group by e.canonical",
                params,
            )
        )

    certain = facet("/claims/claims.json?certainty=certain")
    assert certain and certain == expected("c.certainty = 'certain'")
    assert certain != expected("1")  # the filter changes the counts
    searched = facet("/claims/claims.json?_search=militia")
    assert searched == expected(
        "c.rowid in (select rowid from claims_fts where claims_fts match 'militia')"
    )
    # the entity filter itself: claims that mention Iran, and what else they mention
    iran = facet("/claims/claims.json?_entity=Iran")
    assert iran == expected(
        "c.id in (select ce2.claim_id from claim_entities ce2 join entities e2 on e2.id = ce2.entity_id"
        " where e2.canonical = 'Iran' collate nocase or ce2.text = 'Iran' collate nocase)"
    )


def test_propositions_know_how_many_assessments_they_had(desk_db):
    """n_assessments (kept by refresh_counts at link time) is what assessment_changes relies on."""
    rows = query(
        desk_db,
        "select p.n_assessments, (select count(distinct c.certainty || ', ' || c.polarity)"
        " from claims c where c.proposition_id = p.id) from propositions p",
    )
    assert rows and all(stored == actual for stored, actual in rows)
    assert any(stored > 1 for stored, _ in rows)


# --- canned queries -----------------------------------------------------------------


def test_canned_queries_have_titles_descriptions_and_are_read_only(ds):
    queries = yaml.safe_load(METADATA.read_text(encoding="utf-8"))["databases"]["claims"]["queries"]
    assert set(queries) >= {
        "claims_about",
        "assessment_timeline",
        "assessment_changes",
        "sources",
        "unattributed_claims",
        "coverage",
    }
    for name, spec in queries.items():
        assert spec.get("title") and spec.get("description"), name
        assert spec.get("params"), f"{name} has no named parameters"
        assert not spec.get("write"), name
        assert spec["sql"].lstrip().lower().startswith(("select", "with")), name
        html = get(ds, f"/claims/{name}").text
        assert spec["title"] in html


def test_nothing_a_visitor_does_changes_the_data(ds, desk_db):
    before = query(desk_db, "select count(*) from claims")[0][0]
    response = asyncio.run(
        ds.client.get("/claims.json?sql=" + urllib.parse.quote("delete from claims"))
    )
    assert response.status_code == 400
    for path in ("/claims/sources", "/claims/claims", "/-/timeline"):
        response = asyncio.run(ds.client.post(path, data={"q": "x"}))
        assert response.status_code == 405, path
    assert query(desk_db, "select count(*) from claims")[0][0] == before


def test_databases_that_are_not_claims_databases_are_left_alone(desk_db, tmp_path):
    from claims.datasette_plugin import MMAP_BYTES

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("create table notes (id integer primary key, body text)")
    both = Datasette([str(other)], immutables=[str(desk_db)])
    alone = Datasette([str(other)])

    def mmap(ds: Datasette, name: str) -> int:
        return asyncio.run(ds.get_database(name).execute("PRAGMA mmap_size")).first()[0]

    assert mmap(both, desk_db.stem) == MMAP_BYTES
    assert mmap(both, "other") == 0 and mmap(alone, "other") == 0
    guarded = "This claims desk is read-only."
    assert guarded in asyncio.run(both.client.post(f"/{desk_db.stem}/claims", data={})).text
    assert guarded in asyncio.run(both.client.post("/-/timeline", data={})).text
    assert guarded not in asyncio.run(both.client.post("/other/notes", data={})).text
    assert guarded not in asyncio.run(alone.client.post("/other/notes", data={})).text


def test_claims_about(ds, desk_db):
    rows = get_json(ds, "/claims/claims_about.json?entity=iran&_shape=array")
    texts = [r["text"] for r in rows]
    assert "Iran is directing these groups through the Islamic Revolutionary Guard Corps" in texts
    assert [r["doc_date"] for r in rows] == sorted(r["doc_date"] for r in rows)
    # by a mention as written, merged under its canonical name
    irgc = get_json(ds, "/claims/claims_about.json?entity=IRGC&_shape=array")
    assert any("IRGC" in r["mentions"] for r in irgc)
    html = get(ds, "/claims/claims_about?entity=Iran").text
    assert "See these claims as a timeline chart" in html and "/-/timeline?entity=Iran" in html
    assert "cl-certainty-certain" in html


def test_assessment_timeline(ds, desk_db):
    pid = iran_directing_id(desk_db)
    rows = get_json(ds, f"/claims/assessment_timeline.json?proposition={pid}&_shape=array")
    assert [r["doc_date"] for r in rows][:1] == ["2023-11-08"]
    assert {"2023-11-08", "2024-01-29", "2024-02-15"} <= {r["doc_date"] for r in rows}
    first = rows[0]
    assert (first["certainty"], first["polarity"], first["score"]) == ("certain", "negative", -3)  # "not explicitly"
    assert all(
        {"source", "certainty", "hedge_level", "polarity", "score", "text"} <= set(r) for r in rows
    )
    scores = {"certain": 3, "probable": 2, "possible": 1, "unknown": 0}
    assert all(
        r["score"] == scores[r["certainty"]] * (-1 if r["polarity"] == "negative" else 1)
        for r in rows
    )
    # by key prefix: Iran directing anything, including "some of these groups" (2023-11-21)
    by_q = get_json(ds, q("/claims/assessment_timeline.json", q="iran|direct|", _shape="array"))
    assert [r["doc_date"] for r in by_q][:4] == [
        "2023-11-08",
        "2023-11-21",
        "2024-01-29",
        "2024-02-15",
    ]
    assert "probably directing" in by_q[1]["text"]
    html = get(ds, f"/claims/assessment_timeline?proposition={pid}").text
    assert f"/-/timeline?proposition={pid}" in html


def test_assessment_changes(ds, desk_db):
    rows = get_json(
        ds, "/claims/assessment_changes.json?since=2023-11-01&until=2024-02&_shape=array"
    )
    by_key = {r["proposition_id"]: r for r in rows}
    iran = by_key[iran_directing_id(desk_db)]
    assert (iran["first_date"], iran["first_assessment"]) == ("2023-11-08", "certain, negative")
    assert iran["last_date"] == "2024-02-15"
    assert iran["n_assessments"] >= 2
    # a period with a single claim of it shows no change
    late = get_json(
        ds, "/claims/assessment_changes.json?since=2024-02-01&until=2024-02-28&_shape=array"
    )
    assert iran_directing_id(desk_db) not in {r["proposition_id"] for r in late}
    html = get(ds, "/claims/assessment_changes?since=2023-11-01&until=2024-02-28").text
    assert "/-/timeline?proposition=" in html


def test_sources(ds, desk_db):
    rows = get_json(ds, "/claims/sources.json?q=&_shape=array")
    by_source = {r["source"]: r for r in rows}
    assert (
        by_source["US officials"]["n_claims"]
        == query(desk_db, "select count(*) from claims where source_text = 'US officials'")[0][0]
    )
    assert by_source["US officials"]["source_type"] == "official"
    assert "said" in by_source["US officials"]["cues"]
    for r in rows:
        assert r["certain"] + r["probable"] + r["possible"] + r["unknown"] == r["n_claims"]
    only = get_json(ds, "/claims/sources.json?q=Analysts&_shape=array")
    assert [r["source"] for r in only] == ["Analysts"]


def test_unattributed_claims(ds, desk_db):
    rows = get_json(ds, "/claims/unattributed_claims.json?document=&_shape=array&_size=max")
    expected = {r[0] for r in query(desk_db, "select id from claims where source_type = 'author'")}
    assert {r["claim_id"] for r in rows} == expected
    one = get_json(ds, "/claims/unattributed_claims.json?document=Tower&_shape=array") or get_json(
        ds, "/claims/unattributed_claims.json?document=Drone+strike&_shape=array"
    )
    assert one and len({r["document_id"] for r in one}) == 1


def test_coverage(ds, desk_db):
    rows = get_json(ds, "/claims/coverage.json?document=&_shape=array&_size=max")
    expected = query(desk_db, "select id, document_id from sentences where n_claims = 0")
    assert {r["sentence_id"] for r in rows} == {r[0] for r in expected}
    for r in rows:
        assert r["uncovered"] == sum(1 for e in expected if e[1] == r["document_id"])


def test_search_query_covers_sentence_text(ds, desk_db):
    # "guidance" is in the sentence of "Iran is not explicitly directing these groups", not in that claim
    rows = get_json(ds, "/claims/search.json?q=guidance&_shape=array")
    assert "Iran is not explicitly directing these groups" in [r["text"] for r in rows]
    assert get_json(ds, "/claims/search.json?q=&_shape=array") == []


# --- the timeline page -------------------------------------------------------------------


def test_timeline_page_for_the_iran_directing_proposition(ds, desk_db):
    pid = iran_directing_id(desk_db)
    html = get(ds, f"/-/timeline?proposition={pid}").text
    label = query(desk_db, "select label from propositions where id = ?", (pid,))[0][0]
    assert f"How the assessment changed: {label}" in html
    json_url = f"/claims/assessment_timeline.json?proposition={pid}&amp;q=&amp;_shape=array"
    assert f'data-json-url="{json_url}"' in html
    # vendored scripts only, no CDN
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "timeline.js"):
        assert f'<script src="/-/static-plugins/claims/{name}"' in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
    # the quotes, in date order, with their sentences highlighted
    assert html.index("2023-11-08") < html.index("2024-01-29") < html.index("2024-02-15")
    assert "Iran is directing these groups through the Islamic Revolutionary Guard Corps" in html
    assert "2023-11-08: certainly not" in html
    # the JSON it draws from
    rows = get_json(ds, json_url.replace("&amp;", "&"))
    assert {r["proposition_id"] for r in rows} == {pid}


def test_timeline_by_key_by_word_and_by_entity(ds, desk_db):
    pid = iran_directing_id(desk_db)
    html = get(ds, "/-/timeline?key=iran%7Cdirect%7Cgroup").text
    assert "2023-11-21: probably" in html
    assert "2024-01-29: certainly" in html
    assert f'data-json-url="/claims/assessment_timeline.json?proposition={pid}&amp;q=&amp;_shape=array"' in html
    # a word lists the propositions and entities it matches, to pick one: no chart through them all
    picks = get(ds, "/-/timeline?q=iran").text
    assert 'id="cl-chart"' not in picks
    assert f'href="/-/timeline?proposition={pid}"' in picks
    assert 'href="/-/timeline?entity=Iran"' in picks
    n_props = query(desk_db, "select count(*) from propositions where key like 'iran%' or label like '%iran%'")[0][0]
    assert picks.count('href="/-/timeline?proposition=') == min(n_props, 40)
    assert "No proposition or entity matches" in get(ds, "/-/timeline?q=zzzqqq").text
    assert get(ds, "/-/timeline?proposition=iran", status=400)
    entity = get(ds, "/-/timeline?entity=Iran").text
    assert "What is claimed about Iran" in entity
    assert 'data-json-url="/claims/claims_about.json?entity=Iran&amp;_shape=array"' in entity
    empty = get(ds, "/-/timeline?proposition=999999").text
    assert "No claims match" in empty
    chooser = get(ds, "/-/timeline").text
    assert "iran · direct · group" in chooser


def test_vendored_static_files_are_served(ds):
    for name in (
        "vega.min.js",
        "vega-lite.min.js",
        "vega-embed.min.js",
        "timeline.js",
        "claims.css",
    ):
        response = get(ds, f"/-/static-plugins/claims/{name}")
        assert len(response.content) > 500
    for name in ("vega", "vega-lite", "vega-embed"):
        licence = (ROOT / "claims" / "static" / f"LICENSE-{name}.txt").read_text()
        assert "Redistribution and use in source and binary forms" in licence


# --- hostile document text -----------------------------------------------------------------


def hostile_pages(ds: Datasette, db: Path) -> dict[str, str]:
    doc_id = query(db, "select id from documents where doc_date = ?", (HOSTILE_DATE,))[0][0]
    claim_id, sentence_id, pid = query(
        db, "select id, sentence_id, proposition_id from claims where text like ?", (f"%{SCRIPT}%",)
    )[0]
    paths = {
        "document": f"/claims/documents/{doc_id}",
        "documents": "/claims/documents",
        "claims": "/claims/claims",
        "claims filtered": q("/claims/claims", document_id=doc_id),
        "claim": "/claims/claims/" + claim_id.replace(":", "~3A"),
        "sentence": "/claims/sentences/" + sentence_id.replace(":", "~3A"),
        "sentences": q("/claims/sentences", document_id=doc_id),
        "search": q("/claims/claims", _search="militias Erbil"),
        "search query": q("/claims/search", q="Erbil"),
        "sources": "/claims/sources",
        "unattributed": "/claims/unattributed_claims",
        "coverage": "/claims/coverage",
        "claims_about": q("/claims/claims_about", entity="Iran"),
        "timeline": f"/-/timeline?proposition={pid}",
        "timeline entity": "/-/timeline?entity=Iran",
        "propositions": "/claims/propositions",
        "home": "/",
    }
    return {name: get(ds, path).text for name, path in paths.items()}


def test_hostile_document_text_is_escaped_everywhere(ds, desk_db):
    for name, html in hostile_pages(ds, desk_db).items():
        assert SCRIPT not in html, f"raw <script> in the {name} page"
        assert "<img src=x" not in html, f"raw <img> in the {name} page"
        assert "<b>these</b>" not in html, f"raw <b> in the {name} page"
    pages = hostile_pages(ds, desk_db)
    for name in ("document", "claim", "sentence", "search", "search query", "timeline"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[name], name
    # JSON carries the text as data
    rows = get_json(ds, q("/claims/search.json", q="Erbil", _shape="array"))
    assert any(SCRIPT in r["text"] for r in rows)


# --- claims serve ------------------------------------------------------------------------


def test_serve_args_are_local_and_immutable(desk_db, tmp_path):
    args = datasette_args(str(desk_db), port=8123)
    assert args[args.index("--host") + 1] == "127.0.0.1"
    assert args[args.index("-i") + 1] == str(desk_db)
    assert str(METADATA) in args and str(TEMPLATES) in args
    writable = datasette_args(str(desk_db), writable=True)
    assert "-i" not in writable and str(desk_db) in writable
    # another file name is served as "claims", so metadata.yml applies to it
    other = tmp_path / "desk.db"
    other.write_bytes(desk_db.read_bytes())
    with served_as_claims(str(other)) as served:
        link = Path(served)
        assert link.name == f"{DB_NAME}.db" and link.resolve() == other.resolve()
    assert not link.parent.exists()  # no /tmp/claims-serve-* left behind
    with served_as_claims(str(desk_db)) as served:
        assert served == str(desk_db)


def test_serve_command_prints_the_url(desk_db, monkeypatch):
    from click.testing import CliRunner

    from claims.cli import cli

    calls = []

    class Done:
        def __init__(self, args):
            calls.append(args)

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr("subprocess.Popen", Done)
    result = CliRunner().invoke(cli, ["serve", "--db", str(desk_db), "--port", "8124"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8124/" in result.output
    assert calls and "-i" in calls[0]


def test_metadata_is_valid_json_serialisable():
    # Datasette also accepts metadata.json; the YAML must be plain data
    json.dumps(yaml.safe_load(METADATA.read_text(encoding="utf-8")))


def count_queries(ds: Datasette, path: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """The SQL queries Datasette runs on the claims database to serve one page, and the page."""
    from datasette.database import Database

    sqls: list[str] = []
    execute = Database.execute

    async def counted(self: Database, sql: str, *args: Any, **kwargs: Any) -> Any:
        if self.name == DB_NAME:
            sqls.append(sql)
        return await execute(self, sql, *args, **kwargs)

    monkeypatch.setattr(Database, "execute", counted)
    html = get(ds, path).text
    monkeypatch.setattr(Database, "execute", execute)
    return len(sqls), html


def test_a_page_of_cells_is_one_query_however_many_rows(desk_db, monkeypatch):
    """render_cell's claim-in-sentence and untitled-document cells share one query per page: a
    page of many rows costs the same queries as a page of two."""
    ds = served(desk_db, suggest_facets=False)
    n = query(desk_db, "select count(*) from claims")[0][0]
    assert n > 20
    count_queries(ds, "/claims/claims?_size=1", monkeypatch)  # what Datasette and the plugin cache
    few, few_html = count_queries(ds, "/claims/claims?_size=2", monkeypatch)
    many, many_html = count_queries(ds, "/claims/claims?_size=max", monkeypatch)
    assert few_html.count('<div class="cl-sentence">') == 2
    assert many_html.count('<div class="cl-sentence">') == n
    # the untitled sample document is named by its first words (the page's query, not Datasette's label)
    assert "Recent intelligence reveals that Iranian-backed militia groups are preparing to…" in many_html
    assert many == few
    # a query whose rows carry claim_id: the same
    sql = "select id as claim_id, text, certainty from claims order by id limit {}"
    few, few_html = count_queries(ds, q("/claims", sql=sql.format(2)), monkeypatch)
    many, many_html = count_queries(ds, q("/claims", sql=sql.format(n)), monkeypatch)
    assert few_html.count('<div class="cl-sentence">') == 2
    assert many_html.count('<div class="cl-sentence">') == n
    assert many == few

"""The canned queries on a synthetic archive: the rewrites that let SQLite use indexes and stop
after a page (docs/performance.md) return what the straightforward SQL returns, and their plans
use the indexes they were written for.

The reference SQL below is each query as first written (``or`` across tables, window functions,
no limit): slow on a million claims, obviously right on a few thousand. The rewritten query must
return the reference's first rows, in the same order. The archive is large enough that
claims_about and search take both of their branches (an entity or word in over 2 % of claims
walks the claims in date order; a rarer one collects its claims and sorts them).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import sqlite3
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import yaml
from datasette.app import Datasette
from test_datasette import served

from claims.serve import METADATA, TEMPLATES
from claims.synthetic import generate

N_CLAIMS = 4_000
PAGE = 100  # the canned queries' limit

REFERENCE = {
    "claims_about": """
        select c.doc_date, c.source_text as source, c.source_type, c.text, c.certainty, c.hedge_level, c.polarity,
          (case c.certainty when 'certain' then 3 when 'probable' then 2 when 'possible' then 1 else 0 end)
            * (case c.polarity when 'negative' then -1 else 1 end) as score,
          p.label as proposition, c.proposition_id, group_concat(distinct ce.text) as mentions,
          coalesce(d.title, d.source, 'untitled document of ' || d.doc_date) as document, c.document_id, c.id as claim_id
        from claims c
        join claim_entities ce on ce.claim_id = c.id
        join entities e on e.id = ce.entity_id
        join documents d on d.id = c.document_id
        left join propositions p on p.id = c.proposition_id
        where lower(e.canonical) = lower(trim(:entity)) or lower(ce.text) = lower(trim(:entity))
        group by c.id
        order by c.doc_date, c.document_id, c.start_char""",
    "assessment_timeline": """
        select c.doc_date, c.source_text as source, c.source_type, c.attribution_cue as cue, c.text, c.certainty,
          c.hedge_level, c.polarity,
          (case c.certainty when 'certain' then 3 when 'probable' then 2 when 'possible' then 1 else 0 end)
            * (case c.polarity when 'negative' then -1 else 1 end) as score,
          c.change_label as change, c.change_detail,
          p.label as proposition, c.proposition_id, p.key as proposition_key,
          coalesce(d.title, d.source, 'untitled document of ' || d.doc_date) as document, c.document_id, c.id as claim_id
        from claims c
        join propositions p on p.id = c.proposition_id
        join documents d on d.id = c.document_id
        where
          (:proposition != '' and c.proposition_id = cast(:proposition as integer))
          or (:proposition = '' and trim(:q) != ''
              and (p.key like lower(trim(:q)) || '%' or p.label like '%' || trim(:q) || '%'))
        order by c.doc_date, c.document_id, c.start_char""",
    "assessment_changes": """
        with period as (
          select c.*,
            c.certainty || ', ' || c.polarity as assessment,
            row_number() over (partition by c.proposition_id order by c.doc_date, c.document_id, c.start_char, c.rowid) as first_rank,
            row_number() over (partition by c.proposition_id order by c.doc_date desc, c.document_id desc, c.start_char desc, c.rowid desc) as last_rank
          from claims c
          where c.proposition_id is not null
            and (trim(:since) = '' or c.doc_date >= trim(:since))
            and (trim(:until) = '' or substr(c.doc_date, 1, length(trim(:until))) <= trim(:until))
        )
        select p.label as proposition, first.doc_date as first_date, first.assessment as first_assessment,
          first.source_text as first_source, last.doc_date as last_date, last.assessment as last_assessment,
          last.source_text as last_source,
          (select count(*) from period x where x.proposition_id = p.id) as n_claims,
          (select count(distinct x.assessment) from period x where x.proposition_id = p.id) as n_assessments,
          (select group_concat(x.doc_date || ' ' || x.change_label || coalesce(': ' || x.change_detail, ''), char(10))
             from (select * from period x where x.proposition_id = p.id and x.first_rank > 1
                     and x.change_label not in ('first_seen', 'repeated') order by x.first_rank) x) as changes,
          p.id as proposition_id
        from propositions p
        join period first on first.proposition_id = p.id and first.first_rank = 1
        join period last on last.proposition_id = p.id and last.last_rank = 1
        -- the stored change labels (claims.changes), after the first claim of the period
        where exists (select 1 from period x where x.proposition_id = p.id and x.first_rank > 1
                        and x.change_label not in ('first_seen', 'repeated'))
        order by last.doc_date desc, n_claims desc""",
    "unattributed_claims": """
        select c.doc_date, coalesce(d.title, d.source, 'untitled document of ' || d.doc_date) as document, c.text,
          c.certainty, c.hedge_level, c.polarity, p.label as proposition, c.proposition_id, c.document_id,
          c.id as claim_id
        from claims c
        join documents d on d.id = c.document_id
        left join propositions p on p.id = c.proposition_id
        where c.source_type = 'author'
          and (trim(:document) = '' or c.document_id = trim(:document) or d.title like '%' || trim(:document) || '%')
        order by c.doc_date desc, c.document_id, c.start_char""",
    "coverage": """
        select d.doc_date, coalesce(d.title, d.source, 'untitled document of ' || d.doc_date) as document,
          s."index" as sentence_index, s.text as sentence,
          count(*) over (partition by s.document_id) as uncovered, d.n_sentences, s.document_id, s.id as sentence_id
        from sentences s
        join documents d on d.id = s.document_id
        where s.n_claims = 0
          and (trim(:document) = '' or s.document_id = trim(:document) or d.title like '%' || trim(:document) || '%')
        order by d.doc_date, s.document_id, s."index\"""",
    "search": """
        select c.doc_date, c.source_text as source, c.text, c.certainty, c.hedge_level, c.polarity,
          p.label as proposition, c.proposition_id,
          coalesce(d.title, d.source, 'untitled document of ' || d.doc_date) as document, c.document_id, c.id as claim_id
        from claims c
        join documents d on d.id = c.document_id
        left join propositions p on p.id = c.proposition_id
        where trim(:q) != '' and (
          c.rowid in (select rowid from claims_fts where claims_fts match escape_fts(:q))
          or c.sentence_id in (
            select s.id from sentences s
            where s.rowid in (select rowid from sentences_fts where sentences_fts match escape_fts(:q))))
        order by c.doc_date desc, c.document_id, c.start_char""",
    "sources": """
        select min(c.source_text) as source, group_concat(distinct c.source_type) as source_type,
          coalesce(d.title, d.source, 'untitled document of ' || d.doc_date) as document,
          count(*) as n_claims, count(distinct c.document_id) as n_documents,
          sum(c.certainty = 'certain') as certain, sum(c.certainty = 'probable') as probable,
          sum(c.certainty = 'possible') as possible, sum(c.certainty = 'unknown') as unknown,
          sum(c.hedge_level in ('medium', 'high')) as hedged, sum(c.polarity = 'negative') as negated,
          replace(group_concat(distinct c.attribution_cue), ',', ', ') as cues,
          min(c.doc_date) as first_cited, max(c.doc_date) as last_cited,
          max(case when c.source_type = 'author' then c.document_id end) as document_id
        from claims c
        left join documents d on d.id = (case when c.source_type = 'author' then c.document_id end)
        where trim(:q) = '' or c.source_text like '%' || trim(:q) || '%'
        -- names compared case-insensitively; the document's own voice is one source per document
        group by lower(c.source_text), case when c.source_type = 'author' then c.document_id else '' end
        order by n_claims desc, source""",
}
# the columns each query orders by (rows tied on them may come in any order)
ORDER = {
    "claims_about": ("doc_date", "document_id"),
    "assessment_timeline": ("doc_date", "document_id"),
    "assessment_changes": ("last_date", "n_claims"),
    "unattributed_claims": ("doc_date", "document_id"),
    "coverage": ("doc_date", "document_id", "sentence_index"),
    "search": ("doc_date", "document_id"),
    "sources": ("n_claims", "source"),
}
UNLIMITED = {"sources"}  # one row per source: every row


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("canned") / "claims.db"
    generate(path, N_CLAIMS, seed=11)
    return path


@pytest.fixture(scope="module")
def ds(archive: Path) -> Datasette:
    return served(archive, sql_time_limit_ms=10000)


def rows(db: Path, sql: str, params: dict[str, Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    from datasette.utils import escape_fts

    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        conn.create_function("escape_fts", 1, escape_fts)
        return [dict(r) for r in conn.execute(sql, params)]


def canned(ds: Datasette, name: str, **params: str) -> list[dict[str, Any]]:
    url = f"/claims/{name}.json?" + urllib.parse.urlencode({**params, "_shape": "array"})
    response = asyncio.run(ds.client.get(url))
    assert response.status_code == 200, (url, response.text[:500])
    return response.json()


def same_page(name: str, got: list[dict[str, Any]], reference: list[dict[str, Any]]) -> None:
    """``got`` is the reference's first page: same order, same rows (ties cut by the limit aside)."""

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(r[c] for c in ORDER[name])

    def norm(r: dict[str, Any]) -> str:
        for column in ("mentions", "cues"):  # group_concat(distinct): in any order
            if r.get(column):
                r = {**r, column: sorted(set(r[column].split(",")))}
        return json.dumps(r, sort_keys=True)

    assert len(got) == (len(reference) if name in UNLIMITED else min(PAGE, len(reference))), name
    assert [key(r) for r in got] == [key(r) for r in reference[: len(got)]], name
    if not got:
        return
    last = key(got[-1])
    inside = collections.Counter(norm(r) for r in got if key(r) != last)
    assert inside == collections.Counter(norm(r) for r in reference[: len(got)] if key(r) != last), name
    tied = collections.Counter(norm(r) for r in reference if key(r) == last)
    assert not collections.Counter(norm(r) for r in got if key(r) == last) - tied, name


def check(ds: Datasette, archive: Path, name: str, **params: str) -> list[dict[str, Any]]:
    got = canned(ds, name, **params)
    same_page(name, got, rows(archive, REFERENCE[name], params))
    return got


def top(archive: Path, sql: str, n: int) -> list[Any]:
    with contextlib.closing(sqlite3.connect(archive)) as conn:
        return [r[0] for r in conn.execute(sql + f" limit {n}")]


def test_claims_about_matches_the_reference_for_common_and_rare_entities(ds, archive):
    with contextlib.closing(sqlite3.connect(archive)) as conn:
        counts = conn.execute(
            "select e.canonical, count(*) from claim_entities ce join entities e on e.id = ce.entity_id"
            " group by e.canonical order by 2 desc"
        ).fetchall()
    common = [name for name, n in counts if n > N_CLAIMS / 50][:3]
    rare = [name for name, n in counts if n <= N_CLAIMS / 50][:: max(1, len(counts) // 8)]
    assert common and rare  # both branches
    for name in common + rare:
        check(ds, archive, "claims_about", entity=name)
        check(ds, archive, "claims_about", entity=f"  {name.upper()} ")
    # an alias as written (merged under its canonical name), and no match at all
    aliases = top(archive, "select distinct ce.text from claim_entities ce join entities e on e.id = ce.entity_id where ce.text != e.canonical", 3)
    for alias in aliases:
        check(ds, archive, "claims_about", entity=alias)
    assert check(ds, archive, "claims_about", entity="nobody at all") == []
    assert check(ds, archive, "claims_about", entity="") == []


def test_assessment_timeline_matches_the_reference(ds, archive):
    for pid in top(archive, "select id from propositions order by n_claims desc", 3) + [1]:
        check(ds, archive, "assessment_timeline", proposition=str(pid), q="")
        check(ds, archive, "assessment_timeline", proposition=str(pid), q="deal")  # proposition wins
    for q in ("deal", "Iran", top(archive, "select key from propositions order by n_claims desc", 1)[0][:12], "zzz"):
        check(ds, archive, "assessment_timeline", proposition="", q=q)
    assert canned(ds, "assessment_timeline", proposition="", q="") == []


def test_assessment_changes_matches_the_reference(ds, archive):
    for since, until in (
        ("", ""), ("2020-01-01", "2020-12"), ("2018", "2019"), ("", "2017-06-30"), ("2024-06", ""), ("2021-03-04", "2021-03-04"),
    ):  # fmt: skip
        got = check(ds, archive, "assessment_changes", since=since, until=until)
        assert all(r["changes"] for r in got)
        assert all(since <= r["first_date"] <= r["last_date"] for r in got)
        assert all(r["last_date"][: len(until)] <= until for r in got if until)


def test_unattributed_claims_and_coverage_match_the_reference(ds, archive):
    doc_id, title = top(archive, "select id || '|' || title from documents order by doc_date", 1)[0].split("|", 1)
    for document in ("", doc_id, title[:10], "zzz"):
        check(ds, archive, "unattributed_claims", document=document)
        check(ds, archive, "coverage", document=document)
    assert len(canned(ds, "unattributed_claims", document="")) == PAGE  # there are more: a page


def test_search_matches_the_reference_for_common_and_rare_words(ds, archive):
    # "deal" is in a quarter of the claims (walked newest first), a surname in few (collected)
    rare = top(archive, "select canonical from entities where label = 'PERSON' order by id desc", 3)
    for q in ["deal", "announced", "the deal", "Details"] + rare + ['"unbalanced OR', "zzzz"]:
        check(ds, archive, "search", q=q)
    assert canned(ds, "search", q="") == [] and canned(ds, "search", q="   ") == []


def test_sources_matches_the_reference(ds, archive):
    for q in ("", "the", "official", "Okafor", "zzz"):
        check(ds, archive, "sources", q=q)


def plan(db: Path, sql: str, params: dict[str, str]) -> str:
    from datasette.utils import escape_fts

    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.create_function("escape_fts", 1, escape_fts)
        return "\n".join(r[3] for r in conn.execute("explain query plan " + sql, params))


def test_canned_query_plans_use_their_indexes(archive):
    queries = yaml.safe_load(METADATA.read_text(encoding="utf-8"))["databases"]["claims"]["queries"]
    changes = plan(archive, queries["assessment_changes"]["sql"], {"since": "", "until": ""})
    # newest first down the date index, stopping after a page: no sort of every row
    assert "SEARCH c USING INDEX ix_claims_doc_date" in changes
    assert "ix_claims_proposition_date" in changes
    assert "USE TEMP B-TREE FOR ORDER BY" not in changes
    timeline = plan(archive, queries["assessment_timeline"]["sql"], {"proposition": "1", "q": ""})
    assert "SCAN c" not in timeline  # the proposition's claims through an index, not every claim
    about = plan(archive, queries["claims_about"]["sql"], {"entity": "Iran"})
    assert "ix_claim_entities_entity_claim" in about and "ix_claim_entities_text_nocase" in about
    assert "SCAN ce" not in about
    search = plan(archive, queries["search"]["sql"], {"q": "deal"})
    assert "SEARCH c USING INDEX ix_claims_doc_date" in search and "SCAN c " not in search
    coverage = plan(archive, queries["coverage"]["sql"], {"document": ""})
    assert "ix_sentences_uncovered" in coverage
    # every source: one pass over a covering index, never the claims' rows; with q: the names that
    # match from the index on source_text, then their entries of the covering index
    sources = plan(archive, queries["sources"]["sql"], {"q": ""})
    assert "SCAN c USING COVERING INDEX ix_claims_sources" in sources
    assert "SCAN x USING COVERING INDEX ix_claims_source_text" in sources
    assert "SEARCH c USING COVERING INDEX ix_claims_sources (source_text=?)" in sources
    unattributed = plan(archive, queries["unattributed_claims"]["sql"], {"document": ""})
    assert "ix_claims_author_date" in unattributed and "TEMP B-TREE" not in unattributed


def test_entity_facet_over_every_claim_reads_the_kept_counts(archive):
    from claims.datasette_plugin import ENTITY_FACET_ALL_SQL, is_unfiltered

    assert is_unfiltered("select id, text from claims ")
    assert not is_unfiltered("select id, text from claims where certainty = :p0 ")
    found = plan(archive, ENTITY_FACET_ALL_SQL, {"limit": 31})
    outer = found.split("CORRELATED")[0]  # the mentions are read only for a shared canonical name
    assert "SCAN e " in outer and " n USING INTEGER PRIMARY KEY" in outer and " ce " not in outer
    assert "SCAN ce" not in found


def test_home_page_lists_changed_propositions_most_claims_first(ds, archive):
    html = asyncio.run(ds.client.get("/")).text
    expected = rows(
        archive,
        "select p.key, p.n_claims from propositions p where (select count(distinct certainty || polarity)"
        " from claims c where c.proposition_id = p.id) > 1 order by p.n_claims desc, p.first_seen, p.id limit 8",
    )
    section = html[html.index("How did the assessment change?") :]
    positions = [section.index(r["key"].replace("|", " · ")) for r in expected[:3]]
    assert positions == sorted(positions)


def test_entity_claim_counts_follow_every_change_to_the_mentions(tmp_path):
    """The triggers keep entity_claim_counts equal to count(distinct claim_id) per entity."""
    from claims.store import engine_for

    db = tmp_path / "claims.db"
    engine_for(db).dispose()

    def live(conn: sqlite3.Connection) -> dict[int, int]:
        return dict(conn.execute("select entity_id, count(distinct claim_id) from claim_entities group by entity_id"))

    def kept(conn: sqlite3.Connection) -> dict[int, int]:
        return dict(conn.execute("select entity_id, n_claims from entity_claim_counts where n_claims > 0"))

    with contextlib.closing(sqlite3.connect(db)) as conn:  # foreign keys off: mentions alone
        add = "insert into claim_entities (claim_id, entity_id, text, start_char, end_char) values (?, ?, ?, 0, 1)"
        conn.executemany(
            add,
            [("c1", 1, "Iran"), ("c1", 1, "Tehran"), ("c2", 1, "Iran"), ("c2", 2, "IRGC"), ("c3", 2, "the Guard")],
        )
        assert kept(conn) == live(conn) == {1: 2, 2: 2}  # c1 names entity 1 twice: counted once
        conn.execute("delete from claim_entities where claim_id = 'c1' and text = 'Tehran'")
        assert kept(conn) == live(conn) == {1: 2, 2: 2}
        conn.execute("delete from claim_entities where claim_id = 'c1'")
        assert kept(conn) == live(conn) == {1: 1, 2: 2}
        conn.execute("update claim_entities set entity_id = 1 where claim_id = 'c3'")  # merged
        assert kept(conn) == live(conn) == {1: 2, 2: 1}
        conn.execute("update claim_entities set text = 'Persia' where claim_id = 'c2' and entity_id = 1")
        assert kept(conn) == live(conn)
        conn.execute("delete from claim_entities")
        assert kept(conn) == live(conn) == {}
        conn.commit()
        # a database from before the counts: they are made when it is next opened for writing
        conn.executemany(add, [("c1", 3, "NATO"), ("c1", 3, "the alliance"), ("c4", 3, "NATO")])
        conn.execute("drop table entity_claim_counts")
        conn.commit()
    engine_for(db).dispose()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert kept(conn) == live(conn) == {3: 2}


def test_entity_facet_over_every_claim_agrees_with_the_mentions(ds, archive):
    data = json.loads(
        asyncio.run(ds.client.get("/claims/claims.json?_facet_entity=canonical&_facet_size=max&_size=1")).text
    )
    facet = {r["value"]: r["count"] for r in data["facet_results"]["mentions"]["results"]}
    expected = rows(
        archive,
        "select e.canonical as value, count(distinct ce.claim_id) as n from claim_entities ce"
        " join entities e on e.id = ce.entity_id group by e.canonical order by n desc, value limit 1000",
    )
    assert facet == {r["value"]: r["n"] for r in expected}


def test_timeline_page_says_when_it_shows_only_the_first_page(ds, archive):
    busiest = top(
        archive,
        "select e.canonical from claim_entities ce join entities e on e.id = ce.entity_id"
        " group by e.canonical order by count(*) desc",
        1,
    )[0]
    html = asyncio.run(ds.client.get("/-/timeline?" + urllib.parse.urlencode({"entity": busiest}))).text
    assert f"The first {PAGE} claims</strong>" in html
    assert f"the claims_about query stops after {PAGE}; there are more" in html
    rare = top(archive, "select id from propositions where n_claims between 2 and 5", 1)[0]
    html = asyncio.run(ds.client.get(f"/-/timeline?proposition={rare}")).text
    assert "The first" not in html and "there are more" not in html


def test_a_database_from_before_the_kept_counts_still_serves(archive, tmp_path):
    """No entity_claim_counts or propositions.n_changes: the facet counts the mentions, the home page skips its list."""
    old = tmp_path / "claims.db"
    old.write_bytes(archive.read_bytes())
    with contextlib.closing(sqlite3.connect(old)) as conn:
        for trigger in ("ai", "ad", "au"):
            conn.execute(f"drop trigger entity_claim_counts_{trigger}")
        conn.execute("drop table entity_claim_counts")
        conn.execute("alter table propositions drop column n_changes")
        conn.commit()
    ds = Datasette(
        [],
        immutables=[str(old)],
        metadata=yaml.safe_load(METADATA.read_text(encoding="utf-8")),
        template_dir=str(TEMPLATES),
    )
    home = asyncio.run(ds.client.get("/"))
    assert home.status_code == 200 and "Start here" in home.text
    data = asyncio.run(ds.client.get("/claims/claims.json?_facet_entity=canonical&_facet_size=max&_size=1")).json()
    facet = {r["value"]: r["count"] for r in data["facet_results"]["mentions"]["results"]}
    expected = rows(
        old,
        "select e.canonical as value, count(distinct ce.claim_id) as n from claim_entities ce"
        " join entities e on e.id = ce.entity_id group by e.canonical order by n desc, value limit 1000",
    )
    assert facet == {r["value"]: r["n"] for r in expected}

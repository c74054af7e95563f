"""The synthetic archive generator and `claims bench --quick`, on tiny inputs."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from claims.bench import generated_documents
from claims.cli import cli
from claims.errors import StoreError
from claims.synthetic import generate

N_CLAIMS = 2_000


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synthetic") / "claims.db"
    stats = generate(path, N_CLAIMS, seed=3)
    assert stats.claims == N_CLAIMS
    return path


def rows(db: Path, sql: str) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(db)) as c:
        return c.execute(sql).fetchall()


def test_synthetic_archive_is_consistent(archive: Path) -> None:
    assert rows(archive, "PRAGMA integrity_check") == [("ok",)]
    assert rows(archive, "PRAGMA foreign_key_check") == []
    assert rows(archive, "select count(*) from claims") == [(N_CLAIMS,)]
    for table in (
        "documents",
        "sentences",
        "attributions",
        "hedge_cues",
        "time_refs",
        "entities",
        "claim_entities",
        "propositions",
    ):
        assert rows(archive, f"select count(*) from {table}")[0][0] > 0, table
    # the counts stored on documents, sentences and propositions agree with the rows
    assert rows(
        archive,
        """select count(*) from documents d
        where n_sentences != (select count(*) from sentences where document_id = d.id)
           or n_claims != (select count(*) from claims where document_id = d.id)""",
    ) == [(0,)]
    assert rows(
        archive,
        "select count(*) from sentences s where n_claims != (select count(*) from claims where sentence_id = s.id)",
    ) == [(0,)]
    assert rows(
        archive,
        "select count(*) from propositions p where n_claims != (select count(*) from claims where proposition_id = p.id)",
    ) == [(0,)]
    # the assessments stored on propositions (what assessment_changes relies on), and the
    # per-entity claim counts (the entity facet), as refresh_counts and the triggers keep them
    assert rows(
        archive,
        "select count(*) from propositions p where n_assessments != (select count(distinct"
        " certainty || ', ' || polarity) from claims where proposition_id = p.id)",
    ) == [(0,)]
    assert rows(archive, "select count(*) from propositions where n_assessments > 1")[0][0] > 0
    assert rows(
        archive, "select entity_id, n_claims from entity_claim_counts where n_claims > 0 order by 1"
    ) == rows(
        archive,
        "select entity_id, count(distinct claim_id) from claim_entities group by 1 order by 1",
    )
    # the indexes and triggers of store.FTS_SQL, rebuilt after the load
    names = {n for (n,) in rows(archive, "select name from sqlite_master")}
    assert {
        "ix_claims_proposition_date", "ix_claim_entities_entity_claim", "ix_claim_entities_text_nocase",
        "ix_sentences_uncovered", "ix_propositions_n_claims", "ix_claims_sources", "entity_claim_counts_ai",
    } <= names  # fmt: skip
    # offsets point at the words they name, in the document text
    for sql in (
        "select count(*) from sentences s join documents d on d.id = s.document_id where substr(d.text, s.start_char + 1, s.end_char - s.start_char) != s.text",
        "select count(*) from claims c join documents d on d.id = c.document_id where substr(d.text, c.start_char + 1, c.end_char - c.start_char) != c.text",
        "select count(*) from hedge_cues h join claims c on c.id = h.claim_id join documents d on d.id = c.document_id where substr(d.text, h.start_char + 1, h.end_char - h.start_char) != h.text",
        "select count(*) from time_refs t join claims c on c.id = t.claim_id join documents d on d.id = c.document_id where substr(d.text, t.start_char + 1, t.end_char - t.start_char) != t.text",
        "select count(*) from claim_entities e join claims c on c.id = e.claim_id join documents d on d.id = c.document_id where substr(d.text, e.start_char + 1, e.end_char - e.start_char) != e.text",
        "select count(*) from attributions a join claims c on c.id = a.claim_id join documents d on d.id = c.document_id where substr(d.text, a.source_start + 1, a.source_end - a.source_start) != a.source_text",
    ):
        assert rows(archive, sql) == [(0,)], sql
    # the enumerations hold only the model's values
    from claims import model as m

    for column, enum in (
        ("polarity", m.Polarity),
        ("certainty", m.Certainty),
        ("hedge_level", m.HedgeLevel),
        ("source_type", m.SourceType),
    ):
        assert {v for (v,) in rows(archive, f"select distinct {column} from claims")} <= {
            e.value for e in enum
        }
    assert {v for (v,) in rows(archive, "select distinct kind from hedge_cues")} <= {
        e.value for e in m.HedgeKind
    }
    # realistic spreads: most claims unattributed and certain, some of every certainty
    assert {v for (v,) in rows(archive, "select distinct certainty from claims")} == {
        e.value for e in m.Certainty
    }
    share = dict(
        rows(
            archive,
            "select source_type = 'author', count(*) * 1.0 / (select count(*) from claims) from claims group by 1",
        )
    )
    assert 0.6 < share[1] < 0.95


def test_synthetic_archive_fts_matches_the_rows(archive: Path) -> None:
    with contextlib.closing(sqlite3.connect(archive)) as c:
        c.execute("INSERT INTO claims_fts(claims_fts) VALUES ('integrity-check')")
        c.execute("INSERT INTO sentences_fts(sentences_fts) VALUES ('integrity-check')")
        name = c.execute(
            "select canonical from entities e join claim_entities ce on ce.entity_id = e.id where label = 'PERSON' limit 1"
        ).fetchone()[0]
        last = name.split()[-1]
        fts = c.execute(
            "select count(*) from claims_fts where claims_fts match ?", (f'"{last}"',)
        ).fetchone()[0]
        like = c.execute(
            "select count(*) from claims where (' ' || text || ' ' || coalesce(subject, '') || ' ' || coalesce(object, '') || ' ' || source_text || ' ') like ?",
            (f"% {last} %",),
        ).fetchone()[0]
        assert fts > 0
        assert (
            fts <= like
        )  # LIKE also matches the word glued to punctuation-free neighbours, never fewer
        sent = c.execute(
            "select count(*) from sentences_fts where sentences_fts match ?", (f'"{last}"',)
        ).fetchone()[0]
        assert sent > 0
        # the triggers are back: a claim inserted now is searchable
        assert {
            r[0] for r in c.execute("select name from sqlite_master where type = 'trigger'")
        } >= {"claims_ai", "claims_ad", "claims_au", "sentences_ai", "sentences_ad"}
        assert c.execute("pragma journal_mode").fetchone() == ("wal",)


def test_synthetic_refuses_an_existing_database(archive: Path) -> None:
    with pytest.raises(StoreError, match="already exists"):
        generate(archive, 10)


def test_bench_quick_writes_a_report_with_every_section(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    generated_documents(corpus, 3, sentences=(3, 5), seed=5)
    report = tmp_path / "out" / "performance.md"
    result = CliRunner().invoke(
        cli,
        ["bench", "--quick", "--corpus", str(corpus), "--memory-docs", "12", "--synthetic", "1000",
         "--requests", "1", "--workdir", str(tmp_path / "work"), "-o", str(report), "--json", str(tmp_path / "out.json")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output + str(result.exception)
    text = report.read_text(encoding="utf-8")
    for heading in (
        "## Machine",
        "## Start-up",
        "## Ingest throughput",
        "## Parallel ingest",
        "## The writer alone",
        "## Re-extraction",
        "## Memory over a long ingest",
        "## Datasette latency on a synthetic archive",
        "## Profile of an ingest",
    ):
        assert heading in text, heading
    assert "failed" not in text
    assert "Ingest ÷ parser alone" in text and "2 jobs ÷ 1 job" in text and "p95" in text
    assert "Writer ÷ single-process ingest" in text and "| `claims --help` |" in text
    assert "/claims/claims?_facet=certainty" in text

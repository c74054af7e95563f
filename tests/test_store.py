"""The SQLite store: pragmas, FTS in step, runs and problems, stored parses, all-or-nothing documents."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import DATA, GOOD_TEXT, assert_whole_documents, count, rows, write
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from claims import model as m
from claims import pipeline
from claims.export import records
from claims.nlp import parse
from claims.pipeline import Ingest, reextract
from claims.store import engine_for

FIXTURES = sorted(DATA.glob("*.conllu"))
SECOND_TEXT = "date 2023-11-21\nAccording to the Pentagon, Iran is probably directing some of these groups.\n"


@pytest.fixture
def spacy_only(monkeypatch, spacy_parser):
    monkeypatch.setattr(pipeline, "load_parser", lambda name="auto": spacy_parser)
    return spacy_parser


@pytest.fixture
def no_parser(monkeypatch):
    """Any attempt to load a parser fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a parser was loaded")

    for target in (parse, pipeline):
        monkeypatch.setattr(target, "load_parser", refuse)
    monkeypatch.setattr(parse, "SpacyParser", refuse)
    monkeypatch.setattr(parse, "StanzaParser", refuse)


@pytest.fixture
def texts(tmp_path) -> list[Path]:
    return [write(tmp_path / "in" / "one.txt", GOOD_TEXT), write(tmp_path / "in" / "two.txt", SECOND_TEXT)]


@pytest.fixture
def stored(spacy_only, texts, db) -> Path:
    result = Ingest(db, parser="spacy").run(texts)
    assert result.ok, result.problems
    return db


@pytest.fixture
def claims_logged(monkeypatch, caplog):
    """The CLI stops `claims` logs propagating; let caplog see them in this test."""
    monkeypatch.setattr(logging.getLogger("claims"), "propagate", True)
    caplog.set_level(logging.ERROR, logger="claims")
    return caplog


# --- the database itself ----------------------------------------------------------------


def test_wal_mode_and_foreign_keys(db):
    engine = engine_for(db)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with Session(engine) as s:
        s.add(m.Sentence(id="x:0", document_id="nope", index=0, text="x", start_char=0, end_char=1, conllu="", parser="p", parser_version="1"))
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            s.commit()
    engine.dispose()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)  # persistent, for Datasette too
    conn.close()


def test_tables_and_fts_exist(db):
    engine_for(db).dispose()
    names = {n for (n,) in rows(db, "select name from sqlite_master where type in ('table', 'trigger')")}
    assert {"documents", "sentences", "claims", "attributions", "hedge_cues", "time_refs", "entities",
            "claim_entities", "propositions", "runs", "problems", "claims_fts", "sentences_fts",
            "claims_ai", "claims_ad", "claims_au", "sentences_ai", "sentences_ad"} <= names


def fts(db: Path, table: str, query: str) -> list[int]:
    return sorted(r for (r,) in rows(db, f"select rowid from {table} where {table} match ?", query))


def fts_in_step(db: Path) -> None:
    for table in ("claims_fts", "sentences_fts"):
        rows(db, f"insert into {table}({table}) values ('integrity-check')")  # raises when out of step
    assert fts(db, "claims_fts", "groups") == sorted(r for (r,) in rows(db, "select rowid from claims where text like '%groups%'"))
    assert fts(db, "sentences_fts", "Pentagon") == sorted(r for (r,) in rows(db, "select rowid from sentences where text like '%Pentagon%'"))


def test_fts_finds_claims_and_sentences(stored):
    assert fts(stored, "claims_fts", "Iran")
    assert fts(stored, "claims_fts", "source_text: Pentagon")
    assert len(fts(stored, "sentences_fts", "Pentagon")) == 1
    assert fts(stored, "claims_fts", "nonexistentword") == []
    fts_in_step(stored)


def test_fts_stays_in_step_after_reextract(stored):
    before = fts(stored, "claims_fts", "Iran")
    reextract(stored)
    reextract(stored)
    after = fts(stored, "claims_fts", "Iran")
    assert len(after) == len(before)  # the delete triggers removed the old rows
    assert rows(stored, "select count(*) from claims_fts") == rows(stored, "select count(*) from claims")
    fts_in_step(stored)


# --- runs and problems ---------------------------------------------------------------------


def test_runs_row_is_filled(spacy_only, texts, tmp_path, db):
    bad = write(tmp_path / "in" / "bad.json", "{")
    first = Ingest(db, parser="spacy").run([tmp_path / "in"])
    second = Ingest(db, parser="spacy").run(texts)
    run1, run2 = rows(db, "select id, command, parser, finished_at, n_documents, n_duplicates, n_failed, "
                          "n_sentences, n_claims, extractor_version, settings from runs order by id")
    assert run1[:3] == (first.run_id, "ingest", "spacy")
    assert run1[3] is not None
    assert run1[4:9] == (2, 0, 1, count(db, "sentences"), count(db, "claims"))
    assert run1[9] == pipeline.extractor_version()
    assert str(tmp_path / "in") in run1[10]
    assert run2[0] == second.run_id
    assert run2[4:9] == (0, 2, 0, 0, 0)
    assert rows(db, "select run_id, path, error from problems") == [(first.run_id, str(bad), "InputError")]
    (message, fix), = rows(db, "select message, fix from problems")
    assert message.startswith("is not valid JSON") and "json.tool" in fix


def test_problems_rows_for_bad_documents(spacy_only, tmp_path, db):
    write(tmp_path / "in" / "empty.txt", b"")
    write(tmp_path / "in" / "schema.json", '{"text": 5, "date": "2023-11-08"}')
    write(tmp_path / "in" / "lines.jsonl", '{"text": "Good line here.", "date": "2023-11-08"}\n{oops\n')
    result = Ingest(db, parser="spacy").run([tmp_path / "in"])
    assert not result.ok
    assert sorted(rows(db, "select path, error from problems")) == sorted([
        (str(tmp_path / "in" / "empty.txt"), "InputError"),
        (str(tmp_path / "in" / "lines.jsonl") + ":2", "InputError"),
        (str(tmp_path / "in" / "schema.json"), "SchemaError"),
    ])
    assert rows(db, "select path from documents") == [(str(tmp_path / "in" / "lines.jsonl") + ":1",)]
    assert rows(db, "select n_failed, n_documents from runs") == [(3, 1)]


def test_conllu_run_names_its_parser(no_parser, db):
    result = Ingest(db, parser="conllu").run(FIXTURES)
    assert result.ok and result.parser == "conllu"
    assert rows(db, "select parser, n_documents from runs") == [("conllu", len(FIXTURES))]


# --- stored parses and re-extraction -------------------------------------------------------


def test_sentences_store_conllu_and_parser(stored, spacy_parser):
    sentences = rows(stored, "select s.conllu, s.parser, s.parser_version, s.text, s.start_char, s.end_char, d.text "
                             "from sentences s join documents d on d.id = s.document_id")
    assert len(sentences) == 2
    for conllu, parser, version, text, start, end, doc_text in sentences:
        assert (parser, version) == ("spacy", spacy_parser.info.version)
        assert "spacy" in version and "ud-conversion" in version
        assert f"# text = {text}" in conllu
        assert any(line.count("\t") == 9 for line in conllu.splitlines())
        assert "start_char=" in conllu
        assert doc_text[start:end] == text


def test_reextract_needs_no_parser_and_gives_identical_claims(stored, no_parser):
    before = list(records(stored))
    result = reextract(stored)
    assert (result.n_documents, result.n_claims) == (2, len(before))
    assert list(records(stored)) == before
    assert_whole_documents(stored)


def test_reextract_of_conllu_input(no_parser, db):
    Ingest(db, parser="conllu").run(FIXTURES)
    before = list(records(db))
    reextract(db)
    assert list(records(db)) == before


# --- each document is all-or-nothing --------------------------------------------------------


def test_a_failure_while_storing_loses_only_that_document(no_parser, monkeypatch, claims_logged, db):
    victim = DATA / "chain.conllu"
    real = pipeline.write_claims

    def failing(s, doc, *args, **kwargs):
        written = real(s, doc, *args, **kwargs)  # rows are flushed: the rollback must undo them
        if doc.path == str(victim):
            raise RuntimeError("disk on fire")
        return written

    monkeypatch.setattr(pipeline, "write_claims", failing)
    result = Ingest(db, parser="conllu", batch_size=2).run(FIXTURES)
    assert not result.ok
    (problem,) = result.problems
    assert (problem.path, problem.error) == (str(victim), "InternalError")
    assert "RuntimeError: disk on fire" in problem.message and "bug" in problem.fix
    assert rows(db, "select path, error from problems") == [(str(victim), "InternalError")]
    assert count(db, "documents", "path = ?", str(victim)) == 0
    assert count(db, "sentences", "text like 'Officials said intelligence%'") == 0
    assert count(db, "claims", "text = 'militias are preparing attacks'") == 0
    assert count(db, "attributions", "source_text = 'intelligence'") == 0
    assert sorted(p for (p,) in rows(db, "select path from documents")) == sorted(str(p) for p in FIXTURES if p != victim)
    assert_whole_documents(db)
    assert rows(db, "select n_documents, n_failed from runs") == [(len(FIXTURES) - 1, 1)]
    (record,) = [r for r in claims_logged.records if r.levelno == logging.ERROR]
    assert str(victim) in record.getMessage() and record.exc_info is not None


def test_an_interruption_inside_a_document_loses_only_the_open_transaction(no_parser, monkeypatch, db):
    """Several documents share a transaction: Ctrl-C inside one rolls back the open transaction
    (never half a document), the transactions committed before stay, and a resumed run redoes the rest."""
    monkeypatch.setattr(pipeline, "COMMIT_DOCS", 2)
    monkeypatch.setattr(pipeline, "COMMIT_SECONDS", 3600.0)
    real = pipeline.write_claims
    calls = []

    def interrupted(s, doc, *args, **kwargs):
        written = real(s, doc, *args, **kwargs)  # the document's rows are in the transaction
        calls.append(doc.path)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return written

    monkeypatch.setattr(pipeline, "write_claims", interrupted)
    with pytest.raises(KeyboardInterrupt):
        Ingest(db, parser="conllu").run(FIXTURES)
    assert sorted(p for (p,) in rows(db, "select path from documents")) == sorted(calls[:2])  # the first transaction
    assert_whole_documents(db)
    monkeypatch.setattr(pipeline, "write_claims", real)
    again = Ingest(db, parser="conllu").run(FIXTURES)
    assert again.ok and len(again.duplicates) == 2 and len(again.stored) == len(FIXTURES) - 2
    assert count(db, "documents") == len(FIXTURES)
    assert_whole_documents(db)


def test_an_interruption_between_documents_keeps_every_finished_one(no_parser, monkeypatch, db):
    monkeypatch.setattr(pipeline, "COMMIT_SECONDS", 3600.0)

    def stop(result):
        if len(result.stored) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Ingest(db, parser="conllu").run(FIXTURES, progress=stop)
    assert count(db, "documents") == 3
    assert_whole_documents(db)


def test_a_failure_while_storing_inside_a_transaction_keeps_the_others_and_the_order(no_parser, monkeypatch, db, tmp_path):
    """The failed document is undone by writing its transaction again without it: the same rows as one
    transaction per document would leave (problems rows included, in order)."""
    victim = DATA / "chain.conllu"
    real = pipeline.write_claims

    def failing(s, doc, *args, **kwargs):
        written = real(s, doc, *args, **kwargs)
        if doc.path == str(victim):
            raise RuntimeError("disk on fire")
        return written

    monkeypatch.setattr(pipeline, "write_claims", failing)
    bad = write(tmp_path / "bad.conllu", "not conllu at all")
    dumped = {}
    for name, per_doc in (("batched", None), ("alone", 1)):
        if per_doc:
            monkeypatch.setattr(pipeline, "COMMIT_DOCS", per_doc)
        path = tmp_path / f"{name}.db"
        Ingest(path, parser="conllu").run([*FIXTURES, bad])
        dumped[name] = (
            rows(path, "select path, error from problems order by id"),
            rows(path, "select id, canonical, label from entities order by id"),
            list(records(path)),
        )
        assert count(path, "documents", "path = ?", str(victim)) == 0
        assert_whole_documents(path)
    assert dumped["batched"] == dumped["alone"]
    assert (str(victim), "InternalError") in dumped["batched"][0]


def test_a_failure_while_extracting_loses_only_that_document(no_parser, monkeypatch, claims_logged, db):
    real = pipeline.claims_of

    def failing(doc, *args, **kwargs):
        if "The attacks could escalate" in doc.text:
            raise IndexError("extractor bug")
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(pipeline, "claims_of", failing)
    result = Ingest(db, parser="conllu").run(FIXTURES)
    assert [(p.path, p.error) for p in result.problems] == [(str(DATA / "could_escalate.conllu"), "InternalError")]
    assert "extracting claims (IndexError: extractor bug)" in result.problems[0].message
    assert count(db, "documents") == len(FIXTURES) - 1
    assert_whole_documents(db)


class FlakyParser:
    """The spaCy parser, except that it raises on one text (inside a batch, as a real bug would)."""

    def __init__(self, inner, poison: str):
        self.inner, self.poison, self.info = inner, poison, inner.info

    def parse(self, texts):
        for text in texts:
            if self.poison in text:
                raise ValueError("parser bug")
            yield from self.inner.parse([text])


def test_a_parser_failure_loses_only_that_document(monkeypatch, spacy_parser, claims_logged, tmp_path, db):
    monkeypatch.setattr(pipeline, "load_parser", lambda name="auto": FlakyParser(spacy_parser, "Pentagon"))
    paths = [
        write(tmp_path / "a.txt", "date 2023-11-08\nThe attacks could escalate."),
        write(tmp_path / "b.txt", SECOND_TEXT),
        write(tmp_path / "c.txt", GOOD_TEXT),
    ]
    result = Ingest(db, parser="spacy").run(paths)
    assert [(p.path, p.error) for p in result.problems] == [(str(paths[1]), "InternalError")]
    assert "parsing (ValueError: parser bug)" in result.problems[0].message
    assert sorted(p for (p,) in rows(db, "select path from documents")) == [str(paths[0]), str(paths[2])]
    assert_whole_documents(db)


def test_the_cli_exits_non_zero_on_an_internal_error(no_parser, monkeypatch, db):
    from claims.cli import cli

    def failing(s, doc, *args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "write_claims", failing)
    result = CliRunner().invoke(cli, ["ingest", str(DATA / "chain.conllu"), "--db", str(db), "--parser", "conllu"])
    assert result.exit_code == 1
    assert f"error: {DATA / 'chain.conllu'}: internal error while storing (RuntimeError: disk on fire)" in result.stderr
    assert "Traceback" in result.stderr  # a bug keeps its traceback, in the log
    assert count(db, "documents") == 0


# --- a database made by an earlier version ------------------------------------------------

def _schema_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA schema_version").fetchone()[0])


def test_a_database_from_an_earlier_version_is_brought_up_to_date(stored):
    """Columns added since are added and filled in, and a trigger that changed is made anew."""
    with sqlite3.connect(stored) as conn:
        expected = dict(conn.execute("SELECT id, n_assessments FROM propositions"))
        assert any(n > 0 for n in expected.values())
        # as an earlier version left it: no n_assessments, FTS re-indexed on any update
        conn.execute("ALTER TABLE propositions DROP COLUMN n_assessments")
        conn.execute("DROP TRIGGER claims_au")
        conn.execute(
            """CREATE TRIGGER claims_au AFTER UPDATE ON claims BEGIN
            INSERT INTO claims_fts(claims_fts, rowid, text, subject, object, source_text)
            VALUES ('delete', old.rowid, old.text, old.subject, old.object, old.source_text);
            INSERT INTO claims_fts(rowid, text, subject, object, source_text)
            VALUES (new.rowid, new.text, new.subject, new.object, new.source_text); END"""
        )
    engine_for(stored).dispose()
    with sqlite3.connect(stored) as conn:
        assert dict(conn.execute("SELECT id, n_assessments FROM propositions")) == expected
        trigger = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'claims_au'").fetchone()[0]
    assert "UPDATE OF text, subject, object, source_text" in trigger


def test_opening_an_up_to_date_database_changes_no_schema(stored):
    """No index or trigger is dropped and rebuilt on every open (that would cost minutes on an archive)."""
    before = _schema_version(stored)
    engine_for(stored).dispose()
    engine_for(stored).dispose()
    assert _schema_version(stored) == before


def test_the_stage_hook_wraps_every_step_of_a_run(no_parser, db):
    """``claims bench`` times a run through ``stage`` (no patching of the pipeline)."""
    from contextlib import contextmanager

    seen: list[str] = []

    @contextmanager
    def stage(name):
        seen.append(name)
        yield

    result = Ingest(db, parser="conllu", stage=stage).run(FIXTURES)
    n = len(result.stored)
    assert result.ok and n == len(FIXTURES)
    assert seen.count("extract") == n and seen.count("link") == 1
    assert seen.count("read") == n + 1  # each document, and finding that there is no other
    assert seen.count("store") == n + 1  # each document, and the last commit


def test_claim_rows_carry_the_model_columns_extraction_sets(spacy_only, texts, db, monkeypatch):
    """The column lists come from the models: a column added to Claim (or to a child table) and
    not set by claim_rows, nor named as set at link time, fails here."""
    from claims import store

    built: list[store.ClaimRows] = []
    claim_rows = store.claim_rows

    def capture(*args, **kwargs):
        out = claim_rows(*args, **kwargs)
        built.extend(out)
        return out

    monkeypatch.setattr(store, "claim_rows", capture)
    assert Ingest(db, parser="spacy").run(texts).ok
    assert built
    claim_columns = {c.name for c in m.Claim.__table__.columns}
    assert set(store.CLAIM_COLUMNS) == claim_columns - {*store.SET_AT_LINK_TIME, "extracted_at"}
    for rows in built:
        assert set(rows.claim) == set(store.CLAIM_COLUMNS)
        assert all(len(a) == len(store.ATTRIBUTION_COLUMNS) for a in rows.attributions)
        assert all(len(h) == len(store.HEDGE_COLUMNS) for h in rows.hedges)
        assert all(len(t) == len(store.TIME_COLUMNS) for t in rows.times)
        assert all(len(x) == len(store.MENTION_COLUMNS) for x in rows.mentions)
    assert any(rows.attributions for rows in built) and any(rows.hedges for rows in built)

"""The command line through click's CliRunner: ingest, export, reextract, errors and help."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from helpers import CLAIM_SCHEMA, DATA, GOOD_TEXT, count, rows, validator, write

from claims.cli import cli
from claims.nlp import parse

SECOND_TEXT = "date 2023-11-21\nAccording to the Pentagon, Iran is probably directing some of these groups.\n"


@pytest.fixture
def spacy_only(monkeypatch, spacy_parser):
    """`auto` and `spacy` get the session's spaCy parser (one model load for the whole suite)."""
    real = parse.load_parser

    def load(name: str = "auto"):
        return spacy_parser if name in ("auto", "spacy") else real(name)

    monkeypatch.setattr("claims.pipeline.load_parser", load)
    return spacy_parser


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str | Path):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return invoke


def assert_no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "docs"
    write(folder / "one.txt", GOOD_TEXT)
    write(folder / "sub" / "two.txt", SECOND_TEXT)
    return folder


# --- ingest -------------------------------------------------------------------------


def test_ingest_a_directory(run, spacy_only, corpus, db):
    result = run("ingest", corpus, "--db", db)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2 document(s) stored, 0 already present, 0 failed;")
    assert f"-> {db}" in result.stdout
    assert "parser: spacy" in result.stderr
    assert count(db, "documents") == 2
    assert count(db, "claims") >= 2


def test_ingest_files_with_date_source_and_title(run, spacy_only, tmp_path, db):
    path = write(tmp_path / "undated.txt", "Officials said that Iran is not directing the groups.")
    result = run("ingest", path, "--db", db)
    assert result.exit_code == 1
    assert f"error: {path}: has no date" in result.stderr and "--date" in result.stderr
    result = run("ingest", path, "--db", db, "--date", "8 November 2023", "--source", "Reuters", "--title", "Briefing")
    assert result.exit_code == 0, result.output
    assert rows(db, "select doc_date, source, title, path from documents") == [("2023-11-08", "Reuters", "Briefing", str(path))]


def test_ingest_with_an_impossible_date_option(run, spacy_only, corpus, db):
    result = run("ingest", corpus, "--db", db, "--date", "2023-02-30")
    assert result.exit_code == 1
    assert "--date" in result.stderr and "not a real day" in result.stderr
    assert_no_traceback(result)


def test_reingest_says_already_and_adds_nothing(run, spacy_only, corpus, db):
    assert run("ingest", corpus, "--db", db).exit_code == 0
    before = [count(db, t) for t in ("documents", "sentences", "claims")]
    result = run("ingest", corpus, "--db", db)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("0 document(s) stored, 2 already present, 0 failed;")
    assert f"skipped: {corpus / 'one.txt'}: already in {db}" in result.stderr
    assert [count(db, t) for t in ("documents", "sentences", "claims")] == before
    assert count(db, "runs") == 2


def test_a_batch_with_good_and_bad_files(run, spacy_only, tmp_path, db):
    folder = tmp_path / "batch"
    good = [write(folder / "good1.txt", GOOD_TEXT), write(folder / "good2.txt", SECOND_TEXT)]
    bad = {
        write(folder / "empty.txt", b""): "remove it or give it some text",
        write(folder / "binary.txt", b"\x00\x01\x02PK"): "convert it to plain text",
        write(folder / "latin1.txt", b"date 2023-11-08\nCaf\xe9 owners said so."): "iconv",
        write(folder / "undated.md", "Officials said so."): "pass --date",
        write(folder / "broken.json", '{"text": "A."'): "json.tool",
        write(folder / "schema.json", '{"text": 5, "date": "2023-11-08"}'): "document.schema.json",
    }
    result = run("ingest", folder, "--db", db)
    assert result.exit_code == 1
    assert_no_traceback(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == len(bad)
    for path, fix in bad.items():
        (line,) = [e for e in errors if e.startswith(f"error: {path}: ")]
        assert "(fix: " in line and fix in line, line
    assert result.stdout.startswith(f"2 document(s) stored, 0 already present, {len(bad)} failed;")
    assert sorted(p for (p,) in rows(db, "select path from documents")) == sorted(map(str, good))
    assert count(db, "problems") == len(bad)


def test_nonexistent_path_is_an_error_line(run, spacy_only, corpus, tmp_path, db):
    missing = tmp_path / "missing.txt"
    result = run("ingest", corpus, missing, "--db", db)
    assert result.exit_code == 1
    assert f"error: {missing}: does not exist (fix: check the path)" in result.stderr
    assert count(db, "documents") == 2


def test_parser_stanza_without_models(run, corpus, db):
    if parse.stanza_models_present():
        pytest.skip("stanza's English models are installed here")
    result = run("ingest", corpus, "--db", db, "--parser", "stanza")
    assert result.exit_code == 1
    assert "Error: stanza: stanza's English models are not installed" in result.stderr
    assert "claims setup" in result.stderr
    assert_no_traceback(result)


def test_parser_auto_falls_back_to_spacy_and_says_so(run, monkeypatch, spacy_parser, corpus, db):
    def no_stanza(*args, **kwargs):
        raise parse.ModelNotAvailable("stanza's English models are not installed", path="stanza", fix="claims setup")

    monkeypatch.setattr(parse, "StanzaParser", no_stanza)
    monkeypatch.setattr(parse, "SpacyParser", lambda *a, **k: spacy_parser)
    monkeypatch.setattr(parse, "stanza_models_present", lambda *a, **k: False)
    result = run("ingest", corpus, "--db", db)
    assert result.exit_code == 0, result.output
    assert "warning: stanza's English models are not installed: parsing with the spaCy fallback" in result.stderr
    assert "parser: spacy" in result.stderr


def test_parser_conllu_with_a_text_file(run, tmp_path, db):
    path = write(tmp_path / "a.txt", GOOD_TEXT)
    result = run("ingest", path, DATA / "could_escalate.conllu", "--db", db, "--parser", "conllu")
    assert result.exit_code == 1
    assert f"error: {path}: is not CoNLL-U" in result.stderr and "--parser auto" in result.stderr
    assert_no_traceback(result)
    assert rows(db, "select format from documents") == [("conllu",)]


def test_db_that_is_a_directory(run, corpus, tmp_path):
    result = run("ingest", corpus, "--db", tmp_path)
    assert result.exit_code != 0
    assert_no_traceback(result)


def test_db_that_is_not_a_database(run, corpus, tmp_path):
    bogus = write(tmp_path / "bogus.db", b"this is not sqlite" * 100)
    result = run("export", "--db", bogus)
    assert result.exit_code == 1
    assert f"Error: {bogus}: cannot be opened as a claims database" in result.stderr
    assert_no_traceback(result)


def test_max_bytes_option(run, corpus, db):
    result = run("ingest", corpus, "--db", db, "--max-bytes", "10")
    assert result.exit_code == 1
    assert result.stderr.count("is too large") == 2 and "--max-bytes" in result.stderr


# --- export and reextract ------------------------------------------------------------


@pytest.fixture
def ingested(run, spacy_only, corpus, db) -> Path:
    assert run("ingest", corpus, "--db", db).exit_code == 0
    return db


def test_export_to_stdout(run, ingested):
    result = run("export", "--db", ingested)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == count(ingested, "claims") > 0
    schema = validator(CLAIM_SCHEMA)
    for line in lines:
        record = json.loads(line)
        errors = list(schema.iter_errors(record))
        assert not errors, errors[0].message
    assert result.stderr == ""


def test_export_to_a_file(run, ingested, tmp_path):
    out = tmp_path / "claims.jsonl"
    result = run("export", "--db", ingested, "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"{count(ingested, 'claims')} claims written to {out}\n"
    assert out.read_text(encoding="utf-8") == run("export", "--db", ingested).stdout


def test_reextract_keeps_the_claim_ids(run, ingested, monkeypatch):
    before = run("export", "--db", ingested).stdout
    monkeypatch.setattr("claims.pipeline.load_parser", lambda *a: pytest.fail("reextract loaded a parser"))
    result = run("reextract", "--db", ingested)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"2 document(s) re-extracted: {count(ingested, 'claims')} claims\n"
    after = run("export", "--db", ingested).stdout
    ids = [[json.loads(x)["claim_id"] for x in out.splitlines()] for out in (before, after)]
    assert ids[0] == ids[1] and ids[0]
    assert after == before


@pytest.mark.parametrize("command", ["export", "reextract", "serve"])
def test_missing_database(run, tmp_path, command):
    missing = tmp_path / "nope.db"
    result = run(command, "--db", missing)
    assert result.exit_code == 1
    assert f"Error: {missing}: no such database (fix: run `claims ingest PATH --db {missing}` first)" in result.stderr
    assert_no_traceback(result)
    assert not missing.exists()


# --- help ---------------------------------------------------------------------------


def commands(group: click.Group = cli, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))


def test_top_level_help(run):
    result = run("--help")
    assert result.exit_code == 0
    assert "Attributed claims from dated documents" in result.stdout
    for name, _ in commands():
        assert name[0] in result.stdout


@pytest.mark.parametrize("path", [name for name, _ in commands()], ids=" ".join)
def test_every_command_has_help(run, path):
    command = cli
    for name in path:
        command = command.commands[name]
    assert command.help and command.help.strip(), f"`claims {' '.join(path)}` has no docstring"
    result = run(*path, "--help")
    assert result.exit_code == 0
    first_line = " ".join(command.help.strip().splitlines()[0].split())
    assert first_line in " ".join(result.stdout.split())  # click re-wraps the text

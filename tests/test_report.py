"""Provenance reports in every format, the committed example, escaping, and `claims verify`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from prov.model import ProvDocument
from sqlmodel import Session

from claims.cli import cli
from claims.report import SCHEMA_PATH, build_report, render, report_schema
from claims.store import engine_for

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
NOT_DIRECTING = "be8f49cc99a87ad0:2:6"
BELIEVE = "2facc360daad0bc7:0:7"
REGENERATE = "claims ingest examples/ --db /tmp/x.db && claims report --db /tmp/x.db --claim {claim} --format {fmt} -o reports/{name}.{fmt}"
EXAMPLES = [("iran-directing-militias", NOT_DIRECTING, "md"), ("iran-directing-militias", NOT_DIRECTING, "html"),
            ("iran-directing-militias", NOT_DIRECTING, "json"), ("militia-attack-count", "75aca25d285d458a:3:4", "md")]


def report_text(db: Path, fmt: str, **kwargs: object) -> str:
    with Session(engine_for(db)) as s:
        rep = build_report(s, **kwargs)  # type: ignore[arg-type]
        return render(s, rep, fmt)


@pytest.mark.parametrize(("name", "claim", "fmt"), EXAMPLES)
def test_committed_example_reports_are_reproducible(examples_db: Path, name: str, claim: str, fmt: str) -> None:
    committed = (REPORTS / f"{name}.{fmt}").read_text(encoding="utf-8")
    assert report_text(examples_db, fmt, claim=claim) == committed, "regenerate with: " + REGENERATE.format(claim=claim, fmt=fmt, name=name)


def test_report_schema_matches_the_model() -> None:
    assert json.loads(SCHEMA_PATH.read_text(encoding="utf-8")) == report_schema()


def test_json_report_is_valid_and_complete(examples_db: Path) -> None:
    data = json.loads(report_text(examples_db, "json", entity="Iran"))
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    [iran] = [p for p in data["propositions"] if p["key"] == "iran|direct|group"]
    first = iran["assessments"][0]
    assert first["quote"] == "Iran is not explicitly directing these groups"
    assert first["document"]["content_hash"].startswith("be8f49cc99a87ad0")
    assert first["parser"] == "spacy" and first["extractor_version"]
    assert data["generated_at"] is None and data["data_as_of"] == "2024-02-15"


def test_markdown_report_has_the_timeline(examples_db: Path) -> None:
    text = report_text(examples_db, "md", claim=NOT_DIRECTING)
    assert "> Iran is probably directing some of these groups" in text
    assert "| 2023-11-21 | reversed | positive | probable (probably) |" in text
    assert "- Change: polarity negative → positive; certainty certain (hedging none) → probable (hedging medium); new source: the Pentagon" in text
    assert "4 distinct source(s) (nothing here shows that they are independent)" in text and "independent source" not in text
    assert "example (constructed) → the Pentagon (According to)" in text
    assert "First seen: 2023-11-08; last seen: 2024-02-15" in text


def test_prov_json_reads_back(examples_db: Path) -> None:
    text = report_text(examples_db, "prov", claim=NOT_DIRECTING)
    doc = ProvDocument.deserialize(content=text, format="json")
    kinds = {type(r).__name__ for r in doc.get_records()}
    assert {"ProvEntity", "ProvActivity", "ProvAgent", "ProvDerivation", "ProvAttribution", "ProvGeneration"} <= kinds
    raw = json.loads(text)
    assert "claims:document/be8f49cc99a87ad0" in raw["entity"]
    assert "claims:claim/be8f49cc99a87ad0_2_6" in raw["entity"]
    assert "claims:run/1" in raw["activity"]
    assert any(v.get("prov:type") == "prov:Quotation" or v.get("prov:type", {}).get("$") == "prov:Quotation" for v in raw["wasDerivedFrom"].values())
    assert "claims:tool/claims-0.1.0" in raw["agent"]


def test_claimreview(examples_db: Path) -> None:
    runner = CliRunner()
    args = ["report", "--db", str(examples_db), "--claim", BELIEVE, "--format", "claimreview"]
    r = runner.invoke(cli, [*args, "--rating", "Unproven", "--reviewer", "Example Fact Check"])
    assert r.exit_code == 0, r.output
    review = json.loads(r.output)
    assert review["@type"] == "ClaimReview" and review["claimReviewed"] == "Iran is directing these groups"
    assert review["reviewRating"]["alternateName"] == "Unproven"
    assert review["author"]["name"] == "Example Fact Check"
    dates = [x["datePublished"] for x in review["itemReviewed"]["appearance"]]
    assert dates == ["2023-11-21", "2024-01-29", "2024-02-15"]  # positive appearances only
    r = runner.invoke(cli, args)
    assert r.exit_code == 1 and "--rating and --reviewer" in r.output


def corrupt(examples_db: Path, tmp_path: Path, sql: str, *params: object) -> Path:
    db = tmp_path / "corrupt.db"
    with sqlite3.connect(examples_db) as a, sqlite3.connect(db) as b:
        a.backup(b)
    with sqlite3.connect(db) as c:
        c.execute(sql, params)
    return db


def test_document_text_is_escaped_in_html_and_markdown(examples_db: Path, tmp_path: Path) -> None:
    evil = '<script>alert("x")</script> [click](javascript:alert(1))'
    db = corrupt(examples_db, tmp_path, "UPDATE documents SET title = ?, url = ? WHERE id = 'be8f49cc99a87ad0'", evil, "javascript:alert(1)")
    html = report_text(db, "html", claim=NOT_DIRECTING)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    md = report_text(db, "md", claim=NOT_DIRECTING)
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "[click](javascript" not in md and "\\[click\\](javascript" in md  # shown as written, not a link


def test_verify_passes_on_a_clean_database(examples_db: Path) -> None:
    r = CliRunner().invoke(cli, ["verify", "--db", str(examples_db)])
    assert r.exit_code == 0, r.output
    assert "0 mismatch(es)" in r.output


def test_verify_finds_a_corrupted_quote(examples_db: Path, tmp_path: Path) -> None:
    db = corrupt(examples_db, tmp_path, "UPDATE claims SET text = 'Iran is explicitly directing these groups' WHERE id = ?", NOT_DIRECTING)
    r = CliRunner().invoke(cli, ["verify", "--db", str(db)])
    assert r.exit_code == 1
    assert f"mismatch: claim {NOT_DIRECTING}" in r.output


def test_verify_finds_a_changed_document(examples_db: Path, tmp_path: Path) -> None:
    db = corrupt(examples_db, tmp_path, "UPDATE documents SET text = replace(text, 'not explicitly', 'now openly') WHERE id = 'be8f49cc99a87ad0'")
    r = CliRunner().invoke(cli, ["verify", "--db", str(db)])
    assert r.exit_code == 1
    assert "mismatch: hash be8f49cc99a87ad0" in r.output


def test_report_errors(examples_db: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["report", "--db", str(examples_db)])
    assert r.exit_code == 2
    r = runner.invoke(cli, ["report", "--db", str(examples_db), "--claim", "nope:0:1"])
    assert r.exit_code == 1 and "no claim nope:0:1" in r.output

"""Timelines and change labels: `claims compare` on the sample documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from claims.changes import figures, words_value
from claims.cli import cli


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("more than fifty attacks", [("more than fifty", 50.0, "more than")]),
        ("more than 160 attacks", [("more than 160", 160.0, "more than")]),
        ("two hundred and fifty-three people", [("two hundred and fifty-three", 253.0, None)]),
        ("nearly $1.1 billion", [("nearly $1.1 billion", 1.1e9, "nearly")]),
        ("often a few times", []),  # "ten" inside "often" is not a number
        ("no one was hurt", []),
    ],
)
def test_figures_in_words_and_digits(text: str, expected: list[tuple[str, float, str | None]]) -> None:
    assert [(f.text, f.value, f.qualifier) for f in figures(text)] == expected


def test_figures_skip_dates() -> None:
    text = "carried out more than fifty attacks since October 17"
    start = text.index("October")
    assert [f.value for f in figures(text, [(start, start + len("October 17"))])] == [50.0]
    assert words_value("ninety nine") == 99.0


def compare_json(db: Path, *args: str) -> list[dict]:
    r = CliRunner().invoke(cli, ["compare", "--db", str(db), "--format", "json", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_iran_directing_groups_changes_over_time(examples_db: Path) -> None:
    found = compare_json(examples_db, "--entity", "Iran")
    [iran] = [p for p in found if p["key"] == "iran|direct|group"]
    rows = [(a["date"], a["polarity"], a["certainty"], a["source"], a["changes"]) for a in iran["assessments"]]
    assert rows == [
        ("2023-11-08", "negative", "certain", "the author", ["first seen"]),  # "not explicitly": a scoped negation
        ("2023-11-21", "positive", "probable", "the Pentagon", ["reversed"]),
        ("2024-01-29", "positive", "certain", "US officials", ["strengthened"]),
        ("2024-02-15", "positive", "probable", "Intelligence officials", ["weakened"]),
    ]
    # one stored label per claim; the detail says everything that changed
    assert "new source: US officials" in iran["assessments"][2]["change_detail"]
    assert iran["label"] == "Iran is directing these groups"  # neutral: no negation, hedge or source
    assert iran["assessments"][0]["cues"] == ["explicitly"]
    assert iran["first_seen"] == "2023-11-08" and iran["last_seen"] == "2024-02-15"
    assert iran["n_sources"] == 4 and iran["changed"] is True


def test_attack_count_is_a_figure_change(examples_db: Path) -> None:
    [p] = compare_json(examples_db, "--query", "160 attacks")
    last = p["assessments"][-1]
    assert last["date"] == "2024-01-29"
    assert last["change"] == "figure changed"
    assert "more than fifty → more than 160" in last["change_detail"]
    before = [a for a in p["assessments"] if a["date"] == "2023-11-21"][0]
    assert [f["value"] for f in before["figures"]] == [50.0]  # "since October 17" is a date, not a figure


def test_since_and_until_narrow_the_timeline(examples_db: Path) -> None:
    found = compare_json(examples_db, "--entity", "Iran", "--since", "2024-01-01", "--until", "15 February 2024")
    [iran] = [p for p in found if p["key"] == "iran|direct|group"]
    assert [a["date"] for a in iran["assessments"]] == ["2024-01-29", "2024-02-15"]
    # the stored label, against the claim before it (outside the window): one meaning of "changed"
    first = iran["assessments"][0]
    assert first["change"] == "strengthened" and first["previous_claim_id"] is not None


def test_compare_table_for_humans(examples_db: Path) -> None:
    r = CliRunner().invoke(cli, ["compare", "--db", str(examples_db), "--entity", "Iran", "--changed"])
    assert r.exit_code == 0, r.output
    assert "Iran is directing these groups" in r.output
    assert "reversed" in r.output and "Intelligence officials" in r.output


def test_compare_errors(examples_db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["compare", "--db", str(examples_db), "--entity", "Atlantis"])
    assert r.exit_code == 1 and "no claim mentions the entity 'Atlantis'" in r.output
    r = runner.invoke(cli, ["compare", "--db", str(examples_db), "--proposition", "99999"])
    assert r.exit_code == 1 and "no proposition 99999" in r.output
    r = runner.invoke(cli, ["compare", "--db", str(tmp_path / "missing.db")])
    assert r.exit_code == 1 and "no such database" in r.output

"""Extraction on hand-checked UD v2 parses, compared with expected JSON exactly.

The fixtures in ``tests/data/*.conllu`` are parsed by hand (no model), so these
tests say what the extractors do with a correct tree. To accept new output
after a deliberate change, run with ``CLAIMS_UPDATE_EXPECTED=1`` and review the
diff of ``tests/expected/``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import CLAIM_SCHEMA, DATA, rows, validator

from claims.export import records
from claims.pipeline import Ingest

EXPECTED = Path(__file__).resolve().parent / "expected"
UPDATE = os.environ.get("CLAIMS_UPDATE_EXPECTED") == "1"
VOLATILE = {"extractor_version"}  # changes with every lexicon edit, not with the output
# Expected files corrected by hand where the extractor is wrong (their tests are xfail):
# an update must not overwrite them with the wrong output.
HAND_CORRECTED: set[str] = set()


def exported(conllu: Path, db: Path) -> list[dict]:
    result = Ingest(db, parser="conllu").run([conllu])
    assert result.ok, result.problems
    out = [{k: v for k, v in rec.items() if k not in VOLATILE} for rec in records(db)]
    schema = validator(CLAIM_SCHEMA)
    for rec in records(db):
        assert not list(schema.iter_errors(rec))
    return out


def check(name: str, db: Path) -> list[dict]:
    got = exported(DATA / f"{name}.conllu", db)
    path = EXPECTED / f"{name}.json"
    if UPDATE and name not in HAND_CORRECTED:
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert got == expected
    return got


def only(claims: list[dict], text: str) -> dict:
    found = [c for c in claims if c["text"] == text]
    assert len(found) == 1, [c["text"] for c in claims]
    return found[0]


def test_negated_attribution(db):
    """Officials said that Iran is not directing the groups."""
    claims = check("negated_attribution", db)
    assert [c["text"] for c in claims] == ["Iran is not directing the groups"]  # the frame is not a claim
    c = claims[0]
    assert (c["polarity"], c["certainty"]) == ("negative", "certain")
    assert (c["subject"], c["predicate"], c["object"]) == ("Iran", "direct", "the groups")
    assert c["attribution"]["source_text"] == "Officials"
    assert c["attribution"]["cue"] == "said"
    assert [x["source_text"] for x in c["attribution"]["chain"]] == ["the author", "Officials"]


def test_according_to(db):
    """According to the Pentagon, Iran is probably directing some of these groups."""
    c = only(check("according_to", db), "Iran is probably directing some of these groups")
    assert (c["polarity"], c["certainty"], c["certainty_term"]) == ("positive", "probable", "probably")
    assert c["attribution"]["source_text"] == "the Pentagon"
    assert c["attribution"]["cue"] == "According to"


def test_remains_unclear(db):
    """It remains unclear whether Tehran approved the strike."""
    claims = check("remains_unclear", db)
    c = only(claims, "Tehran approved the strike")
    assert c["certainty"] == "unknown"
    assert c["polarity"] == "positive"
    assert len(claims) == 1  # the frame qualifies X; it is not a claim itself


def test_could_escalate(db):
    """The attacks could escalate."""
    (c,) = check("could_escalate", db)
    assert c["text"] == "The attacks could escalate"
    assert (c["certainty"], c["certainty_term"]) == ("possible", "could")
    # the author says so: exported as the desk shows it, the document's author, flagged implicit
    assert (c["attribution"]["source_type"], c["attribution"]["implicit"], c["attribution"]["cue"]) == ("author", True, None)
    assert [x["source_text"] for x in c["attribution"]["chain"]] == ["the author"]
    assert [(h["text"], h["kind"]) for h in c["hedge_cues"]] == [("could", "epistemic")]


def test_two_level_chain(db):
    """Officials said intelligence reveals that militias are preparing attacks."""
    c = only(check("chain", db), "militias are preparing attacks")
    chain = c["attribution"]["chain"]
    assert [(x["source_text"], x["cue"]) for x in chain] == [("the author", None), ("Officials", "said"), ("intelligence", "reveals")]
    assert c["attribution"]["source_text"] == "intelligence"


def test_offsets_point_into_the_document(db):
    for fixture in sorted(DATA.glob("*.conllu")):
        Ingest(db, parser="conllu").run([fixture])
    texts = dict(rows(db, "select id, text from documents"))
    for rec in records(db):
        text = texts[rec["document_id"]]
        assert text[rec["start_char"] : rec["end_char"]] == rec["text"]
        assert rec["text"] in rec["sentence_text"]
        for cue in rec["hedge_cues"]:
            assert text[cue["start_char"] : cue["end_char"]] == cue["text"]


@pytest.mark.skipif(UPDATE, reason="rewriting the expected files")
def test_every_fixture_has_expected_output():
    assert sorted(p.stem for p in DATA.glob("*.conllu")) == sorted(p.stem for p in EXPECTED.glob("*.json"))

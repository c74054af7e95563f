"""The export matches its JSON Schema, and the schema matches the models."""

from __future__ import annotations

import json

import jsonschema

from claims.export import SCHEMA_PATH, claim_schema, records


def test_committed_schema_is_generated_from_models():
    committed = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert committed == claim_schema(), "schema/claim.schema.json drifted: run `claims schema --write`"


# ClaimBase fields the record carries in another shape, not as a field of its own
EXPORTED_OTHERWISE = {
    "doc_month": "doc_date says it",
    "source_text": "attribution.source_text",
    "source_type": "attribution.source_type",
    "attribution_cue": "attribution.cue",
}


def test_the_export_shape_is_derived_from_the_claim():
    """Each stored claim field is in the record with ClaimBase's type, or named here with where it
    went: a field added to ClaimBase fails this until the export says what it does with it."""
    from claims import model as m

    base = m.ClaimBase.model_fields
    record = m.ClaimRecord.model_fields
    assert set(base) - set(m.CLAIM_FIELDS_EXPORTED) == set(EXPORTED_OTHERWISE)
    for name in m.CLAIM_FIELDS_EXPORTED:
        assert record[name].annotation == base[name].annotation, name
        assert record[name].is_required(), name  # present in every record, null where allowed
    assert list(record) == list(claim_schema()["required"])


def test_every_exported_record_validates(examples_db):
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    out = list(records(examples_db))
    assert len(out) > 30
    for rec in out:
        errors = list(validator.iter_errors(rec))
        assert not errors, (rec["claim_id"], errors[0].message)


def test_offsets_point_at_the_claim_text(examples_db):
    import sqlite3

    conn = sqlite3.connect(examples_db)
    texts = dict(conn.execute("select id, text from documents"))
    for rec in records(examples_db):
        assert texts[rec["document_id"]][rec["start_char"] : rec["end_char"]] == rec["text"]
        for cue in rec["hedge_cues"]:
            assert texts[rec["document_id"]][cue["start_char"] : cue["end_char"]] == cue["text"]


def test_author_asserted_claims_export_the_author(tmp_path):
    """What the desk shows: the document's author (its --source, else "the author"), flagged implicit."""
    from helpers import DATA

    from claims.pipeline import Ingest

    db = tmp_path / "c.db"
    assert Ingest(db, parser="conllu", source="Pentagon press office").run([DATA / "could_escalate.conllu"]).ok
    (rec,) = records(db)
    assert rec["attribution"] == {
        "source_text": "Pentagon press office",
        "source_type": "author",
        "cue": None,
        "implicit": True,
        "chain": [{"source_text": "Pentagon press office", "source_type": "author", "cue": None}],
    }
    assert Ingest(db, parser="conllu").run([DATA / "negated_attribution.conllu"]).ok
    named = [r for r in records(db) if r["attribution"]["source_text"] == "Officials"]
    assert named and named[0]["attribution"]["implicit"] is False


def test_author_share_of_the_examples(examples_db):
    """Every claim names who asserts it; most in the examples are the author's, exported as such."""
    out = list(records(examples_db))
    implicit = [r for r in out if r["attribution"]["implicit"]]
    assert implicit and all(r["attribution"]["source_type"] == "author" and r["attribution"]["chain"][0] == {
        "source_text": r["doc_source"] or "the author", "source_type": "author", "cue": None} for r in implicit)

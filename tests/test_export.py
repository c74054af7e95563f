"""The export matches its JSON Schema, and the schema matches the models."""

from __future__ import annotations

import json

import jsonschema

from claims.export import SCHEMA_PATH, claim_schema, records


def test_committed_schema_is_generated_from_models():
    committed = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert committed == claim_schema(), "schema/claim.schema.json drifted: run `claims schema --write`"


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

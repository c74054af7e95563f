"""Helpers shared by the ingest, CLI, store and reliability tests (no fixtures here)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CLAIM_SCHEMA = ROOT / "schema" / "claim.schema.json"
DOCUMENT_SCHEMA = ROOT / "schema" / "document.schema.json"

GOOD_TEXT = "date 2023-11-08\nOfficials said that Iran is not directing the groups.\n"


def write(path: Path, content: str | bytes) -> Path:
    """Write text (as UTF-8, newlines untouched) or bytes; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def validator(schema_path: Path) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_path.read_text(encoding="utf-8")))


def rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def count(db: Path, table: str, where: str = "1", *args: Any) -> int:
    return int(rows(db, f"select count(*) from {table} where {where}", *args)[0][0])


def assert_whole_documents(db: Path) -> None:
    """No document is half-written: its sentence and claim rows match its counts."""
    for doc_id, n_sentences, n_claims in rows(db, "select id, n_sentences, n_claims from documents"):
        assert count(db, "sentences", "document_id = ?", doc_id) == n_sentences, doc_id
        assert count(db, "claims", "document_id = ?", doc_id) == n_claims, doc_id

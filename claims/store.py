"""The SQLite store: opening it, writing one document per transaction, reading claims back.

SQLite in WAL mode (readers such as Datasette are never blocked by an ingest),
foreign keys on, FTS5 over claim and sentence text kept in step by triggers,
and indexes on what Datasette sorts and facets by.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine, delete, select

from . import model as m
from .errors import StoreError
from .extract.types import ClaimCandidate

FTS_SQL = [
    # external-content FTS5 tables: the text lives once, in claims and sentences
    """CREATE VIRTUAL TABLE IF NOT EXISTS claims_fts USING fts5(
        text, subject, object, source_text, content='claims', content_rowid='rowid')""",
    """CREATE TRIGGER IF NOT EXISTS claims_ai AFTER INSERT ON claims BEGIN
        INSERT INTO claims_fts(rowid, text, subject, object, source_text)
        VALUES (new.rowid, new.text, new.subject, new.object, new.source_text); END""",
    """CREATE TRIGGER IF NOT EXISTS claims_ad AFTER DELETE ON claims BEGIN
        INSERT INTO claims_fts(claims_fts, rowid, text, subject, object, source_text)
        VALUES ('delete', old.rowid, old.text, old.subject, old.object, old.source_text); END""",
    """CREATE TRIGGER IF NOT EXISTS claims_au AFTER UPDATE ON claims BEGIN
        INSERT INTO claims_fts(claims_fts, rowid, text, subject, object, source_text)
        VALUES ('delete', old.rowid, old.text, old.subject, old.object, old.source_text);
        INSERT INTO claims_fts(rowid, text, subject, object, source_text)
        VALUES (new.rowid, new.text, new.subject, new.object, new.source_text); END""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS sentences_fts USING fts5(
        text, content='sentences', content_rowid='rowid')""",
    """CREATE TRIGGER IF NOT EXISTS sentences_ai AFTER INSERT ON sentences BEGIN
        INSERT INTO sentences_fts(rowid, text) VALUES (new.rowid, new.text); END""",
    # proposition linking reads the most recent claims of one predicate
    "CREATE INDEX IF NOT EXISTS ix_claims_predicate_date ON claims (predicate, doc_date)",
    """CREATE TRIGGER IF NOT EXISTS sentences_ad AFTER DELETE ON sentences BEGIN
        INSERT INTO sentences_fts(sentences_fts, rowid, text) VALUES ('delete', old.rowid, old.text); END""",
    # the unattributed_claims canned query in the order it lists them: no sort, stops at the
    # page size (1M-claim archive: 8.4 s -> 5 ms; docs/performance.md)
    """CREATE INDEX IF NOT EXISTS ix_claims_author_date
        ON claims (source_type, doc_date DESC, document_id, start_char)""",
]


@event.listens_for(Engine, "connect")
def _pragmas(dbapi_conn: Any, _record: Any) -> None:
    if isinstance(dbapi_conn, sqlite3.Connection):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        # with WAL, NORMAL never corrupts the file; only a power cut can lose the last commits
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


def engine_for(db: str | Path) -> Engine:
    """An engine on the database file, its tables, FTS and WAL mode set up."""
    path = Path(db)
    if str(db) != ":memory:":
        if path.exists() and path.is_dir():
            raise StoreError("is a directory, not a database file", path=str(db), fix="give a file path such as db/claims.db")
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as conn:
            if str(db) != ":memory:":
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            SQLModel.metadata.create_all(conn)
            for sql in FTS_SQL:
                conn.exec_driver_sql(sql)
    except Exception as e:  # sqlite3.DatabaseError: not a database, locked, read-only
        if "sqlite" in type(e).__module__ or "DatabaseError" in type(e).__name__ or "OperationalError" in type(e).__name__:
            raise StoreError(
                f"cannot be opened as a claims database ({getattr(e, 'orig', e)})",
                path=str(db),
                fix="check the path, or remove the file to start a new database",
            ) from None
        raise
    return engine


@contextmanager
def session(db: str | Path) -> Iterator[Session]:
    engine = engine_for(db)
    with Session(engine) as s:
        yield s
    engine.dispose()


def has_document(s: Session, content_hash: str) -> bool:
    return s.exec(select(m.Document.id).where(m.Document.content_hash == content_hash)).first() is not None


def claim_rows(
    claim_id: str, c: ClaimCandidate, author: str
) -> tuple[list[m.Attribution], list[m.HedgeCueRow], list[m.TimeRefRow]]:
    chain = [
        m.Attribution(
            claim_id=claim_id,
            depth=i,
            source_text=s.text,
            source_type=m.SourceType(s.source_type),
            source_start=s.span.start_char if s.span else None,
            source_end=s.span.end_char if s.span else None,
            cue=s.cue,
            cue_start=s.cue_span.start_char if s.cue_span else None,
            cue_end=s.cue_span.end_char if s.cue_span else None,
        )
        for i, s in enumerate(c.sources)
    ]
    # the extractor's records carry exactly the columns' names
    hedges = [m.HedgeCueRow(claim_id=claim_id, **{**asdict(h), "kind": m.HedgeKind(h.kind)}) for h in c.hedge_cues]
    times = [m.TimeRefRow(claim_id=claim_id, **asdict(t)) for t in c.time_refs]
    return chain, hedges, times


def entity_id(s: Session, canonical: str, label: str, cache: dict[tuple[str, str], int]) -> int:
    key = (canonical, label)
    if key not in cache:
        found = s.exec(select(m.Entity).where(m.Entity.canonical == canonical, m.Entity.label == label)).first()
        if found is None:
            found = m.Entity(canonical=canonical, label=label)
            s.add(found)
            s.flush()
        assert found.id is not None
        cache[key] = found.id
    return cache[key]


def write_claims(
    s: Session,
    doc: m.Document,
    sentence_ids: list[str],
    candidates: Iterable[ClaimCandidate],
    parser: str,
    version: str,
) -> list[m.Claim]:
    """Claim rows and their children for one document, in the caller's transaction."""
    author = doc.source or "the author"
    cache: dict[tuple[str, str], int] = {}
    per_sentence: dict[str, int] = {}
    pairs: list[tuple[m.Claim, ClaimCandidate]] = []
    for c in candidates:
        sid = sentence_ids[c.sentence_index]
        inner = c.sources[-1] if c.sources else None
        claim = m.Claim(
            id=f"{sid}:{c.head_id}",
            document_id=doc.id,
            sentence_id=sid,
            doc_date=doc.doc_date,
            doc_month=doc.doc_month,
            text=c.text,
            start_char=c.start_char,
            end_char=c.end_char,
            subject=c.subject,
            predicate=c.predicate,
            object=c.object,
            clause_type=c.clause_type,
            polarity=m.Polarity(c.polarity),
            certainty=m.Certainty(c.certainty),
            certainty_term=c.certainty_term,
            hedge_level=m.HedgeLevel(c.hedge_level),
            source_text=inner.text if inner else author,
            source_type=m.SourceType(inner.source_type if inner else "author"),
            attribution_cue=inner.cue if inner else None,
            parser=parser,
            extractor_version=version,
            proposition_key=c.proposition_key,
        )
        pairs.append((claim, c))
        per_sentence[sid] = per_sentence.get(sid, 0) + 1
    # parents first: rows have no ORM relationships to order the inserts by
    s.add_all([claim for claim, _ in pairs])
    s.flush()
    with s.no_autoflush:
        rows = _child_rows(s, pairs, author, cache)
    s.add_all(rows)
    s.flush()
    written = [claim for claim, _ in pairs]
    for sid in sentence_ids:
        sent = s.get(m.Sentence, sid)
        if sent is not None:
            sent.n_claims = per_sentence.get(sid, 0)
            s.add(sent)
    doc.n_claims = len(written)
    s.add(doc)
    return written


def _child_rows(s: Session, pairs: list[tuple[m.Claim, ClaimCandidate]], author: str, cache: dict[tuple[str, str], int]) -> list[Any]:
    """Attribution, hedge, time and entity rows of the claims (entities looked up or created)."""
    rows: list[Any] = []
    for claim, c in pairs:
        chain, hedges, times = claim_rows(claim.id, c, author)
        rows += [*chain, *hedges, *times]
        seen: set[tuple[int, str]] = set()
        for mention in c.mentions:
            eid = entity_id(s, mention.canonical, mention.label, cache)
            if (eid, mention.text) in seen:
                continue
            seen.add((eid, mention.text))
            rows.append(m.ClaimEntity(claim_id=claim.id, entity_id=eid, text=mention.text, start_char=mention.start_char, end_char=mention.end_char))
    return rows


def delete_claims(s: Session, document_id: str) -> None:
    """Remove a document's claims and everything hanging off them (for re-extraction)."""
    ids = [cid for cid in s.exec(select(m.Claim.id).where(m.Claim.document_id == document_id))]
    if not ids:
        return
    for table in (m.Attribution, m.HedgeCueRow, m.TimeRefRow, m.ClaimEntity):
        s.exec(delete(table).where(table.claim_id.in_(ids)))  # type: ignore[attr-defined, call-overload]
    s.exec(delete(m.Claim).where(m.Claim.document_id == document_id))  # type: ignore[call-overload, arg-type]
    s.expire_all()

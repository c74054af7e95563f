"""The SQLite store: opening it, writing whole documents (several a transaction: pipeline.Writer), reading claims back.

SQLite in WAL mode (readers such as Datasette are never blocked by an ingest),
foreign keys on, FTS5 over claim and sentence text kept in step by triggers,
and indexes on what Datasette sorts and facets by.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Table, event, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine, select

from . import model as m
from .errors import StoreError
from .extract.types import ClaimCandidate

T = TypeVar("T")

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
    # only a change of the indexed text re-indexes it (linking updates proposition_id on every claim)
    """CREATE TRIGGER IF NOT EXISTS claims_au AFTER UPDATE OF text, subject, object, source_text ON claims BEGIN
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
    # Datasette on a 1M-claim archive (docs/performance.md):
    # a proposition's claims in date order: first/last claim of assessment_changes in its period
    """CREATE INDEX IF NOT EXISTS ix_claims_proposition_date
        ON claims (proposition_id, doc_date, document_id, start_char)""",
    # the entity facet and claims_about: an entity's claims without visiting the mention rows
    "CREATE INDEX IF NOT EXISTS ix_claim_entities_entity_claim ON claim_entities (entity_id, claim_id)",
    # claims_about and ?_entity=: a mention as written, case-insensitive
    "CREATE INDEX IF NOT EXISTS ix_claim_entities_text_nocase ON claim_entities (text COLLATE NOCASE)",
    # the coverage query: sentences nothing was extracted from, per document in order
    """CREATE INDEX IF NOT EXISTS ix_sentences_uncovered
        ON sentences (document_id, "index") WHERE n_claims = 0""",
    # propositions most stated first (the propositions table, the home page's start panel)
    "CREATE INDEX IF NOT EXISTS ix_propositions_n_claims ON propositions (n_claims)",
    # the sources query: every column it reads, grouped as it groups them, so it never reads
    # the claims' rows (unfiltered, 1M claims: ~3 s, over the time limit -> ~1 s)
    """CREATE INDEX IF NOT EXISTS ix_claims_sources ON claims (source_text, source_type, document_id,
        certainty, hedge_level, polarity, attribution_cue, doc_date)""",
    # a source's page (/-/source): its claims by name, case-insensitively, newest first, its counts
    # by certainty and polarity and its propositions, from the index alone
    """CREATE INDEX IF NOT EXISTS ix_claims_source_nocase ON claims (source_text COLLATE NOCASE, doc_date,
        document_id, start_char, source_type, certainty, polarity, proposition_id)""",
    # how many claims mention each entity, kept by triggers in the same transaction as the
    # mentions (like an index): the Datasette entity facet over every claim reads 1,700 rows
    # instead of counting 1.2M mentions. A claim that names an entity twice counts once.
    """CREATE TABLE IF NOT EXISTS entity_claim_counts (
        entity_id INTEGER PRIMARY KEY, n_claims INTEGER NOT NULL)""",
    """CREATE TRIGGER IF NOT EXISTS entity_claim_counts_ai AFTER INSERT ON claim_entities
        WHEN NOT EXISTS (SELECT 1 FROM claim_entities WHERE claim_id = new.claim_id
                         AND entity_id = new.entity_id AND text != new.text) BEGIN
        INSERT INTO entity_claim_counts (entity_id, n_claims) VALUES (new.entity_id, 1)
        ON CONFLICT (entity_id) DO UPDATE SET n_claims = n_claims + 1; END""",
    """CREATE TRIGGER IF NOT EXISTS entity_claim_counts_ad AFTER DELETE ON claim_entities
        WHEN NOT EXISTS (SELECT 1 FROM claim_entities WHERE claim_id = old.claim_id
                         AND entity_id = old.entity_id) BEGIN
        UPDATE entity_claim_counts SET n_claims = n_claims - 1 WHERE entity_id = old.entity_id; END""",
    """CREATE TRIGGER IF NOT EXISTS entity_claim_counts_au AFTER UPDATE OF claim_id, entity_id ON claim_entities
        WHEN old.claim_id IS NOT new.claim_id OR old.entity_id IS NOT new.entity_id BEGIN
        UPDATE entity_claim_counts SET n_claims = n_claims - 1 WHERE entity_id = old.entity_id
          AND NOT EXISTS (SELECT 1 FROM claim_entities WHERE claim_id = old.claim_id AND entity_id = old.entity_id);
        INSERT INTO entity_claim_counts (entity_id, n_claims)
          SELECT new.entity_id, 1 WHERE (SELECT count(*) FROM claim_entities
            WHERE claim_id = new.claim_id AND entity_id = new.entity_id) = 1
        ON CONFLICT (entity_id) DO UPDATE SET n_claims = n_claims + 1; END""",
    # a database from before the table: count once (a no-op when the counts exist or nothing is stored)
    """INSERT INTO entity_claim_counts (entity_id, n_claims)
        SELECT entity_id, count(DISTINCT claim_id) FROM claim_entities
        WHERE NOT EXISTS (SELECT 1 FROM entity_claim_counts) GROUP BY entity_id""",
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
            _add_missing_columns(conn)
            for sql in FTS_SQL:
                _replace_if_changed(conn, sql)
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


# columns added since a database was made: what fills them in on one made before
BACKFILL = {
    ("propositions", "n_changes"): """UPDATE propositions SET n_changes = (
        SELECT count(*) FROM claims WHERE claims.proposition_id = propositions.id AND claims.change_label NOT IN ('first_seen', 'repeated'))""",
    ("propositions", "n_assessments"): """UPDATE propositions SET n_assessments = (
        SELECT count(DISTINCT certainty || ', ' || polarity) FROM claims WHERE claims.proposition_id = propositions.id)""",
}


def _add_missing_columns(conn: Any) -> None:
    """Bring a database made by an earlier version up to the models: add the columns it lacks, filled in.

    ``create_all`` makes missing tables but never alters one that exists.
    """
    for table in SQLModel.metadata.sorted_tables:
        have = {row[1] for row in conn.exec_driver_sql(f'PRAGMA table_info("{table.name}")')}
        for column in table.columns:
            if column.name in have:
                continue
            default = getattr(column.default, "arg", None)
            if callable(default):
                default = None
            if isinstance(default, Enum):
                default = default.value
            ddl = f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {column.type.compile(dialect=conn.dialect)}'
            if default is not None:
                literal = str(int(default)) if isinstance(default, bool | int) else "'" + str(default).replace("'", "''") + "'"
                ddl += f" NOT NULL DEFAULT {literal}" if not column.nullable else f" DEFAULT {literal}"
            conn.exec_driver_sql(ddl)
            if (table.name, column.name) in BACKFILL:
                conn.exec_driver_sql(BACKFILL[table.name, column.name])


def _replace_if_changed(conn: Any, sql: str) -> None:
    """Drop a trigger or index whose stored definition differs from ``sql``, so that ``sql`` makes it anew."""
    words = sql.split()
    if words[:1] != ["CREATE"] or "IF NOT EXISTS" not in sql or words[1] not in ("TRIGGER", "INDEX"):
        return
    name = words[5]
    row = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    if row is not None and row[0] != sql.replace("IF NOT EXISTS ", "", 1):
        conn.exec_driver_sql(f'DROP {words[1]} "{name}"')


@contextmanager
def session(db: str | Path) -> Iterator[Session]:
    engine = engine_for(db)
    with Session(engine) as s:
        yield s
    engine.dispose()


def has_document(s: Session, content_hash: str) -> bool:
    return s.exec(select(m.Document.id).where(m.Document.content_hash == content_hash)).first() is not None


# --- writing claims -------------------------------------------------------------------------
# Rows are plain tuples inserted with one sqlite3 executemany per table (``insert_rows``, on the
# session's connection, so in the caller's transaction): building ORM objects cost more
# than SQLite did (docs/performance.md). The FTS triggers fire on these inserts as on any.

def table(model: type[SQLModel]) -> Table:
    """The Core table of a model (for ``insert``)."""
    t: Table = model.__table__  # type: ignore[attr-defined]
    return t


CLAIMS = table(m.Claim)
CHILD_TABLES = {
    "attributions": table(m.Attribution),
    "hedge_cues": table(m.HedgeCueRow),
    "time_refs": table(m.TimeRefRow),
}
def columns(model: type[SQLModel], without: Iterable[str] = ("id", "claim_id")) -> tuple[str, ...]:
    """A table's column names in the model's order, less those named (its own id, its claim's)."""
    skip = set(without)
    return tuple(c.name for c in table(model).columns if c.name not in skip)


# a claim's columns that extraction sets: not its proposition, the change labels linking
# computes (claims.changes), nor when it was written
SET_AT_LINK_TIME = ("proposition_id", "change_label", "change_detail", "previous_claim_id")
# (its id first: stored_claim_rows keys by it)
CLAIM_COLUMNS = ("id", *columns(m.Claim, without=("id", *SET_AT_LINK_TIME, "extracted_at")))
ATTRIBUTION_COLUMNS = columns(m.Attribution)
HEDGE_COLUMNS = columns(m.HedgeCueRow)
TIME_COLUMNS = columns(m.TimeRefRow)
# a mention names its entity (canonical, label), resolved to entities.id when written
MENTION_COLUMNS = columns(m.Entity) + columns(m.ClaimEntity, without=("claim_id", "entity_id"))


@dataclass
class ClaimRows:
    """One claim as rows: the claim's columns, and its children's (entities by name, not yet by id)."""

    claim: dict[str, Any]
    attributions: list[tuple[Any, ...]] = field(default_factory=list)  # ATTRIBUTION_COLUMNS
    hedges: list[tuple[Any, ...]] = field(default_factory=list)  # HEDGE_COLUMNS
    times: list[tuple[Any, ...]] = field(default_factory=list)  # TIME_COLUMNS
    mentions: list[tuple[Any, ...]] = field(default_factory=list)  # MENTION_COLUMNS, one per (entity, text)

    @property
    def id(self) -> str:
        return str(self.claim["id"])

    def content(self) -> tuple[Any, ...]:
        """Everything extraction decided about the claim: equal content means an identical rewrite."""
        return (tuple(self.claim[k] for k in CLAIM_COLUMNS), self.attributions, self.hedges, self.times, self.mentions)

    def linking_inputs(self) -> tuple[Any, ...]:
        """What proposition linking reads of the claim (:func:`linked_parts`), besides its sentence's words."""
        def picked(rows: list[tuple[Any, ...]], cols: tuple[str, ...], *names: str) -> list[tuple[Any, ...]]:
            at = [cols.index(n) for n in names]
            return [tuple(r[i] for i in at) for r in rows]

        parts = linked_parts(
            hedges=picked(self.hedges, HEDGE_COLUMNS, "start_char", "end_char"),
            times=picked(self.times, TIME_COLUMNS, "start_char", "end_char", "value"),
            sources=picked(self.attributions, ATTRIBUTION_COLUMNS, "source_start", "source_end", "cue_start", "cue_end"),
            mentions=picked(self.mentions, MENTION_COLUMNS, "start_char", "end_char", "canonical"),
        )
        return (tuple(self.claim[k] for k in LINKED_COLUMNS), parts)


# What proposition linking reads of a claim: these columns of it, and linked_parts of its
# children (propositions.claim_views builds each ClaimView from the same two; a rewrite that
# changes none of them keeps the claim's link, ClaimRows.linking_inputs). doc_date: linking
# matches a claim to earlier ones.
LINKED_COLUMNS = ("sentence_id", "doc_date", "text", "start_char", "end_char", "proposition_key", "predicate")


class LinkedParts(NamedTuple):
    masked: list[tuple[int, int]]  # hedge cues, attribution sources and cues, time expressions
    entities: list[tuple[int, int, str]]  # start, end, canonical
    times: list[tuple[int, int]]
    time_values: list[str]  # resolved values: the years of the time-scope check


def linked_parts(
    hedges: Iterable[tuple[Any, ...]],
    times: Iterable[tuple[Any, ...]],
    sources: Iterable[tuple[Any, ...]],
    mentions: Iterable[tuple[Any, ...]],
) -> LinkedParts:
    """From a claim's hedge spans, (start, end, value) of its times, (source_start, source_end,
    cue_start, cue_end) of its attributions and (start, end, canonical) of its mentions."""
    times = list(times)
    spans = [(lo, hi) for lo, hi, _ in times]
    named = [span for a in sources for span in ((a[0], a[1]), (a[2], a[3])) if None not in span]
    return LinkedParts(
        masked=sorted([*((lo, hi) for lo, hi in hedges), *spans, *named]),
        entities=sorted((lo, hi, name) for lo, hi, name in mentions),
        times=sorted(spans),
        time_values=sorted(v for _, _, v in times if v),
    )


def _value(x: Any) -> Any:
    return x.value if isinstance(x, Enum) else x


def claim_rows(
    doc: m.Document, sentence_ids: list[str], candidates: Iterable[ClaimCandidate], parser: str, version: str
) -> list[ClaimRows]:
    """The rows of a document's claims (pure: no database). Enumerations as their stored strings."""
    author = doc.source or "the author"
    out: list[ClaimRows] = []
    for c in candidates:
        sid = sentence_ids[c.sentence_index]
        inner = c.sources[-1] if c.sources else None
        claim = {
            "id": f"{sid}:{c.head_id}",
            "document_id": doc.id,
            "sentence_id": sid,
            "doc_date": doc.doc_date,
            "doc_month": doc.doc_month,
            "text": c.text,
            "start_char": c.start_char,
            "end_char": c.end_char,
            "subject": c.subject,
            "predicate": c.predicate,
            "object": c.object,
            "clause_type": c.clause_type,
            "polarity": m.Polarity(c.polarity).value,
            "certainty": m.Certainty(c.certainty).value,
            "certainty_term": c.certainty_term,
            "hedge_level": m.HedgeLevel(c.hedge_level).value,
            "source_text": inner.text if inner else author,
            "source_type": m.SourceType(inner.source_type if inner else "author").value,
            "attribution_cue": inner.cue if inner else None,
            "parser": parser,
            "extractor_version": version,
            "proposition_key": c.proposition_key,
            "estimative_band": c.estimative_band,
            "confidence": c.confidence,
            "statement_date": c.statement_date,
            "statement_date_text": c.statement_date_text,
        }
        rows = ClaimRows(claim)
        for i, s in enumerate(c.sources):
            rows.attributions.append((
                i,
                s.text,
                m.SourceType(s.source_type).value,
                s.span.start_char if s.span else None,
                s.span.end_char if s.span else None,
                s.cue,
                s.cue_span.start_char if s.cue_span else None,
                s.cue_span.end_char if s.cue_span else None,
            ))
        # the extractor's records carry exactly the columns' names
        rows.hedges = [tuple(_value(getattr(h, k)) for k in HEDGE_COLUMNS) for h in c.hedge_cues]
        for h in rows.hedges:
            m.HedgeKind(h[3])  # an unknown kind fails here, as the model's enumeration would
        rows.times = [tuple(getattr(t, k) for k in TIME_COLUMNS) for t in c.time_refs]
        seen: set[tuple[str, str, str]] = set()
        for mention in c.mentions:
            key = (mention.canonical, mention.label, mention.text)
            if key in seen:  # one row per entity and wording (the table's primary key)
                continue
            seen.add(key)
            rows.mentions.append((mention.canonical, mention.label, mention.text, mention.start_char, mention.end_char))
        out.append(rows)
    return out


def entity_ids(s: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Ids of (canonical, label) entities, created (in first-seen order) where missing: three queries at most per 500."""
    wanted = list(dict.fromkeys(keys))
    conn = s.connection()
    found: dict[tuple[str, str], int] = {}

    def lookup(names: list[str]) -> None:
        for chunk in chunks(sorted(set(names))):
            marks = ",".join("?" * len(chunk))
            for eid, canonical, label in conn.exec_driver_sql(
                f"SELECT id, canonical, label FROM entities WHERE canonical IN ({marks})", tuple(chunk)
            ):
                found[(canonical, label)] = eid

    lookup([k[0] for k in wanted])
    missing = [k for k in wanted if k not in found]
    if missing:
        conn.execute(insert(table(m.Entity)), [{"canonical": c, "label": lab} for c, lab in missing])
        lookup([k[0] for k in missing])
    return {k: found[k] for k in wanted}


def entity_id(s: Session, canonical: str, label: str, cache: dict[tuple[str, str], int]) -> int:
    """One entity's id, created if missing (``cache`` keeps what this caller has looked up)."""
    key = (canonical, label)
    if key not in cache:
        cache.update(entity_ids(s, [key]))
    return cache[key]


def insert_claims(s: Session, rows: list[ClaimRows], proposition_ids: dict[str, int] | None = None) -> None:
    """Insert claims and their children (parents first: no ORM here to order them), in the caller's transaction."""
    if not rows:
        return
    pids = proposition_ids or {}
    insert_rows(s, CLAIMS, (*CLAIM_COLUMNS, "proposition_id"), [(*(r.claim[k] for k in CLAIM_COLUMNS), pids.get(r.id)) for r in rows])
    for name, columns, attr in (
        ("attributions", ATTRIBUTION_COLUMNS, "attributions"),
        ("hedge_cues", HEDGE_COLUMNS, "hedges"),
        ("time_refs", TIME_COLUMNS, "times"),
    ):
        child = [(r.id, *x) for r in rows for x in getattr(r, attr)]
        if child:
            insert_rows(s, CHILD_TABLES[name], ("claim_id", *columns), child)
    ids = entity_ids(s, [(x[0], x[1]) for r in rows for x in r.mentions])
    mentions = [(r.id, ids[(x[0], x[1])], x[2], x[3], x[4]) for r in rows for x in r.mentions]
    if mentions:
        insert_rows(s, table(m.ClaimEntity), ("claim_id", "entity_id", "text", "start_char", "end_char"), mentions)


@dataclass(frozen=True)
class _InsertPlan:
    sql: str
    defaults: tuple[tuple[Callable[[Any], Any] | None, Any], ...]  # the table's other defaulted columns: (callable, value)
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # SQLAlchemy's conversions (enums, datetimes, booleans)


_PLANS: dict[tuple[str, tuple[str, ...]], _InsertPlan] = {}


def _insert_plan(t: Table, columns: tuple[str, ...], dialect: Any) -> _InsertPlan:
    key = (t.name, columns)
    plan = _PLANS.get(key)
    if plan is None:
        extra = [c for c in t.columns if c.name not in columns and c.default is not None]
        names = [*columns, *(c.name for c in extra)]
        processors = []
        for i, name in enumerate(names):
            col_type = t.c[name].type
            proc = col_type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                processors.append((i, proc))
        plan = _InsertPlan(
            f'INSERT INTO "{t.name}" ({", ".join(chr(34) + n + chr(34) for n in names)}) VALUES ({", ".join("?" * len(names))})',
            tuple((c.default.arg, None) if c.default.is_callable else (None, c.default.arg) for c in extra),  # type: ignore[union-attr]
            tuple(processors),
        )
        _PLANS[key] = plan
    return plan


def insert_rows(s: Session, t: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """``rows`` (values in the order of ``columns``) inserted with one sqlite3 ``executemany``, in the caller's transaction.

    What SQLAlchemy's ``insert`` would do, without its per-row parameter building (about a fifth
    of the writer's time): the table's other columns get their defaults (a callable one is
    called once per call, so one document's rows share a timestamp), and values go through the
    column types' conversions (enumerations, datetimes, booleans).
    """
    conn = s.connection()
    plan = _insert_plan(t, columns, conn.dialect)
    extra = tuple(value if call is None else call(None) for call, value in plan.defaults)  # SQLAlchemy's callables take a context
    if extra:
        rows = [(*r, *extra) for r in rows]
    if plan.processors:
        converted = []
        for r in rows:
            row = list(r)
            for i, proc in plan.processors:
                row[i] = proc(row[i])
            converted.append(row)
        rows = converted  # type: ignore[assignment]
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.executemany(plan.sql, rows)


def _counts(s: Session, doc: m.Document, sentence_ids: list[str], claim_ids: Iterable[str], n: int, fresh: bool = False) -> None:
    """Store the claim counts of a document and its sentences (``fresh``: their rows were just written with 0)."""
    per_sentence: dict[str, int] = {}
    for cid in claim_ids:
        sid = cid.rsplit(":", 1)[0]
        per_sentence[sid] = per_sentence.get(sid, 0) + 1
    if fresh:
        sentence_ids = [sid for sid in sentence_ids if sid in per_sentence]
    conn = s.connection()
    if sentence_ids:
        conn.exec_driver_sql(
            "UPDATE sentences SET n_claims = ? WHERE id = ? AND n_claims IS NOT ?",
            [(per_sentence.get(sid, 0), sid, per_sentence.get(sid, 0)) for sid in sentence_ids],
        )
    conn.exec_driver_sql("UPDATE documents SET n_claims = ? WHERE id = ?", (n, doc.id))
    doc.n_claims = n


def write_claims(
    s: Session,
    doc: m.Document,
    sentence_ids: list[str],
    candidates: Iterable[ClaimCandidate],
    parser: str,
    version: str,
) -> list[str]:
    """Claim rows and their children for one document, in the caller's transaction; returns the claim ids.

    The document and its sentences must be in the database already, just written (their
    claim counts 0): only the counts that are not 0 are updated.
    """
    rows = claim_rows(doc, sentence_ids, candidates, parser, version)
    insert_claims(s, rows)
    ids = [r.id for r in rows]
    _counts(s, doc, sentence_ids, ids, len(rows), fresh=True)
    return ids


@dataclass
class Rewrite:
    """What ``replace_claims`` did to one document's claims."""

    claim_ids: list[str]  # every claim the document has now
    unchanged: int = 0  # left as they were: same rows, same proposition link
    rewritten: int = 0  # rows changed, linking inputs not: written again, proposition kept
    relink: list[str] = field(default_factory=list)  # new, or what linking reads changed: written unlinked
    removed: list[str] = field(default_factory=list)  # no longer extracted: deleted
    predicates: set[str] = field(default_factory=set)  # of the claims relinked or removed, before and after


def stored_claim_rows(s: Session, document_id: str) -> dict[str, tuple[ClaimRows, int | None]]:
    """A document's stored claims as rows (as ``claim_rows`` builds them), with their proposition ids."""
    conn = s.connection()
    cols = ", ".join(f'"{k}"' for k in CLAIM_COLUMNS)
    out: dict[str, tuple[ClaimRows, int | None]] = {}
    for row in conn.exec_driver_sql(f"SELECT {cols}, proposition_id FROM claims WHERE document_id = ?", (document_id,)):
        out[row[0]] = (ClaimRows(dict(zip(CLAIM_COLUMNS, row[:-1], strict=True))), row[-1])
    children = (
        ("attributions", ATTRIBUTION_COLUMNS, "attributions"),
        ("hedge_cues", HEDGE_COLUMNS, "hedges"),
        ("time_refs", TIME_COLUMNS, "times"),
    )
    for name, columns, attr in children:
        sql = (
            f"SELECT x.claim_id, {', '.join('x.' + k for k in columns)} FROM {name} x "
            f"JOIN claims c ON c.id = x.claim_id WHERE c.document_id = ? ORDER BY x.id"
        )
        for claim_id, *values in conn.exec_driver_sql(sql, (document_id,)):
            if name == "time_refs":
                values[-1] = bool(values[-1])
            getattr(out[claim_id][0], attr).append(tuple(values))
    sql = (
        "SELECT ce.claim_id, e.canonical, e.label, ce.text, ce.start_char, ce.end_char FROM claim_entities ce "
        "JOIN claims c ON c.id = ce.claim_id JOIN entities e ON e.id = ce.entity_id WHERE c.document_id = ? ORDER BY ce.rowid"
    )
    for claim_id, *values in conn.exec_driver_sql(sql, (document_id,)):
        out[claim_id][0].mentions.append(tuple(values))
    return out


def replace_claims(
    s: Session,
    doc: m.Document,
    sentence_ids: list[str],
    candidates: Iterable[ClaimCandidate],
    parser: str,
    version: str,
) -> Rewrite:
    """Replace a document's claims with a new extraction, in the caller's transaction, touching only what changed.

    A claim whose rows come out identical is left alone (its rowid, its full-text entry and
    its proposition link stay). One whose rows changed but whose linking inputs did not is
    written again with its proposition. The others (new, or what linking reads changed) are
    written without one, for ``link_propositions`` to decide.
    """
    new = claim_rows(doc, sentence_ids, candidates, parser, version)
    old = stored_claim_rows(s, doc.id)
    out = Rewrite([r.id for r in new])
    keep_pid: dict[str, int] = {}
    write: list[ClaimRows] = []
    for r in new:
        before = old.get(r.id)
        if before is not None and before[0].content() == r.content() and before[1] is not None:
            out.unchanged += 1
            continue
        if before is not None and before[1] is not None and before[0].linking_inputs() == r.linking_inputs():
            keep_pid[r.id] = before[1]
            out.rewritten += 1
        else:
            out.relink.append(r.id)
            out.predicates.add(r.claim["predicate"])
            if before is not None:
                out.predicates.add(before[0].claim["predicate"])
        write.append(r)
    new_ids = set(out.claim_ids)
    out.removed = [cid for cid in old if cid not in new_ids]
    out.predicates |= {old[cid][0].claim["predicate"] for cid in out.removed}
    delete_claims(s, doc.id, [r.id for r in write if r.id in old] + out.removed)
    insert_claims(s, write, keep_pid)
    _counts(s, doc, sentence_ids, out.claim_ids, len(new))
    return out


def delete_claims(s: Session, document_id: str, claim_ids: Iterable[str] | None = None) -> None:
    """Remove a document's claims (default: all of them) and everything hanging off them (for re-extraction)."""
    conn = s.connection()
    if claim_ids is None:
        ids = [cid for (cid,) in conn.exec_driver_sql("SELECT id FROM claims WHERE document_id = ?", (document_id,))]
    else:
        ids = list(claim_ids)
    if not ids:
        return
    for chunk in chunks(ids):
        marks = ",".join("?" * len(chunk))
        for name in ("attributions", "hedge_cues", "time_refs", "claim_entities", "claims"):
            column = "id" if name == "claims" else "claim_id"
            conn.exec_driver_sql(f"DELETE FROM {name} WHERE {column} IN ({marks})", tuple(chunk))
    s.expire_all()


def chunks(items: Sequence[T], n: int = 500) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``n``: SQLite takes at most so many bound parameters in one statement."""
    for i in range(0, len(items), n):
        yield items[i : i + n]

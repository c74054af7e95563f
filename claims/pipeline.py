"""Ingest and re-extraction: documents → parse → claims → store.

Each document is written whole: either it is there with all its sentences and
claims, or it is not there at all (several documents share a transaction: see :class:`Writer`). A bad document is recorded
in ``problems`` and never stops the others.
"""

from __future__ import annotations

import gc
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from . import __version__
from . import model as m
from .cluster import BATCH_CHARS, BATCH_DOCS, doc_batches
from .errors import ClaimsError, InputError, ModelNotAvailable
from .extract import claims_of, extractor_version
from .extract.types import ClaimCandidate
from .ingest import DEFAULT_MAX_BYTES, DEFAULT_MAX_CHARS, SourceDocument, discover, read_path
from .nlp.conllu import document_from_stored, read_conllu, sentence_conllu
from .nlp.document import Document
from .nlp.parse import Parser, ParserInfo, decide_parser, load_parser, stanza_models_present
from .propositions import link_propositions, stale_predicates, unlink_predicates
from .store import engine_for, has_document, insert_rows, replace_claims, table, write_claims

log = logging.getLogger(__name__)

# the version string is stored on every sentence row: kept as it was when stanza's reader read
# the input (claims.nlp.conllu reads it the same way), so that stored rows stay comparable
CONLLU_PARSER = ParserInfo("conllu", "pre-parsed CoNLL-U (stanza reader)")

# ``stage(name)`` wraps each step of a run: "read" (one document read), "extract" (one document's
# claims), "store" (one document written) and "link" (linking, once): how ``claims bench`` times them
Stage = Callable[[str], AbstractContextManager[Any]]


def untimed(_name: str) -> AbstractContextManager[Any]:
    return nullcontext()


def staged(stage: Stage, name: str, items: Iterable[Any]) -> Iterator[Any]:
    """The items, each one's production inside ``stage(name)``."""
    it = iter(items)
    while True:
        with stage(name):
            item = next(it, StopIteration)
        if item is StopIteration:
            return
        yield item


@dataclass
class Problem:
    path: str
    message: str
    fix: str | None
    error: str


@dataclass
class IngestResult:
    run_id: int
    stored: list[str] = field(default_factory=list)  # document ids
    duplicates: list[str] = field(default_factory=list)  # paths
    problems: list[Problem] = field(default_factory=list)
    n_sentences: int = 0
    n_claims: int = 0
    parser: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _problem(e: ClaimsError) -> Problem:
    return Problem(path=e.path or "?", message=e.reason, fix=e.fix, error=type(e).__name__)


def read_documents(
    paths: list[Path], date: str | None, max_bytes: int, max_chars: int = DEFAULT_MAX_CHARS
) -> Iterator[SourceDocument | InputError]:
    for item in discover(paths):
        if isinstance(item, InputError):
            yield item
        else:
            yield from read_path(item, default_date=date, max_bytes=max_bytes, max_chars=max_chars)


def fallback_title(text: str, words: int = 10) -> str:
    """A title for an untitled document: its opening words (so lists and facets show something readable)."""
    first = text.split("\n", 1)[0].split()
    return " ".join(first[:words]) + ("…" if len(first) > words else "")


@dataclass
class Analysis:
    """A parsed and extracted document, ready to store (picklable: crosses process boundaries)."""

    src: SourceDocument
    parser: ParserInfo
    sentences: list[tuple[int, int, str]]  # start_char, end_char, CoNLL-U
    candidates: list[ClaimCandidate]


def analyse(src: SourceDocument, parsed: Document, info: ParserInfo, aliases: str | None = None) -> Analysis:
    """Extract the claims of one parsed document (pure: no database)."""
    parsed.text = src.text
    conllus = sentence_conllu(parsed)
    spans = [(s.tokens[0].start_char, s.tokens[-1].end_char) for s in parsed.sentences]
    sentences = [(start, end, c) for (start, end), c in zip(spans, conllus, strict=True)]
    return Analysis(src, info, sentences, list(claims_of(parsed, src.doc_date, aliases)))  # type: ignore[arg-type]  # every parser gives offsets


def analyse_batch(
    batch: list[SourceDocument], get_parser: Callable[[], Parser], aliases: str | None, stage: Stage = untimed
) -> Iterator[Analysis | Problem]:
    """Parse a batch (pre-parsed CoNLL-U needs no parser) and extract each document."""
    for d in batch:
        if d.conllu is not None:
            try:
                parsed = d.parsed if d.parsed is not None else read_conllu(d.conllu, d.path)
            except InputError as e:
                yield _problem(e)
                continue
            d.parsed = None  # read once (ingest.from_conllu); not kept for the rest of the run
            yield _analysed(d, parsed, CONLLU_PARSER, aliases, stage)
    raw = [d for d in batch if d.conllu is None]
    if raw:
        parser = get_parser()
        done = 0
        try:
            for d, parsed in zip(raw, parser.parse(d.text for d in raw), strict=True):
                done += 1
                yield _analysed(d, parsed, parser.info, aliases, stage)
        except Exception:
            # the parser failed inside the batch: the rest one at a time, so that only the bad one is lost
            for d in raw[done:]:
                try:
                    parsed = next(iter(parser.parse([d.text])))
                except Exception as e:
                    yield internal_error(d.path, "parsing", e)
                    continue
                yield _analysed(d, parsed, parser.info, aliases, stage)


def _analysed(
    d: SourceDocument, parsed: Document, info: ParserInfo, aliases: str | None, stage: Stage = untimed
) -> Analysis | Problem:
    try:
        with stage("extract"):
            return analyse(d, parsed, info, aliases)
    except Exception as e:
        return internal_error(d.path, "extracting claims", e)


def internal_error(path: str, stage: str, e: Exception) -> Problem:
    """A bug met on one document (call inside ``except``): logged with its traceback, recorded, and the others go on."""
    log.exception("internal error while %s %s", stage, path)
    return Problem(
        path,
        f"internal error while {stage} ({type(e).__name__}: {e})",
        "this is a bug in claims: please report it with the traceback above",
        "InternalError",
    )


# A transaction is committed after this many documents, or this many seconds after its first
# one was written, whichever comes first: committing each document cost the writer about a
# tenth of its time, and SQLite inserts more cheaply in bulk (docs/scaling.md, the writer alone).
COMMIT_DOCS = 8
# a sentence row as the writer builds it (the rest of the table's columns take their defaults)
SENTENCE_COLUMNS = ("id", "document_id", "index", "text", "start_char", "end_char", "conllu", "parser", "parser_version")
COMMIT_SECONDS = 0.5


class Writer:
    """The one writer of an ingest run: whole documents and ``problems`` rows, several documents a transaction.

    A document is written with all its rows or not at all: one that fails while being written
    is undone by rolling the transaction back and writing again the documents and problems it
    already held (they succeeded once), and becomes a problem. A crash loses at most the open
    transaction, which a resumed run redoes (stored documents are skipped). Stopping the run
    between two documents (Ctrl-C, a lost scheduler) commits what is written; stopping it
    inside one rolls the transaction back. ``result`` counts what is written, as it is written.
    """

    def __init__(
        self,
        engine: Engine,
        result: IngestResult,
        version: str,
        title: str | None = None,
        source: str | None = None,
        max_docs: int | None = None,
        max_seconds: float | None = None,
        stage: Stage = untimed,
    ):
        self.session = Session(engine)
        self.result, self.version, self.title, self.source = result, version, title, source
        self.max_docs = max_docs or COMMIT_DOCS
        self.max_seconds = COMMIT_SECONDS if max_seconds is None else max_seconds
        self.stage = stage
        self.pending: list[Analysis | Problem] = []  # what the open transaction holds, in order
        self.opened = 0.0  # when its first document was written (time.monotonic)
        self.busy = False  # inside a write: stopping now would leave part of a document

    def store(self, a: Analysis) -> None:
        """Write one document, its sentences and its claims into the open transaction."""
        with self.stage("store"):
            self._store(a)

    def _store(self, a: Analysis) -> None:
        self.busy = True
        try:
            n_sentences, n_claims = self._write(a)
        except Exception as e:  # undo this document only: the transaction again without it
            problem = internal_error(a.src.path, "storing", e)
            self.session.rollback()
            self._redo()
            self.busy = False
            self.problem(problem)
            return
        self.busy = False
        if not self.pending:
            self.opened = time.monotonic()
        self.pending.append(a)
        r = self.result
        r.stored.append(a.src.id)
        r.parser = r.parser or a.parser.name
        r.n_sentences += n_sentences
        r.n_claims += n_claims
        if len(self.pending) >= self.max_docs or time.monotonic() - self.opened >= self.max_seconds:
            self.commit()

    def problem(self, problem: Problem) -> None:
        """A ``problems`` row for the run, in the open transaction."""
        self.busy = True
        record_problem(self.session, self.result.run_id, problem)
        self.busy = False
        self.pending.append(problem)
        self.result.problems.append(problem)

    def commit(self) -> None:
        self.busy = True
        self.session.commit()
        self.busy = False
        self.pending = []

    def close(self) -> None:
        """Commit what is written (unless stopped inside a write: then roll it back) and let go of the connection."""
        try:
            if self.busy:
                self.session.rollback()
            else:
                with self.stage("store"):
                    self.commit()
        finally:
            self.session.close()

    def _redo(self) -> None:
        for item in self.pending:
            if isinstance(item, Problem):
                record_problem(self.session, self.result.run_id, item)
            else:
                self._write(item)

    def _write(self, a: Analysis) -> tuple[int, int]:
        """The document's rows as executemany'd dicts (no ORM objects); its sentence and claim counts."""
        src = a.src
        doc = m.Document(
            id=src.id,
            content_hash=src.content_hash,
            title=self.title or src.title or fallback_title(src.text),
            source=self.source or src.source,
            url=src.url,
            doc_date=src.doc_date,
            doc_month=src.doc_date[:7],
            path=src.path,
            format=src.format,
            text=src.text,
            n_sentences=len(a.sentences),
            run_id=self.result.run_id,
        )
        sentences = [
            (f"{doc.id}:{i}", doc.id, i, src.text[start:end], start, end, conllu, a.parser.name, a.parser.version)
            for i, (start, end, conllu) in enumerate(a.sentences)
        ]
        s = self.session
        row = doc.model_dump()
        insert_rows(s, table(m.Document), tuple(row), [tuple(row.values())])
        if sentences:
            insert_rows(s, table(m.Sentence), SENTENCE_COLUMNS, sentences)
        written = write_claims(s, doc, [x[0] for x in sentences], a.candidates, a.parser.name, self.version)
        return len(sentences), len(written)


class Ingest:
    """One ingest run into one database."""

    def __init__(
        self,
        db: str | Path,
        parser: str = "auto",
        source: str | None = None,
        title: str | None = None,
        aliases: str | None = None,
        batch_size: int = 32,
        on_parser: Callable[[ParserInfo], None] | None = None,
        jobs: int = 1,
        scheduler: str | None = None,
        stage: Stage = untimed,
    ):
        self.engine = engine_for(db)
        self.stage = stage  # timing of the run's steps (claims bench)
        self.parser_name = parser
        self.source = source
        self.title = title
        self.aliases = aliases
        self.batch_size = batch_size
        self.on_parser = on_parser
        self._parser: Parser | None = None
        self.jobs = max(1, jobs)
        self.scheduler = scheduler  # a Dask scheduler's address: parse on its workers
        self._announced = False
        self._writer: Writer  # the run's, while it runs
        self.version = extractor_version(aliases)

    @property
    def parser(self) -> Parser:
        if self._parser is None:
            self._parser = load_parser(self.parser_name)
            if self.on_parser:
                self.on_parser(self._parser.info)
        return self._parser

    def run(
        self,
        paths: list[Path],
        date: str | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        progress: Callable[[IngestResult], None] | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> IngestResult:
        """Store the documents under ``paths``; ``progress(result so far)`` after each document."""
        if self.parser_name == "stanza":
            # fail before anything is written when the parser asked for cannot run
            if self.jobs > 1 or self.scheduler is not None:
                if not stanza_models_present():
                    raise ModelNotAvailable(
                        "stanza's English models are not installed",
                        path="stanza",
                        fix="run `claims setup` on a machine that can reach stanza's model hub, or use --parser spacy",
                    )
            else:
                _ = self.parser
        settings = {
            "paths": [str(p) for p in paths],
            "parser": self.parser_name,
            "date": date,
            "source": self.source,
            "title": self.title,
            "aliases": self.aliases,
        }
        with Session(self.engine) as s:
            run = m.Run(command="ingest", tool_version=__version__, extractor_version=self.version, settings=settings)
            s.add(run)
            s.commit()
            assert run.id is not None
            result = IngestResult(run_id=run.id)
        seen: set[str] = set()

        def fresh() -> Iterator[SourceDocument]:
            for item in staged(self.stage, "read", read_documents(paths, date, max_bytes, max_chars)):
                if isinstance(item, InputError):
                    self._writer.problem(_problem(item))
                    if progress:
                        progress(result)
                    continue
                duplicate = item.content_hash in seen or has_document(writer.session, item.content_hash)
                if duplicate:
                    result.duplicates.append(item.path)
                    if progress:
                        progress(result)
                    continue
                if self.parser_name == "conllu" and item.conllu is None:
                    self._writer.problem(Problem(item.path, "is not CoNLL-U, and --parser conllu reads only pre-parsed input", "give .conllu files, or use --parser auto", "InputError"))
                    continue
                seen.add(item.content_hash)
                yield item

        self._writer = writer = Writer(self.engine, result, self.version, title=self.title, source=self.source, stage=self.stage)
        try:
            for analysis in self._stream(fresh(), result):
                writer.store(analysis)
                if progress:
                    progress(result)
        finally:
            writer.close()  # commits the documents written whole (also on Ctrl-C between two of them)
        with Session(self.engine) as s:
            with self.stage("link"):
                link_propositions(s)
                s.commit()
            done = s.get(m.Run, result.run_id)
            assert done is not None
            run = done
            run.finished_at = m.utcnow()
            run.parser = result.parser
            run.n_documents = len(result.stored)
            run.n_duplicates = len(result.duplicates)
            run.n_failed = len(result.problems)
            run.n_sentences = result.n_sentences
            run.n_claims = result.n_claims
            s.add(run)
            s.commit()
        return result

    def _stream(self, docs: Iterator[SourceDocument], result: IngestResult) -> Iterator[Analysis]:
        """Analyses: in this process (one job), else from the workers of a Dask cluster in completion order.

        The cluster is the one at ``scheduler``, or a LocalCluster of ``jobs`` processes started
        here once there is a document to parse (see :mod:`claims.cluster` for what a dead worker,
        Ctrl-C or a lost scheduler cost).
        """
        if self.jobs <= 1 and self.scheduler is None:
            for batch in doc_batches(docs, self.batch_size):
                yield from self._analyses(batch, result)
            return
        from .cluster import Cluster, LostScheduler, analyse_distributed

        batches = doc_batches(docs, min(self.batch_size, BATCH_DOCS), BATCH_CHARS)
        first = next(batches, None)
        if first is None:
            return
        # the one decision on `auto` (nlp.parse.decide_parser), made here for every worker
        cluster = Cluster(decide_parser(self.parser_name).name, self.aliases, scheduler=self.scheduler, jobs=self.jobs)
        try:
            for items in analyse_distributed(itertools.chain([first], batches), cluster):
                yield from self._collect(items, result)
        except LostScheduler as e:
            raise ClaimsError(
                f"lost the Dask scheduler ({e}); {len(result.stored)} document(s) of this run are stored, none half-written",
                path=self.scheduler or "local cluster",
                fix="run the same command again when the scheduler is back: stored documents are skipped",
            ) from None
        finally:
            cluster.close()

    def _collect(self, items: list[Analysis | Problem], result: IngestResult) -> Iterator[Analysis]:
        for item in items:
            if isinstance(item, Problem):
                self._writer.problem(item)
            else:
                if self.on_parser and not self._announced:
                    self._announced = True
                    self.on_parser(item.parser)
                yield item

    def _analyses(self, batch: list[SourceDocument], result: IngestResult) -> Iterator[Analysis]:
        for item in analyse_batch(batch, lambda: self.parser, self.aliases, self.stage):
            if isinstance(item, Problem):
                self._writer.problem(item)
            else:
                yield item

def record_problem(s: Session, run_id: int | None, problem: Problem) -> None:
    """A problems row for the run (in the caller's transaction)."""
    s.add(m.Problem(run_id=run_id, path=problem.path, error=problem.error, message=problem.message, fix=problem.fix))


def ingest(paths: list[Path], db: str | Path, **kwargs: Any) -> IngestResult:
    """Convenience wrapper: one run with default settings."""
    run_kwargs = {k: kwargs.pop(k) for k in ("date", "max_bytes", "max_chars", "progress") if k in kwargs}
    return Ingest(db, **kwargs).run(paths, **run_kwargs)


@dataclass
class ReextractResult:
    n_documents: int
    n_claims: int
    problems: list[Problem] = field(default_factory=list)
    n_unchanged: int = 0  # claims left exactly as they were (rows and proposition link)
    n_rewritten: int = 0  # claims whose rows changed but not what linking reads: proposition kept
    n_relinked: int = 0  # claims linked again: every claim of a predicate with a claim new, changed for linking, or removed
    n_removed: int = 0  # claims no longer extracted


def reextract(
    db: str | Path, aliases: str | None = None, progress: Callable[[ReextractResult, int], None] | None = None
) -> ReextractResult:
    """Re-run the extractors on the stored parses (after a lexicon or rule change): no parser needed.

    Each document is replaced in its own transaction; one that fails keeps its
    previous claims, is reported, and does not stop the others. Only claims whose rows
    change are written. Linking is redone, in date order, for the predicates that have a
    claim new, removed or changed in what linking reads (candidates never cross predicates);
    the claims of other predicates keep their propositions and links.
    """
    if gc.get_freeze_count():  # a caller froze already: unfreezing here would undo theirs
        return _reextract(db, aliases, progress)
    # as in link_propositions: the objects alive before the run (modules, lexicons, the ORM's
    # tables) are frozen out of the garbage collector, whose full collections, set off by the
    # Documents each document allocates, scanned them all: 1.5-2.5 of 7-8 s CPU (PolNeAR dev)
    gc.freeze()
    try:
        return _reextract(db, aliases, progress)
    finally:
        gc.unfreeze()


def _reextract(db: str | Path, aliases: str | None, progress: Callable[[ReextractResult, int], None] | None) -> ReextractResult:
    engine = engine_for(db)
    version = extractor_version(aliases)
    result = ReextractResult(0, 0)
    predicates: set[str] = set()
    with Session(engine) as s:
        run = m.Run(command="reextract", tool_version=__version__, extractor_version=version, settings={"aliases": aliases})
        s.add(run)
        s.commit()
        run_id = run.id
        doc_ids = list(s.exec(select(m.Document.id)))
    for doc_id in doc_ids:
        if progress:
            progress(result, len(doc_ids))
        with Session(engine) as s:
            doc = s.get(m.Document, doc_id)
            assert doc is not None
            sents = s.connection().exec_driver_sql(
                'SELECT id, conllu, parser FROM sentences WHERE document_id = ? ORDER BY "index"', (doc_id,)
            ).all()
            if not sents:
                continue
            try:
                parsed = document_from_stored(doc.text, [x[1] for x in sents])
                candidates = list(claims_of(parsed, doc.doc_date, aliases))
                done = replace_claims(s, doc, [x[0] for x in sents], candidates, sents[0][2], version)
                s.commit()
            except Exception as e:  # a bug: keep its traceback in the log, keep the old claims, go on
                s.rollback()
                log.exception("re-extracting %s failed", doc.path or doc_id)
                problem = Problem(doc.path or doc_id, f"re-extraction failed ({type(e).__name__}: {e})", "report this as a bug; the document keeps its previous claims", "InternalError")
                result.problems.append(problem)
                record_problem(s, run_id, problem)
                s.commit()
                continue
        result.n_documents += 1
        result.n_claims += len(done.claim_ids)
        result.n_unchanged += done.unchanged
        result.n_rewritten += done.rewritten
        result.n_removed += len(done.removed)
        predicates |= done.predicates
    with Session(engine) as s:
        # predicates with claims new, changed for linking or removed are linked again, whole and
        # in date order (as a full relink would); the others keep their links
        unlink_predicates(s, predicates | stale_predicates(s))
        result.n_relinked = link_propositions(s, tidy=True)
        done_run = s.get(m.Run, run_id)
        assert done_run is not None
        done_run.finished_at = m.utcnow()
        done_run.n_documents = result.n_documents
        done_run.n_failed = len(result.problems)
        done_run.n_claims = result.n_claims
        s.add(done_run)
        s.commit()
    return result

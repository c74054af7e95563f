"""Ingest and re-extraction: documents → parse → claims → store.

Each document is written in one transaction: either it is there with all its
sentences and claims, or it is not there at all. A bad document is recorded
in ``problems`` and never stops the others.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from sqlmodel import Session, select
from stanza.models.common.doc import Document as StanzaDocument

from . import __version__
from . import model as m
from .errors import ClaimsError, InputError, ModelNotAvailable
from .extract import claims_of, extractor_version
from .extract.types import ClaimCandidate
from .ingest import DEFAULT_MAX_BYTES, SourceDocument, discover, read_path
from .nlp.conllu import document_from_stored, read_conllu, sentence_conllu
from .nlp.parse import Parser, ParserInfo, load_parser, resolve_parser_name, stanza_models_present
from .propositions import link_propositions
from .store import delete_claims, engine_for, has_document, write_claims

log = logging.getLogger(__name__)

CONLLU_PARSER = ParserInfo("conllu", "pre-parsed CoNLL-U (stanza reader)")


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
    paths: list[Path], date: str | None, max_bytes: int
) -> Iterator[SourceDocument | InputError]:
    for item in discover(paths):
        if isinstance(item, InputError):
            yield item
        else:
            yield from read_path(item, default_date=date, max_bytes=max_bytes)


def batched(items: Iterable[Any], n: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, n)):
        yield chunk


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


def analyse(src: SourceDocument, parsed: StanzaDocument, info: ParserInfo, aliases: str | None = None) -> Analysis:
    """Extract the claims of one parsed document (pure: no database)."""
    parsed.text = src.text
    conllus = sentence_conllu(parsed)
    spans = [(s.tokens[0].start_char, s.tokens[-1].end_char) for s in parsed.sentences]
    sentences = [(start, end, c) for (start, end), c in zip(spans, conllus, strict=True)]
    return Analysis(src, info, sentences, list(claims_of(parsed, src.doc_date, aliases)))


def analyse_batch(
    batch: list[SourceDocument], get_parser: Callable[[], Parser], aliases: str | None
) -> Iterator[Analysis | Problem]:
    """Parse a batch (pre-parsed CoNLL-U needs no parser) and extract each document."""
    for d in batch:
        if d.conllu is not None:
            try:
                parsed = read_conllu(d.conllu, d.path)
            except InputError as e:
                yield _problem(e)
                continue
            yield _analysed(d, parsed, CONLLU_PARSER, aliases)
    raw = [d for d in batch if d.conllu is None]
    if raw:
        parser = get_parser()
        done = 0
        try:
            for d, parsed in zip(raw, parser.parse(d.text for d in raw), strict=True):
                done += 1
                yield _analysed(d, parsed, parser.info, aliases)
        except Exception:
            # the parser failed inside the batch: the rest one at a time, so that only the bad one is lost
            for d in raw[done:]:
                try:
                    parsed = next(iter(parser.parse([d.text])))
                except Exception as e:
                    yield internal_error(d.path, "parsing", e)
                    continue
                yield _analysed(d, parsed, parser.info, aliases)


def _analysed(d: SourceDocument, parsed: StanzaDocument, info: ParserInfo, aliases: str | None) -> Analysis | Problem:
    try:
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


_worker: dict[str, Any] = {}


def _init_worker(parser_name: str, aliases: str | None) -> None:
    _worker.update(name=parser_name, aliases=aliases, parser=None)


def _worker_parser() -> Parser:
    if _worker["parser"] is None:
        _worker["parser"] = load_parser(_worker["name"])
    parser: Parser = _worker["parser"]
    return parser


def _work(batch: list[SourceDocument]) -> list[Analysis | Problem]:
    return list(analyse_batch(batch, _worker_parser, _worker["aliases"]))


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
    ):
        self.engine = engine_for(db)
        self.parser_name = parser
        self.source = source
        self.title = title
        self.aliases = aliases
        self.batch_size = batch_size
        self.on_parser = on_parser
        self._parser: Parser | None = None
        self.jobs = max(1, jobs)
        self._announced = False
        self.version = extractor_version()

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
        progress: Callable[[str], None] | None = None,
    ) -> IngestResult:
        if self.parser_name == "stanza":
            # fail before anything is written when the parser asked for cannot run
            if self.jobs > 1:
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
            for item in read_documents(paths, date, max_bytes):
                if isinstance(item, InputError):
                    self._record(result, _problem(item))
                    if progress:
                        progress(item.path or "?")
                    continue
                with Session(self.engine) as s:
                    duplicate = item.content_hash in seen or has_document(s, item.content_hash)
                if duplicate:
                    result.duplicates.append(item.path)
                    if progress:
                        progress(item.path)
                    continue
                if self.parser_name == "conllu" and item.conllu is None:
                    self._record(result, Problem(item.path, "is not CoNLL-U, and --parser conllu reads only pre-parsed input", "give .conllu files, or use --parser auto", "InputError"))
                    continue
                seen.add(item.content_hash)
                yield item

        for analysis in self._stream(fresh(), result):
            try:
                self._store(analysis, run_id=result.run_id, result=result)
            except Exception as e:  # the document's transaction is rolled back; the others go on
                self._record(result, internal_error(analysis.src.path, "storing", e))
            if progress:
                progress(analysis.src.path)
        with Session(self.engine) as s:
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
        """Analyses in input order: in this process, or parsed by ``jobs`` worker processes."""
        if self.jobs <= 1:
            for batch in batched(docs, self.batch_size):
                yield from self._analyses(batch, result)
            return
        name = resolve_parser_name(self.parser_name)
        ctx = multiprocessing.get_context("spawn")  # no fork of a process that may hold torch threads
        with ProcessPoolExecutor(self.jobs, mp_context=ctx, initializer=_init_worker, initargs=(name, self.aliases)) as pool:
            pending: deque[Future[list[Analysis | Problem]]] = deque()
            for batch in batched(docs, self.batch_size):
                pending.append(pool.submit(_work, batch))
                while len(pending) > 2 * self.jobs:  # bounded: memory stays flat on big archives
                    yield from self._collect(pending.popleft().result(), result)
            while pending:
                yield from self._collect(pending.popleft().result(), result)

    def _collect(self, items: list[Analysis | Problem], result: IngestResult) -> Iterator[Analysis]:
        for item in items:
            if isinstance(item, Problem):
                self._record(result, item)
            else:
                if self.on_parser and not self._announced:
                    self._announced = True
                    self.on_parser(item.parser)
                yield item

    def _analyses(self, batch: list[SourceDocument], result: IngestResult) -> Iterator[Analysis]:
        for item in analyse_batch(batch, lambda: self.parser, self.aliases):
            if isinstance(item, Problem):
                self._record(result, item)
            else:
                yield item

    def _store(self, a: Analysis, run_id: int, result: IngestResult) -> None:
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
            run_id=run_id,
        )
        sentences = [
            m.Sentence(
                id=f"{doc.id}:{i}",
                document_id=doc.id,
                index=i,
                text=src.text[start:end],
                start_char=start,
                end_char=end,
                conllu=conllu,
                parser=a.parser.name,
                parser_version=a.parser.version,
            )
            for i, (start, end, conllu) in enumerate(a.sentences)
        ]
        with Session(self.engine) as s:
            s.add(doc)
            s.add_all(sentences)
            s.flush()
            written = write_claims(s, doc, [x.id for x in sentences], a.candidates, a.parser.name, self.version)
            s.commit()
        result.stored.append(src.id)
        result.parser = result.parser or a.parser.name
        result.n_sentences += len(sentences)
        result.n_claims += len(written)

    def _record(self, result: IngestResult, problem: Problem) -> None:
        result.problems.append(problem)
        with Session(self.engine) as s:
            s.add(m.Problem(run_id=result.run_id, path=problem.path, error=problem.error, message=problem.message, fix=problem.fix))
            s.commit()


def ingest(paths: list[Path], db: str | Path, **kwargs: Any) -> IngestResult:
    """Convenience wrapper: one run with default settings."""
    run_kwargs = {k: kwargs.pop(k) for k in ("date", "max_bytes", "progress") if k in kwargs}
    return Ingest(db, **kwargs).run(paths, **run_kwargs)


@dataclass
class ReextractResult:
    n_documents: int
    n_claims: int
    problems: list[Problem] = field(default_factory=list)


def reextract(db: str | Path, aliases: str | None = None) -> ReextractResult:
    """Re-run the extractors on the stored parses (after a lexicon or rule change): no parser needed.

    Each document is replaced in its own transaction; one that fails keeps its
    previous claims, is reported, and does not stop the others.
    """
    engine = engine_for(db)
    version = extractor_version()
    result = ReextractResult(0, 0)
    with Session(engine) as s:
        run = m.Run(command="reextract", tool_version=__version__, extractor_version=version, settings={"aliases": aliases})
        s.add(run)
        s.commit()
        run_id = run.id
        doc_ids = list(s.exec(select(m.Document.id)))
    for doc_id in doc_ids:
        with Session(engine) as s:
            doc = s.get(m.Document, doc_id)
            assert doc is not None
            sents = list(s.exec(select(m.Sentence).where(m.Sentence.document_id == doc_id).order_by(m.Sentence.index)))  # type: ignore[arg-type]
            if not sents:
                continue
            try:
                parsed = document_from_stored(doc.text, [x.conllu for x in sents])
                candidates = list(claims_of(parsed, doc.doc_date, aliases))
                delete_claims(s, doc_id)
                written = write_claims(s, doc, [x.id for x in sents], candidates, sents[0].parser, version)
                s.commit()
            except Exception as e:  # a bug: keep its traceback in the log, keep the old claims, go on
                s.rollback()
                log.exception("re-extracting %s failed", doc.path or doc_id)
                problem = Problem(doc.path or doc_id, f"re-extraction failed ({type(e).__name__}: {e})", "report this as a bug; the document keeps its previous claims", "InternalError")
                result.problems.append(problem)
                s.add(m.Problem(run_id=run_id, path=problem.path, error=problem.error, message=problem.message, fix=problem.fix))
                s.commit()
                continue
        result.n_documents += 1
        result.n_claims += len(written)
    with Session(engine) as s:
        link_propositions(s, tidy=True)
        done = s.get(m.Run, run_id)
        assert done is not None
        done.finished_at = m.utcnow()
        done.n_documents = result.n_documents
        done.n_failed = len(result.problems)
        done.n_claims = result.n_claims
        s.add(done)
        s.commit()
    return result

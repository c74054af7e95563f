"""What extractors yield: small immutable records with document offsets.

Extractors are pure functions over a parsed ``Document`` (:mod:`claims.nlp.document`); they never
touch the database. Offsets are ``start_char``/``end_char``, half-open, into
the document text.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    text: str
    start_char: int
    end_char: int


@dataclass(frozen=True)
class HedgeCue(Span):
    kind: str  # a claims.model.HedgeKind value


@dataclass(frozen=True)
class Source:
    """One link of an attribution chain."""

    text: str
    source_type: str  # a claims.model.SourceType value
    cue: str | None = None
    span: Span | None = None
    cue_span: Span | None = None


@dataclass(frozen=True)
class TimeRef(Span):
    value: str | None
    granularity: str | None
    is_relative: bool


@dataclass(frozen=True)
class Mention(Span):
    label: str
    canonical: str


@dataclass
class ClaimCandidate:
    """A clause that states something, with everything known about it."""

    sentence_index: int
    head_id: int  # word id of the clause head, 1-based within the sentence
    text: str
    start_char: int
    end_char: int
    predicate: str
    clause_type: str  # main, conj, complement, adverbial, relative
    subject: str | None = None
    object: str | None = None
    subject_head: str | None = None  # lemma, for linking propositions
    object_head: str | None = None
    polarity: str = "positive"
    certainty: str = "certain"
    certainty_term: str | None = None
    hedge_level: str = "none"
    hedge_cues: list[HedgeCue] = field(default_factory=list)
    estimative_band: str | None = None  # ICD 203 band (lexicons/estimative.yml)
    confidence: str | None = None  # low, moderate, high
    statement_date: str | None = None  # the attribution frame's time, resolved
    statement_date_text: str | None = None
    sources: list[Source] = field(default_factory=list)  # outermost first, author excluded
    time_refs: list[TimeRef] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    proposition_key: str | None = None  # canonical subject | predicate lemma | object head

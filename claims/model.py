"""SQLModel tables: what `claims` stores, and the shape it exports.

Enumerations are str-valued so that SQLite, Datasette and JSON all see the
same words. Identifiers are derived from content (the document's text hash,
the sentence index, the clause head) so that re-extracting a document gives
the same claim ids and reviewer decisions stay attached to them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic import create_model
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Polarity(str, Enum):
    positive = "positive"
    negative = "negative"


class Certainty(str, Enum):
    """FactBank's scale of how firmly the source commits to the claim."""

    # firmest first: the members' order is the scale's order (CERTAINTY_SCORE reads it)

    certain = "certain"
    probable = "probable"
    possible = "possible"
    unknown = "unknown"

    @property
    def score(self) -> int:
        """Its place on the scale: certain 3, probable 2, possible 1, unknown 0 (see CERTAINTY_SCORE)."""
        return CERTAINTY_SCORE[self.value]


# The one order of the certainty scale, by value: hedging takes the weakest cue by it, a change is
# strengthened or weakened by it, the timeline's y is it (times -1 when negated), and the canned
# queries of db/metadata.yml spell it out in SQL (tests/test_vocabulary.py holds them to it).
CERTAINTY_SCORE: dict[str, int] = {c.value: len(Certainty) - 1 - i for i, c in enumerate(Certainty)}


class HedgeLevel(str, Enum):
    none = "none"
    low = "low"
    medium = "medium"
    high = "high"


class HedgeKind(str, Enum):
    epistemic = "epistemic"
    evidential = "evidential"  # evidential verbs and shields: appears, seems, suggests
    approximator = "approximator"
    qualifier = "qualifier"  # scope-limiting: not explicitly, not always, not complete
    attenuator = "attenuator"  # comparative: less culpable
    distancing = "distancing"  # reportedly, allegedly
    booster = "booster"
    unknown = "unknown"  # remains unclear, whether, embedded questions
    conditional = "conditional"


class SourceType(str, Enum):
    author = "author"
    person = "person"
    official = "official"
    government = "government"
    institution = "institution"
    intelligence = "intelligence"
    document = "document"
    unnamed = "unnamed"


class Document(SQLModel, table=True):
    __tablename__ = "documents"

    id: str = Field(primary_key=True, description="First 16 hex digits of content_hash")
    content_hash: str = Field(index=True, unique=True, description="sha256 of the normalised text")
    title: str | None = None
    source: str | None = Field(default=None, index=True)
    url: str | None = None
    doc_date: str = Field(index=True, description="Publication date, YYYY-MM-DD")
    doc_month: str = Field(index=True, description="YYYY-MM, for facets")
    path: str | None = None
    format: str
    text: str
    n_sentences: int = 0
    n_claims: int = 0
    run_id: int | None = Field(default=None, foreign_key="runs.id")
    ingested_at: datetime = Field(default_factory=utcnow)


class Sentence(SQLModel, table=True):
    __tablename__ = "sentences"

    id: str = Field(primary_key=True, description="<document_id>:<index>")
    document_id: str = Field(foreign_key="documents.id", index=True)
    index: int
    text: str
    start_char: int
    end_char: int
    conllu: str = Field(description="The parse, as CoNLL-U with character offsets in MISC")
    parser: str = Field(index=True)
    parser_version: str
    n_claims: int = 0


class ClaimBase(SQLModel):
    """Fields shared by the stored claim and the exported record."""

    document_id: str = Field(foreign_key="documents.id", index=True)
    sentence_id: str = Field(foreign_key="sentences.id", index=True)
    doc_date: str = Field(index=True)
    doc_month: str = Field(index=True)
    text: str
    start_char: int
    end_char: int
    subject: str | None = None
    predicate: str
    object: str | None = None
    clause_type: str
    polarity: Polarity = Field(index=True)
    certainty: Certainty = Field(index=True)
    certainty_term: str | None = Field(default=None, description="The word that set the certainty")
    hedge_level: HedgeLevel = Field(index=True)
    estimative_band: str | None = Field(
        default=None,
        index=True,
        description="ICD 203 likelihood band of an estimative term in scope (almost_no_chance, very_unlikely, unlikely, "
        "roughly_even_chance, likely, very_likely, almost_certain; claims/extract/lexicons/estimative.yml); null when none",
    )
    confidence: str | None = Field(default=None, description="Stated analytic confidence: low, moderate or high; null when not stated")
    statement_date: str | None = Field(
        default=None, index=True, description="When the source said it: the attribution frame's time, resolved against the document date"
    )
    statement_date_text: str | None = Field(default=None, description="The words the statement date was read from")
    source_text: str = Field(index=True, description="Innermost source; the document's author if unattributed")
    source_type: SourceType = Field(index=True)
    attribution_cue: str | None = None
    proposition_id: int | None = Field(default=None, foreign_key="propositions.id", index=True)
    parser: str
    extractor_version: str


class Claim(ClaimBase, table=True):
    __tablename__ = "claims"
    __table_args__ = (Index("ix_claims_date_certainty", "doc_date", "certainty"),)

    id: str = Field(primary_key=True, description="<sentence_id>:<head word id>")
    proposition_key: str | None = Field(default=None, index=True, description="subject | predicate | object, canonicalised")
    extracted_at: datetime = Field(default_factory=utcnow)
    # set at link time (claims.changes) and read by every view: compare, Datasette, reports
    change_label: str | None = Field(
        default=None, index=True, description="Against the claim before it in its proposition: first_seen, repeated, strengthened, weakened, reversed, figure_changed, new_source"
    )
    change_detail: str | None = Field(default=None, description='What changed, e.g. the two figures ("more than 60 → at least 134")')
    previous_claim_id: str | None = Field(default=None, description="The claim before it in its proposition's date order; null for the first")


class Attribution(SQLModel, table=True):
    """One link of a claim's source chain; depth 0 is the outermost source."""

    __tablename__ = "attributions"

    id: int | None = Field(default=None, primary_key=True)
    claim_id: str = Field(foreign_key="claims.id", index=True)
    depth: int
    source_text: str
    source_type: SourceType
    source_start: int | None = None
    source_end: int | None = None
    cue: str | None = None
    cue_start: int | None = None
    cue_end: int | None = None


class HedgeCueBase(SQLModel):
    """A hedge cue as stored and as exported: its words, offsets and kind."""

    text: str
    start_char: int
    end_char: int
    kind: HedgeKind = Field(index=True)


class HedgeCueRow(HedgeCueBase, table=True):
    __tablename__ = "hedge_cues"

    id: int | None = Field(default=None, primary_key=True)
    claim_id: str = Field(foreign_key="claims.id", index=True)


class TimeRefRow(SQLModel, table=True):
    """A time expression in a claim, resolved against the document date."""

    __tablename__ = "time_refs"

    id: int | None = Field(default=None, primary_key=True)
    claim_id: str = Field(foreign_key="claims.id", index=True)
    text: str
    start_char: int
    end_char: int
    value: str | None = Field(default=None, index=True)
    granularity: str | None = None
    is_relative: bool = False


class Entity(SQLModel, table=True):
    __tablename__ = "entities"
    __table_args__ = (Index("ux_entities_canonical_label", "canonical", "label", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    canonical: str = Field(index=True)
    label: str


class ClaimEntity(SQLModel, table=True):
    __tablename__ = "claim_entities"

    claim_id: str = Field(foreign_key="claims.id", primary_key=True)
    entity_id: int = Field(foreign_key="entities.id", primary_key=True, index=True)
    text: str = Field(primary_key=True, description="The mention as written")
    start_char: int
    end_char: int


class Proposition(SQLModel, table=True):
    __tablename__ = "propositions"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, description="Canonical subject | predicate lemma | object head")
    label: str = Field(description="A readable statement of the proposition")
    n_claims: int = 0
    first_seen: str | None = None
    last_seen: str | None = None
    # distinct (certainty, polarity) pairs among its claims: > 1 when the assessment changed
    n_assessments: int = 0
    # claims whose stored change label is a change (not first_seen or repeated): > 0 when the assessment changed
    n_changes: int = 0


class Run(SQLModel, table=True):
    __tablename__ = "runs"

    id: int | None = Field(default=None, primary_key=True)
    command: str
    tool_version: str
    extractor_version: str
    parser: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    n_documents: int = 0
    n_duplicates: int = 0
    n_failed: int = 0
    n_sentences: int = 0
    n_claims: int = 0


class Problem(SQLModel, table=True):
    __tablename__ = "problems"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int | None = Field(default=None, foreign_key="runs.id", index=True)
    path: str
    error: str = Field(description="Kind of problem: the error class")
    message: str
    fix: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


# --- The export shape -------------------------------------------------------
# ``ClaimRecord`` is what ``claims export`` writes, one per line; the JSON
# Schema in ``schema/claim.schema.json`` is generated from it and a test fails
# when the two drift apart.


class HedgeCueOut(HedgeCueBase):
    pass


class AttributionLink(SQLModel):
    source_text: str
    source_type: SourceType
    cue: str | None = None


class AttributionOut(SQLModel):
    source_text: str
    source_type: SourceType
    cue: str | None
    implicit: bool = Field(description="True when no source is named and the document's author (or its --source) asserts it")
    chain: list[AttributionLink] = Field(description="From the document's author inward")


class EventDateOut(SQLModel):
    text: str
    value: str | None = Field(description="ISO day, YYYY-MM or YYYY; null when unresolved")
    granularity: str | None
    is_relative: bool


class EntityOut(SQLModel):
    text: str
    label: str
    canonical: str


# The record, field by field in its order. ``CLAIM``: the stored claim's field (ClaimBase's type),
# required; a bare ``Field(...)``: the same, with the export's own constraint or description; a
# ``(type, Field)`` pair: what the record gathers beyond the claim row (its document, sentence and
# child rows). Every field is required in the export: present, null where the type allows.
CLAIM = ...
RECORD_FIELDS: dict[str, Any] = {
    "claim_id": (str, ...),
    "document_id": CLAIM,
    "doc_date": Field(schema_extra={"pattern": r"^\d{4}-\d{2}-\d{2}$"}),
    "doc_title": (str | None, ...),
    "doc_source": (str | None, ...),
    "sentence_id": CLAIM,
    "sentence_text": (str, ...),
    "start_char": Field(ge=0),
    "end_char": Field(ge=0),
    "text": CLAIM,
    "subject": CLAIM,
    "predicate": CLAIM,
    "object": CLAIM,
    "clause_type": CLAIM,
    "polarity": CLAIM,
    "certainty": CLAIM,
    "certainty_term": CLAIM,
    "hedge_level": CLAIM,
    "hedge_cues": (list[HedgeCueOut], ...),
    "estimative_band": Field(description="ICD 203 likelihood band (claims/extract/lexicons/estimative.yml); null when none"),
    "confidence": Field(description="Stated analytic confidence: low, moderate or high; null when not stated"),
    "attribution": (AttributionOut, Field(description="Who asserts it: the innermost source, or the document's author (implicit)")),
    "statement_date": Field(description="When the source said it (ISO, resolved against doc_date); null when the text does not say"),
    "statement_date_text": Field(description="The words of the statement date"),
    "event_dates": (list[EventDateOut], ...),
    "entities": (list[EntityOut], ...),
    "proposition_id": CLAIM,
    "parser": CLAIM,
    "extractor_version": CLAIM,
}
# the stored claim's fields the record carries as they are (build_records copies them by name)
CLAIM_FIELDS_EXPORTED = tuple(n for n, spec in RECORD_FIELDS.items() if not isinstance(spec, tuple))


def _record_field(name: str, spec: Any) -> tuple[Any, Any]:
    if isinstance(spec, tuple):
        return spec
    annotation = ClaimBase.model_fields[name].annotation
    return (annotation, ...) if spec is CLAIM else (annotation, spec)


if TYPE_CHECKING:  # a model built from RECORD_FIELDS at import: to a type checker, any attribute
    ClaimRecord = Any
else:
    ClaimRecord = create_model(
        "ClaimRecord",
        __base__=SQLModel,
        **{name: _record_field(name, spec) for name, spec in RECORD_FIELDS.items()},
    )


# --- Linking decisions and reviewer actions ---------------------------------
# Claim ids are deterministic and ``claims reextract`` rewrites claims with the
# same ids, so these tables name claims by id without a foreign key: they
# outlive the rows they describe and are re-applied to the new ones.


class PropositionLink(SQLModel, table=True):
    """Why a claim belongs to its proposition: one row per claim."""

    __tablename__ = "proposition_links"

    claim_id: str = Field(primary_key=True, description="The claim (no foreign key: kept across re-extraction)")
    proposition_id: int = Field(foreign_key="propositions.id", index=True)
    method: str = Field(index=True, description="key | fuzzy | new | review")
    score: float = Field(description="Similarity to the matched claim, 0-1 (1 for key and review)")
    matched_claim_id: str | None = Field(default=None, description="The earlier claim it was matched to")
    reason: str
    linker_version: str = ""


class ClaimVector(SQLModel, table=True):
    """A claim's neutral text and its sentence vector (claims.embed), kept across re-extraction while the text is the same."""

    __tablename__ = "claim_vectors"

    claim_id: str = Field(primary_key=True, description="The claim (no foreign key: kept across re-extraction)")
    model: str = Field(description="The embedding model and build that made the vector")
    neutral: str = Field(description="The text embedded: the claim without polarity, hedges, attribution, time or figures")
    vector: bytes = Field(description="float16, unit length")


class ReviewAction(SQLModel, table=True):
    """A fact-checker's merge or split: the audit trail, re-applied after re-extraction."""

    __tablename__ = "review_actions"

    id: int | None = Field(default=None, primary_key=True)
    action: str = Field(index=True, description="merge | split")
    proposition_id: int = Field(foreign_key="propositions.id", index=True, description="Where the claims went")
    from_proposition_id: int | None = Field(default=None, foreign_key="propositions.id", description="Where they came from")
    claim_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON), description="The claims moved")
    reason: str | None = None
    reviewer: str | None = None
    created_at: datetime = Field(default_factory=utcnow)

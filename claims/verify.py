"""Re-check every quoted span against the stored document text and its hash.

A report quotes claims by character offsets into the stored text; this is
what makes the quotes trustworthy. ``verify()`` recomputes each document's
sha256 and compares every stored span (sentences, claims, hedge cues,
attribution sources and cues, time expressions, entity mentions) with the
text at its offsets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from . import model as m
from .ingest import content_hash


@dataclass(frozen=True)
class Mismatch:
    kind: str  # hash | sentence | claim | hedge_cue | source | cue | time_ref | entity
    document_id: str
    row_id: str
    expected: str  # what the row says
    found: str  # what the document has at those offsets

    def __str__(self) -> str:
        return f"{self.kind} {self.row_id} in document {self.document_id}: stored {self.expected!r}, text has {self.found!r}"


@dataclass
class VerifyResult:
    n_documents: int = 0
    n_spans: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _spans(s: Session, doc: m.Document) -> Iterator[tuple[str, str, str, int | None, int | None]]:
    """(kind, row id, stored text, start, end) of every span stored for a document."""
    for x in s.exec(select(m.Sentence).where(m.Sentence.document_id == doc.id)):
        yield "sentence", x.id, x.text, x.start_char, x.end_char
    claims = {c.id: c for c in s.exec(select(m.Claim).where(m.Claim.document_id == doc.id))}
    for c in claims.values():
        yield "claim", c.id, c.text, c.start_char, c.end_char
    ids = list(claims)
    if not ids:
        return
    for h in s.exec(select(m.HedgeCueRow).where(col(m.HedgeCueRow.claim_id).in_(ids))):
        yield "hedge_cue", f"{h.claim_id}#{h.id}", h.text, h.start_char, h.end_char
    for a in s.exec(select(m.Attribution).where(col(m.Attribution.claim_id).in_(ids))):
        if a.source_start is not None:
            yield "source", f"{a.claim_id}#{a.id}", a.source_text, a.source_start, a.source_end
        if a.cue is not None and a.cue_start is not None:
            yield "cue", f"{a.claim_id}#{a.id}", a.cue, a.cue_start, a.cue_end
    for t in s.exec(select(m.TimeRefRow).where(col(m.TimeRefRow.claim_id).in_(ids))):
        yield "time_ref", f"{t.claim_id}#{t.id}", t.text, t.start_char, t.end_char
    for e in s.exec(select(m.ClaimEntity).where(col(m.ClaimEntity.claim_id).in_(ids))):
        yield "entity", f"{e.claim_id}#{e.entity_id}", e.text, e.start_char, e.end_char


def verify(s: Session) -> VerifyResult:
    result = VerifyResult()
    for doc in s.exec(select(m.Document).order_by(m.Document.id)):
        result.n_documents += 1
        digest = content_hash(doc.text)
        if digest != doc.content_hash:
            result.mismatches.append(Mismatch("hash", doc.id, doc.id, doc.content_hash, digest))
        for kind, row_id, stored, start, end in _spans(s, doc):
            result.n_spans += 1
            if start is None or end is None or not 0 <= start <= end <= len(doc.text):
                result.mismatches.append(Mismatch(kind, doc.id, row_id, stored, f"<offsets {start}-{end} outside the text>"))
                continue
            found = doc.text[start:end]
            if found != stored:
                result.mismatches.append(Mismatch(kind, doc.id, row_id, stored, found))
    return result

"""How the assessment of a proposition changed: its claims in date order, and what changed.

``timelines()`` reads propositions from the store and returns
:class:`PropositionTimeline` records (pydantic, JSON-ready): each claim with
its firmness, source chain, document and provenance, and a change label
against the assessment before it. ``claims compare`` prints them;
:mod:`claims.report` renders them as Markdown, HTML, JSON, PROV and ClaimReview.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, or_, select

from . import model as m
from .changes import (  # noqa: F401  (re-exported)
    CERTAINTY_RANK,
    HEDGE_RANK,
    PRIORITY,
    Change,
    Figure,
    figures,
    firmness,
    label_changes,
    source_identity,
)
from .errors import QueryError


def distinct_words(words: Any) -> list[str]:
    """Each word once (case-insensitively), in order: a cue that is both the certainty and the attribution cue ("believe") is listed once."""
    seen: set[str] = set()
    out = []
    for w in words:
        if w.lower() not in seen:
            seen.add(w.lower())
            out.append(w)
    return out


# --- the timeline records ---------------------------------------------------------


class SourceLinkOut(BaseModel):
    source_text: str
    source_type: str
    cue: str | None = None


class DocumentRef(BaseModel):
    id: str
    title: str | None
    source: str | None
    url: str | None
    date: str
    file_name: str | None = Field(description="The file it was read from (name only)")
    format: str
    content_hash: str = Field(description="sha256 of the stored (normalised) text")
    ingest_run_id: int | None


class LinkOut(BaseModel):
    method: str = Field(description="key | fuzzy | new | review")
    score: float
    reason: str


class Assessment(BaseModel):
    claim_id: str
    date: str
    quote: str = Field(description="The claim verbatim: document text[start_char:end_char]")
    sentence: str
    start_char: int = Field(ge=0)
    end_char: int = Field(ge=0)
    sentence_start: int = Field(ge=0)
    sentence_end: int = Field(ge=0)
    polarity: str
    certainty: str
    certainty_term: str | None
    hedge_level: str
    cues: list[str] = Field(description="Hedge, booster and attribution cue words, as written")
    source: str = Field(description="The innermost source; the document's publisher when unattributed")
    source_type: str
    chain: list[SourceLinkOut] = Field(description="From the document's author inward")
    figures: list[Figure]
    document: DocumentRef
    parser: str
    parser_version: str
    extractor_version: str
    link: LinkOut | None
    change: Change = Field(description="Stored at link time (claims.change_label), against the claim before it")
    changes: list[Change] = Field(description="The stored label, as a list (kept for the report formats)")
    change_detail: str = Field(description="Stored at link time (claims.change_detail); empty when nothing to say")
    previous_claim_id: str | None = Field(default=None, description="The claim before it in the proposition's date order")


class ReviewOut(BaseModel):
    id: int
    action: str
    claim_ids: list[str]
    reason: str | None
    reviewer: str | None
    created_at: str


class SourceCount(BaseModel):
    """One distinct source of a proposition, and what the data shows of how it is known."""

    source: str
    n_documents: int
    through: list[str] = Field(description="Other sources of this proposition whose documents are the only place it is quoted (a chain)")

    @property
    def text(self) -> str:
        docs = f"{self.n_documents} document{'s' if self.n_documents != 1 else ''}"
        return f"{self.source} ({docs}" + (f"; known only through {', '.join(self.through)}'s document)" if self.through else ")")


class PropositionTimeline(BaseModel):
    id: int
    key: str
    label: str
    first_seen: str | None
    last_seen: str | None
    n_claims: int
    n_documents: int
    n_sources: int = Field(description="Distinct innermost sources; unattributed claims count as their publisher. Nothing here shows they are independent")
    sources: list[str]
    source_counts: list[SourceCount] = Field(default_factory=list, description="Each distinct source: in how many documents, and through whose documents")
    changed: bool = Field(description="True when any assessment after the first is not 'repeated'")
    assessments: list[Assessment]
    reviews: list[ReviewOut]


# --- building them ------------------------------------------------------------------


def proposition_ids(
    s: Session,
    entity: str | None = None,
    proposition: int | None = None,
    query: str | None = None,
    claim: str | None = None,
) -> list[int]:
    """Which propositions a query names, by id; all linked propositions when none is given."""
    if proposition is not None:
        if s.get(m.Proposition, proposition) is None:
            raise QueryError(f"no proposition {proposition}", fix="list them with `claims compare` or in the propositions table")
        return [proposition]
    if claim is not None:
        c = s.get(m.Claim, claim)
        if c is None or c.proposition_id is None:
            raise QueryError(f"no claim {claim}", fix="claim ids look like <document>:<sentence>:<word>; see `claims export`")
        return [c.proposition_id]
    stmt = select(m.Claim.proposition_id).where(col(m.Claim.proposition_id).is_not(None)).distinct()
    if entity is not None:
        needle = entity.strip().lower()
        ids = [
            cid
            for cid in s.exec(
                select(m.ClaimEntity.claim_id).join(m.Entity, m.ClaimEntity.entity_id == m.Entity.id)  # type: ignore[arg-type]
                .where(or_(func_lower(m.Entity.canonical) == needle, func_lower(m.ClaimEntity.text) == needle))
            )
        ]
        ids += [c for c in s.exec(select(m.Claim.id).where(or_(func_lower(m.Claim.subject) == needle, col(m.Claim.proposition_key).like(f"{needle}|%"))))]
        if not ids:
            raise QueryError(f"no claim mentions the entity {entity!r}", fix="try the canonical name (see the entities table) or --query TEXT")
        stmt = stmt.where(col(m.Claim.id).in_(ids))
    if query is not None:
        words = [w for w in re.findall(r"\w+", query.lower()) if len(w) > 1]
        if not words:
            raise QueryError(f"query {query!r} has no words to search for", fix="give one or more words")
        for w in words:
            stmt = stmt.where(func_lower(m.Claim.text).like(f"%{w}%"))
    return sorted(pid for pid in s.exec(stmt) if pid is not None)


def func_lower(column: Any) -> Any:
    from sqlalchemy import func

    return func.lower(column)


def timelines(
    s: Session,
    ids: Sequence[int],
    since: str | None = None,
    until: str | None = None,
    min_claims: int = 1,
) -> list[PropositionTimeline]:
    """The timeline of each proposition, claims in date order, between ``since`` and ``until`` (inclusive)."""
    if not ids:
        return []
    stmt = select(m.Claim).where(col(m.Claim.proposition_id).in_(list(ids)))
    if since:
        stmt = stmt.where(m.Claim.doc_date >= since)
    if until:
        stmt = stmt.where(m.Claim.doc_date <= until)
    claims = list(s.exec(stmt.order_by(m.Claim.doc_date, m.Claim.document_id, m.Claim.start_char, m.Claim.id)))  # type: ignore[arg-type]
    by_prop: dict[int, list[m.Claim]] = defaultdict(list)
    for c in claims:
        assert c.proposition_id is not None
        by_prop[c.proposition_id].append(c)
    if not by_prop:
        return []
    from .export import build_records, load_related

    related = load_related(s, claims)
    records = {r.claim_id: r for r in build_records(s, claims, related)}
    docs, sents = related.docs, related.sents
    links = {x.claim_id: x for x in s.exec(select(m.PropositionLink).where(col(m.PropositionLink.claim_id).in_([c.id for c in claims])))}
    times = {cid: [(t.start_char, t.end_char) for t in rows] for cid, rows in related.times.items()}
    cue_words: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for cid, hedge_rows in related.hedges.items():
        cue_words[cid].extend((h.start_char, h.text) for h in hedge_rows)
    for cid, chain_rows in related.chains.items():
        cue_words[cid].extend((a.cue_start if a.cue_start is not None else -1, a.cue) for a in chain_rows if a.cue)
    reviews: dict[int, list[ReviewOut]] = defaultdict(list)
    for r in s.exec(select(m.ReviewAction).order_by(col(m.ReviewAction.id))):
        out = ReviewOut(id=r.id or 0, action=r.action, claim_ids=r.claim_ids, reason=r.reason, reviewer=r.reviewer, created_at=r.created_at.isoformat())
        for pid in {r.proposition_id, r.from_proposition_id}:
            if pid is not None:
                reviews[pid].append(out)
    result = []
    for pid in sorted(by_prop):
        items = by_prop[pid]
        if len(items) < min_claims:
            continue
        prop = s.get(m.Proposition, pid)
        assert prop is not None
        assessments, identities = [], []
        for c in items:
            doc, sent, rec, link = docs[c.document_id], sents[c.sentence_id], records[c.id], links.get(c.id)
            chain = rec.attribution.chain if rec.attribution else [m.AttributionLink(source_text=doc.source or "the author", source_type=m.SourceType.author)]
            skip = [(a - c.start_char, b - c.start_char) for a, b in times.get(c.id, [])]
            assessments.append(
                Assessment(
                    claim_id=c.id,
                    date=c.doc_date,
                    quote=c.text,
                    sentence=sent.text,
                    start_char=c.start_char,
                    end_char=c.end_char,
                    sentence_start=sent.start_char,
                    sentence_end=sent.end_char,
                    polarity=c.polarity.value,
                    certainty=c.certainty.value,
                    certainty_term=c.certainty_term,
                    hedge_level=c.hedge_level.value,
                    cues=distinct_words(w for _, w in sorted(cue_words[c.id])),
                    source=c.source_text if c.source_type != m.SourceType.author else (doc.source or "the author"),
                    source_type=c.source_type.value,
                    chain=[SourceLinkOut(source_text=x.source_text, source_type=x.source_type.value, cue=x.cue) for x in chain],
                    figures=figures(c.text, skip),
                    document=DocumentRef(
                        id=doc.id,
                        title=doc.title,
                        source=doc.source,
                        url=doc.url,
                        date=doc.doc_date,
                        file_name=(doc.path or "").replace("\\", "/").rsplit("/", 1)[-1] or None,
                        format=doc.format,
                        content_hash=doc.content_hash,
                        ingest_run_id=doc.run_id,
                    ),
                    parser=c.parser,
                    parser_version=sent.parser_version,
                    extractor_version=c.extractor_version,
                    link=LinkOut(method=link.method, score=link.score, reason=link.reason) if link else None,
                    change=Change[c.change_label or "first_seen"],
                    changes=[Change[c.change_label or "first_seen"]],
                    change_detail=c.change_detail or "",
                    previous_claim_id=c.previous_claim_id,
                )
            )
            identities.append(source_identity(c.source_type.value, c.source_text, doc.source, doc.id))
        distinct = list(dict.fromkeys(identities))
        result.append(
            PropositionTimeline(
                id=pid,
                key=prop.key,
                label=prop.label,
                first_seen=items[0].doc_date,
                last_seen=items[-1].doc_date,
                n_claims=len(items),
                n_documents=len({c.document_id for c in items}),
                n_sources=len(distinct),
                sources=distinct,
                source_counts=source_counts(items, identities, docs),
                changed=any(a.change != Change.repeated for a in assessments[1:]),
                assessments=assessments,
                reviews=reviews.get(pid, []),
            )
        )
    return result


def source_counts(items: Sequence[m.Claim], identities: Sequence[str], docs: dict[str, m.Document]) -> list[SourceCount]:
    """Distinct sources, each with its documents and, when it is only ever quoted in another source's documents, whose."""
    distinct = list(dict.fromkeys(identities))
    out = []
    for who in distinct:
        mine = [c for c, w in zip(items, identities, strict=True) if w == who]
        publishers = {source_identity("author", "", docs[c.document_id].source, c.document_id) for c in mine}
        quoted_only = all(c.source_type != m.SourceType.author for c in mine)
        # an unnamed publisher is no known source: a claim quoted in its document shows no chain
        named = set(distinct) - {who, source_identity("author", "", None, "")}
        through = sorted(publishers) if quoted_only and publishers <= named else []
        out.append(SourceCount(source=who, n_documents=len({c.document_id for c in mine}), through=through))
    return out


def compare(
    s: Session,
    entity: str | None = None,
    proposition: int | None = None,
    query: str | None = None,
    since: str | None = None,
    until: str | None = None,
    min_claims: int | None = None,
) -> list[PropositionTimeline]:
    """Timelines for a query; without ``--proposition`` only propositions with two claims or more."""
    ids = proposition_ids(s, entity=entity, proposition=proposition, query=query)
    floor = min_claims if min_claims is not None else (1 if proposition is not None else 2)
    return timelines(s, ids, since=since, until=until, min_claims=floor)

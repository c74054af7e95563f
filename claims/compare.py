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
from enum import Enum
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, or_, select

from . import model as m
from .errors import ClaimsError

CERTAINTY_RANK = {"unknown": 0, "possible": 1, "probable": 2, "certain": 3}
# Low hedging is mostly approximators on figures ("more than fifty"): not a weaker commitment.
HEDGE_RANK = {"none": 0, "low": 0, "medium": 1, "high": 2}


class Change(str, Enum):
    first_seen = "first seen"
    repeated = "repeated"
    strengthened = "strengthened"
    weakened = "weakened"
    reversed = "reversed"
    new_source = "new source"
    figure_changed = "figure changed"


# The label shown when several apply: the one a reader most needs to see.
PRIORITY = [Change.reversed, Change.figure_changed, Change.strengthened, Change.weakened, Change.new_source, Change.repeated]


class QueryError(ClaimsError):
    """A compare or report query that finds nothing."""


# --- figures --------------------------------------------------------------------

UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split())}
TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 1_000_000_000_000}
NUMBER_WORD = "|".join(sorted([*UNITS, *TENS, *SCALES, "dozen"], key=len, reverse=True))
QUALIFIER = r"more than|fewer than|less than|at least|at most|up to|nearly|almost|about|around|roughly|approximately|over|under|some|dozens of|hundreds of|thousands of"
FIGURE = re.compile(
    rf"(?<!\w)(?:(?P<q>{QUALIFIER})\s+)?(?:US)?[$£€]?\s?(?:(?P<d>\d[\d,]*(?:\.\d+)?)(?:\s*(?P<ds>{'|'.join(SCALES)}))?"
    rf"|(?P<w>(?:(?:{NUMBER_WORD})(?!\w)(?:[\s-]+(?:and\s+)?)?)+))(?![\w])",
    re.I,
)


class Figure(BaseModel):
    text: str = Field(description="As written")
    value: float
    qualifier: str | None = Field(default=None, description="more than, at least, nearly, ...")


def words_value(words: str) -> float | None:
    total = current = 0
    seen = False
    for w in re.split(r"[\s-]+", words.lower()):
        if not w or w == "and":
            continue
        if w in UNITS:
            current += UNITS[w]
        elif w in TENS:
            current += TENS[w]
        elif w == "dozen":
            current = (current or 1) * 12
        elif w in SCALES:
            total += (current or 1) * SCALES[w]
            current = 0
        else:
            return None
        seen = True
    return float(total + current) if seen else None


def figures(text: str, skip: Sequence[tuple[int, int]] = ()) -> list[Figure]:
    """Numbers in a claim, in words or digits, outside the given spans (dates, times)."""
    out = []
    for mt in FIGURE.finditer(text):
        start = mt.start("d") if mt.group("d") else mt.start("w")
        if any(a <= start < b for a, b in skip):
            continue
        if mt.group("d"):
            raw = mt.group("d").replace(",", "")
            try:
                value = float(raw)
            except ValueError:
                continue
            if mt.group("ds"):
                value *= SCALES[mt.group("ds").lower()]
        else:
            words = mt.group("w").strip()
            if words.lower() == "one":
                continue  # mostly a pronoun: "no one", "one of them"
            parsed = words_value(words)
            if parsed is None:
                continue
            value = parsed
        out.append(Figure(text=mt.group(0).strip(), value=value, qualifier=(mt.group("q") or None) and mt.group("q").lower()))
    return out


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
    change: Change
    changes: list[Change]
    change_detail: str


class ReviewOut(BaseModel):
    id: int
    action: str
    claim_ids: list[str]
    reason: str | None
    reviewer: str | None
    created_at: str


class PropositionTimeline(BaseModel):
    id: int
    key: str
    label: str
    first_seen: str | None
    last_seen: str | None
    n_claims: int
    n_documents: int
    n_sources: int = Field(description="Distinct innermost sources; unattributed claims count as their publisher")
    sources: list[str]
    changed: bool = Field(description="True when any assessment after the first is not 'repeated'")
    assessments: list[Assessment]
    reviews: list[ReviewOut]


# --- building them ------------------------------------------------------------------


def source_identity(claim: m.Claim, doc: m.Document) -> str:
    """Who stands behind a claim, for counting independent sources."""
    if claim.source_type == m.SourceType.author:
        return doc.source or f"the author of document {doc.id}"
    return re.sub(r"^(?:the|a|an)\s+", "", claim.source_text.strip(), flags=re.I)


def firmness(a: Assessment) -> tuple[int, int]:
    return CERTAINTY_RANK.get(a.certainty, 0), -HEDGE_RANK.get(a.hedge_level, 0)


def _fig(fs: list[Figure]) -> str:
    return ", ".join(f.text for f in fs)


def label_changes(items: list[Assessment], identities: list[str]) -> None:
    """Set ``change``, ``changes`` and ``change_detail`` of each assessment against the one before."""
    seen: set[str] = set()
    for i, (a, who) in enumerate(zip(items, identities, strict=True)):
        if i == 0:
            a.change, a.changes = Change.first_seen, [Change.first_seen]
            a.change_detail = f"first seen: {a.polarity}, {a.certainty}, according to {a.source}"
            seen.add(who)
            continue
        prev = items[i - 1]
        found: list[Change] = []
        details: list[str] = []
        if a.polarity != prev.polarity:
            found.append(Change.reversed)
            details.append(f"polarity {prev.polarity} → {a.polarity}")
        if a.figures and prev.figures and sorted(f.value for f in a.figures) != sorted(f.value for f in prev.figures):
            found.append(Change.figure_changed)
            details.append(f"figure {_fig(prev.figures)} → {_fig(a.figures)}")
        before, now = firmness(prev), firmness(a)
        # across a reversal, "firmer" compares two different assertions: the detail says it
        if now > before and Change.reversed not in found:
            found.append(Change.strengthened)
        elif now < before and Change.reversed not in found:
            found.append(Change.weakened)
        if now != before:
            details.append(f"certainty {prev.certainty} (hedging {prev.hedge_level}) → {a.certainty} (hedging {a.hedge_level})")
        if who not in seen:
            found.append(Change.new_source)
            details.append(f"new source: {a.source}")
        seen.add(who)
        if not found:
            found.append(Change.repeated)
            details.append(f"repeated by {a.source}")
        a.changes = [c for c in PRIORITY if c in found]
        a.change = a.changes[0]
        a.change_detail = "; ".join(details)


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
    from .export import build_records

    records = {r.claim_id: r for r in build_records(s, claims)}
    docs = {d.id: d for d in s.exec(select(m.Document).where(col(m.Document.id).in_({c.document_id for c in claims})))}
    sents = {x.id: x for x in s.exec(select(m.Sentence).where(col(m.Sentence.id).in_({c.sentence_id for c in claims})))}
    links = {x.claim_id: x for x in s.exec(select(m.PropositionLink).where(col(m.PropositionLink.claim_id).in_([c.id for c in claims])))}
    times: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for t in s.exec(select(m.TimeRefRow).where(col(m.TimeRefRow.claim_id).in_([c.id for c in claims]))):
        times[t.claim_id].append((t.start_char, t.end_char))
    cue_words: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for h in s.exec(select(m.HedgeCueRow).where(col(m.HedgeCueRow.claim_id).in_([c.id for c in claims]))):
        cue_words[h.claim_id].append((h.start_char, h.text))
    for a in s.exec(select(m.Attribution).where(col(m.Attribution.claim_id).in_([c.id for c in claims]))):
        if a.cue:
            cue_words[a.claim_id].append((a.cue_start if a.cue_start is not None else -1, a.cue))
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
            skip = [(a - c.start_char, b - c.start_char) for a, b in times[c.id]]
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
                    change=Change.first_seen,
                    changes=[],
                    change_detail="",
                )
            )
            identities.append(source_identity(c, doc))
        label_changes(assessments, identities)
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
                changed=any(a.change != Change.repeated for a in assessments[1:]),
                assessments=assessments,
                reviews=reviews.get(pid, []),
            )
        )
    return result


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

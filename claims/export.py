"""Claims out: one ``ClaimRecord`` per claim, valid against ``schema/claim.schema.json``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from . import model as m
from . import resources
from .store import engine_for

SCHEMA_PATH = resources.schema_path("claim.schema.json")


def claim_schema() -> dict[str, Any]:
    schema = m.ClaimRecord.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://claims.example/schema/claim.schema.json",
        "description": "One claim as written by `claims export` (generated from claims.model.ClaimRecord).",
        **schema,
    }


def _grouped(s: Session, table: Any, ids: list[str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for row in s.exec(select(table).where(table.claim_id.in_(ids))):
        out[row.claim_id].append(row)
    return out


@dataclass
class Related:
    """What a list of claims' records are built from, read once (``timelines`` reads it too)."""

    docs: dict[str, m.Document]
    sents: dict[str, m.Sentence]
    chains: dict[str, list[m.Attribution]]
    hedges: dict[str, list[m.HedgeCueRow]]
    times: dict[str, list[m.TimeRefRow]]
    ents: dict[str, list[tuple[m.ClaimEntity, m.Entity]]]


def load_related(s: Session, claims: list[m.Claim]) -> Related:
    """The documents, sentences and child rows of these claims, one query each."""
    ids = [c.id for c in claims]
    ents: dict[str, list[tuple[m.ClaimEntity, m.Entity]]] = defaultdict(list)
    for ce, ent in s.exec(select(m.ClaimEntity, m.Entity).where(m.ClaimEntity.entity_id == m.Entity.id, m.ClaimEntity.claim_id.in_(ids))):  # type: ignore[attr-defined]
        ents[ce.claim_id].append((ce, ent))
    return Related(
        docs={d.id: d for d in s.exec(select(m.Document).where(m.Document.id.in_({c.document_id for c in claims})))},  # type: ignore[attr-defined]
        sents={x.id: x for x in s.exec(select(m.Sentence).where(m.Sentence.id.in_({c.sentence_id for c in claims})))},  # type: ignore[attr-defined]
        chains=_grouped(s, m.Attribution, ids),
        hedges=_grouped(s, m.HedgeCueRow, ids),
        times=_grouped(s, m.TimeRefRow, ids),
        ents=ents,
    )


def build_records(s: Session, claims: list[m.Claim], related: Related | None = None) -> list[m.ClaimRecord]:
    """Export records for a list of claims, with their documents, sentences and children."""
    r = related if related is not None else load_related(s, claims)
    docs, sents, chains, hedges, times, ents = r.docs, r.sents, r.chains, r.hedges, r.times, r.ents
    out = []
    for c in claims:
        doc = docs[c.document_id]
        chain = sorted(chains.get(c.id, []), key=lambda a: a.depth)
        author = m.AttributionLink(source_text=doc.source or "the author", source_type=m.SourceType.author)
        if chain:
            attribution = m.AttributionOut(
                source_text=chain[-1].source_text,
                source_type=chain[-1].source_type,
                cue=chain[-1].cue,
                implicit=False,
                chain=[author, *[m.AttributionLink(source_text=a.source_text, source_type=a.source_type, cue=a.cue) for a in chain]],
            )
        else:
            # what the desk shows: the document's author (its --source, else "the author") asserts it
            attribution = m.AttributionOut(source_text=author.source_text, source_type=author.source_type, cue=None, implicit=True, chain=[author])
        out.append(
            m.ClaimRecord(
                **{name: getattr(c, name) for name in m.CLAIM_FIELDS_EXPORTED},
                claim_id=c.id,
                doc_title=doc.title,
                doc_source=doc.source,
                sentence_text=sents[c.sentence_id].text,
                hedge_cues=[m.HedgeCueOut.model_validate(h, from_attributes=True) for h in sorted(hedges.get(c.id, []), key=lambda h: h.start_char)],
                attribution=attribution,
                event_dates=[m.EventDateOut.model_validate(t, from_attributes=True) for t in sorted(times.get(c.id, []), key=lambda t: t.start_char)],
                entities=[m.EntityOut(text=ce.text, label=e.label, canonical=e.canonical) for ce, e in sorted(ents.get(c.id, []), key=lambda p: p[0].start_char)],
            )
        )
    return out


def records(db: str | Path, batch: int = 500) -> Iterator[dict[str, Any]]:
    """Every claim as a JSON-ready dict, in document date order."""
    engine = engine_for(db)
    with Session(engine) as s:
        ids = list(s.exec(select(m.Claim.id).order_by(m.Claim.doc_date, m.Claim.document_id, m.Claim.start_char)))  # type: ignore[arg-type]
        for i in range(0, len(ids), batch):
            chunk = ids[i : i + batch]
            claims = {c.id: c for c in s.exec(select(m.Claim).where(m.Claim.id.in_(chunk)))}  # type: ignore[attr-defined]
            for rec in build_records(s, [claims[x] for x in chunk]):
                yield rec.model_dump(mode="json")
    engine.dispose()

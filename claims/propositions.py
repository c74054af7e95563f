"""Propositions: claims that state the same thing, across documents and dates.

First version: claims sharing a key (canonical subject, predicate lemma,
object head) form one proposition, whatever their certainty, polarity or
source.
"""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from . import model as m


def link_propositions(s: Session) -> int:
    """Give every unlinked claim a proposition; returns how many claims were linked."""
    by_key = {p.key: p for p in s.exec(select(m.Proposition))}
    linked = 0
    unlinked = s.exec(
        select(m.Claim).where(col(m.Claim.proposition_id).is_(None)).order_by(m.Claim.doc_date, m.Claim.id)  # type: ignore[arg-type]
    ).all()
    for claim in unlinked:
        key = claim.proposition_key or f"claim:{claim.id}"
        prop = by_key.get(key)
        if prop is None:
            prop = m.Proposition(key=key, label=claim.text)
            s.add(prop)
            s.flush()
            by_key[key] = prop
        claim.proposition_id = prop.id
        s.add(claim)
        linked += 1
    s.flush()
    refresh_counts(s)
    return linked


def refresh_counts(s: Session) -> None:
    """n_claims, first_seen and last_seen of every proposition, from its claims."""
    stats = s.exec(
        select(m.Claim.proposition_id, func.count(), func.min(m.Claim.doc_date), func.max(m.Claim.doc_date)).group_by(
            m.Claim.proposition_id
        )
    ).all()
    counts = {pid: (n, lo, hi) for pid, n, lo, hi in stats}
    for prop in s.exec(select(m.Proposition)):
        n, lo, hi = counts.get(prop.id, (0, None, None))
        prop.n_claims, prop.first_seen, prop.last_seen = n, lo, hi
        s.add(prop)

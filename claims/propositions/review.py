"""Reviewer decisions on propositions: merge two, or split one claim out of its proposition.

A reviewer's word outranks the linker's: each action is stored as a :class:`~claims.model.ReviewAction`
so that re-linking keeps it. Kept apart from linking because it is a person's act, not a computation.
"""

from __future__ import annotations

from sqlmodel import Session, select

from .. import model as m
from ..errors import ReviewError
from . import _record, refresh_counts


def merge(s: Session, into: int, other: int, reason: str | None = None, reviewer: str | None = None) -> m.ReviewAction:
    """Move every claim of proposition ``other`` into ``into``; recorded in ``review_actions``."""
    if into == other:
        raise ReviewError(f"cannot merge proposition {into} into itself", fix="give two different proposition ids")
    for pid in (into, other):
        if s.get(m.Proposition, pid) is None:
            raise ReviewError(f"no proposition {pid}", fix="list them with `claims compare` or the propositions table")
    moved = list(s.exec(select(m.Claim).where(m.Claim.proposition_id == other).order_by(m.Claim.id)))  # type: ignore[arg-type]
    action = m.ReviewAction(
        action="merge", proposition_id=into, from_proposition_id=other, claim_ids=[c.id for c in moved], reason=reason, reviewer=reviewer
    )
    s.add(action)
    s.flush()
    for c in moved:
        _record(s, c, into, "review", 1.0, f"review #{action.id} merge: {reason or 'no reason given'}", None)
    s.flush()
    refresh_counts(s)
    return action


def split(s: Session, claim_id: str, reason: str | None = None, reviewer: str | None = None) -> m.ReviewAction:
    """Take one claim out of its proposition into a new one of its own; recorded in ``review_actions``."""
    claim = s.get(m.Claim, claim_id)
    if claim is None:
        raise ReviewError(f"no claim {claim_id}", fix="claim ids look like <document>:<sentence>:<word>; see `claims export`")
    key = f"split:{claim_id}"
    prop = s.exec(select(m.Proposition).where(m.Proposition.key == key)).first()
    if prop is None:
        prop = m.Proposition(key=key, label=claim.text)
        s.add(prop)
        s.flush()
    assert prop.id is not None
    action = m.ReviewAction(
        action="split", proposition_id=prop.id, from_proposition_id=claim.proposition_id, claim_ids=[claim_id], reason=reason, reviewer=reviewer
    )
    s.add(action)
    s.flush()
    _record(s, claim, prop.id, "review", 1.0, f"review #{action.id} split: {reason or 'no reason given'}", None)
    s.flush()
    refresh_counts(s)
    return action

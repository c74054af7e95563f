"""Propositions: claims that state the same thing, across documents and dates.

A proposition groups claims whatever their certainty, polarity or source:
"Iran is not explicitly directing these groups" and "US officials said that
Iran is directing these groups" are one proposition, asserted differently.

Linking, for each claim not yet linked, in document-date order:

1. a reviewer's decision (``claims link --merge/--split``, kept in
   ``review_actions``) wins, and is re-applied after ``claims reextract``;
2. otherwise the claim joins the proposition of its best-matching earlier
   claim when :func:`similarity` reaches :data:`THRESHOLD`: 1.0 for an
   informative exact key (canonical subject | predicate lemma | object head),
   else a fuzzy score over the *neutral* text (modals, negators, hedge cues,
   attribution and time expressions removed; entities canonicalised;
   numbers as ``#``);
3. otherwise it starts a new proposition.

Every decision is stored in ``proposition_links`` with its score and reason.
The threshold was chosen on hand-labelled pairs (``tests/data/pairs.jsonl``);
see the "Linking" section of docs/evaluation.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from rapidfuzz import fuzz
from sqlmodel import Session, col, func, select

from . import model as m
from .errors import ClaimsError

LINKER_VERSION = "link-2"
# Chosen on the dev half of the labelled pairs (docs/evaluation.md, "Linking").
THRESHOLD = 0.80
# Candidates per new claim: the most recent earlier claims with its predicate lemma.
BLOCK_SIZE = 300

# Words that say how firmly or by whom, not what: removed before comparing.
NEGATORS = frozenset({"not", "n't", "never", "no", "neither", "nor", "none"})
MODALS = frozenset({"can", "could", "may", "might", "must", "shall", "should", "will", "would", "ought"})
# Parts of speech that carry no content of their own in a proposition.
DROP_UPOS = frozenset({"PUNCT", "DET", "AUX", "CCONJ", "SCONJ", "PRON", "PART", "ADP", "SYM", "INTJ", "X"})
# Pronoun subjects make a key uninformative: "it|have|control" names nobody.
WEAK_ARGUMENTS = frozenset({"", "it", "they", "he", "she", "this", "that", "which", "who", "we", "i", "you", "there", "what", "some", "one"})
# Copulas and existentials: "there are concerns" states no content with "be".
LIGHT_VERBS = frozenset({"be", "there"})
# Sentence and discourse adverbs: "already", "however" change no content.
DISCOURSE = frozenset({"already", "also", "even", "still", "however", "nevertheless", "further", "far", "now", "then", "yet", "just", "again", "so", "too"})
NUMBER_WORDS = frozenset(
    "numerous several many multiple few zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
    "million billion trillion dozen dozens hundreds thousands millions billions".split()
)


@lru_cache(maxsize=1)
def hedge_words() -> frozenset[str]:
    """Single-word hedge, booster and distancing adverbs from the shipped lexicon.

    Only dropped when used as adverbs: "direct" is a qualifier in "direct
    control" but the predicate in "directing these groups".
    """
    from .extract.lexicons import lexicons

    h = lexicons().hedges
    words: set[str] = {str(w).lower() for w in h.get("adverbs", {})}
    for table in ("boosters", "qualifiers", "attenuators", "approximators", "distancing"):
        words |= {str(w).lower() for w in h.get(table, []) if " " not in str(w)}
    return frozenset(words)


@dataclass(frozen=True)
class Token:
    text: str
    lemma: str
    upos: str
    start_char: int
    end_char: int


@dataclass
class ClaimView:
    """What linking looks at: a claim's words, and which of them say how firmly or by whom."""

    id: str
    text: str
    start_char: int
    end_char: int
    key: str | None
    predicate: str
    tokens: list[Token] = field(default_factory=list)
    masked: list[tuple[int, int]] = field(default_factory=list)  # hedge cues, attribution, time expressions
    entities: list[tuple[int, int, str]] = field(default_factory=list)  # start, end, canonical

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "start_char": self.start_char,
            "end_char": self.end_char,
            "key": self.key,
            "predicate": self.predicate,
            "tokens": [[t.text, t.lemma, t.upos, t.start_char, t.end_char] for t in self.tokens],
            "masked": [list(x) for x in self.masked],
            "entities": [list(x) for x in self.entities],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ClaimView:
        return cls(
            id=d["id"],
            text=d["text"],
            start_char=d["start_char"],
            end_char=d["end_char"],
            key=d.get("key"),
            predicate=d["predicate"],
            tokens=[Token(*t) for t in d["tokens"]],
            masked=[(a, b) for a, b in d["masked"]],
            entities=[(a, b, c) for a, b, c in d["entities"]],
        )

    @cached_property
    def neutral(self) -> str:
        return neutral_text(self)


def neutral_text(v: ClaimView) -> str:
    """The claim's content words, insensitive to negation, hedging, attribution and figures."""
    out: list[str] = []
    used: set[tuple[int, int, str]] = set()
    hedges = hedge_words()
    for t in v.tokens:
        if t.start_char < v.start_char or t.end_char > v.end_char:
            continue
        if any(a <= t.start_char and t.end_char <= b for a, b in v.masked):
            continue
        ent = next((e for e in v.entities if e[0] <= t.start_char and t.end_char <= e[1]), None)
        if ent is not None:
            if ent not in used:
                used.add(ent)
                out.append(ent[2].lower())
            continue
        lemma = (t.lemma or t.text).lower()
        if lemma.replace(",", "").replace(".", "").isdigit() or lemma in NUMBER_WORDS or t.upos == "NUM":
            if not out or out[-1] != "#":
                out.append("#")
            continue
        if t.upos in DROP_UPOS or lemma in MODALS or lemma in NEGATORS or lemma in LIGHT_VERBS or lemma in DISCOURSE:
            continue
        if t.upos == "ADV" and lemma in hedges:
            continue
        out.append(lemma)
    return " ".join(out)


def informative_key(key: str | None) -> bool:
    if not key:
        return False
    parts = key.split("|")
    return len(parts) == 3 and parts[0] not in WEAK_ARGUMENTS and parts[2] not in WEAK_ARGUMENTS


# --- scorers ------------------------------------------------------------------
# Each takes two views and returns a score in [0, 1]. ``similarity`` is the
# one linking uses; the others are kept to be measured against it.


def score_key(a: ClaimView, b: ClaimView) -> float:
    return 1.0 if a.key and a.key == b.key else 0.0


def score_raw(a: ClaimView, b: ClaimView) -> float:
    return fuzz.token_sort_ratio(a.text.lower(), b.text.lower()) / 100


def score_raw_set(a: ClaimView, b: ClaimView) -> float:
    return fuzz.token_set_ratio(a.text.lower(), b.text.lower()) / 100


def score_neutral(a: ClaimView, b: ClaimView) -> float:
    return fuzz.token_sort_ratio(a.neutral, b.neutral) / 100


def score_neutral_set(a: ClaimView, b: ClaimView) -> float:
    return fuzz.token_set_ratio(a.neutral, b.neutral) / 100


def score_neutral_mix(a: ClaimView, b: ClaimView) -> float:
    na, nb = a.neutral, b.neutral
    if not na or not nb:
        return 0.0
    return (fuzz.token_set_ratio(na, nb) + fuzz.token_sort_ratio(na, nb)) / 200


def score_hybrid(a: ClaimView, b: ClaimView) -> float:
    """Exact informative key → 1.0; else the neutral-text mix, discounted when predicates differ."""
    if informative_key(a.key) and a.key == b.key:
        return 1.0
    s = score_neutral_mix(a, b)
    return s if a.predicate == b.predicate else s * 0.85


SCORERS: dict[str, Callable[[ClaimView, ClaimView], float]] = {
    "key": score_key,
    "raw": score_raw,
    "raw_set": score_raw_set,
    "neutral": score_neutral,
    "neutral_set": score_neutral_set,
    "neutral_mix": score_neutral_mix,
    "hybrid": score_hybrid,
}


def similarity(a: ClaimView, b: ClaimView) -> tuple[float, str, str]:
    """(score, method, reason) of linking claim ``a`` to claim ``b``."""
    if informative_key(a.key) and a.key == b.key:
        return 1.0, "key", f"same key {a.key}"
    s = score_hybrid(a, b)
    same = "same predicate" if a.predicate == b.predicate else f"predicates {a.predicate}/{b.predicate}"
    return s, "fuzzy", f"neutral text {s:.2f} ({same}): '{a.neutral}' ~ '{b.neutral}'"


# --- evaluation on labelled pairs --------------------------------------------


@dataclass(frozen=True)
class Scores:
    threshold: float
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_pairs(path: Any) -> list[tuple[ClaimView, ClaimView, bool, dict[str, Any]]]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                out.append((ClaimView.from_json(d["a"]), ClaimView.from_json(d["b"]), bool(d["same"]), d))
    return out


def sweep(
    pairs: Sequence[tuple[ClaimView, ClaimView, bool, Any]],
    scorer: Callable[[ClaimView, ClaimView], float],
    thresholds: Iterable[float],
) -> list[Scores]:
    scored = [(scorer(a, b), same) for a, b, same, _ in pairs]
    out = []
    for t in thresholds:
        tp = sum(1 for s, y in scored if s >= t and y)
        fp = sum(1 for s, y in scored if s >= t and not y)
        fn = sum(1 for s, y in scored if s < t and y)
        out.append(Scores(round(t, 2), tp, fp, fn, len(scored) - tp - fp - fn))
    return out


# --- views from the database --------------------------------------------------


def conllu_tokens(conllu: str) -> list[Token]:
    """Words of a stored CoNLL-U sentence with their document offsets (from MISC)."""
    out = []
    for line in conllu.splitlines():
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 10 or not cols[0].isdigit():
            continue  # multi-word token ranges and empty nodes
        misc = dict(x.split("=", 1) for x in cols[9].split("|") if "=" in x)
        if "start_char" not in misc or "end_char" not in misc:
            continue
        out.append(Token(cols[1], cols[2] if cols[2] != "_" else cols[1], cols[3], int(misc["start_char"]), int(misc["end_char"])))
    return out


def claim_views(s: Session, claims: Sequence[m.Claim]) -> dict[str, ClaimView]:
    """Views of the given claims, reading their sentences, cues, sources, times and entities."""
    ids = [c.id for c in claims]
    sids = {c.sentence_id for c in claims}
    tokens: dict[str, list[Token]] = {}
    for chunk in _chunks(sorted(sids)):
        for sid, conllu in s.exec(select(m.Sentence.id, m.Sentence.conllu).where(col(m.Sentence.id).in_(chunk))):
            tokens[sid] = conllu_tokens(conllu)
    masked: dict[str, list[tuple[int, int]]] = {i: [] for i in ids}
    entities: dict[str, list[tuple[int, int, str]]] = {i: [] for i in ids}
    for chunk in _chunks(ids):
        for h in s.exec(select(m.HedgeCueRow).where(col(m.HedgeCueRow.claim_id).in_(chunk))):
            masked[h.claim_id].append((h.start_char, h.end_char))
        for t in s.exec(select(m.TimeRefRow).where(col(m.TimeRefRow.claim_id).in_(chunk))):
            masked[t.claim_id].append((t.start_char, t.end_char))
        for a in s.exec(select(m.Attribution).where(col(m.Attribution.claim_id).in_(chunk))):
            for lo, hi in ((a.source_start, a.source_end), (a.cue_start, a.cue_end)):
                if lo is not None and hi is not None:
                    masked[a.claim_id].append((lo, hi))
        for ce, ent in s.exec(
            select(m.ClaimEntity, m.Entity).where(m.ClaimEntity.entity_id == m.Entity.id, col(m.ClaimEntity.claim_id).in_(chunk))
        ):
            entities[ce.claim_id].append((ce.start_char, ce.end_char, ent.canonical))
    return {
        c.id: ClaimView(
            id=c.id,
            text=c.text,
            start_char=c.start_char,
            end_char=c.end_char,
            key=c.proposition_key,
            predicate=c.predicate,
            tokens=tokens.get(c.sentence_id, []),
            masked=sorted(masked[c.id]),
            entities=sorted(entities[c.id]),
        )
        for c in claims
    }


def _chunks(items: Sequence[str], n: int = 500) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


# --- linking ------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    """A reviewer's decision about one claim: it belongs to this proposition."""

    proposition_id: int
    action: m.ReviewAction


def review_state(s: Session) -> tuple[dict[str, Pin], dict[int, int]]:
    """Claim pins (latest action wins) and merge redirects (from → into), from the audit table."""
    pins: dict[str, Pin] = {}
    redirects: dict[int, int] = {}
    for a in s.exec(select(m.ReviewAction).order_by(col(m.ReviewAction.id))):
        for cid in a.claim_ids:
            pins[cid] = Pin(a.proposition_id, a)
        if a.action == "merge" and a.from_proposition_id is not None:
            redirects[a.from_proposition_id] = a.proposition_id
    return pins, redirects


def _resolve(pid: int, redirects: dict[int, int]) -> int:
    seen = set()
    while pid in redirects and pid not in seen:
        seen.add(pid)
        pid = redirects[pid]
    return pid


def _record(s: Session, claim: m.Claim, pid: int, method: str, score: float, reason: str, matched: str | None) -> None:
    row = s.get(m.PropositionLink, claim.id) or m.PropositionLink(claim_id=claim.id, proposition_id=pid, method=method, score=score, reason=reason)
    row.proposition_id, row.method, row.score, row.reason = pid, method, round(score, 4), reason
    row.matched_claim_id, row.linker_version = matched, LINKER_VERSION
    s.add(row)
    claim.proposition_id = pid
    s.add(claim)


def link_propositions(s: Session, threshold: float = THRESHOLD, tidy: bool = False) -> int:
    """Give every unlinked claim a proposition; returns how many claims were linked.

    Reviewer decisions from ``review_actions`` are applied first, so they
    survive ``claims reextract`` (which rewrites claims with the same ids).
    ``tidy`` (after re-extraction) also drops links and propositions whose claims are gone
    and recounts every proposition; otherwise only the propositions touched are recounted.
    """
    unlinked = s.exec(
        select(m.Claim).where(col(m.Claim.proposition_id).is_(None)).order_by(m.Claim.doc_date, m.Claim.document_id, m.Claim.start_char, m.Claim.id)  # type: ignore[arg-type]
    ).all()
    touched: set[int] = set()
    if unlinked:
        pins, redirects = review_state(s)
        split_claims = {cid for cid, pin in pins.items() if pin.action.action == "split"}
        # blocking: a claim is compared only with earlier claims of the same predicate lemma,
        # the most recent BLOCK_SIZE of them, read per predicate (indexed), so a run's cost
        # grows with what it adds, not with the archive
        pool: dict[str, list[m.Claim]] = {}
        for pred in {c.predicate for c in unlinked}:
            recent = s.exec(
                select(m.Claim)
                .where(m.Claim.predicate == pred, col(m.Claim.proposition_id).is_not(None))
                .order_by(col(m.Claim.doc_date).desc(), col(m.Claim.document_id).desc(), col(m.Claim.start_char).desc(), col(m.Claim.id).desc())
                .limit(BLOCK_SIZE)
            ).all()
            pool[pred] = [c for c in reversed(recent) if c.id not in split_claims]
        views = claim_views(s, [*unlinked, *(c for cs in pool.values() for c in cs)])
        with s.no_autoflush:
            for claim in unlinked:
                view = views[claim.id]
                pin = pins.get(claim.id)
                if pin is not None and s.get(m.Proposition, pin.proposition_id) is not None:
                    a = pin.action
                    _record(s, claim, pin.proposition_id, "review", 1.0, f"review #{a.id} {a.action}: {a.reason or 'no reason given'}", None)
                    touched.add(pin.proposition_id)
                    if claim.id not in split_claims:
                        pool[claim.predicate].append(claim)
                    continue
                best: tuple[float, str, str, m.Claim | None] = (0.0, "new", "", None)
                for other in reversed(pool[claim.predicate][-BLOCK_SIZE:]):
                    if other.sentence_id == claim.sentence_id:
                        continue  # two clauses of one sentence state different things ("concerns that X" vs X)
                    score, method, reason = similarity(view, views[other.id])
                    if score > best[0]:
                        best = (score, method, reason, other)
                        if score >= 1.0:
                            break
                score, method, reason, match = best
                if match is not None and match.proposition_id is not None and score >= threshold:
                    pid = _resolve(match.proposition_id, redirects)
                    _record(s, claim, pid, method, score, f"{reason}; matched {match.id}", match.id)
                else:
                    key = claim.proposition_key if claim.proposition_key and informative_key(claim.proposition_key) else f"claim:{claim.id}"
                    pid_found = s.exec(select(m.Proposition.id).where(m.Proposition.key == key).order_by(col(m.Proposition.id))).first()
                    if pid_found is None:
                        prop = m.Proposition(key=key, label=claim.text)
                        s.add(prop)
                        s.flush()
                        assert prop.id is not None
                        pid_found = prop.id
                        why = f"new proposition: best match {score:.2f} < {threshold:.2f}" if match else "new proposition: nothing earlier to match"
                    else:  # the proposition survives from before a re-extraction
                        why = f"proposition of key {key}, kept across re-extraction"
                    pid = _resolve(pid_found, redirects)
                    _record(s, claim, pid, "new", 1.0 if match is None else score, why, None)
                touched.add(pid)
                pool[claim.predicate].append(claim)
        s.flush()
    if tidy:
        _tidy(s)
        refresh_counts(s)
    elif touched:
        refresh_counts(s, touched)
    return len(unlinked)


def _tidy(s: Session) -> None:
    """Drop link rows of claims that no longer exist, and propositions nothing refers to."""
    claim_ids = set(s.exec(select(m.Claim.id)))
    for row in s.exec(select(m.PropositionLink)):
        if row.claim_id not in claim_ids:
            s.delete(row)
    s.flush()
    used = {pid for pid in s.exec(select(m.Claim.proposition_id).distinct()) if pid is not None}
    for a in s.exec(select(m.ReviewAction)):
        used |= {a.proposition_id, a.from_proposition_id or -1}
    for p in s.exec(select(m.Proposition)):
        if p.id not in used:
            s.delete(p)
    s.flush()


def refresh_counts(s: Session, pids: set[int] | None = None) -> None:
    """n_claims, first_seen and last_seen of the given propositions (default: all), from their claims."""
    query = select(m.Claim.proposition_id, func.count(), func.min(m.Claim.doc_date), func.max(m.Claim.doc_date))
    props = select(m.Proposition)
    if pids is not None:
        query = query.where(col(m.Claim.proposition_id).in_(pids))
        props = props.where(col(m.Proposition.id).in_(pids))
    stats = s.exec(query.group_by(m.Claim.proposition_id)).all()  # type: ignore[arg-type]
    counts = {pid: (n, lo, hi) for pid, n, lo, hi in stats}
    for prop in s.exec(props):
        n, lo, hi = counts.get(prop.id, (0, None, None))
        prop.n_claims, prop.first_seen, prop.last_seen = n, lo, hi
        s.add(prop)


# --- reviewer decisions -------------------------------------------------------


class ReviewError(ClaimsError):
    """A merge or split that names something not in the database."""


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

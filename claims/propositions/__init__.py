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

import gc
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

from rapidfuzz import fuzz
from sqlalchemy import insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from .. import model as m
from ..changes import NUMBER_WORDS as FIGURE_NUMBER_WORDS
from ..nlp.conllu import document_from_stored
from ..store import chunks, linked_parts, table

log = logging.getLogger(__name__)

LINKER_VERSION = "link-3"
# Chosen on the dev half of the labelled pairs (docs/evaluation.md, "Linking").
THRESHOLD = 0.80
# Candidates per new claim: the most recent earlier claims with its predicate lemma.
BLOCK_SIZE = 300

# Words that say how firmly or by whom, not what: removed before comparing (and the
# negators of polarity.yml, negator_words()).
MODALS = frozenset({"can", "could", "may", "might", "must", "shall", "should", "will", "would", "ought"})
# Parts of speech that carry no content of their own in a proposition.
DROP_UPOS = frozenset({"PUNCT", "DET", "AUX", "CCONJ", "SCONJ", "PRON", "PART", "ADP", "SYM", "INTJ", "X"})
# Pronoun subjects make a key uninformative: "it|have|control" names nobody.
WEAK_ARGUMENTS = frozenset({"", "it", "they", "he", "she", "this", "that", "which", "who", "we", "i", "you", "there", "what", "some", "one"})
# Copulas and existentials: "there are concerns" states no content with "be".
LIGHT_VERBS = frozenset({"be", "there"})
# Sentence and discourse adverbs: "already", "however" change no content.
DISCOURSE = frozenset({"already", "also", "even", "still", "however", "nevertheless", "further", "far", "now", "then", "yet", "just", "again", "so", "too", "additionally", "meanwhile", "moreover"})
# Quantities become "#" in a key: the number words of figures (changes.NUMBER_WORDS), their
# round plurals and the vague quantifiers.
NUMBER_WORDS = FIGURE_NUMBER_WORDS | frozenset("numerous several many multiple few dozens hundreds thousands millions billions".split())


@lru_cache(maxsize=1)
def negator_words() -> frozenset[str]:
    """The negators of the shipped lexicon (polarity.yml), the same words that make a claim negative."""
    from ..extract.lexicons import lexicons

    return lexicons().words("polarity", "negators")


@lru_cache(maxsize=1)
def hedge_words() -> frozenset[str]:
    """Single-word hedge, booster and distancing adverbs from the shipped lexicon.

    Only dropped when used as adverbs: "direct" is a qualifier in "direct
    control" but the predicate in "directing these groups".
    """
    from ..extract.lexicons import lexicons

    h = lexicons().hedges
    words: set[str] = {str(w).lower() for w in h.get("adverbs", {})}
    for kind in ("boosters", "qualifiers", "attenuators", "approximators", "distancing"):
        words |= {str(w).lower() for w in h.get(kind, []) if " " not in str(w)}
    return frozenset(words)


class Token(NamedTuple):
    """One word of a claim's sentence (a tuple: thousands are read per run, a dataclass costs 3x as much to build)."""

    text: str
    lemma: str
    upos: str
    start_char: int
    end_char: int
    xpos: str = ""


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
    years: frozenset[str] = frozenset()  # years the claim is about (its time expressions, "FY2024"), for the time-scope check
    times: list[tuple[int, int]] = field(default_factory=list)  # its time expressions (also in masked): kept in its label

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
            "years": sorted(self.years),
            "times": [list(x) for x in self.times],
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
            years=frozenset(d.get("years", ())),
            times=[(a, b) for a, b in d.get("times", ())],
        )

    @cached_property
    def neutral(self) -> str:
        return neutral_text(self)

    # what linking by meaning reads of a claim, computed once per view (a claim is a candidate of many)
    @cached_property
    def features(self) -> Features:
        return Features(linkable(self), event(self), entity_set(self), object_number(self), embedding_text(self))


@dataclass(frozen=True)
class Features:
    linkable: tuple[bool, str]
    event: str
    entities: frozenset[str]
    number: str | None
    text: str  # what is embedded


def neutral_text(v: ClaimView) -> str:
    """The claim's content words, insensitive to negation, hedging, attribution and figures."""
    out: list[str] = []
    used: set[tuple[int, int, str]] = set()
    hedges = hedge_words()
    negators = negator_words()
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
        if not any(ch.isalnum() for ch in lemma):
            continue  # stray quote marks and apostrophes ("Gaza’s")
        if t.upos in DROP_UPOS or lemma in MODALS or lemma in negators or lemma in LIGHT_VERBS or lemma in DISCOURSE:
            continue
        if t.upos == "ADV" and lemma in hedges:
            continue
        out.append(lemma)
    return " ".join(out)


# --- neutral labels ------------------------------------------------------------
# What a proposition is headed with: the positive, unhedged, unattributed statement, built from
# the words of the claim ("Iran is not explicitly directing these groups" → "Iran is directing
# these groups"; "The IRGC may be supplying the drones" → "The IRGC is supplying the drones").

PLURAL_TAGS = frozenset({"NNS", "NNPS"})
PLURAL_PRONOUNS = frozenset({"they", "we", "you", "i"})
# a finite form for a bare verb left behind by a removed modal ("may be" → "is")
FINITE = {"be": ("is", "are"), "have": ("has", "have"), "do": ("does", "do")}


def _third_person(verb: str) -> str:
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if verb.endswith("y") and len(verb) > 2 and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def neutral_label(v: ClaimView) -> str:
    """The claim as a positive, unhedged, unattributed statement (negators, modals, hedge and attribution cues removed)."""
    hedges = hedge_words()
    negators = negator_words()
    kept: list[Token] = []
    plural = False
    dropped_modal = False
    for t in v.tokens:
        if t.start_char < v.start_char or t.end_char > v.end_char:
            continue
        lemma = (t.lemma or t.text).lower()
        if lemma in MODALS and t.upos == "AUX":
            dropped_modal = True  # the verb after it needs a finite form ("may be" → "is")
            continue
        inside = lambda spans: any(a <= t.start_char and t.end_char <= b for a, b in spans)  # noqa: E731, B023
        if inside(v.masked) and not inside(v.times):
            continue  # hedge cues, the source and its cue ("according to U.S. officials"); time expressions stay
        if lemma in negators and t.upos in ("PART", "ADV", "CCONJ", "DET"):
            continue
        if t.upos == "ADV" and (lemma in hedges or lemma in DISCOURSE):
            continue
        if not kept and t.upos in ("CCONJ", "SCONJ", "PUNCT"):
            continue  # "and", "that" before the statement
        if dropped_modal and t.upos in ("AUX", "VERB") and t.xpos in ("VB", ""):
            forms = FINITE.get(lemma)
            word = (forms[1] if plural else forms[0]) if forms else (t.text if plural else _third_person(t.text))
            t = Token(word, t.lemma, t.upos, t.start_char, t.end_char, "VBZ")
            dropped_modal = False
        elif t.upos in ("AUX", "VERB"):
            dropped_modal = False
        if t.upos in ("NOUN", "PROPN", "PRON") and not any(k.upos in ("AUX", "VERB") for k in kept):
            plural = t.xpos in PLURAL_TAGS or lemma in PLURAL_PRONOUNS
        kept.append(t)
    while kept and kept[-1].upos in ("PUNCT", "CCONJ", "SCONJ", "ADP"):
        kept.pop()
    if not kept:
        return v.text
    parts = [kept[0].text]
    for prev, t in zip(kept, kept[1:], strict=False):
        parts.append((" " if t.start_char > prev.end_char else "") + t.text)
    label = "".join(parts)
    return label[0].upper() + label[1:]


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


# --- views from the database --------------------------------------------------


def conllu_tokens(conllu: str) -> list[Token]:
    """Words of a stored CoNLL-U sentence with their document offsets (from MISC), read by
    claims' one CoNLL-U reader; words without offsets are left out."""
    return [
        Token(w.text, w.lemma if w.lemma is not None else w.text, w.upos if w.upos is not None else "_", w.start_char, w.end_char, w.xpos or "")
        for sentence in document_from_stored("", [conllu]).sentences
        for w in sentence.words
        if w.start_char is not None and w.end_char is not None
    ]


def claim_views(s: Session, claims: Sequence[Any]) -> dict[str, ClaimView]:
    """Views of the given claims, reading their sentences, cues, sources, times and entities.

    ``claims`` are ``m.Claim`` rows or anything with the same attributes (id, sentence_id, text,
    start_char, end_char, proposition_key, predicate); read with plain SQL, a few queries per 500.
    """
    s.flush()
    conn = s.connection()
    ids = list(dict.fromkeys(c.id for c in claims))
    sids = sorted({c.sentence_id for c in claims})
    tokens: dict[str, list[Token]] = {}
    for chunk in chunks(sids):
        for sid, conllu in conn.exec_driver_sql(f"SELECT id, conllu FROM sentences WHERE id IN ({_marks(chunk)})", tuple(chunk)):
            tokens[sid] = conllu_tokens(conllu)
    hedges: dict[str, list[tuple[Any, ...]]] = {i: [] for i in ids}
    times: dict[str, list[tuple[Any, ...]]] = {i: [] for i in ids}
    sources: dict[str, list[tuple[Any, ...]]] = {i: [] for i in ids}
    mentions: dict[str, list[tuple[Any, ...]]] = {i: [] for i in ids}
    for chunk in chunks(ids):
        marks, params = _marks(chunk), tuple(chunk)
        for cid, *row in conn.exec_driver_sql(f"SELECT claim_id, start_char, end_char FROM hedge_cues WHERE claim_id IN ({marks})", params):
            hedges[cid].append(tuple(row))
        for cid, *row in conn.exec_driver_sql(f"SELECT claim_id, start_char, end_char, value FROM time_refs WHERE claim_id IN ({marks})", params):
            times[cid].append(tuple(row))
        for cid, *row in conn.exec_driver_sql(
            f"SELECT claim_id, source_start, source_end, cue_start, cue_end FROM attributions WHERE claim_id IN ({marks})", params
        ):
            sources[cid].append(tuple(row))
        for cid, *row in conn.exec_driver_sql(
            "SELECT ce.claim_id, ce.start_char, ce.end_char, e.canonical FROM claim_entities ce "
            f"JOIN entities e ON e.id = ce.entity_id WHERE ce.claim_id IN ({marks})",
            params,
        ):
            mentions[cid].append(tuple(row))
    # the parts ClaimRows.linking_inputs compares on a rewrite: one definition (store.linked_parts)
    parts = {i: linked_parts(hedges[i], times[i], sources[i], mentions[i]) for i in ids}
    years = scope_years(conn, claims)
    return {
        c.id: ClaimView(
            id=c.id,
            text=c.text,
            start_char=c.start_char,
            end_char=c.end_char,
            key=c.proposition_key,
            predicate=c.predicate,
            tokens=tokens.get(c.sentence_id, []),
            masked=parts[c.id].masked,
            entities=parts[c.id].entities,
            years=years[c.id],
            times=parts[c.id].times,
        )
        for c in claims
    }


def scope_years(conn: Any, claims: Sequence[Any]) -> dict[str, frozenset[str]]:
    """Each claim's time scope for the time-scope check: the years of its time expressions and of years written in it, else its paragraph's."""
    years: dict[str, set[str]] = {c.id: stated_years(c.text) for c in claims}
    ids = sorted(years)
    for chunk in chunks(ids):
        for cid, value in conn.exec_driver_sql(f"SELECT claim_id, value FROM time_refs WHERE claim_id IN ({_marks(chunk)})", tuple(chunk)):
            if value and YEAR.fullmatch(value[:4]):
                years[cid].add(value[:4])
    context = paragraph_years(conn, [c for c in claims if not years[c.id]])
    return {c.id: frozenset(years[c.id] or context.get(c.id, set())) for c in claims}


# how far back in its paragraph a claim without a year of its own looks for its time scope
CONTEXT_CHARS = 1500
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
SENTENCE_END = re.compile(r"[.!?][\"'”’)]*\s+")


def paragraph_years(conn: Any, claims: Sequence[Any]) -> dict[str, set[str]]:
    """The time scope a claim states no year for, from its paragraph: the years of the nearest earlier sentence there that states one.

    Reports set the period once and elaborate under it: "FY2024 packages are being funded via
    $28.8 billion. Division B includes $13.41 billion to replenish DOD stocks" (FY2024), "... since
    Russia launched its invasion on February 24, 2022. Since then, the United States has committed
    more than $52 billion" (2022). Text before the claim in its own sentence counts too; nothing is
    read across a blank line (a paragraph break). One query per 500 sentences.
    """
    out: dict[str, set[str]] = {}
    by_sentence: dict[str, list[Any]] = {}
    for c in claims:
        if c.start_char > 0:
            by_sentence.setdefault(c.sentence_id, []).append(c)
    for chunk in chunks(sorted(by_sentence)):
        rows = conn.exec_driver_sql(
            "SELECT s.id, max(s.end_char - ?, 0) AS lo, substr(d.text, max(s.end_char - ?, 0) + 1, min(s.end_char, ?)) "
            f"FROM sentences s JOIN documents d ON d.id = s.document_id WHERE s.id IN ({_marks(chunk)})",
            (CONTEXT_CHARS, CONTEXT_CHARS, CONTEXT_CHARS, *chunk),
        )
        for sid, lo, text in rows:
            for c in by_sentence[sid]:
                before = PARAGRAPH_BREAK.split((text or "")[: max(0, c.start_char - lo)])[-1]
                years = list(STATED_YEAR.finditer(before))
                if not years:
                    continue
                # the sentence of the last year stated before the claim, and every year it states
                last = years[-1].start()
                lo_s = max((mt.end() for mt in SENTENCE_END.finditer(before, 0, last)), default=0)
                nxt = SENTENCE_END.search(before, last)
                hi_s = nxt.start() if nxt else len(before)
                out[c.id] = {mt.group(1) for mt in years if lo_s <= mt.start() < hi_s}
    return out


YEAR = re.compile(r"(?:19|20)\d\d")
# a year as written, fiscal years included ("FY2024", "FY24" is too rare to read): the time scope of a claim
STATED_YEAR = re.compile(r"(?<![\w$.,])(?:FY\s?)?((?:19|20)\d\d)(?![\w,.]\d)")


def stated_years(text: str) -> set[str]:
    return {mt.group(1) for mt in STATED_YEAR.finditer(text)}


def _marks(chunk: Sequence[Any]) -> str:
    return ",".join("?" * len(chunk))


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
    """One reviewer decision through the ORM (``merge``/``split``); linking writes its rows in bulk (``_LinkWriter``)."""
    row = s.get(m.PropositionLink, claim.id) or m.PropositionLink(claim_id=claim.id, proposition_id=pid, method=method, score=score, reason=reason)
    row.proposition_id, row.method, row.score, row.reason = pid, method, round(score, 4), reason
    row.matched_claim_id, row.linker_version = matched, LINKER_VERSION
    s.add(row)
    claim.proposition_id = pid
    s.add(claim)


@dataclass
class _Linked:
    """What linking reads of a claim row (the attributes ``claim_views`` needs, and the proposition)."""

    id: str
    sentence_id: str
    text: str
    start_char: int
    end_char: int
    predicate: str
    proposition_key: str | None
    proposition_id: int | None


_LINKED_COLUMNS = "id, sentence_id, text, start_char, end_char, predicate, proposition_key, proposition_id"
_UPSERT_LINK = (
    "INSERT INTO proposition_links (claim_id, proposition_id, method, score, matched_claim_id, reason, linker_version) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(claim_id) DO UPDATE SET proposition_id = excluded.proposition_id, "
    "method = excluded.method, score = excluded.score, matched_claim_id = excluded.matched_claim_id, "
    "reason = excluded.reason, linker_version = excluded.linker_version"
)


class _LinkWriter:
    """Linking decisions, kept in memory and written with two ``executemany`` at the end."""

    def __init__(self, s: Session):
        self.conn = s.connection()
        self.links: list[tuple[Any, ...]] = []
        self.used: set[int] = set()  # propositions given a claim in this run
        self.new_proposition = insert(table(m.Proposition))
        # a new proposition is one plain INSERT on the driver's cursor (Core costs ~3x as much per row),
        # filling the columns' own scalar defaults; a column with any other default goes through Core
        others = [c for c in table(m.Proposition).c if c.name not in ("id", "key", "label")]
        self.raw_sql: str | None = None
        if all(c.default is None or c.default.is_scalar for c in others):
            filled = [c for c in others if c.default is not None]
            self.defaults = tuple(c.default.arg for c in filled)  # type: ignore[union-attr]
            names = ", ".join(f'"{n}"' for n in ("key", "label", *(c.name for c in filled)))
            self.raw_sql = f"INSERT INTO propositions ({names}) VALUES ({', '.join('?' * (2 + len(filled)))})"
            self.cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def record(self, claim: _Linked, pid: int, method: str, score: float, reason: str, matched: str | None) -> None:
        self.links.append((claim.id, pid, method, round(score, 4), matched, reason, LINKER_VERSION))
        self.used.add(pid)
        claim.proposition_id = pid

    def proposition(self, key: str, label: str) -> int:
        """A new proposition's id (inserted now: later claims of the run may join it)."""
        if self.raw_sql is not None:
            self.cursor.execute(self.raw_sql, (key, label, *self.defaults))
            return int(self.cursor.lastrowid)  # type: ignore[arg-type]
        inserted = self.conn.execute(self.new_proposition, {"key": key, "label": label}).inserted_primary_key
        assert inserted is not None
        return int(inserted[0])

    def flush(self) -> None:
        if self.links:
            self.conn.exec_driver_sql(_UPSERT_LINK, self.links)
            self.conn.exec_driver_sql("UPDATE claims SET proposition_id = ? WHERE id = ?", [(x[1], x[0]) for x in self.links])
        self.links = []


def _pool(conn: Any, predicate: str) -> list[_Linked]:
    """The most recent BLOCK_SIZE linked claims of one predicate, oldest first (indexed: ix_claims_predicate_date)."""
    recent = conn.exec_driver_sql(
        f"SELECT {_LINKED_COLUMNS} FROM claims WHERE predicate = ? AND proposition_id IS NOT NULL "
        "ORDER BY doc_date DESC, document_id DESC, start_char DESC, id DESC LIMIT ?",
        (predicate, BLOCK_SIZE),
    ).all()
    return [_Linked(*r) for r in reversed(recent)]


# --- linking by meaning ---------------------------------------------------------
# Candidates come from the claim vectors (claims.embed: the neutral text embedded once, at
# ingest, stored in claim_vectors); structure then decides. Chosen on the dev linking set
# (../shared/eval/linking, docs/evaluation.md "Linking").

# cosine of two neutral texts at which claims of the same event are one proposition
SEMANTIC_THRESHOLD = 0.70
# claims of different events ("supports" / "directs") need this much more
OTHER_EVENT_MARGIN = 0.22
# nearest earlier claims looked at per new claim
TOP_K = 20
# a first- or second-person subject is the speaker talking to the room ("you know",
# "I'm Brigadier General Pat Ryder", "you may attribute the comments to ..."): never a proposition to follow
BOILERPLATE_SUBJECTS = frozenset({"i", "you", "me"})
# verbs whose event is their object or subject noun: "carried out attacks" = "attacked" = "there have been attacks"
LIGHT_EVENT_VERBS = frozenset({"be", "there", "have", "carry", "conduct", "make", "take", "give", "launch", "mount", "stage", "see", "do", "hold", "declare", "wage"})


def content_words(v: ClaimView) -> list[str]:
    return [w for w in v.neutral.split() if w != "#"]


def embedding_text(v: ClaimView) -> str:
    """What is embedded: the neutral text without figure placeholders, nor a light verb (the event is its noun)."""
    light = v.predicate.lower() if v.predicate.lower() in LIGHT_EVENT_VERBS else None
    return " ".join(w for w in content_words(v) if w != light)


def linkable(v: ClaimView) -> tuple[bool, str]:
    """Whether a claim states something to follow across documents (boilerplate and discourse markers do not)."""
    subject = (v.key or "").split("|")[0]
    if subject in BOILERPLATE_SUBJECTS:
        return False, f"the speaker addressing the room (subject {subject!r})"
    if len(set(content_words(v))) < 2:
        return False, f"too little content to link ({v.neutral!r})"
    return True, ""


def _stem(word: str) -> str:
    # "attacks"/"attack"/"attacked" and "supplying"/"supply": one event word, without a morphology table
    for end in ("ing", "ed", "es", "s"):
        if word.endswith(end) and len(word) - len(end) >= 4:
            return word[: -len(end)]
    return word


def event(v: ClaimView) -> str:
    """The event a claim states: its predicate, or the noun a light verb carries ("carried out attacks" → attack)."""
    pred = v.predicate.lower()
    if pred in LIGHT_EVENT_VERBS:
        head = v.id.rsplit(":", 1)[-1]
        first = int(head) - 1 if head.isdigit() else 0
        after = False
        for i, t in enumerate(v.tokens):
            if t.start_char < v.start_char or t.end_char > v.end_char:
                continue
            if not after:
                after = (t.lemma or t.text).lower() == pred and i >= first
                continue
            if t.upos == "NOUN" and not any(a <= t.start_char and t.end_char <= b for a, b in v.masked):
                return _stem((t.lemma or t.text).lower())
        parts = (v.key or "").split("|")
        if len(parts) == 3 and parts[0] not in WEAK_ARGUMENTS:
            return _stem(parts[0])
    return _stem(pred)


def entity_set(v: ClaimView) -> frozenset[str]:
    return frozenset(e[2].lower() for e in v.entities)


DEFINITE = frozenset({"the", "this", "that"})


def object_number(v: ClaimView) -> str | None:
    """'one' for a definite singular object ("supplied the drone"), 'many' for a plural one ("the drones"), else None."""
    parts = (v.key or "").split("|")
    if len(parts) != 3 or not parts[2]:
        return None
    inside = [t for t in v.tokens if v.start_char <= t.start_char and t.end_char <= v.end_char]
    for i in range(len(inside) - 1, -1, -1):
        t = inside[i]
        if t.upos == "NOUN" and (t.lemma or t.text).lower() == parts[2]:
            if t.xpos == "NNS":
                return "many"
            before = [x for x in inside[:i] if x.upos not in ("ADJ", "NOUN", "NUM")]
            if t.xpos == "NN" and before and (before[-1].lemma or before[-1].text).lower() in DEFINITE:
                return "one"
            return None
    return None


def structure(a: ClaimView, b: ClaimView) -> tuple[bool, str]:
    """Whether structure allows linking two claims whose meaning is close; the reason either way."""
    fa, fb = a.features, b.features
    na, nb = fa.number, fb.number
    if na and nb and na != nb:
        # "supplied the drone" is one drone, "supplying the drones" a set: not the same state of affairs
        return False, f"object differs in number ({na} / {nb})"
    ea, eb = fa.entities, fb.entities
    if ea and eb and not ea & eb:
        return False, f"entities differ ({', '.join(sorted(ea))} / {', '.join(sorted(eb))})"
    if a.years and b.years and not a.years & b.years:
        return False, f"time scope differs ({', '.join(sorted(a.years))} / {', '.join(sorted(b.years))})"
    shared = sorted(ea & eb)
    return True, f"entities {', '.join(shared)}" if shared else "no entity to compare"


def semantic_decision(a: ClaimView, b: ClaimView, cosine: float, threshold: float = SEMANTIC_THRESHOLD) -> tuple[bool, float, str]:
    """(link?, score, reason) for claim ``a`` and an earlier claim ``b`` at this cosine of their neutral texts."""
    ok, why = structure(a, b)
    if not ok:
        return False, cosine, why
    ea, eb = a.features.event, b.features.event
    same_event = ea == eb
    need = threshold if same_event else threshold + OTHER_EVENT_MARGIN
    ev = f"event {ea}" if same_event else f"events {ea}/{eb}"
    reason = f"meaning {cosine:.2f} (≥ {need:.2f}: {ev}; {why}): '{a.features.text}' ~ '{b.features.text}'"
    return cosine >= need, cosine, reason


def rule_allowed(a: ClaimView, b: ClaimView) -> bool:
    """Whether the semantic linker lets a rule match (same key, close wording) stand: b linkable, structure agreeing."""
    return b.features.linkable[0] and structure(a, b)[0]


def pair_decision(a: ClaimView, b: ClaimView, cosine: float, threshold: float = THRESHOLD) -> bool:
    """The semantic linker's decision on one pair, as link_propositions makes it for a candidate (for labelled pairs)."""
    if not (a.features.linkable[0] and b.features.linkable[0]):
        return False
    if similarity(a, b)[0] >= threshold and rule_allowed(a, b):
        return True
    return semantic_decision(a, b, cosine)[0]


Embedder = Callable[[Sequence[str]], Any]


def claim_vectors(conn: Any, views: dict[str, ClaimView], embedder: Embedder | None = None, model: str | None = None) -> dict[str, Any]:
    """Unit vectors of the linkable claims among ``views``: stored ones reused, the others embedded (in batches) and stored.

    A stored vector is reused while its model and neutral text are those of now, so re-linking
    and re-extracting unchanged claims never embed again.
    """
    import numpy as np

    from .. import embed

    model = model or embed.MODEL_VERSION
    want = {cid: v.features.text for cid, v in views.items() if v.features.linkable[0]}
    have: dict[str, Any] = {}
    ids = sorted(want)
    for chunk in chunks(ids):
        rows = conn.exec_driver_sql(f"SELECT claim_id, model, neutral, vector FROM claim_vectors WHERE claim_id IN ({_marks(chunk)})", tuple(chunk)).all()
        for cid, mdl, neutral, blob in rows:
            if mdl == model and neutral == want[cid]:
                have[cid] = blob
    missing = [cid for cid in ids if cid not in have]
    out = {cid: v for cid, v in zip(have, embed.from_blobs(list(have.values())), strict=True)}
    for i in range(0, len(missing), 4096):
        batch = missing[i : i + 4096]
        vecs = np.asarray((embedder or embed.embed_texts)([want[c] for c in batch]), dtype=np.float32)
        vecs = embed.normalise(vecs)
        conn.exec_driver_sql(
            "INSERT INTO claim_vectors (claim_id, model, neutral, vector) VALUES (?, ?, ?, ?) ON CONFLICT(claim_id) DO UPDATE SET "
            "model = excluded.model, neutral = excluded.neutral, vector = excluded.vector",
            [(c, model, want[c], embed.to_blob(v)) for c, v in zip(batch, vecs, strict=True)],
        )
        out.update(zip(batch, vecs, strict=True))
    return out


# candidates by meaning from the archive, per canonical entity of a new claim: its latest claims
ENTITY_BLOCK = 2000


def _archive_vectors(conn: Any, rows: Sequence[_Linked], blocks: set[str], exclude: set[str], model: str) -> tuple[list[str], Any]:
    """The part of the vector index a run's new claims can link to, read from claim_vectors (not the whole index).

    Structure only lets claims link that share a canonical entity (when both name one) and
    holds claims of another event to a far higher closeness, so the candidates are the latest
    ENTITY_BLOCK linked claims of each entity the new claims name (ix_claim_entities_entity_id,
    most recently ingested first) and the latest BLOCK_SIZE of each of their predicates and
    event words (the rule linker's pools). Cost grows with the entities and predicates a run
    touches, not with the archive.
    """
    import numpy as np

    from ..embed import DTYPE

    ids = sorted({c.id for c in rows})
    entity_ids: set[int] = set()
    for chunk in chunks(ids):
        entity_ids |= {e for (e,) in conn.exec_driver_sql(f"SELECT DISTINCT entity_id FROM claim_entities WHERE claim_id IN ({_marks(chunk)})", tuple(chunk))}
    wanted = set(blocks)
    for e in sorted(entity_ids):
        wanted |= {
            cid
            for (cid,) in conn.exec_driver_sql(
                "SELECT claim_id FROM claim_entities INDEXED BY ix_claim_entities_entity_id WHERE entity_id = ? ORDER BY rowid DESC LIMIT ?",
                (e, ENTITY_BLOCK),
            )
        }
    wanted -= exclude | set(ids)
    found: list[str] = []
    blobs: list[bytes] = []
    for chunk in chunks(sorted(wanted)):
        for cid, blob in conn.exec_driver_sql(
            f"SELECT v.claim_id, v.vector FROM claim_vectors v JOIN claims c ON c.id = v.claim_id "
            f"WHERE v.claim_id IN ({_marks(chunk)}) AND c.proposition_id IS NOT NULL AND v.model = ?",
            (*chunk, model),
        ):
            found.append(cid)
            blobs.append(blob)
    if not found:
        return [], np.zeros((0, 0), dtype=DTYPE)
    return found, np.frombuffer(b"".join(blobs), dtype=DTYPE).reshape(len(found), -1)


def _nearest(
    rows: list[_Linked], vectors: dict[str, Any], archive_ids: list[str], archive: Any, k: int = TOP_K
) -> dict[str, list[tuple[float, str]]]:
    """For each unlinked claim with a vector, its k nearest earlier claims (the archive, or unlinked claims before it), best first.

    A brute-force scan in blocks (numpy), exact over what it is given: the candidates' vectors
    (_archive_vectors), not the whole index. sqlite-vec would keep an index in the SQLite file,
    but this Python's sqlite3 cannot load extensions (docs/performance.md).
    """
    import numpy as np

    mine = [c for c in rows if c.id in vectors]
    if not mine:
        return {}
    new = np.vstack([vectors[c.id] for c in mine]).astype(np.float32)
    ids = [*archive_ids, *(c.id for c in mine)]
    n_archive = len(archive_ids)
    out: dict[str, list[tuple[float, str]]] = {}
    kk = min(k, len(ids))
    step = 64  # new claims per pass: 64 × 1M float32 scores = 256 MB at most
    for r0 in range(0, len(mine), step):
        rows_v = new[r0 : r0 + step]
        scores = np.full((len(rows_v), len(ids)), -np.inf, dtype=np.float32)
        for lo in range(0, n_archive, 100_000):  # float32 copies of one block of the index at a time
            block = np.asarray(archive[lo : lo + 100_000], dtype=np.float32)
            scores[:, lo : lo + len(block)] = rows_v @ block.T
        scores[:, n_archive:] = rows_v @ new.T
        for i in range(len(rows_v)):
            scores[i, n_archive + r0 + i :] = -np.inf  # only claims linked before it
        tops = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        for i, top in enumerate(tops):
            got = scores[i, top]
            order = np.argsort(-got)
            out[mine[r0 + i].id] = [(float(got[j]), ids[top[j]]) for j in order if np.isfinite(got[j])]
    return out


def _linked_rows(conn: Any, ids: Iterable[str]) -> list[_Linked]:
    found: list[_Linked] = []
    for chunk in chunks(sorted(set(ids))):
        found += [_Linked(*r) for r in conn.exec_driver_sql(f"SELECT {_LINKED_COLUMNS} FROM claims WHERE id IN ({_marks(chunk)})", tuple(chunk))]
    return found


def document_of(claim_id: str) -> str:
    """A claim's document id (claim ids are ``<document>:<sentence>:<word>``)."""
    return claim_id.rsplit(":", 2)[0]


# members of a proposition read to check a new claim's time scope against all of them
SCOPE_MEMBERS = 50


class _Scopes:
    """The time scopes of each proposition's claims, so a claim joins a proposition only if its years agree with every member's.

    Linking compares a claim with one earlier claim; without this, a chain of close pairs
    (FY2022 appropriations ~ an FY2024 request ~ FY2024 appropriations) would put claims into
    one proposition that structure keeps apart when compared directly. Members linked before
    this run are read once per proposition (the latest SCOPE_MEMBERS, ix_claims_proposition_date).
    """

    def __init__(self, s: Session, views: dict[str, ClaimView]):
        self.s, self.views = s, views  # views already built are read, not rebuilt
        self.years: dict[int, list[frozenset[str]]] = {}

    def _load(self, pid: int) -> list[frozenset[str]]:
        if pid not in self.years:
            conn = self.s.connection()
            rows = [
                _Linked(*r)
                for r in conn.exec_driver_sql(
                    f"SELECT {_LINKED_COLUMNS} FROM claims WHERE proposition_id = ? ORDER BY doc_date DESC LIMIT ?", (pid, SCOPE_MEMBERS)
                )
            ]
            missing = scope_years(conn, [r for r in rows if r.id not in self.views])  # years only: no tokens needed
            self.years[pid] = [self.views[r.id].years if r.id in self.views else missing[r.id] for r in rows]
        return self.years[pid]

    def conflict(self, view: ClaimView, pid: int) -> str | None:
        """Why ``view`` cannot join proposition ``pid`` (a member's time scope shares no year with it), or None."""
        if not view.years:
            return None
        for years in self._load(pid):
            if years and not years & view.years:
                return f"time scope differs from a member's ({', '.join(sorted(view.years))} / {', '.join(sorted(years))})"
        return None

    def add(self, view: ClaimView, pid: int) -> None:
        self._load(pid).append(view.years)


def link_propositions(s: Session, threshold: float = THRESHOLD, tidy: bool = False, semantic: bool = True, embedder: Embedder | None = None) -> int:
    """Give every unlinked claim a proposition; returns how many claims were linked (:func:`_link_propositions`).

    The objects alive before the run (the parser's and torch's modules, hundreds of
    thousands) are frozen out of the garbage collector meanwhile: linking one document
    allocates enough to set off a full collection, which scanned them all, about 0.15 s of
    the 0.6 s CPU of linking a document into the 1M-claim archive (claims bench --only link).
    Collection itself is unchanged for what the run allocates; nothing it decides depends on it.
    """
    if gc.get_freeze_count():  # a caller froze already: unfreezing here would undo theirs
        return _link_propositions(s, threshold, tidy, semantic, embedder)
    gc.freeze()
    try:
        return _link_propositions(s, threshold, tidy, semantic, embedder)
    finally:
        gc.unfreeze()


def _link_propositions(s: Session, threshold: float, tidy: bool, semantic: bool, embedder: Embedder | None) -> int:
    """Give every unlinked claim a proposition; returns how many claims were linked.

    Reviewer decisions from ``review_actions`` are applied first, so they
    survive ``claims reextract`` (which rewrites claims with the same ids).
    ``semantic`` (the default) also links by meaning: the nearest earlier claims by the
    vector of their neutral text, kept when structure agrees (:func:`semantic_decision`);
    boilerplate is never linked. ``semantic=False`` is the rule-only linker (same key, or a
    close neutral text of the same predicate), kept to be measured against.
    ``tidy`` (after re-extraction) also drops links and propositions whose claims are gone
    and recounts every proposition; otherwise only the propositions touched are recounted.
    Change labels (claims.changes) are stored for every proposition touched.
    Rows are read and written with plain SQL in the session's transaction (no ORM objects).
    """
    from ..changes import clear_changes, store_changes

    s.flush()
    conn = s.connection()
    if semantic and embedder is None:
        from ..embed import available

        ok, why = available()
        if not ok:  # linking still works, by rule only; the links' reasons and the log say so
            log.warning("linking by rule only: %s", why)
            semantic = False
    unlinked = [
        _Linked(*r)
        for r in conn.exec_driver_sql(
            f"SELECT {_LINKED_COLUMNS} FROM claims WHERE proposition_id IS NULL ORDER BY doc_date, document_id, start_char, id"
        )
    ]
    touched: set[int] = set()
    if unlinked:
        pins, redirects = review_state(s)
        split_claims = {cid for cid, pin in pins.items() if pin.action.action == "split"}
        # blocking: a claim is compared only with earlier claims of the same predicate lemma,
        # the most recent BLOCK_SIZE of them, read per predicate (indexed), so a run's cost
        # grows with what it adds, not with the archive
        pool: dict[str, list[_Linked]] = {}
        for pred in sorted({c.predicate for c in unlinked}):
            pool[pred] = [c for c in _pool(conn, pred) if c.id not in split_claims]
        pooled = [c for cs in pool.values() for c in cs]
        # by meaning, the rule linker looks only at the earlier claims of the pool that share a new
        # claim's key or are among its nearest by meaning (a close wording is close in meaning):
        # views, the costly part, are built for those alone
        rule_pool: set[str] | None = None
        if semantic:
            new_keys = {c.proposition_key for c in unlinked if informative_key(c.proposition_key)}
            rule_pool = {c.id for c in pooled if c.proposition_key in new_keys}
            pooled = [c for c in pooled if c.id in rule_pool]
        views = claim_views(s, [*unlinked, *pooled])
        nearest: dict[str, list[tuple[float, _Linked]]] = {}
        if semantic:
            from ..embed import MODEL_VERSION

            # only the candidates' vectors are read (_archive_vectors); views are built for the nearest claims alone
            vectors = claim_vectors(conn, {c.id: views[c.id] for c in unlinked}, embedder)
            # the event words of light-verb claims ("carried out attacks" → attack) block like predicates
            blocks = {c.id for cs in pool.values() for c in cs}
            for ev in sorted({views[c.id].features.event for c in unlinked} - set(pool) - {""}):
                blocks |= {c.id for c in _pool(conn, ev)}
            archive_ids, archive = _archive_vectors(conn, unlinked, blocks, split_claims, MODEL_VERSION)
            found = _nearest([c for c in unlinked if c.id not in split_claims], vectors, archive_ids, archive)
            known = {c.id: c for c in unlinked} | {c.id: c for cs in pool.values() for c in cs}
            known |= {c.id: c for c in _linked_rows(conn, {cid for hits in found.values() for _, cid in hits} - set(known))}
            nearest = {cid: [(score, known[other]) for score, other in hits] for cid, hits in found.items()}
            assert rule_pool is not None
            rule_pool |= {other for hits in found.values() for _, other in hits} | {c.id for c in unlinked}
            views |= claim_views(s, [known[cid] for cid in sorted(rule_pool) if cid not in views])
        # the propositions that pins name, and those that keys of new claims could reuse
        existing = _existing(conn, {pin.proposition_id for pin in pins.values()})
        keys = {c.id: c.proposition_key if c.proposition_key and informative_key(c.proposition_key) else f"claim:{c.id}" for c in unlinked}
        if semantic:  # boilerplate never shares a proposition, not even by key
            keys = {cid: k if views[cid].features.linkable[0] else f"claim:{cid}" for cid, k in keys.items()}
        by_key: dict[str, int] = {}
        for chunk in chunks(sorted(set(keys.values()))):
            for key, pid in conn.exec_driver_sql(f"SELECT key, min(id) FROM propositions WHERE key IN ({_marks(chunk)}) GROUP BY key", tuple(chunk)):
                by_key[key] = pid
        out = _LinkWriter(s)
        scopes = _Scopes(s, views)
        for claim in unlinked:
            view = views[claim.id]
            pin = pins.get(claim.id)
            if pin is not None and pin.proposition_id in existing:
                a = pin.action
                out.record(claim, pin.proposition_id, "review", 1.0, f"review #{a.id} {a.action}: {a.reason or 'no reason given'}", None)
                touched.add(pin.proposition_id)
                if claim.id not in split_claims:
                    pool[claim.predicate].append(claim)
                continue
            best: tuple[float, str, str, _Linked | None] = (0.0, "new", "", None)
            can_link, not_why = view.features.linkable if semantic else (True, "")
            if can_link:
                for other in reversed(pool[claim.predicate][-BLOCK_SIZE:]):
                    if other.sentence_id == claim.sentence_id:
                        continue  # two clauses of one sentence state different things ("concerns that X" vs X)
                    if rule_pool is not None and other.id not in rule_pool:
                        continue
                    score, method, reason = similarity(view, views[other.id])
                    if score > best[0] and semantic and not rule_allowed(view, views[other.id]):
                        continue
                    if score >= threshold and score > best[0] and semantic and other.proposition_id is not None:
                        if scopes.conflict(view, _resolve(other.proposition_id, redirects)):
                            continue
                    if score > best[0]:
                        best = (score, method, reason, other)
                        if score >= 1.0:
                            break
                if best[0] < threshold:
                    # of the nearest claims that structure allows, one of the same event first, then the closest
                    accepted: list[tuple[bool, float, str, _Linked]] = []
                    for cosine, other in nearest.get(claim.id, []):
                        if other.proposition_id is None:
                            continue
                        if document_of(other.id) == document_of(claim.id):
                            # by meaning only across documents: within one, other words state another thing
                            if cosine > best[0] and best[3] is None:
                                best = (cosine, "new", f"meaning {cosine:.2f} to {other.id}, of its own document: linked by meaning only across documents", None)
                            continue
                        ok, score, reason = semantic_decision(view, views[other.id], cosine)
                        if ok:
                            clash = scopes.conflict(view, _resolve(other.proposition_id, redirects))
                            if clash:
                                ok, reason = False, clash
                        if ok:
                            accepted.append((view.features.event == views[other.id].features.event, score, reason, other))
                        elif score > best[0] and best[3] is None:
                            best = (score, "new", reason, None)
                    if accepted:
                        _, score, reason, other = max(accepted, key=lambda x: (x[0], x[1]))
                        best = (max(score, threshold), "semantic", reason, other)
            score, method, reason, match = best
            if match is not None and match.proposition_id is not None and score >= threshold:
                pid = _resolve(match.proposition_id, redirects)
                out.record(claim, pid, method, score, f"{reason}; matched {match.id}", match.id)
            else:
                key = keys[claim.id]
                pid_found = by_key.get(key)
                if pid_found is not None and semantic and _in_use(conn, pid_found, out):
                    # same key, but linking refused it (time scope, entities): a proposition of its own
                    key = keys[claim.id] = f"claim:{claim.id}"
                    pid_found = by_key.get(key)
                if pid_found is None:
                    pid_found = by_key[key] = out.proposition(key, neutral_label(view))
                    existing.add(pid_found)
                    if not can_link:
                        why = f"new proposition, never linked: {not_why}"
                    elif match is not None or reason:
                        why = f"new proposition: best match {score:.2f} < {threshold:.2f}" + (f" ({reason})" if reason and match is None else "")
                    else:
                        why = "new proposition: nothing earlier to match"
                else:  # the proposition survives from before a re-extraction
                    why = f"proposition of key {key}, kept across re-extraction"
                pid = _resolve(pid_found, redirects)
                out.record(claim, pid, "new", 1.0 if match is None else score, why, None)
            touched.add(pid)
            scopes.add(view, pid)
            pool[claim.predicate].append(claim)
        out.flush()
    s.expire_all()  # ORM objects the caller holds see the new proposition ids
    if tidy:
        _tidy(s)
        refresh_counts(s)
        s.flush()
        store_changes(conn, {pid for (pid,) in conn.exec_driver_sql("SELECT id FROM propositions")})
        clear_changes(conn)
    elif touched:
        refresh_counts(s, touched)
        s.flush()
        store_changes(conn, touched)
    s.expire_all()
    return len(unlinked)


def _in_use(conn: Any, pid: int, out: _LinkWriter) -> bool:
    """Whether a proposition has claims (linked in this run or before): not one surviving only from before a re-extraction."""
    if pid in out.used:
        return True
    return conn.exec_driver_sql("SELECT 1 FROM claims WHERE proposition_id = ? LIMIT 1", (pid,)).first() is not None


def unlink_all(s: Session) -> int:
    """Unlink every claim (reviewer decisions stay in review_actions and are applied again when linking)."""
    s.flush()
    n = s.connection().exec_driver_sql("UPDATE claims SET proposition_id = NULL WHERE proposition_id IS NOT NULL").rowcount
    s.expire_all()
    return int(n)


def _existing(conn: Any, ids: set[int]) -> set[int]:
    """Which of ``ids`` are propositions."""
    found: set[int] = set()
    for chunk in chunks(sorted(ids)):
        found |= {pid for (pid,) in conn.exec_driver_sql(f"SELECT id FROM propositions WHERE id IN ({_marks(chunk)})", tuple(chunk))}
    return found


def stale_predicates(s: Session) -> set[str]:
    """Predicates whose linking a re-extraction left undone: of unlinked claims, and of claims that matched a claim now gone.

    Read from the database, so that a re-extraction stopped between a document's commit and
    the linking is finished by the next run.
    """
    s.flush()
    conn = s.connection()
    found = {p for (p,) in conn.exec_driver_sql("SELECT DISTINCT predicate FROM claims WHERE proposition_id IS NULL")}
    found |= {
        p
        for (p,) in conn.exec_driver_sql(
            "SELECT DISTINCT c.predicate FROM proposition_links l JOIN claims c ON c.id = l.claim_id "
            "WHERE l.matched_claim_id IS NOT NULL AND l.matched_claim_id NOT IN (SELECT id FROM claims)"
        )
    }
    return found


def unlink_predicates(s: Session, predicates: Iterable[str]) -> int:
    """Unlink every claim of these predicates, for ``link_propositions`` to link again in date order.

    Candidates are only ever claims of the same predicate, so a predicate's claims are
    linked independently of the others': relinking all of a predicate whose claims changed
    gives what relinking the whole archive would, and leaves the other predicates' links alone.
    """
    s.flush()
    conn = s.connection()
    n = 0
    preds = sorted(set(predicates))
    for chunk in chunks(preds):
        n += conn.exec_driver_sql(
            f"UPDATE claims SET proposition_id = NULL WHERE proposition_id IS NOT NULL AND predicate IN ({_marks(chunk)})", tuple(chunk)
        ).rowcount
    if n:
        s.expire_all()
    return n


def _tidy(s: Session) -> None:
    """Drop link rows of claims that no longer exist, and propositions nothing refers to."""
    s.flush()
    conn = s.connection()
    conn.exec_driver_sql("DELETE FROM proposition_links WHERE claim_id NOT IN (SELECT id FROM claims)")
    conn.exec_driver_sql("DELETE FROM claim_vectors WHERE claim_id NOT IN (SELECT id FROM claims)")
    used = {pid for (pid,) in conn.exec_driver_sql("SELECT DISTINCT proposition_id FROM claims WHERE proposition_id IS NOT NULL")}
    for into, source in conn.exec_driver_sql("SELECT proposition_id, from_proposition_id FROM review_actions"):
        used |= {into, source or -1}
    unused = [(pid,) for (pid,) in conn.exec_driver_sql("SELECT id FROM propositions") if pid not in used]
    if unused:
        conn.exec_driver_sql("DELETE FROM propositions WHERE id = ?", unused)
    s.expire_all()


def refresh_counts(s: Session, pids: set[int] | None = None) -> None:
    """n_claims, first_seen, last_seen and n_assessments of the given propositions (default: all), from their claims.

    n_assessments counts the distinct (certainty, polarity) pairs, as the assessment_changes query
    shows them ("probable, negative"): more than one means the assessment changed.
    """
    assessment = col(m.Claim.certainty) + ", " + col(m.Claim.polarity)
    # five columns: SQLAlchemy's select (sqlmodel's is typed for at most four)
    query = sa_select(
        col(m.Claim.proposition_id),
        func.count(),
        func.min(m.Claim.doc_date),
        func.max(m.Claim.doc_date),
        func.count(func.distinct(assessment)),
    )
    props = select(m.Proposition)
    if pids is not None:
        query = query.where(col(m.Claim.proposition_id).in_(pids))
        props = props.where(col(m.Proposition.id).in_(pids))
    stats = s.execute(query.group_by(col(m.Claim.proposition_id))).all()
    counts = {pid: (n, lo, hi, k) for pid, n, lo, hi, k in stats}
    for prop in s.exec(props):
        n, lo, hi, k = counts.get(prop.id, (0, None, None, 0))
        prop.n_claims, prop.first_seen, prop.last_seen, prop.n_assessments = n, lo, hi, k
        s.add(prop)

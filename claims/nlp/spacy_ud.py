"""Convert spaCy (en_core_web_sm, ClearNLP-style labels) parses to UD v2 Documents.

stanza is the parser of record; when its models are unavailable spaCy is the
fallback, and this module turns spaCy's output into claims' Document with UD v2
relations so nothing downstream has to know which parser ran.

The conversion is a sequence of tree rewrites (see ``ALL_STEPS``), each measured on
UD English EWT dev (``python -m claims.evaluation.parser --ablation``).  Every
rewrite goes through :meth:`_Tree.attach`, which refuses an attachment that would
create a cycle, and :func:`_repair` guarantees a single-rooted tree at the end.
"""

from __future__ import annotations

import re
from bisect import insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy
from spacy.attrs import (
    DEP,
    ENT_TYPE,
    HEAD,
    IDX,
    LEMMA,
    LIKE_NUM,
    LOWER,
    MORPH,
    ORTH,
    POS,
    SPACY,
    TAG,
)
from spacy.tokens import Doc, Span

from .document import Document, from_word_dicts
from .punctuation import DOUBLE_QUOTES

# Bumped when a rule changes parses (claims.nlp.parse records it in ParserInfo).
CONVERSION_VERSION = "2"
ROOT = -1  # head index of the root inside a _Tree (stanza uses 0, 1-based ids)

ALL_STEPS: tuple[str, ...] = (
    "labels",
    "preps",
    "copula",
    "coord",
    "punct",
    "names",
    "clauses",
    "mwe",
    "ewt",
)

# Plain renames from spaCy's ClearNLP labels to UD v2 (structure-changing ones are
# handled by the rewrite steps; "@..." labels are resolved once the final head is known).
LABEL_MAP: dict[str, str] = {
    "ROOT": "root",
    "dobj": "obj",
    "nsubjpass": "nsubj:pass",
    "auxpass": "aux:pass",
    "csubjpass": "csubj:pass",
    "neg": "advmod",
    "poss": "nmod:poss",
    "npadvmod": "@npmod",
    "quantmod": "advmod",
    "relcl": "acl:relcl",
    "agent": "obl:agent",
    "predet": "det:predet",
    "preconj": "cc:preconj",
    "prt": "compound:prt",
    "intj": "discourse",
    "meta": "discourse",
    "oprd": "xcomp",
    "attr": "xcomp",
    "acomp": "xcomp",
    "dative": "iobj",
    "prep": "@pp",
    "pobj": "obj",
    "pcomp": "ccomp",
    "nmod": "compound",
}

# Heads under which a prepositional phrase is nmod (else obl), a clause acl (else advcl).
NOMINAL_UPOS = frozenset({"NOUN", "PROPN", "PRON", "NUM", "SYM", "X", "DET"})
# EWT ≥ 2.15 names the bare-noun-phrase modifier "unmarked" (formerly npmod/tmod).
NPMOD_OBL = "obl:unmarked"
NPMOD_NMOD = "nmod:unmarked"
# spaCy labels that introduce a prepositional phrase.
PREP_LABELS = frozenset({"prep", "agent", "dative"})
CLAUSE_UPOS = frozenset({"VERB", "AUX"})
# Forms of the copula; only "be" is a copula in UD English.
COPULA_LEMMA = "be"
PREDICATE_LABELS = ("attr", "acomp")
# Object-like dependents that mean "be" is not a copula here.
NON_COPULA_CHILDREN = frozenset({"obj", "ccomp", "xcomp"})
SUBJECTS = frozenset({"nsubj", "csubj", "nsubj:pass", "csubj:pass", "expl"})
# Adverbs that can be the predicate of "be" (locative/directional).
PREDICATE_ADVERBS = frozenset(
    {"here", "there", "outside", "inside", "home", "away", "back", "out", "in", "up",
     "down", "over", "off", "on", "abroad", "upstairs", "downstairs", "around", "gone"}
)
# Question words that are the predicate of "be" ("How are you?", "Where is it?").
WH_PREDICATES = frozenset({"how", "where"})
# Complementisers of a clause that is itself the predicate of "be".
CLAUSE_PREDICATE_MARKS = frozenset({"that", "whether", "if", "because"})
# Punctuation that closes a sentence attaches left only.
FINAL_PUNCT = frozenset({".", "?", "!", "...", "…"})
PAIRED_PUNCT: dict[str, str] = {
    "(": ")",
    "[": "]",
    "{": "}",
    '"': '"',
    "“": "”",
    "‘": "’",
    "«": "»",
    "``": "''",
    "`": "'",
}
NAME_ENT_LABELS = frozenset({"PERSON"})
NAME_INTERNAL_LABELS = frozenset({"compound", "flat", "nmod", "punct"})
NAME_HYPHENS = frozenset({"-", "–"})
# Verbs whose "subject" of a non-finite complement is really their object (let me know).
SMALL_CLAUSE_NONFINITE_TAGS = frozenset({"VB", "VBG", "VBN", "JJ", "JJR", "NN", "NNS", "RB"})
WH_TAGS = frozenset({"WDT", "WP", "WP$", "WRB"})
# Speech verbs whose addressee EWT labels iobj even without a second object.
ADDRESSEE_VERBS = frozenset(
    {"tell", "ask", "inform", "notify", "remind", "convince", "instruct", "assure",
     "advise", "persuade", "warn", "teach"}
)
IMPERSONAL_PRONOUNS = frozenset({"it", "that", "this", "what", "which", "something"})
# Words EWT tags ADJ even inside proper names ("New York", "Prime Minister").
ADJECTIVAL_NAME_WORDS = frozenset(
    {"new", "united", "prime", "great", "greater", "holy", "superior", "senior", "general",
     "national", "international", "royal", "supreme", "central", "federal", "good", "dear",
     "best", "fair", "special", "total", "direct", "interim", "northern", "southern",
     "eastern", "western", "first", "old", "big", "grand"}
)
ADJECTIVAL_SUFFIXES = ("ian", "ean", "ese", "ish", "ic", "ical", "can", "ern")
EXTRAPOSED_SUBJECTS = frozenset({"it"})
MONTHS = re.compile(
    r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)(\.|[a-z]*)$", re.IGNORECASE
)


@dataclass(frozen=True)
class MultiWord:
    """A ``fixed`` expression: its words, an optional forced label, a follow-up test."""

    words: tuple[str, ...]
    deprel: str | None = None
    next_upos: frozenset[str] | None = None


# Multiword function words EWT annotates as `fixed` (first word heads).
FIXED_EXPRESSIONS: tuple[MultiWord, ...] = (
    MultiWord(("as", "well", "as")),
    MultiWord(("because", "of")),
    MultiWord(("b/c", "of")),
    MultiWord(("such", "as")),
    MultiWord(("according", "to")),
    MultiWord(("due", "to")),
    MultiWord(("prior", "to")),
    MultiWord(("instead", "of")),
    MultiWord(("rather", "than")),
    MultiWord(("as", "of")),
    MultiWord(("so", "that")),
    MultiWord(("in", "order")),
    MultiWord(("as", "well"), deprel="advmod"),
    MultiWord(("of", "course"), deprel="advmod"),
    MultiWord(("whether", "or", "not")),
    MultiWord(("more", "than"), next_upos=frozenset({"NUM"})),
    MultiWord(("less", "than"), next_upos=frozenset({"NUM"})),
    MultiWord(("kind", "of"), deprel="advmod", next_upos=frozenset({"ADJ", "ADV", "VERB"})),
    MultiWord(("sort", "of"), deprel="advmod", next_upos=frozenset({"ADJ", "ADV", "VERB"})),
)


FIXED_BY_FIRST_WORD: dict[str, list[MultiWord]] = {}
for _mw in FIXED_EXPRESSIONS:
    FIXED_BY_FIRST_WORD.setdefault(_mw.words[0], []).append(_mw)


class _Columns:
    """Token attributes of a Doc (or of one span of it), read from spaCy once.

    Row ``r`` is token ``offset + r`` of the Doc; ``head`` holds absolute token indices.
    """

    __slots__ = ("doc", "offset", "text", "lemma", "pos", "tag", "morph", "dep", "low",
                 "ent", "num", "idx", "head")

    def __init__(self, doc: Doc, offset: int, rows: list[list[Any]], head: list[int]) -> None:
        self.doc, self.offset, self.head = doc, offset, head
        (self.text, self.lemma, self.pos, self.tag, self.morph, self.dep, self.low,
         self.ent, self.num, self.idx) = rows

    def head_of(self, i: int) -> int:
        r = i - self.offset
        # why: a span need not be a whole sentence; heads outside it are read from the Doc
        return self.head[r] if 0 <= r < len(self.head) else int(self.doc[i].head.i)


# to_array columns, in _Columns row order (HEAD and SPACY handled separately).
_STRING_ATTRS = (ORTH, LEMMA, POS, TAG, MORPH, DEP, LOWER, ENT_TYPE)
_ARRAY_ATTRS = [*_STRING_ATTRS, LIKE_NUM, IDX, HEAD, SPACY]


def _doc_columns(doc: Doc) -> tuple[_Columns, list[int]]:
    """All token attributes of ``doc`` in one ``to_array`` call, plus trailing spaces."""
    n = len(doc)
    if not n:
        return _Columns(doc, 0, [[] for _ in range(10)], []), []
    arr = doc.to_array(_ARRAY_ATTRS)
    cols = arr.T.tolist()
    strings = doc.vocab.strings
    rows: list[list[Any]] = [[strings[h] for h in col] for col in cols[: len(_STRING_ATTRS)]]
    # why: an empty analysis is stored as the hash of "_"; str(token.morph) gives ""
    rows[4] = ["" if m == "_" else m for m in rows[4]]
    rows.append(cols[len(_STRING_ATTRS)])  # LIKE_NUM as 0/1
    rows.append(cols[len(_STRING_ATTRS) + 1])
    # why: HEAD is a relative offset stored as uint64; reinterpret as signed
    rel = arr[:, len(_STRING_ATTRS) + 2].astype(numpy.int64)
    head = (rel + numpy.arange(n, dtype=numpy.int64)).tolist()
    return _Columns(doc, 0, rows, head), cols[len(_STRING_ATTRS) + 3]


def _span_columns(span: Span) -> _Columns:
    """Token attributes of one span (linear in the span, not the Doc)."""
    toks = list(span)
    rows: list[list[Any]] = [
        [t.text for t in toks],
        [t.lemma_ for t in toks],
        [t.pos_ for t in toks],
        [t.tag_ for t in toks],
        [str(t.morph) for t in toks],
        [t.dep_ for t in toks],
        [t.lower_ for t in toks],
        [t.ent_type_ for t in toks],
        [t.like_num for t in toks],
        [t.idx for t in toks],
    ]
    return _Columns(span.doc, span.start, rows, [t.head.i for t in toks])


class _Tree:
    """Mutable dependency tree over the non-space tokens of one spaCy sentence.

    ``kids[h]`` is the sorted list of dependents of ``h`` (``kids[ROOT]``, the last
    slot, the roots); every head change goes through :meth:`attach` or
    :meth:`set_head`, which keep it current, so no rule rescans the sentence.
    """

    __slots__ = ("n", "head", "dep", "orig", "neg", "kids", "pos", "low", "text", "tag",
                 "lemma", "ent", "num", "idx", "morph", "tokid", "local")

    def __init__(self, head: list[int], dep: list[str], cols: _Columns, keep: list[int],
                 local: dict[int, int]) -> None:
        self.n = n = len(head)
        self.head = head
        self.dep = dep
        self.orig = list(dep)
        self.neg = [False] * n
        kids: list[list[int]] = [[] for _ in range(n + 1)]
        for k, h in enumerate(head):
            kids[h].append(k)  # ROOT (-1) is the last slot
        self.kids = kids
        off = cols.offset
        if keep and len(keep) == keep[-1] - keep[0] + 1:
            # why: the usual case (no whitespace tokens dropped) is a plain slice
            a, b = keep[0] - off, keep[-1] - off + 1
            self.text, self.pos, self.low = cols.text[a:b], cols.pos[a:b], cols.low[a:b]
            self.tag, self.lemma, self.ent = cols.tag[a:b], cols.lemma[a:b], cols.ent[a:b]
            self.num, self.idx, self.morph = cols.num[a:b], cols.idx[a:b], cols.morph[a:b]
        else:
            rows = [r - off for r in keep]
            self.text = [cols.text[r] for r in rows]
            self.pos = [cols.pos[r] for r in rows]
            self.low = [cols.low[r] for r in rows]
            self.tag = [cols.tag[r] for r in rows]
            self.lemma = [cols.lemma[r] for r in rows]
            self.ent = [cols.ent[r] for r in rows]
            self.num = [cols.num[r] for r in rows]
            self.idx = [cols.idx[r] for r in rows]
            self.morph = [cols.morph[r] for r in rows]
        self.tokid = keep
        self.local = local

    def __len__(self) -> int:
        return self.n

    def children(self, i: int) -> list[int]:
        return list(self.kids[i])

    def upos(self, i: int) -> str:
        return self.pos[i]

    def lower(self, i: int) -> str:
        return self.low[i]

    def is_ancestor(self, a: int, i: int) -> bool:
        """True if ``a`` is ``i`` or dominates it."""
        head = self.head
        seen = 0
        n = self.n
        while i != ROOT and seen <= n:
            if i == a:
                return True
            i = head[i]
            seen += 1
        return False

    def set_head(self, i: int, h: int) -> None:
        """Low-level head change (no cycle check) that keeps ``kids`` current."""
        old = self.head[i]
        if old != h:
            self.kids[old].remove(i)
            insort(self.kids[h], i)
            self.head[i] = h

    def attach(self, i: int, h: int, dep: str | None = None) -> bool:
        """Make ``h`` the head of ``i``, unless that would create a cycle."""
        if h != ROOT and self.is_ancestor(i, h):
            return False
        self.set_head(i, h)
        if dep is not None:
            self.dep[i] = dep
        return True

    def promote(self, new: int, old: int, old_dep: str) -> None:
        """``new`` (a dependent of ``old``) takes ``old``'s place; ``old`` goes under it."""
        h, d = self.head[old], self.dep[old]
        self.attach(new, h, d)
        self.attach(old, new, old_dep)

    def move_children(self, src: int, dst: int, skip: Iterable[int] = ()) -> list[int]:
        """Re-attach every dependent of ``src`` (except ``skip``) to ``dst``."""
        moved = []
        skipped = set(skip)
        for c in list(self.kids[src]):
            if c != dst and c not in skipped and self.attach(c, dst):
                moved.append(c)
        return moved


# ---------------------------------------------------------------------------
# building the tree


def _build(cols: _Columns, start: int, end: int) -> _Tree:
    """Tree over the non-space tokens; dependents of dropped space tokens climb up."""
    off = cols.offset
    text = cols.text
    # why: whitespace tokens ("\n\n") are dropped; str.strip() covers is_space too
    keep = [i for i in range(start, end) if text[i - off].strip()]
    local = {i: k for k, i in enumerate(keep)}
    heads: list[int] = []
    a, b = start - off, end - off
    span_heads = cols.head[a:b] if 0 <= a and b <= len(cols.head) else []
    if len(keep) == end - start and span_heads and start <= min(span_heads) and max(span_heads) < end:
        # why: fast path, nothing dropped and every head inside the span
        heads = [h - start if h != i else ROOT for i, h in zip(keep, span_heads, strict=True)]
    else:
        head_of = cols.head_of
        for i in keep:
            h = head_of(i)
            # why: a "\n\n" token may sit in the tree; its dependents go to its own head
            while h not in local:
                hh = head_of(h)
                if hh == h or not start <= hh < end:
                    break
                h = hh
            heads.append(local.get(h, ROOT) if h != i else ROOT)
    deps = [cols.dep[i - off] for i in keep]
    for k, h in enumerate(heads):
        if h == ROOT:
            deps[k] = "ROOT"
    return _Tree(heads, deps, cols, keep, local)


# ---------------------------------------------------------------------------
# step: labels


def _map_labels(t: _Tree) -> None:
    """Rename spaCy labels to UD v2; negation becomes advmod + Polarity=Neg."""
    for i, d in enumerate(t.dep):
        if d == "neg":
            t.neg[i] = True
            # why: "no" in "no evidence" is a determiner in UD, "not"/"never" adverbs
            t.dep[i] = "det" if t.pos[i] == "DET" else "advmod"
        elif d == "aux" and t.tag[i] == "TO":
            t.dep[i] = "mark"  # why: infinitival "to" is mark in UD
        elif d == "dative" and t.pos[i] == "ADP":
            t.dep[i] = "@pp"  # why: "to him" datives are PPs, restructured by "preps"
        else:
            t.dep[i] = LABEL_MAP.get(d, d)


# ---------------------------------------------------------------------------
# step: prepositional phrases


def _prep_object(t: _Tree, p: int) -> tuple[int | None, bool]:
    """The object of preposition ``p`` and whether it is clausal."""
    kids = t.children(p)
    for c in kids:
        if t.orig[c] == "pobj":
            return c, False
    for c in kids:
        if t.orig[c] == "pcomp":
            return c, t.pos[c] in CLAUSE_UPOS
    # why: an inner PP already restructured ("out of the room") is the object
    for c in kids:
        if c > p and t.dep[c] == "@pp":
            return c, False
    return None, False


def _restructure_preps(t: _Tree) -> None:
    """Noun heads the PP, preposition becomes case (clausal object: mark)."""
    preps = [
        i
        for i in range(t.n)
        if t.orig[i] in PREP_LABELS
        # why: "both in Iraq and in Washington" — a preposition labelled conj/pcomp
        or (t.pos[i] == "ADP" and any(t.orig[c] in ("pobj", "pcomp") for c in t.children(i)))
    ]
    # why: right to left handles nested PPs ("out of X", "in the house of John") inner first
    for p in reversed(preps):
        if t.orig[p] == "dative" and t.pos[p] != "ADP":
            continue  # why: "gave him a book" — a bare iobj, not a PP
        obj, clausal = _prep_object(t, p)
        if obj is None:
            # why: stranded prepositions ("what are you looking at") are obl in EWT
            if t.dep[p] in ("@pp", "ccomp"):
                t.dep[p] = "obl"
            continue
        if t.orig[p] not in PREP_LABELS and t.orig[p] != "pcomp":
            label = t.dep[p]  # why: "in X and in Y" — the PP keeps the conj relation
        elif clausal:
            label = "@pcl"
        elif t.orig[p] == "agent":
            label = "obl:agent"
        else:
            label = "@pp"
        t.promote(obj, p, "mark" if clausal else "case")
        t.dep[obj] = label
        for c in t.move_children(p, obj):
            # why: "because of X" parsed as because→{of, X}: the bare "of" is case too
            if t.pos[c] == "ADP" and t.orig[c] == "pcomp" and not t.children(c):
                t.dep[c] = "case"


# ---------------------------------------------------------------------------
# step: copula


def _predicate(t: _Tree, b: int) -> int | None:
    """The predicate of copular "be" at ``b`` (nominal, adjectival, PP, clause), if any."""
    kids = t.children(b)
    right = [c for c in kids if c > b and t.orig[c] in PREDICATE_LABELS]
    left = [c for c in kids if c < b and t.orig[c] in PREDICATE_LABELS]
    # why: "Here's an excerpt" — the locative adverb is the predicate, the noun the subject
    here = [c for c in kids if c < b and t.low[c] in PREDICATE_ADVERBS and t.dep[c] == "advmod"]
    if here and right and not any(t.dep[c] in SUBJECTS for c in kids):
        t.dep[right[0]] = "nsubj"
        return here[0]
    wh = [c for c in kids if c < b and t.low[c] in WH_PREDICATES and t.dep[c] == "advmod"]
    if (here or wh) and not right and any(t.dep[c] == "nsubj" and c > b for c in kids):
        return (here or wh)[0]
    if right:
        return right[0]
    if left:
        return left[-1]
    if any(t.dep[c] in NON_COPULA_CHILDREN for c in kids):
        return _clausal_predicate(t, b, kids)
    pps = [c for c in kids if c > b and t.dep[c] == "@pp"]
    if pps:
        return pps[0]
    # why: "you're in", "we can be outside" — adverbial/stranded predicates
    advs = [
        c
        for c in kids
        if c > b
        and t.low[c] in PREDICATE_ADVERBS
        and t.dep[c] in ("advmod", "obl")
        and not t.children(c)
    ]
    if advs and any(t.dep[c] in SUBJECTS for c in kids):
        return advs[0]
    return None


def _clausal_predicate(t: _Tree, b: int, kids: list[int]) -> int | None:
    """"The problem is that X": a marked clause after "be" is the predicate."""
    if t.dep[b] != "root" or not any(t.dep[c] in SUBJECTS and c < b for c in kids):
        return None
    for c in kids:
        if c > b and t.dep[c] == "ccomp":
            marks = [k for k in t.children(c) if t.dep[k] == "mark" and k < c]
            if marks and t.low[marks[0]] in CLAUSE_PREDICATE_MARKS:
                return c
    return None


def _restructure_copula(t: _Tree) -> None:
    """Predicate heads the clause, "be" becomes cop; existential "there" → expl."""
    for b, lemma in enumerate(t.lemma):
        if lemma.lower() != COPULA_LEMMA or t.orig[b] in ("aux", "auxpass"):
            continue
        kids = t.children(b)
        if any(t.orig[c] == "expl" for c in kids):
            # why: "there are concerns" — the pivot is the subject, "be" stays the head
            for c in kids:
                if t.orig[c] == "attr":
                    t.dep[c] = "nsubj"
                elif t.orig[c] == "expl":
                    t.dep[c] = "expl"
            continue
        pred = _predicate(t, b)
        if pred is None:
            continue
        t.promote(pred, b, "cop")
        for c in t.move_children(b, pred):
            # why: modifiers of the copular clause stay clausal under a nominal predicate
            if t.dep[c] == "@pp":
                t.dep[c] = "obl"
            elif t.dep[c] == "@npmod":
                t.dep[c] = NPMOD_OBL
            elif t.dep[c] == "@pcl":
                t.dep[c] = "advcl"


# ---------------------------------------------------------------------------
# step: coordination


def _first_conjunct(t: _Tree, i: int) -> int:
    h = t.head[i]
    while h != ROOT and t.dep[h] == "conj" and t.head[h] != ROOT:
        h = t.head[h]
    return h


def _restructure_coordination(t: _Tree) -> None:
    """All conjuncts attach to the first; cc goes to the conjunct that follows it."""
    for i, d in enumerate(t.dep):
        if d == "conj":
            t.attach(i, _first_conjunct(t, i))
    for c, d in enumerate(t.dep):
        if d != "cc" or t.head[c] == ROOT:
            continue
        h = t.head[c]
        first = t.head[h] if t.dep[h] == "conj" and t.head[h] != ROOT else h
        following = [k for k in t.children(first) if t.dep[k] == "conj" and k > c]
        if following:
            t.attach(c, min(following))


# ---------------------------------------------------------------------------
# step: punctuation


def _is_punct(t: _Tree, i: int) -> bool:
    return t.pos[i] == "PUNCT" or t.dep[i] == "punct"


def _subtree_spans(t: _Tree, skip: int) -> tuple[list[int], list[int]]:
    """Leftmost and rightmost descendant of every node, ignoring the leaf ``skip``."""
    n = t.n
    lo = list(range(n))
    hi = list(range(n))
    order: list[int] = []
    stack = list(t.kids[ROOT])
    kids = t.kids
    while stack:
        k = stack.pop()
        order.append(k)
        stack.extend(kids[k])
    head = t.head
    if len(order) != n:  # a cycle (never expected): climb from every word instead
        return _subtree_spans_slow(t, skip)
    # why: one bottom-up pass (children before heads) instead of a climb per word
    for k in reversed(order):
        h = head[k]
        if k == skip or h == ROOT:
            continue
        if lo[k] < lo[h]:
            lo[h] = lo[k]
        if hi[k] > hi[h]:
            hi[h] = hi[k]
    return lo, hi


def _subtree_spans_slow(t: _Tree, skip: int) -> tuple[list[int], list[int]]:
    lo = list(range(t.n))
    hi = list(range(t.n))
    for k in range(t.n):
        if k == skip:
            continue
        h = t.head[k]
        steps = 0
        while h != ROOT and steps <= t.n:
            lo[h], hi[h] = min(lo[h], k), max(hi[h], k)
            h = t.head[h]
            steps += 1
    return lo, hi


def _ancestors(t: _Tree, h: int) -> set[int]:
    """``h`` and every node above it."""
    out = set()
    head = t.head
    while h != ROOT and h not in out:
        out.add(h)
        h = head[h]
    return out


def _projective_for(t: _Tree, p: int, h: int, spanning: list[int]) -> bool:
    """Would attaching leaf ``p`` to ``h`` keep the arc projective and outside any gap?

    ``spanning`` holds the heads of the arcs (other than ``p``'s) that cross over ``p``.
    """
    lo, hi = (p, h) if p < h else (h, p)
    for k in range(lo + 1, hi):
        if not t.is_ancestor(h, k):
            return False
    if spanning:
        above = _ancestors(t, h)
        for hw in spanning:
            if hw not in above:
                return False
    return True


def _fix_pair(t: _Tree, o: int, c: int, kind: list[str]) -> None:
    """Attach a bracket/quote pair to the single word inside whose head is outside."""
    heads = [k for k in range(o + 1, c) if not (o < t.head[k] < c)]
    words = [k for k in heads if not _is_punct(t, k)]
    heads = words or heads
    if len(heads) == 1 and t.attach(o, heads[0], "punct") and t.attach(c, heads[0], "punct"):
        kind[o], kind[c] = "open", "close"


def _fix_subordinate_punct(t: _Tree, p: int, kind: list[str]) -> None:
    """Attach to the lower of the left/right candidate heads, keeping projectivity."""
    n = t.n
    left: int | None = p - 1
    right: int | None = None if t.text[p] in FINAL_PUNCT else p + 1
    while left is not None and left >= 0 and _is_punct(t, left):
        if kind[left] == "open" and t.head[left] != p:
            left = None
            break
        left -= 1
    if left is not None and left < 0:
        left = None
    while right is not None and right < n and _is_punct(t, right):
        if kind[right] == "close" and t.head[right] != p:
            right = None
            break
        right += 1
    if right is not None and right >= n:
        right = None

    lo, hi = _subtree_spans(t, p)
    lpath: list[int] = []
    if left is not None:
        lpath.append(left)
        while t.head[left] != ROOT and t.head[left] < p and hi[left] < p:
            left = t.head[left]
            lpath.append(left)
    rpath: list[int] = []
    if right is not None:
        rpath.append(right)
        while t.head[right] != ROOT and t.head[right] > p and lo[right] > p:
            right = t.head[right]
            rpath.append(right)

    spanning = [
        hw
        for w, hw in enumerate(t.head)
        if w != p and hw != ROOT and (w < p < hw or hw < p < w)
    ]
    lpath = [k for k in lpath if _projective_for(t, p, k, spanning)]
    rpath = [k for k in rpath if _projective_for(t, p, k, spanning)]
    lc = lpath[-1] if lpath else None
    rc = rpath[-1] if rpath else None
    # why: the lower of the two candidates delimits the smaller unit
    if lc is not None and rc is not None and t.is_ancestor(lc, rc):
        cand = rc
    elif lc is not None:
        cand = lc
    elif rc is not None:
        cand = rc
    else:
        return
    t.attach(p, cand, "punct")


def _reattach_punct(t: _Tree) -> None:
    """Paired quotes/brackets to the enclosed head; others projectively (Udapi FixPunct)."""
    head, pos, dep, text, n = t.head, t.pos, t.dep, t.text, t.n
    for i in range(n):
        if pos[i] == "PUNCT" or dep[i] == "punct":
            continue
        # why: punctuation must not have dependents
        while head[i] != ROOT and (pos[head[i]] == "PUNCT" or dep[head[i]] == "punct"):
            if not t.attach(i, head[head[i]]):
                break
    kind = [""] * n
    for o in range(n):
        close = PAIRED_PUNCT.get(text[o])
        if close is None or kind[o] == "close" or not _is_punct(t, o):
            continue
        depth = 0
        for c in range(o + 1, n):
            if text[c] == close:
                if depth == 0:
                    _fix_pair(t, o, c, kind)
                    break
                depth -= 1
            elif text[c] == text[o]:
                depth += 1
    final = _final_punct(t, kind)
    for p in range(n):
        if p in final:
            t.attach(p, _root(t), "punct")
        elif (
            (pos[p] == "PUNCT" or dep[p] == "punct")
            and not kind[p]
            and head[p] != ROOT
            and not t.kids[p]
        ):
            _fix_subordinate_punct(t, p, kind)


def _root(t: _Tree) -> int:
    return t.kids[ROOT][0]


def _final_punct(t: _Tree, kind: list[str]) -> set[int]:
    """Trailing sentence punctuation (not closing quotes/brackets): it belongs to the root."""
    final: set[int] = set()
    k = t.n - 1
    while k >= 0 and _is_punct(t, k) and not kind[k] and t.head[k] != ROOT:
        final.add(k)
        k -= 1
    return final if len(final) < t.n else set()


# ---------------------------------------------------------------------------
# step: names


def _restructure_names(t: _Tree, ents: Sequence[tuple[int, int, str]]) -> None:
    """PERSON names of PROPN compounds: first token heads, the rest are flat.

    ``ents`` are (start, end, label) Doc-token spans lying wholly inside the sentence.
    """
    local = t.local
    for start, end, label in ents:
        if label not in NAME_ENT_LABELS:
            continue
        idx = [local[i] for i in range(start, end) if i in local]
        if len(idx) < 2 or any(not _name_part(t, k) for k in idx):
            continue
        if t.pos[idx[0]] != "PROPN" or t.pos[idx[-1]] != "PROPN":
            continue
        members = set(idx)
        outer = [k for k in idx if t.head[k] not in members]
        if len(outer) != 1:
            continue
        top = outer[0]
        if any(t.dep[k] not in NAME_INTERNAL_LABELS for k in idx if k != top):
            continue
        first = idx[0]
        if first != top:
            t.attach(first, t.head[top], t.dep[top])
        for k in idx[1:]:
            t.attach(k, first, "punct" if t.pos[k] == "PUNCT" else "flat")
        for k in idx[1:]:
            t.move_children(k, first, skip=members)


def _name_part(t: _Tree, k: int) -> bool:
    # why: "Muqtada al - Sadr" — hyphens inside a name do not end it
    return t.pos[k] == "PROPN" or t.text[k] in NAME_HYPHENS


# ---------------------------------------------------------------------------
# step: clause fixes


def _small_clauses(t: _Tree) -> None:
    """"let me know", "keep it simple": subject of a non-finite ccomp is the obj."""
    for c, d in enumerate(t.dep):
        if d != "ccomp" or t.head[c] == ROOT:
            continue
        v = t.head[c]
        kids = t.children(c)
        if any(t.dep[k] in ("mark", "aux", "aux:pass", "cop") and t.low[k] != "to" for k in kids):
            continue
        if t.tag[c] not in SMALL_CLAUSE_NONFINITE_TAGS:
            continue
        subj = [k for k in kids if t.dep[k] == "nsubj" and v < k < c]
        if len(subj) == 1:
            t.attach(subj[0], v, "obj")
            t.dep[c] = "xcomp"


def _left_ccomp(t: _Tree) -> None:
    """"That's overstating it, I know": the clause is root, "know" parataxis."""
    # why: EWT keeps quoted speech as ccomp of the speech verb ("...," he said)
    if any(x in DOUBLE_QUOTES for x in t.text):
        return
    for r in list(t.kids[ROOT]):
        left = [
            c
            for c in t.children(r)
            if c < r
            and t.dep[c] == "ccomp"
            and not any(t.dep[k] == "mark" for k in t.children(c))
        ]
        if len(left) == 1:
            c = left[0]
            t.promote(c, r, "parataxis")
            t.dep[c] = "root"


def _extraposition(t: _Tree) -> None:
    """"It is important to note": "it" is expl, the clause csubj."""
    for cop, d in enumerate(t.dep):
        pred = t.head[cop]
        if d != "cop" or pred == ROOT or t.pos[pred] != "ADJ":
            continue
        kids = t.children(pred)
        its = [k for k in kids if t.dep[k] == "nsubj" and t.low[k] in EXTRAPOSED_SUBJECTS]
        clauses = [
            k
            for k in kids
            if k > pred and t.dep[k] in ("xcomp", "ccomp", "advcl") and _is_marked_clause(t, k)
        ]
        if its and clauses:
            t.dep[its[0]] = "expl"
            t.dep[clauses[0]] = "csubj"


def _is_marked_clause(t: _Tree, c: int) -> bool:
    return any(
        t.low[k] in ("to", "that") and t.dep[k] in ("mark", "aux") for k in t.children(c)
    )


def _double_objects(t: _Tree) -> None:
    """"give me the money": the first of two bare objects is iobj."""
    objs: dict[int, list[int]] = {}
    for k, d in enumerate(t.dep):
        if d == "obj" and t.head[k] < k:
            objs.setdefault(t.head[k], []).append(k)
    for pair in objs.values():
        if len(pair) == 2:
            t.dep[pair[0]] = "iobj"


def _dates(t: _Tree) -> None:
    """"January 25, 2005": the day heads, month and year are nmod:unmarked."""
    for m, upos in enumerate(t.pos):
        if upos != "PROPN" or not MONTHS.match(t.text[m]):
            continue
        day = m + 1
        if day >= t.n or t.head[day] != m or not t.num[day]:
            continue
        if len(t.text[day]) > 2:
            continue  # why: "May 2005" — a year, not a day; the month keeps heading
        t.promote(day, m, NPMOD_NMOD)
        t.move_children(m, day)
        for k in t.children(day):
            if k > day and t.num[k] and len(t.text[k]) == 4:
                t.dep[k] = NPMOD_NMOD


def _infinitival_relatives(t: _Tree) -> None:
    """"a way to reinvigorate it": an infinitival relative is plain acl in EWT."""
    for c, d in enumerate(t.dep):
        if d != "acl:relcl":
            continue
        kids = t.children(c)
        to = any(t.tag[k] == "TO" and t.dep[k] == "mark" for k in kids)
        wh = any(t.tag[k] in WH_TAGS for k in range(t.n) if t.is_ancestor(c, k) and k < c)
        if to and not wh:
            t.dep[c] = "acl"


def _addressee_iobj(t: _Tree) -> None:
    """"told reporters that ...", "ask him": the addressee of a speech verb is iobj."""
    for o, d in enumerate(t.dep):
        if d != "obj" or t.head[o] == ROOT:
            continue
        v = t.head[o]
        if t.lemma[v].lower() not in ADDRESSEE_VERBS:
            continue
        sibs = [t.dep[k] for k in t.children(v) if k > o]
        personal = t.tag[o] == "PRP" and t.low[o] not in IMPERSONAL_PRONOUNS
        if personal or t.pos[o] == "PROPN" or any(d in ("ccomp", "xcomp") for d in sibs):
            t.dep[o] = "iobj"


def _adjectival_name_parts(t: _Tree) -> None:
    """"European Union", "Prime Minister": adjectival words in names are amod in EWT."""
    for k, d in enumerate(t.dep):
        if d != "compound" or t.pos[k] != "PROPN" or k > t.head[k]:
            continue
        low = t.low[k]
        if (
            low in ADJECTIVAL_NAME_WORDS
            or t.ent[k] == "NORP"
            or low.endswith(ADJECTIVAL_SUFFIXES)
        ):
            t.dep[k] = "amod"


def _fix_clauses(t: _Tree) -> None:
    _infinitival_relatives(t)
    _addressee_iobj(t)
    _adjectival_name_parts(t)
    _small_clauses(t)
    _left_ccomp(t)
    _extraposition(t)


# ---------------------------------------------------------------------------
# step: multiword expressions, double objects, dates


def _match_fixed(t: _Tree, i: int) -> MultiWord | None:
    for mw in FIXED_BY_FIRST_WORD.get(t.low[i], ()):
        end = i + len(mw.words)
        if end > t.n or any(t.low[i + k] != w for k, w in enumerate(mw.words)):
            continue
        if mw.next_upos is not None and (end >= t.n or t.pos[end] not in mw.next_upos):
            continue
        return mw
    return None


def _fixed_expressions(t: _Tree) -> None:
    """Multiword function words: first word takes the group's attachment, rest fixed."""
    i = 0
    low = t.low
    while i < t.n:
        if low[i] not in FIXED_BY_FIRST_WORD:
            i += 1
            continue
        mw = _match_fixed(t, i)
        if mw is None:
            i += 1
            continue
        group = list(range(i, i + len(mw.words)))
        _make_fixed(t, group, mw.deprel)
        i += len(group)


def _make_fixed(t: _Tree, group: list[int], deprel: str | None) -> None:
    members = set(group)
    anchor = group[-1]
    while t.head[anchor] in members:
        anchor = t.head[anchor]
    h, d = t.head[anchor], t.dep[anchor]
    if h != ROOT and any(t.is_ancestor(k, h) for k in group):
        return  # why: the group dominates its own anchor; leave the parse alone
    first = group[0]
    for k in group[1:]:
        t.move_children(k, first, skip=members)
    t.attach(first, h, deprel or d)
    for k in group[1:]:
        t.attach(k, first, "fixed")


def _mwe_iobj_dates(t: _Tree) -> None:
    _fixed_expressions(t)
    _double_objects(t)
    _dates(t)


# ---------------------------------------------------------------------------
# step: EWT labelling conventions (label-only rewrites, measured one by one)

# Particles EWT keeps as directional advmod rather than compound:prt ("came in", "walked in").
ADVMOD_PARTICLES = frozenset({"in", "back", "across"})
# Verbs and adjectives whose to-infinitive is a controlled complement (xcomp); after any
# other head a "to"-infinitive is a purpose/adverbial clause (advcl) in EWT.
XCOMP_VERBS = frozenset(
    {"want", "need", "try", "like", "love", "hate", "prefer", "hope", "wish", "expect",
     "decide", "plan", "intend", "mean", "seem", "appear", "begin", "start", "continue",
     "cease", "go", "have", "get", "help", "allow", "ask", "tell", "invite", "order", "urge",
     "encourage", "force", "enable", "require", "persuade", "convince", "lead", "cause",
     "permit", "forbid", "remind", "teach", "advise", "warn", "instruct", "choose", "agree",
     "refuse", "promise", "pledge", "threaten", "attempt", "strive", "struggle", "manage",
     "fail", "forget", "remember", "learn", "afford", "dare", "hesitate", "deserve", "offer",
     "tend", "happen", "prove", "pretend", "claim", "propose", "seek", "vow", "aim",
     "arrange", "bother", "care", "consent", "demand", "desire", "endeavor", "neglect",
     "prepare", "resolve", "swear", "volunteer", "wait", "long", "believe", "consider",
     "know", "suppose", "say", "call", "enjoy", "look", "ought", "come", "grow", "use",
     "would", "rush", "hurry", "opt", "elect", "train", "beg", "dread", "fear",
     "motivate", "inspire", "compel", "oblige", "pressure", "push",
     "challenge", "authorize", "empower", "entitle", "trust"}
)
XCOMP_ADJECTIVES = frozenset(
    {"able", "unable", "ready", "willing", "unwilling", "likely", "unlikely", "apt",
     "inclined", "determined", "eager", "reluctant", "about", "supposed", "due", "bound",
     "sure", "certain", "keen", "prone", "set", "liable", "quick", "slow", "hesitant",
     "anxious", "obliged", "meant", "destined", "poised", "careful"}
)


def _title_before_person(t: _Tree) -> None:
    """"President Bush", "Dr. Cooper": a title right before a PERSON name is nmod:desc."""
    for k, d in enumerate(t.dep):
        h = t.head[k]
        if d != "compound" or h != k + 1 or t.ent[h] != "PERSON" or t.ent[k] == "PERSON":
            continue
        if t.pos[k] in ("NOUN", "PROPN"):
            t.dep[k] = "nmod:desc"


def _directional_particles(t: _Tree) -> None:
    """"came in", "took it back": EWT labels spatial particles advmod, not compound:prt."""
    for k, d in enumerate(t.dep):
        if d == "compound:prt" and t.low[k] in ADVMOD_PARTICLES:
            t.dep[k] = "advmod"


def _purpose_infinitives(t: _Tree) -> None:
    """"used a supplement to aid weight loss": to-infinitive after a non-control head is advcl."""
    for k, d in enumerate(t.dep):
        h = t.head[k]
        if d != "xcomp" or h == ROOT or not any(
            t.tag[c] == "TO" and t.dep[c] == "mark" and c < k for c in t.kids[k]
        ):
            continue
        lemma = t.lemma[h].lower()
        if t.pos[h] == "VERB" and lemma not in XCOMP_VERBS:
            t.dep[k] = "advcl"
        elif t.pos[h] == "ADJ" and lemma not in XCOMP_ADJECTIVES:
            t.dep[k] = "advcl"


def _postnominal_numbers(t: _Tree) -> None:
    """"Section 7", "Acrobat 4.0": a number after its nominal head is flat in EWT."""
    for k, d in enumerate(t.dep):
        h = t.head[k]
        if d == "nummod" and h != ROOT and h == k - 1 and t.pos[h] in ("PROPN", "NOUN"):
            t.dep[k] = "flat"


EWT_RULES: dict[str, Any] = {
    "title_desc": _title_before_person,
    "particles": _directional_particles,
    "purpose": _purpose_infinitives,
    "postnum": _postnominal_numbers,
}
DISABLED_EWT_RULES: set[str] = set()  # for measuring each rule's worth


def _ewt_conventions(t: _Tree) -> None:
    for name, rule in EWT_RULES.items():
        if name not in DISABLED_EWT_RULES:
            rule(t)



# ---------------------------------------------------------------------------
# final label resolution and tree repair


def _resolve_labels(t: _Tree) -> None:
    """Decide obl/nmod, advcl/acl and unmarked subtypes from the final head."""
    for i, d in enumerate(t.dep):
        if not d.startswith("@"):
            continue
        h = t.head[i]
        nominal = h != ROOT and t.pos[h] in NOMINAL_UPOS
        if d == "@pp":
            t.dep[i] = "nmod" if nominal else "obl"
        elif d == "@pcl":
            t.dep[i] = "acl" if nominal else "advcl"
        elif d == "@npmod":
            t.dep[i] = NPMOD_NMOD if nominal else NPMOD_OBL


def check_tree(words: Sequence[dict[str, Any]]) -> list[str]:
    """Problems with a converted sentence: root count, head range, cycles. Empty = valid."""
    problems: list[str] = []
    n = len(words)
    heads = [int(w["head"]) for w in words]
    for k, w in enumerate(words):
        if int(w["id"]) != k + 1:
            problems.append(f"word {k + 1} has id {w['id']}")
    roots = [k + 1 for k, h in enumerate(heads) if h == 0]
    if len(roots) != 1:
        problems.append(f"{len(roots)} roots: {roots}")
    for k, h in enumerate(heads):
        if not 0 <= h <= n or h == k + 1:
            problems.append(f"word {k + 1} has head {h}")
    for k in range(n):
        seen = set()
        cur = k + 1
        while cur != 0 and cur not in seen and 0 < cur <= n:
            seen.add(cur)
            cur = heads[cur - 1]
        if cur in seen:
            problems.append(f"word {k + 1} is in or reaches a cycle")
            break
    return problems


def _repair(t: _Tree) -> None:
    """Guarantee one root and no cycles (safe fallback attachments)."""
    n = t.n
    # why: break any cycle by hanging one of its nodes from the root temporarily
    head = t.head
    rooted: set[int] = set()  # words known to reach the root
    reached = 0
    stack = list(t.kids[ROOT])
    while stack:
        k = stack.pop()
        reached += 1
        stack.extend(t.kids[k])
    # why: every word reachable from a root means no cycle; skip the per-word climb
    for k in range(n if reached != n else 0):
        seen: set[int] = set()
        cur = k
        while cur != ROOT and cur not in rooted and cur not in seen:
            seen.add(cur)
            cur = head[cur]
        if cur != ROOT and cur not in rooted:
            t.set_head(cur, ROOT)
            t.dep[cur] = "dep"
        rooted |= seen
    roots = list(t.kids[ROOT])
    main = next((k for k in roots if t.dep[k] == "root"), roots[0])
    # why: spaCy fragments and dropped whitespace heads leave extra roots
    for k in roots:
        if k != main:
            t.set_head(k, main)
            t.dep[k] = "punct" if _is_punct(t, k) else "parataxis"
    t.dep[main] = "root"
    for k in range(n):
        if t.dep[k] == "root" and k != main:
            t.dep[k] = "dep"


# ---------------------------------------------------------------------------
# public API


_STEP_FUNCS = {
    "labels": _map_labels,
    "preps": _restructure_preps,
    "copula": _restructure_copula,
    "coord": _restructure_coordination,
    "clauses": _fix_clauses,
    "mwe": _mwe_iobj_dates,
    "ewt": _ewt_conventions,
    "punct": _reattach_punct,
}


def _convert(
    cols: _Columns,
    start: int,
    end: int,
    ents: Sequence[tuple[int, int, str]],
    steps: Sequence[str] = ALL_STEPS,
) -> _Tree:
    """Build and rewrite the tree of Doc tokens ``start:end``; ``ents`` overlap them."""
    t = _build(cols, start, end)
    if not t.n:
        return t
    active = set(steps)
    if "labels" not in active:
        t.dep = ["root" if d == "ROOT" else d for d in t.dep]
    for step in ("labels", "preps", "copula", "coord", "names", "clauses", "mwe", "ewt", "punct"):
        if step not in active:
            continue
        if step == "names":
            _restructure_names(t, [e for e in ents if e[0] >= start and e[1] <= end])
        else:
            _STEP_FUNCS[step](t)
    _resolve_labels(t)
    _repair(t)
    return t


def _span_inputs(span: Span) -> tuple[_Columns, list[tuple[int, int, str]]]:
    doc = span.doc
    # why: one to_array over a small Doc beats per-token attribute access; a long Doc
    # with many sentences is read span by span so the cost stays linear
    cols = _doc_columns(doc)[0] if len(doc) <= 2 * len(span) else _span_columns(span)
    ents = [
        (e.start, e.end, e.label_) for e in doc.ents if e.end > span.start and e.start < span.end
    ]
    return cols, ents


def convert_tree(span: Span, steps: Sequence[str] = ALL_STEPS) -> _Tree:
    """Build and rewrite the tree of one sentence (internal representation)."""
    cols, ents = _span_inputs(span)
    return _convert(cols, span.start, span.end, ents, steps)


_FEATS_CACHE: dict[tuple[str, bool], str | None] = {}


def _feats(morph: str, negated: bool) -> str | None:
    key = (morph, negated)
    if key in _FEATS_CACHE:
        return _FEATS_CACHE[key]
    feats = dict(f.split("=", 1) for f in morph.split("|") if "=" in f)
    if negated:
        feats["Polarity"] = "Neg"
    out = "|".join(f"{k}={feats[k]}" for k in sorted(feats, key=str.lower)) if feats else None
    if len(_FEATS_CACHE) < 100_000:  # why: bounded; a few hundred analyses occur in practice
        _FEATS_CACHE[key] = out
    return out


def _bioes(t: _Tree, ents: Sequence[tuple[int, int, str]]) -> list[str]:
    """BIOES tags over the kept tokens from the (start, end, label) entities."""
    local = t.local
    tags = ["O"] * t.n
    for start, end, label in ents:
        idx = [local[i] for i in range(start, end) if i in local]
        if not idx:
            continue
        if len(idx) == 1:
            tags[idx[0]] = f"S-{label}"
            continue
        tags[idx[0]] = f"B-{label}"
        for k in idx[1:-1]:
            tags[k] = f"I-{label}"
        tags[idx[-1]] = f"E-{label}"
    return tags


def _words(t: _Tree, ents: Sequence[tuple[int, int, str]]) -> list[dict[str, Any]]:
    """CoNLL-U word dicts of a converted tree."""
    tags = _bioes(t, ents)
    text, idx, head, dep, neg, morph = t.text, t.idx, t.head, t.dep, t.neg, t.morph
    return [
        {
            "id": k + 1,
            "text": text[k],
            "lemma": t.lemma[k],
            "upos": t.pos[k],
            "xpos": t.tag[k],
            "feats": _feats(morph[k], neg[k]),
            "head": head[k] + 1,
            "deprel": dep[k],
            "start_char": idx[k],
            "end_char": idx[k] + len(text[k]),
            "ner": tags[k],
        }
        for k in range(t.n)
    ]


def convert_sentence(span: Span, steps: Sequence[str] = ALL_STEPS) -> list[dict[str, Any]]:
    """One spaCy sentence → CoNLL-U word dicts with UD v2 relations."""
    cols, ents = _span_inputs(span)
    return _words(_convert(cols, span.start, span.end, ents, steps), ents)


def convert_doc(spacy_doc: Doc) -> tuple[list[list[dict[str, Any]]], str]:
    """Word dicts of every non-empty sentence and the Doc's text, reading spaCy once."""
    cols, spaces = _doc_columns(spacy_doc)
    text = "".join([w + " " if sp else w for w, sp in zip(cols.text, spaces, strict=True)])
    doc_ents = [(e.start, e.end, e.label_) for e in spacy_doc.ents]
    sentences: list[list[dict[str, Any]]] = []
    j = 0
    for sent in spacy_doc.sents:
        start, end = sent.start, sent.end
        # why: entities and sentences are both in order; walk them together
        while j < len(doc_ents) and doc_ents[j][1] <= start:
            j += 1
        ents = []
        k = j
        while k < len(doc_ents) and doc_ents[k][0] < end:
            ents.append(doc_ents[k])
            k += 1
        t = _convert(cols, start, end, ents)
        if t.n:
            sentences.append(_words(t, ents))
    return sentences, text


def to_document(spacy_doc: Doc) -> Document:
    """A Document with UD v2 trees from a parsed spaCy Doc."""
    sentences, text = convert_doc(spacy_doc)
    return from_word_dicts(sentences, text)

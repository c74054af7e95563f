"""Convert spaCy (en_core_web_sm, ClearNLP-style labels) parses to UD v2 stanza Documents.

stanza is the parser of record; when its models are unavailable spaCy is the
fallback, and this module turns spaCy's output into stanza's data model with UD v2
relations so nothing downstream has to know which parser ran.

The conversion is a sequence of tree rewrites (see ``ALL_STEPS``), each measured on
UD English EWT dev (``python -m claims.evaluation.parser --ablation``).  Every
rewrite goes through :meth:`_Tree.attach`, which refuses an attachment that would
create a cycle, and :func:`_repair` guarantees a single-rooted tree at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from spacy.tokens import Doc, Span, Token
from stanza.models.common.doc import Document

# Bumped when a rule changes parses (claims.nlp.parse records it in ParserInfo).
CONVERSION_VERSION = "1"
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
QUOTES = frozenset({'"', "“", "”", "``", "''"})
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


@dataclass
class _Tree:
    """Mutable dependency tree over the non-space tokens of one spaCy sentence."""

    toks: list[Token]
    head: list[int]
    dep: list[str]
    orig: list[str]
    neg: list[bool] = field(default_factory=list)
    pos: list[str] = field(default_factory=list)
    low: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # why: spaCy attribute access is slow; the rules read these many times
        self.pos = [tok.pos_ for tok in self.toks]
        self.low = [tok.lower_ for tok in self.toks]
        self.neg = [False] * len(self.toks)

    def __len__(self) -> int:
        return len(self.head)

    def children(self, i: int) -> list[int]:
        return [k for k, h in enumerate(self.head) if h == i]

    def upos(self, i: int) -> str:
        return self.pos[i]

    def lower(self, i: int) -> str:
        return self.low[i]

    def is_ancestor(self, a: int, i: int) -> bool:
        """True if ``a`` is ``i`` or dominates it."""
        seen = 0
        while i != ROOT and seen <= len(self.head):
            if i == a:
                return True
            i = self.head[i]
            seen += 1
        return False

    def attach(self, i: int, h: int, dep: str | None = None) -> bool:
        """Make ``h`` the head of ``i``, unless that would create a cycle."""
        if h != ROOT and self.is_ancestor(i, h):
            return False
        self.head[i] = h
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
        for c in self.children(src):
            if c != dst and c not in skipped and self.attach(c, dst):
                moved.append(c)
        return moved


# ---------------------------------------------------------------------------
# building the tree


def _space(tok: Token) -> bool:
    return tok.is_space or not tok.text.strip()


def _build(span: Span) -> _Tree:
    """Tree over the non-space tokens; dependents of dropped space tokens climb up."""
    toks = [t for t in span if not _space(t)]
    local = {t.i: k for k, t in enumerate(toks)}
    heads: list[int] = []
    for t in toks:
        h = t.head
        # why: a "\n\n" token may sit in the tree; its dependents go to its own head
        while h.i not in local and h.head.i != h.i and span.start <= h.head.i < span.end:
            h = h.head
        heads.append(local.get(h.i, ROOT) if h.i != t.i else ROOT)
    deps = [t.dep_ for t in toks]
    for k, h in enumerate(heads):
        if h == ROOT:
            deps[k] = "ROOT"
    return _Tree(toks=toks, head=heads, dep=deps, orig=list(deps))


# ---------------------------------------------------------------------------
# step: labels


def _map_labels(t: _Tree) -> None:
    """Rename spaCy labels to UD v2; negation becomes advmod + Polarity=Neg."""
    for i, d in enumerate(t.dep):
        if d == "neg":
            t.neg[i] = True
            # why: "no" in "no evidence" is a determiner in UD, "not"/"never" adverbs
            t.dep[i] = "det" if t.upos(i) == "DET" else "advmod"
        elif d == "aux" and t.toks[i].tag_ == "TO":
            t.dep[i] = "mark"  # why: infinitival "to" is mark in UD
        elif d == "dative" and t.upos(i) == "ADP":
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
            return c, t.upos(c) in CLAUSE_UPOS
    # why: an inner PP already restructured ("out of the room") is the object
    for c in kids:
        if c > p and t.dep[c] == "@pp":
            return c, False
    return None, False


def _restructure_preps(t: _Tree) -> None:
    """Noun heads the PP, preposition becomes case (clausal object: mark)."""
    preps = [
        i
        for i in range(len(t))
        if t.orig[i] in PREP_LABELS
        # why: "both in Iraq and in Washington" — a preposition labelled conj/pcomp
        or (t.upos(i) == "ADP" and any(t.orig[c] in ("pobj", "pcomp") for c in t.children(i)))
    ]
    # why: right to left handles nested PPs ("out of X", "in the house of John") inner first
    for p in reversed(preps):
        if t.orig[p] == "dative" and t.upos(p) != "ADP":
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
            if t.upos(c) == "ADP" and t.orig[c] == "pcomp" and not t.children(c):
                t.dep[c] = "case"


# ---------------------------------------------------------------------------
# step: copula


def _predicate(t: _Tree, b: int) -> int | None:
    """The predicate of copular "be" at ``b`` (nominal, adjectival, PP, clause), if any."""
    kids = t.children(b)
    right = [c for c in kids if c > b and t.orig[c] in PREDICATE_LABELS]
    left = [c for c in kids if c < b and t.orig[c] in PREDICATE_LABELS]
    # why: "Here's an excerpt" — the locative adverb is the predicate, the noun the subject
    here = [c for c in kids if c < b and t.lower(c) in PREDICATE_ADVERBS and t.dep[c] == "advmod"]
    if here and right and not any(t.dep[c] in SUBJECTS for c in kids):
        t.dep[right[0]] = "nsubj"
        return here[0]
    wh = [c for c in kids if c < b and t.lower(c) in WH_PREDICATES and t.dep[c] == "advmod"]
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
        and t.lower(c) in PREDICATE_ADVERBS
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
            if marks and t.lower(marks[0]) in CLAUSE_PREDICATE_MARKS:
                return c
    return None


def _restructure_copula(t: _Tree) -> None:
    """Predicate heads the clause, "be" becomes cop; existential "there" → expl."""
    for b in range(len(t)):
        if t.toks[b].lemma_.lower() != COPULA_LEMMA or t.orig[b] in ("aux", "auxpass"):
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
    for i in range(len(t)):
        if t.dep[i] == "conj":
            t.attach(i, _first_conjunct(t, i))
    for c in range(len(t)):
        if t.dep[c] != "cc" or t.head[c] == ROOT:
            continue
        h = t.head[c]
        first = t.head[h] if t.dep[h] == "conj" and t.head[h] != ROOT else h
        following = [k for k in t.children(first) if t.dep[k] == "conj" and k > c]
        if following:
            t.attach(c, min(following))


# ---------------------------------------------------------------------------
# step: punctuation


def _is_punct(t: _Tree, i: int) -> bool:
    return t.upos(i) == "PUNCT" or t.dep[i] == "punct"


def _subtree_spans(t: _Tree, skip: int) -> list[tuple[int, int]]:
    """(leftmost, rightmost) descendant of every node, ignoring the leaf ``skip``."""
    spans = [(k, k) for k in range(len(t))]
    for k in range(len(t)):
        if k == skip:
            continue
        h = t.head[k]
        steps = 0
        while h != ROOT and steps <= len(t):
            lo, hi = spans[h]
            spans[h] = (min(lo, k), max(hi, k))
            h = t.head[h]
            steps += 1
    return spans


def _projective_for(t: _Tree, p: int, h: int) -> bool:
    """Would attaching leaf ``p`` to ``h`` keep the arc projective and outside any gap?"""
    lo, hi = sorted((p, h))
    if any(not t.is_ancestor(h, k) for k in range(lo + 1, hi)):
        return False
    for w, hw in enumerate(t.head):
        if w == p or hw == ROOT:
            continue
        a, b = sorted((w, hw))
        if a < p < b and not t.is_ancestor(hw, h):
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
    n = len(t)
    left: int | None = p - 1
    right: int | None = None if t.toks[p].text in FINAL_PUNCT else p + 1
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

    spans = _subtree_spans(t, p)
    lpath: list[int] = []
    if left is not None:
        lpath.append(left)
        while t.head[left] != ROOT and t.head[left] < p and spans[left][1] < p:
            left = t.head[left]
            lpath.append(left)
    rpath: list[int] = []
    if right is not None:
        rpath.append(right)
        while t.head[right] != ROOT and t.head[right] > p and spans[right][0] > p:
            right = t.head[right]
            rpath.append(right)

    lpath = [k for k in lpath if _projective_for(t, p, k)]
    rpath = [k for k in rpath if _projective_for(t, p, k)]
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
    for i in range(len(t)):
        # why: punctuation must not have dependents
        while t.head[i] != ROOT and _is_punct(t, t.head[i]) and not _is_punct(t, i):
            if not t.attach(i, t.head[t.head[i]]):
                break
    kind = [""] * len(t)
    for o in range(len(t)):
        close = PAIRED_PUNCT.get(t.toks[o].text)
        if close is None or kind[o] == "close" or not _is_punct(t, o):
            continue
        depth = 0
        for c in range(o + 1, len(t)):
            if t.toks[c].text == close:
                if depth == 0:
                    _fix_pair(t, o, c, kind)
                    break
                depth -= 1
            elif t.toks[c].text == t.toks[o].text:
                depth += 1
    final = _final_punct(t, kind)
    for p in range(len(t)):
        if p in final:
            t.attach(p, _root(t), "punct")
        elif _is_punct(t, p) and not kind[p] and t.head[p] != ROOT and not t.children(p):
            _fix_subordinate_punct(t, p, kind)


def _root(t: _Tree) -> int:
    return next(k for k in range(len(t)) if t.head[k] == ROOT)


def _final_punct(t: _Tree, kind: list[str]) -> set[int]:
    """Trailing sentence punctuation (not closing quotes/brackets): it belongs to the root."""
    final: set[int] = set()
    k = len(t) - 1
    while k >= 0 and _is_punct(t, k) and not kind[k] and t.head[k] != ROOT:
        final.add(k)
        k -= 1
    return final if len(final) < len(t) else set()


# ---------------------------------------------------------------------------
# step: names


def _restructure_names(t: _Tree, span: Span) -> None:
    """PERSON names of PROPN compounds: first token heads, the rest are flat."""
    local = {tok.i: k for k, tok in enumerate(t.toks)}
    for ent in span.ents:
        if ent.label_ not in NAME_ENT_LABELS:
            continue
        idx = [local[tok.i] for tok in ent if tok.i in local]
        if len(idx) < 2 or any(not _name_part(t, k) for k in idx):
            continue
        if t.upos(idx[0]) != "PROPN" or t.upos(idx[-1]) != "PROPN":
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
            t.attach(k, first, "punct" if t.upos(k) == "PUNCT" else "flat")
        for k in idx[1:]:
            t.move_children(k, first, skip=members)


def _name_part(t: _Tree, k: int) -> bool:
    # why: "Muqtada al - Sadr" — hyphens inside a name do not end it
    return t.upos(k) == "PROPN" or t.toks[k].text in NAME_HYPHENS


# ---------------------------------------------------------------------------
# step: clause fixes


def _small_clauses(t: _Tree) -> None:
    """"let me know", "keep it simple": subject of a non-finite ccomp is the obj."""
    for c in range(len(t)):
        if t.dep[c] != "ccomp" or t.head[c] == ROOT:
            continue
        v = t.head[c]
        kids = t.children(c)
        if any(t.dep[k] in ("mark", "aux", "aux:pass", "cop") and t.lower(k) != "to" for k in kids):
            continue
        if t.toks[c].tag_ not in SMALL_CLAUSE_NONFINITE_TAGS:
            continue
        subj = [k for k in kids if t.dep[k] == "nsubj" and v < k < c]
        if len(subj) == 1:
            t.attach(subj[0], v, "obj")
            t.dep[c] = "xcomp"


def _left_ccomp(t: _Tree) -> None:
    """"That's overstating it, I know": the clause is root, "know" parataxis."""
    # why: EWT keeps quoted speech as ccomp of the speech verb ("...," he said)
    if any(tok.text in QUOTES for tok in t.toks):
        return
    for r in range(len(t)):
        if t.head[r] != ROOT:
            continue
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
    for cop in range(len(t)):
        pred = t.head[cop]
        if t.dep[cop] != "cop" or pred == ROOT or t.upos(pred) != "ADJ":
            continue
        kids = t.children(pred)
        its = [k for k in kids if t.dep[k] == "nsubj" and t.lower(k) in EXTRAPOSED_SUBJECTS]
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
        t.lower(k) in ("to", "that") and t.dep[k] in ("mark", "aux") for k in t.children(c)
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
    for m in range(len(t)):
        if t.upos(m) != "PROPN" or not MONTHS.match(t.toks[m].text):
            continue
        day = m + 1
        if day >= len(t) or t.head[day] != m or not t.toks[day].like_num:
            continue
        if len(t.toks[day].text) > 2:
            continue  # why: "May 2005" — a year, not a day; the month keeps heading
        t.promote(day, m, NPMOD_NMOD)
        t.move_children(m, day)
        for k in t.children(day):
            if k > day and t.toks[k].like_num and len(t.toks[k].text) == 4:
                t.dep[k] = NPMOD_NMOD


def _infinitival_relatives(t: _Tree) -> None:
    """"a way to reinvigorate it": an infinitival relative is plain acl in EWT."""
    for c in range(len(t)):
        if t.dep[c] != "acl:relcl":
            continue
        kids = t.children(c)
        to = any(t.toks[k].tag_ == "TO" and t.dep[k] == "mark" for k in kids)
        wh = any(t.toks[k].tag_ in WH_TAGS for k in range(len(t)) if t.is_ancestor(c, k) and k < c)
        if to and not wh:
            t.dep[c] = "acl"


def _addressee_iobj(t: _Tree) -> None:
    """"told reporters that ...", "ask him": the addressee of a speech verb is iobj."""
    for o in range(len(t)):
        if t.dep[o] != "obj" or t.head[o] == ROOT:
            continue
        v = t.head[o]
        if t.toks[v].lemma_.lower() not in ADDRESSEE_VERBS:
            continue
        sibs = [t.dep[k] for k in t.children(v) if k > o]
        personal = t.toks[o].tag_ == "PRP" and t.lower(o) not in IMPERSONAL_PRONOUNS
        if personal or t.upos(o) == "PROPN" or any(d in ("ccomp", "xcomp") for d in sibs):
            t.dep[o] = "iobj"


def _adjectival_name_parts(t: _Tree) -> None:
    """"European Union", "Prime Minister": adjectival words in names are amod in EWT."""
    for k in range(len(t)):
        if t.dep[k] != "compound" or t.upos(k) != "PROPN" or k > t.head[k]:
            continue
        low = t.lower(k)
        if (
            low in ADJECTIVAL_NAME_WORDS
            or t.toks[k].ent_type_ == "NORP"
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
        if end > len(t) or any(t.lower(i + k) != w for k, w in enumerate(mw.words)):
            continue
        if mw.next_upos is not None and (end >= len(t) or t.upos(end) not in mw.next_upos):
            continue
        return mw
    return None


def _fixed_expressions(t: _Tree) -> None:
    """Multiword function words: first word takes the group's attachment, rest fixed."""
    i = 0
    while i < len(t):
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
# final label resolution and tree repair


def _resolve_labels(t: _Tree) -> None:
    """Decide obl/nmod, advcl/acl and unmarked subtypes from the final head."""
    for i, d in enumerate(t.dep):
        if not d.startswith("@"):
            continue
        h = t.head[i]
        nominal = h != ROOT and t.upos(h) in NOMINAL_UPOS
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
    n = len(t)
    # why: break any cycle by hanging one of its nodes from the root temporarily
    for k in range(n):
        seen: list[int] = []
        cur = k
        while cur != ROOT and cur not in seen:
            seen.append(cur)
            cur = t.head[cur]
        if cur != ROOT:
            t.head[cur] = ROOT
            t.dep[cur] = "dep"
    roots = [k for k in range(n) if t.head[k] == ROOT]
    main = next((k for k in roots if t.dep[k] == "root"), roots[0])
    # why: spaCy fragments and dropped whitespace heads leave extra roots
    for k in roots:
        if k != main:
            t.head[k] = main
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
    "punct": _reattach_punct,
}


def convert_tree(span: Span, steps: Sequence[str] = ALL_STEPS) -> _Tree:
    """Build and rewrite the tree of one sentence (internal representation)."""
    t = _build(span)
    if not len(t):
        return t
    active = set(steps)
    if "labels" not in active:
        t.dep = ["root" if d == "ROOT" else d for d in t.dep]
    for step in ("labels", "preps", "copula", "coord", "names", "clauses", "mwe", "punct"):
        if step not in active:
            continue
        if step == "names":
            _restructure_names(t, span)
        else:
            _STEP_FUNCS[step](t)
    _resolve_labels(t)
    _repair(t)
    return t


def _feats(tok: Token, negated: bool) -> str | None:
    feats = dict(f.split("=", 1) for f in str(tok.morph).split("|") if "=" in f)
    if negated:
        feats["Polarity"] = "Neg"
    if not feats:
        return None
    return "|".join(f"{k}={feats[k]}" for k in sorted(feats, key=str.lower))


def _bioes(span: Span, t: _Tree) -> list[str]:
    """BIOES tags over the kept tokens from the document's entities."""
    local = {tok.i: k for k, tok in enumerate(t.toks)}
    tags = ["O"] * len(t)
    for ent in span.doc.ents:
        if ent.end <= span.start or ent.start >= span.end:
            continue
        idx = [local[tok.i] for tok in ent if tok.i in local]
        if not idx:
            continue
        if len(idx) == 1:
            tags[idx[0]] = f"S-{ent.label_}"
            continue
        tags[idx[0]] = f"B-{ent.label_}"
        for k in idx[1:-1]:
            tags[k] = f"I-{ent.label_}"
        tags[idx[-1]] = f"E-{ent.label_}"
    return tags


def convert_sentence(span: Span, steps: Sequence[str] = ALL_STEPS) -> list[dict[str, Any]]:
    """One spaCy sentence → stanza/CoNLL-U word dicts with UD v2 relations."""
    t = convert_tree(span, steps)
    tags = _bioes(span, t)
    words: list[dict[str, Any]] = []
    for k, tok in enumerate(t.toks):
        words.append(
            {
                "id": k + 1,
                "text": tok.text,
                "lemma": tok.lemma_,
                "upos": tok.pos_,
                "xpos": tok.tag_,
                "feats": _feats(tok, t.neg[k]),
                "head": t.head[k] + 1,
                "deprel": t.dep[k],
                "start_char": tok.idx,
                "end_char": tok.idx + len(tok.text),
                "ner": tags[k],
            }
        )
    return words


def to_stanza(spacy_doc: Doc) -> Document:
    """A stanza Document with UD v2 trees from a parsed spaCy Doc."""
    sentences = [convert_sentence(sent) for sent in spacy_doc.sents]
    sentences = [s for s in sentences if s]
    return Document(sentences, text=spacy_doc.text)

"""How firmly: FactBank certainty and typed hedge cues in a clause's scope.

The scope of a clause is its own words plus the frames above it (the verb,
adjective or noun it is the complement of, up the chain). Each cue is kept with
its kind and offsets; the hedge level sums the kinds' weights from the lexicon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stanza.models.common.doc import Word

from ..nlp.tree import Tree, base, word_span
from .lexicons import lexicons
from .types import HedgeCue

RANK = {"certain": 3, "probable": 2, "possible": 1, "unknown": 0}
NUMBER = r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|a hundred|hundreds|a dozen|dozens|half|a third|a quarter|\w+ty)"
WH = {"whether", "if", "how", "why", "what", "which", "who", "whom", "where", "when"}
QUESTION_GOVERNORS = {"ask", "wonder", "unclear", "uncertain", "unknown", "know", "determine", "investigate", "assess", "examine", "question", "doubt", "clear", "sure", "decide", "see"}


@dataclass
class Firmness:
    certainty: str
    certainty_term: str | None
    cues: list[HedgeCue]
    hedge_level: str


def _cue(tree: Tree, words: list[Word], kind: str) -> HedgeCue:
    start = min(word_span(w)[0] for w in words)
    end = max(word_span(w)[1] for w in words)
    return HedgeCue(tree.text[start:end], start, end, kind)


def _lemma(w: Word) -> str:
    return (w.lemma or w.text).lower()


def frames(tree: Tree, head: Word) -> list[Word]:
    """The predicates a clause is embedded under, nearest first (complement and raising chains)."""
    out: list[Word] = []
    cur = head
    while base(cur.deprel) in ("ccomp", "csubj", "xcomp", "acl") and cur.deprel != "acl:relcl":
        parent = tree.head_of(cur)
        if parent is None:
            break
        out.append(parent)
        cur = parent
    return out


def approximators(tree: Tree, words: list[Word]) -> list[HedgeCue]:
    """"more than fifty attacks", "at least 20", "about 300": text patterns over the clause."""
    lex = lexicons().hedges
    if not words:
        return []
    start, end = word_span(words[0])[0], word_span(words[-1])[1]
    text = tree.text[start:end]
    terms = sorted((str(t) for t in lex["approximators"]), key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(t) for t in terms) + r")\s+(?=" + NUMBER + r"\b)", re.I)
    return [
        HedgeCue(m.group(1), start + m.start(1), start + m.end(1), "approximator")
        for m in pattern.finditer(text)
    ]


def firmness(tree: Tree, head: Word, words: list[Word], negative: bool) -> Firmness:
    """Certainty (with the word that set it), hedge cues and the hedge level of one clause."""
    lex = lexicons()
    h = lex.hedges
    votes: list[tuple[str, str]] = []  # (certainty, term)
    cues: list[HedgeCue] = []
    own = {w.id for w in words}
    modals: dict[str, str] = h["modals"]
    adverbs: dict[str, str] = h["adverbs"]
    evidential: dict[str, str] = h["evidential_verbs"]
    frame_words: dict[str, str] = h["frames"]
    boosters = lex.words("hedges", "boosters")
    unknown_makers = lex.words("hedges", "unknown_makers")
    qualifiers = lex.words("hedges", "qualifiers")
    attenuators = lex.words("hedges", "attenuators")
    distancing = lex.words("hedges", "distancing")

    # modal auxiliaries on the predicate (or on the verb it is raised under)
    predicates = [head, *[p for p in frames(tree, head) if base(head.deprel) == "xcomp"][:1]]
    for pred in predicates:
        for aux in tree.children(pred, "aux"):
            m = _lemma(aux)
            if m in modals and modals[m] != "certain":
                votes.append((modals[m], aux.text))
                cues.append(_cue(tree, [aux], "epistemic"))

    for w in words:
        lemma = _lemma(w)
        rel = base(w.deprel)
        if lemma in adverbs and rel in ("advmod", "amod"):
            level = adverbs[lemma]
            votes.append((level, w.text))
            cues.append(_cue(tree, [w], "booster" if level == "certain" else "epistemic"))
        elif lemma in distancing:
            votes.append(("probable", w.text))
            cues.append(_cue(tree, [w], "distancing"))
        elif lemma in attenuators and rel in ("advmod", "amod", "obl") and tree.head_of(w) is not None and tree.head_of(w).upos in ("ADJ", "ADV", "VERB"):  # type: ignore[union-attr]
            cues.append(_cue(tree, [w], "attenuator"))
        elif negative and lemma in qualifiers and rel in ("advmod", "amod"):
            # "not explicitly", "not always", "not complete control": negation limited in scope
            cues.append(_cue(tree, [w], "qualifier"))

    # the clause's own predicate: "appears", "remains unclear", "seems"
    own_preds = [head, *tree.children(head, "xcomp")]
    for pred in own_preds:
        lemma = _lemma(pred)
        if pred is head and lemma in evidential and (tree.children(head, "xcomp") or lemma in ("appear", "seem", "tend")):
            votes.append((evidential[lemma], pred.text))
            cues.append(_cue(tree, [pred], "evidential"))
        elif lemma in unknown_makers and pred.upos in ("ADJ",) and lemma in frame_words:
            votes.append(("unknown", pred.text))
            cues.append(_cue(tree, [pred], "unknown"))

    # "still assessing", "investigating whether": open questions in the clause itself
    if _lemma(head) in lex.words("hedges", "unknown_verbs_with_still") and any(
        _lemma(c) == "still" for c in tree.children(head, "advmod")
    ):
        votes.append(("unknown", head.text))
        cues.append(_cue(tree, [c for c in tree.children(head, "advmod") if _lemma(c) == "still"] + [head], "unknown"))

    # markers: "whether X", conditional "if X"
    for m in tree.children(head, "mark"):
        lemma = _lemma(m)
        parent = tree.head_of(head)
        if lemma == "whether" or (lemma == "if" and base(head.deprel) == "ccomp"):
            votes.append(("unknown", m.text))
            cues.append(_cue(tree, [m], "unknown"))
        elif lemma in ("if", "unless") and base(head.deprel) == "advcl":
            votes.append(("unknown", m.text))
            cues.append(_cue(tree, [m], "conditional"))
        del parent
    # embedded questions: "which group is responsible" under "unclear"/"ask"
    if base(head.deprel) in ("ccomp", "csubj"):
        parent = tree.head_of(head)
        first = words[0] if words else None
        if parent is not None and first is not None and _lemma(first) in WH and _lemma(parent) in QUESTION_GOVERNORS:
            votes.append(("unknown", first.text))
            cues.append(_cue(tree, [first], "unknown"))
    # the consequent of a conditional: "if X, Y would ..."
    for adv in tree.children(head, "advcl"):
        if any(_lemma(m) in ("if", "unless") for m in tree.children(adv, "mark")):
            votes.append(("possible", "if"))
            cues.append(_cue(tree, [m for m in tree.children(adv, "mark")][:1], "conditional"))

    # frames over the clause: "it is evident that", "there are concerns that", "reveals that"
    for frame in frames(tree, head):
        lemma = _lemma(frame)
        if frame.id in own:
            continue
        if lemma in boosters:
            votes.append(("certain", frame.text))
            cues.append(_cue(tree, [frame], "booster"))
        elif lemma in evidential:
            votes.append((evidential[lemma], frame.text))
            cues.append(_cue(tree, [frame], "evidential"))
        elif lemma in frame_words:
            level = frame_words[lemma]
            votes.append((level, frame.text))
            kind = "booster" if level == "certain" else "unknown" if level == "unknown" else "evidential"
            cues.append(_cue(tree, [frame], kind))
        for aux in tree.children(frame, "aux"):
            m = _lemma(aux)
            if m in modals and modals[m] != "certain":
                votes.append((modals[m], aux.text))
                cues.append(_cue(tree, [aux], "epistemic"))

    cues.extend(approximators(tree, words))
    cues = sorted({(c.start_char, c.kind): c for c in cues}.values(), key=lambda c: c.start_char)

    lowered = [v for v in votes if v[0] != "certain"]
    if lowered:
        certainty, term = min(lowered, key=lambda v: RANK[v[0]])
    elif votes:
        certainty, term = votes[0]
    else:
        certainty, term = "certain", None
    return Firmness(certainty, term, cues, hedge_level(cues))


def hedge_level(cues: list[HedgeCue]) -> str:
    weights: dict[str, float] = lexicons().hedges["weights"]
    score = sum(weights.get(c.kind, 0.0) for c in cues)
    if score <= 0:
        return "none"
    if score <= 1:
        return "low"
    if score <= 2.5:
        return "medium"
    return "high"

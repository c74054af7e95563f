"""Polarity: is the clause's predicate negated?"""

from __future__ import annotations

from stanza.models.common.doc import Word

from ..nlp.tree import Tree, base, feats
from .lexicons import lexicons

NEGATORS = {"not", "n't", "never", "no", "neither", "nor", "nobody", "nothing", "none", "nowhere"}
# Governing verbs that negate their complement: "denied that X", "failed to X".
NEGATING_GOVERNORS = {"deny", "fail", "refuse", "reject", "dismiss", "decline", "refute"}
# Prepositions and markers that negate the clause they introduce.
NEGATING_MARKS = {"without"}


def is_negator(w: Word) -> bool:
    return feats(w).get("Polarity") == "Neg" or (w.lemma or w.text).lower() in NEGATORS


def negators(tree: Tree, head: Word) -> list[Word]:
    """Negation words that scope over the predicate: on it, its auxiliaries, copula, or subject/object determiner."""
    found = [c for c in tree.children(head, "advmod", "det", "aux", "cop", "cc:preconj") if is_negator(c)]
    for rel in ("nsubj", "obj"):
        # "no clear consensus", "nobody said", "there is no evidence"
        for arg in tree.children(head, rel):
            if (arg.lemma or "").lower() in {"nobody", "nothing", "none", "no one"}:
                found.append(arg)
            found.extend(d for d in tree.children(arg, "det") if (d.lemma or d.text).lower() == "no")
    # "the attacks could not ...": negation on the xcomp parent when the head is raised
    if base(head.deprel) == "xcomp":
        parent = tree.head_of(head)
        if parent is not None:
            found.extend(c for c in tree.children(parent, "advmod") if is_negator(c))
    return sorted(found, key=lambda w: w.id)


def polarity(tree: Tree, head: Word) -> tuple[str, list[Word]]:
    """``positive`` or ``negative``, with the words that decided it."""
    cues = negators(tree, head)
    flips = len(cues)
    for m in tree.children(head, "mark"):
        if (m.lemma or "").lower() in NEGATING_MARKS:
            cues.append(m)
            flips += 1
    parent = tree.head_of(head)
    if parent is not None and base(head.deprel) in ("ccomp", "xcomp") and (parent.lemma or "").lower() in NEGATING_GOVERNORS:
        cues.append(parent)
        flips += 1
    if parent is not None and base(head.deprel) in ("ccomp", "xcomp") and (parent.lemma or "").lower() in lexicons().words("hedges", "neg_raisers"):
        # "I don't think that X" is read as "I think that not X" (neg-raising; list in hedges.yml)
        raised = negators(tree, parent)
        if raised:
            cues.extend(raised)
            flips += len(raised)
    return ("negative" if flips % 2 else "positive"), cues

"""Polarity: is the clause's predicate negated?"""

from __future__ import annotations

from ..nlp.document import Word
from ..nlp.tree import Tree, base, feats
from .lexicons import lexicons

# Governing verbs that negate their complement: "failed to X", "refused to X"; and the denial
# verbs of attribution.yml ("denied that X", "rejected claims that X").
NEGATING_GOVERNORS = {"fail", "refuse", "decline"}


def negating_governors() -> frozenset[str]:
    lex = lexicons()
    return lex.words("attribution", "denial_verbs") | lex.words("attribution", "rejection_verbs") | NEGATING_GOVERNORS


def denied_by(tree: Tree, head: Word) -> Word | None:
    """The denial verb a claim is the content of: "denied [any involvement]" (its object),
    "dismissed [the allegations]" (a content noun as object of a rejection verb) or "rejected
    claims [that X]" (the content clause of such a noun)."""
    lex = lexicons()
    denials = lex.words("attribution", "denial_verbs")
    rejections = lex.words("attribution", "rejection_verbs")
    nouns = lex.words("attribution", "content_nouns")
    parent = tree.head_of(head)
    if parent is None:
        return None
    lemma = (head.lemma or head.text).lower()
    if base(head.deprel) == "obj" and head.upos in ("NOUN", "PROPN", "PRON"):
        verb_lemma = (parent.lemma or "").lower()
        if verb_lemma in denials or (verb_lemma in rejections and lemma in nouns):
            return parent
    if base(head.deprel) == "acl" and head.deprel != "acl:relcl" and base(parent.deprel) == "obj":
        verb = tree.head_of(parent)
        if verb is not None and (verb.lemma or "").lower() in denials | rejections and (parent.lemma or "").lower() in nouns:
            return verb
    return None
# Prepositions and markers that negate the clause they introduce.
NEGATING_MARKS = {"without"}
# Coordinators that contrast their conjunct with the first: "did not attack but retreated".
ADVERSATIVE = {"but", "yet", "instead", "rather", "while", "whereas"}


def is_negator(w: Word) -> bool:
    return feats(w).get("Polarity") == "Neg" or (w.lemma or w.text).lower() in lexicons().words("polarity", "negators")


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


def shares_first_conjunct(tree: Tree, head: Word) -> Word | None:
    """The first conjunct whose subject, auxiliaries and negation this conjunct shares ("it should
    not exploit X or allow Y": "allow" shares "it should not"), or None: a conjunct with its own
    subject or auxiliary, or one set against the first ("not X but Y"), shares nothing."""
    if base(head.deprel) != "conj" or tree.children(head, "nsubj", "nsubj:pass", "csubj", "expl", "aux", "aux:pass"):
        return None
    if any((c.lemma or c.text).lower() in ADVERSATIVE for c in tree.children(head, "cc")):
        return None
    return tree.head_of(head)


def negation_spreads(tree: Tree, head: Word) -> bool:
    """Whether the first conjunct's negation covers this one: "not X or Y" is "not X and not
    Y" (De Morgan), "never X nor Y" too; "not X and Y" denies only that both hold, so an "and"
    conjunct keeps its own polarity (spreading over "and" too cost UW dev r 0.005)."""
    return any((c.lemma or c.text).lower() in ("or", "nor") for c in tree.children(head, "cc"))


def polarity(tree: Tree, head: Word) -> tuple[str, list[Word]]:
    """``positive`` or ``negative``, with the words that decided it.

    A negation over a disjunction governs every conjunct that shares the first one's subject
    and auxiliaries: "not X or Y" is "not X and not Y".
    """
    first = shares_first_conjunct(tree, head)
    if first is not None and negation_spreads(tree, head):
        inherited, inherited_cues = polarity(tree, first)
        own = negators(tree, head)
        cues = [*inherited_cues, *own]
        flips = (1 if inherited == "negative" else 0) + len(own)
        return ("negative" if flips % 2 else "positive"), sorted(cues, key=lambda w: w.id)
    cues = negators(tree, head)
    flips = len(cues)
    for m in tree.children(head, "mark"):
        if (m.lemma or "").lower() in NEGATING_MARKS:
            cues.append(m)
            flips += 1
    parent = tree.head_of(head)
    if parent is not None and base(head.deprel) in ("ccomp", "xcomp") and (parent.lemma or "").lower() in negating_governors():
        cues.append(parent)
        flips += 1
    else:
        denial = denied_by(tree, head)
        if denial is not None:
            cues.append(denial)
            flips += 1
    if parent is not None and base(head.deprel) in ("ccomp", "xcomp") and (parent.lemma or "").lower() in lexicons().words("hedges", "neg_raisers"):
        # "I don't think that X" is read as "I think that not X" (neg-raising; list in hedges.yml)
        raised = negators(tree, parent)
        if raised:
            cues.extend(raised)
            flips += len(raised)
    return ("negative" if flips % 2 else "positive"), cues

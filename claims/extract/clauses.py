"""Clauses that state something, found on UD v2 trees.

One claim per main clause, conjoined clause, complement clause (under reporting
or cognitive verbs and content nouns), finite adverbial clause and non-restrictive
relative clause (", which led an attack": its subject is the noun the relative
pronoun stands for; "the groups that Iran funds" only restricts a noun). A reporting frame whose content is a clause ("Recent intelligence
reveals that X") yields X, attributed to the frame's subject, not the frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..nlp.document import Word
from ..nlp.tree import Tree, base, feats, one_line, run_around, same_line, trim
from .attribution import according_case, as_frame
from .lexicons import lexicons
from .polarity import denied_by, negators

SUBJECT_RELS = ("nsubj", "csubj")
# Relations whose dependent heads a clause of its own, and the clause type it gets.
CLAUSE_RELS = {
    "conj": "conj",
    "ccomp": "complement",
    "csubj": "complement",
    "advcl": "adverbial",
    "acl": "complement",  # acl:relcl is checked first below
    "parataxis": "parataxis",
}
# Adverbial markers of purpose and manner make circumstances, not statements.
NON_STATEMENT_MARKS = {"to", "so", "than", "like"}
# Relative pronouns that stand for their antecedent noun phrase ("Hamas, which led ...");
# "that" and the zero relative only restrict ("the groups that Iran funds").
RELATIVE_PRONOUNS = {"which", "who", "whom"}
# What sets a non-restrictive relative clause off from its noun.
SET_OFF = {",", "(", "—", "–"}


@dataclass
class Clause:
    head: Word
    clause_type: str


def is_predicate(tree: Tree, w: Word) -> bool:
    """A word that can head a clause: a verb, or anything with a subject or copula."""
    if w.upos in ("VERB", "AUX"):
        return True
    return bool(tree.children(w, "nsubj", "csubj", "cop", "expl"))


FINITE_TAGS = {"VBD", "VBZ", "VBP", "MD"}


def is_finite(tree: Tree, w: Word) -> bool:
    """A tensed clause (it can state something), from the head's or its auxiliaries' morphology."""
    verbs = [w, *tree.children(w, "aux", "cop")]
    if any(feats(x).get("VerbForm") == "Fin" or x.xpos in FINITE_TAGS for x in verbs):
        return True
    # no morphology at all (a bare CoNLL-U fixture): cannot tell, so do not drop the clause
    return all(not x.feats and not x.xpos for x in verbs)


def is_question(tree: Tree) -> bool:
    return bool(tree.words) and tree.words[-1].text in ("?", "?")


def is_imperative(tree: Tree, w: Word) -> bool:
    """"Read the rest here": a bare verb with no subject asks, it does not state."""
    return w.xpos == "VB" and not tree.children(w, "nsubj", "csubj", "expl", "aux", "mark")


def has_subject(tree: Tree, w: Word) -> bool:
    return bool(tree.children(w, "nsubj", "csubj", "expl"))


def clause_heads(tree: Tree) -> list[Clause]:
    """Every clause head of the sentence, in word order."""
    out: list[Clause] = []
    question = is_question(tree)
    for w in tree.words:
        rel = w.deprel or ""
        if rel == "root":
            # questions ask, imperatives request, verbless headlines label: none states
            if is_predicate(tree, w) and not question and not is_imperative(tree, w) and (
                has_subject(tree, w) or is_finite(tree, w)
            ):
                out.append(Clause(w, "main"))
            continue
        if rel == "acl:relcl":
            # "which most nations signed", not "the money to provide" (an infinitive mislabelled)
            # nor "the extent to which X" (a question about X, not X), nor a restrictive
            # relative ("the groups that Iran funds"), which names a noun rather than states
            if (
                is_predicate(tree, w)
                and is_finite(tree, w)
                and not is_degree_relative(tree, w)
                and is_nonrestrictive(tree, w)
            ):
                out.append(Clause(w, "relative"))
            continue
        kind = CLAUSE_RELS.get(base(rel))
        if kind is None:
            continue
        if kind == "conj":
            head = tree.head_of(w)
            # conjoined clauses: the first conjunct must itself be a clause, and this
            # one a verb or a predicate with its own subject (not "guidance and assurance")
            if head is None or not any(c.head.id == head.id for c in out):
                continue
            if not (w.upos in ("VERB", "AUX") or has_subject(tree, w)):
                continue
        elif kind == "adverbial":
            marks = {m.lemma.lower() for m in tree.children(w, "mark") if m.lemma}
            # only finite adverbial clauses with their own subject ("While Iran is ...")
            if not has_subject(tree, w) or marks & NON_STATEMENT_MARKS:
                continue
        elif kind == "complement" and base(rel) == "acl":
            # a content clause of a noun ("concerns that X"), not a participle ("groups backed by")
            if not has_subject(tree, w):
                continue
        elif kind == "parataxis" and not has_subject(tree, w):
            continue
        elif not is_predicate(tree, w):
            continue
        if kind != "conj" and not is_finite(tree, w):
            continue  # gerunds and infinitives ("Eliminating the scourge of war") state nothing alone
        out.append(Clause(w, kind))
    return out


def denial_frame(tree: Tree, w: Word, heads: set[int]) -> Word | None:
    """A denial over a noun phrase ("denied any involvement", "dismissed the allegations"):
    the denied object, or ``w`` itself when the object's content clause is the claim ("rejected
    claims that X"); None when ``w`` denies nothing here (or is itself negated: "did not deny")."""
    if negators(tree, w):
        return None
    for obj in tree.children(w, "obj"):
        if denied_by(tree, obj) is not w:
            continue
        if any(c.id in heads and denied_by(tree, c) is w for c in tree.children(obj, "acl")):
            return w
        return obj
    return None


def is_degree_relative(tree: Tree, w: Word) -> bool:
    """"the extent to which X", "the rate at which X": a relative clause on a noun of degree."""
    noun = tree.head_of(w)
    return noun is not None and (noun.lemma or noun.text).lower() in lexicons().words("hedges", "degree_nouns")


def relative_pronoun(tree: Tree, w: Word) -> Word | None:
    """The relative pronoun heading a relative clause ("which", "who", "whom"), if any."""
    for c in tree.children(w):
        if c.id < w.id and (c.text or "").lower() in RELATIVE_PRONOUNS:
            return c
    return None


def is_nonrestrictive(tree: Tree, w: Word) -> bool:
    """", which led an attack", ", who said ...": a relative clause set off from its noun by a
    comma (or bracket or dash) and opened by a relative pronoun, so it adds a statement about
    the noun; "the groups that Iran funds" and "the man who came" only pick the noun out."""
    if relative_pronoun(tree, w) is None:
        return False
    sub = tree.subtree(w)
    first = sub[0]
    if first.upos == "PUNCT" and first.text in SET_OFF:
        return True
    before = tree.by_id.get(first.id - 1)
    return before is not None and before.upos == "PUNCT" and before.text in SET_OFF


def antecedent(tree: Tree, word: Word | None) -> Word | None:
    """The noun a relative pronoun stands for ("Hamas, which led ..." → Hamas), else the word."""
    if word is None or (word.text or "").lower() not in RELATIVE_PRONOUNS:
        return word
    clause = tree.head_of(word)
    if clause is None or clause.deprel != "acl:relcl" or relative_pronoun(tree, clause) is not word:
        return word
    noun = tree.head_of(clause)
    return noun if noun is not None else word


def is_discourse_marker(tree: Tree, words: list[Word]) -> bool:
    """"you know", "as you know", "I mean": the clause's words are a discourse marker."""
    text = " ".join(w.text.lower() for w in words if w.upos != "PUNCT")
    return text in lexicons().words("hedges", "discourse_markers")


def is_reporting_frame(tree: Tree, clause: Clause, heads: set[int]) -> bool:
    """A frame whose content is a clause of its own: the content is the claim, not the frame.

    Reporting verbs ("Recent intelligence reveals that X") and impersonal frames
    ("it is evident that X", "It remains unclear whether X") attribute or qualify X.
    """
    lex = lexicons()
    w = clause.head
    lemma = (w.lemma or "").lower()
    content = [c for c in tree.children(w, "ccomp", "csubj") if c.id in heads]
    verbs = lex.words("attribution", "reporting_verbs") | lex.words("attribution", "stance_verbs")
    if clause.clause_type == "adverbial" and lemma in verbs and as_frame(tree, w):
        return True  # "As the Secretary highlighted in his statement, X": X is the Secretary's
    if lemma in lex.words("attribution", "reporting_verbs"):
        if content:
            return True
        # "..., officials said": a parenthetical reporting clause attributes its host
        return clause.clause_type == "parataxis" and not tree.children(w, "obj", "xcomp")
    impersonal = lex.words("attribution", "impersonal_adjectives")
    if content and has_dummy_it(tree, w) and lemma in impersonal:
        return True
    # "It remains unclear whether X": the adjective is an xcomp of a raising verb, and
    # X hangs from either (parsers and treebanks differ)
    for x in tree.children(w, "xcomp"):
        if (x.lemma or "").lower() in impersonal and has_dummy_it(tree, w) and any(
            c.id in heads for c in [*tree.children(x, "ccomp", "csubj"), *content]
        ):
            return True
    return False


def has_dummy_it(tree: Tree, w: Word) -> bool:
    """An expletive subject: "it is evident that", "it remains unclear whether"."""
    return any(c.deprel == "expl" or c.text.lower() == "it" for c in tree.children(w, "expl", "nsubj"))


def own_words(tree: Tree, head: Word, heads: set[int]) -> list[Word]:
    """The clause's words: its subtree without the subtrees of other clauses it contains.

    Complement clauses stay inside their parent's span (the parent states them
    as a whole) but conjoined, adverbial, parenthetical and relative clauses are
    claims of their own and are cut out.
    """
    cut = {
        c.id
        for c in tree.words
        if c.id in heads and c.head == head.id and base(c.deprel) in ("conj", "advcl", "parataxis")
    }
    # "According to X, ..." names the source: it is attribution, not content
    cut |= {c.id for c in tree.children(head, "obl", "advcl", "nmod") if is_according(tree, c)}
    # a non-restrictive relative clause is a claim of its own; it is cut out where that leaves
    # the host in one piece ("X is at war with Hamas, which led ..."), not mid-clause
    # ("Hamas, which Iran funds, attacked Israel" keeps its subject)
    whole = tree.subtree(head, exclude=cut)
    for c in whole:
        if c.id != head.id and c.id in heads and c.deprel == "acl:relcl" and at_edge(tree, c, head, whole):
            cut.add(c.id)
    return tree.subtree(head, exclude=cut)


def at_edge(tree: Tree, rel: Word, head: Word, words: list[Word]) -> bool:
    """The relative clause's words lie at one end of the host's (punctuation aside)."""
    inner = {w.id for w in tree.subtree(rel)}
    lo, hi = min(inner), max(inner)
    host = [w.id for w in words if w.id not in inner and w.upos != "PUNCT"]
    if lo > head.id:
        return not any(i > hi for i in host)
    return not any(i < lo for i in host)


def is_according(tree: Tree, word: Word) -> bool:
    return according_case(tree, word) is not None


def phrase_words(tree: Tree, word: Word, marked: bool = True) -> list[Word]:
    """A noun phrase without its relative and content clauses (and, unless ``marked``, without
    its preposition: the antecedent of "which" as a subject, "Hamas" of "with Hamas")."""
    cut = {c.id for c in tree.children(word, "acl", "acl:relcl", "parataxis", *(() if marked else ("case",)))}
    return trim(tree.subtree(word, exclude=cut))


def subject_of(tree: Tree, head: Word) -> Word | None:
    subj = tree.child(head, *SUBJECT_RELS)
    if subj is None and base(head.deprel) in ("conj", "xcomp"):
        first = tree.head_of(head)
        if first is not None:
            subj = tree.child(first, *SUBJECT_RELS)
    return antecedent(tree, subj)


def shared_object(tree: Tree, head: Word) -> Word | None:
    """The object two coordinated verbs share ("destroyed or functionally damaged more than 80
    targets"): an object of the first conjunct placed after the second (UD attaches shared
    dependents to the first), or one of the next conjunct when they are joined by "or"/"nor"
    with nothing between them (parsers that attach it to the last)."""
    if base(head.deprel) == "conj":
        first = tree.head_of(head)
        if first is not None:
            return next((o for o in tree.children(first, "obj") if o.id > head.id), None)
        return None
    for c in tree.children(head, "conj"):
        cc = tree.children(c, "cc")
        between = [w for w in tree.words if head.id < w.id < c.id and w not in cc and base(w.deprel) != "advmod"]
        if c.upos == "VERB" and cc and all((x.lemma or x.text).lower() in ("or", "nor") for x in cc) and not between:
            obj = tree.child(c, "obj")
            if obj is not None and not tree.children(c, "nsubj", "nsubj:pass", "aux"):
                return obj
    return None


def object_of(tree: Tree, head: Word) -> Word | None:
    if not tree.children(head, "obj"):
        shared = shared_object(tree, head)
        if shared is not None:
            return shared
    for rels in (("obj",), ("iobj",), ("xcomp",), ("obl",)):
        found = [x for x in tree.children(head, *rels) if one_line(tree.text, x, head)]
        if found:
            return antecedent(tree, found[0])
    return None


def clauses(tree: Tree) -> Iterator[tuple[Clause, list[Word]]]:
    """Each statement-bearing clause with the words of its text (contiguous, trimmed)."""
    found = clause_heads(tree)
    heads = {c.head.id for c in found}
    for clause in found:
        denial = denial_frame(tree, clause.head, heads)
        if denial is not None:
            # "Iran denied any involvement": the frame is Iran's, its claim the (negated) object;
            # "rejected claims that X": X, a clause of its own, is the claim
            if denial is not clause.head:
                yield Clause(denial, "denial"), phrase_words(tree, denial)
            continue
        if is_reporting_frame(tree, clause, heads):
            continue
        own = own_words(tree, clause.head, heads)
        if is_discourse_marker(tree, own):
            continue
        words = trim(same_line(tree.text, run_around(own, clause.head), clause.head))
        if not any(w.id == clause.head.id for w in words):
            continue
        yield clause, words

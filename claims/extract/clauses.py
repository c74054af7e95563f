"""Clauses that state something, found on UD v2 trees.

One claim per main clause, conjoined clause, complement clause (under reporting
or cognitive verbs and content nouns), finite adverbial clause and relative
clause. A reporting frame whose content is a clause ("Recent intelligence
reveals that X") yields X, attributed to the frame's subject, not the frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from stanza.models.common.doc import Word

from ..nlp.tree import Tree, base, trim
from .lexicons import lexicons

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


@dataclass
class Clause:
    head: Word
    clause_type: str


def is_predicate(tree: Tree, w: Word) -> bool:
    """A word that can head a clause: a verb, or anything with a subject or copula."""
    if w.upos in ("VERB", "AUX"):
        return True
    return bool(tree.children(w, "nsubj", "csubj", "cop", "expl"))


def has_subject(tree: Tree, w: Word) -> bool:
    return bool(tree.children(w, "nsubj", "csubj", "expl"))


def clause_heads(tree: Tree) -> list[Clause]:
    """Every clause head of the sentence, in word order."""
    out: list[Clause] = []
    for w in tree.words:
        rel = w.deprel or ""
        if rel == "root":
            if is_predicate(tree, w):
                out.append(Clause(w, "main"))
            continue
        if rel == "acl:relcl":
            if is_predicate(tree, w):
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
        out.append(Clause(w, kind))
    return out


def is_reporting_frame(tree: Tree, clause: Clause, heads: set[int]) -> bool:
    """A reporting verb whose content is a clause of its own: the content is the claim."""
    w = clause.head
    if (w.lemma or "").lower() not in lexicons().words("attribution", "reporting_verbs"):
        return False
    if any(c.id in heads for c in tree.children(w, "ccomp", "csubj")):
        return True
    # "..., officials said": a parenthetical reporting clause attributes its host
    return clause.clause_type == "parataxis" and not tree.children(w, "obj", "xcomp")


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
    return tree.subtree(head, exclude=cut)


def contiguous(words: list[Word]) -> list[Word]:
    """The run of words around the head's block: trims to the longest contiguous id run."""
    if not words:
        return words
    runs: list[list[Word]] = [[words[0]]]
    for w in words[1:]:
        if w.id == runs[-1][-1].id + 1:
            runs[-1].append(w)
        else:
            runs.append([w])
    return max(runs, key=len)


def phrase_words(tree: Tree, word: Word) -> list[Word]:
    """A noun phrase without its relative and content clauses."""
    cut = {c.id for c in tree.children(word, "acl", "acl:relcl", "parataxis")}
    return trim(tree.subtree(word, exclude=cut))


def subject_of(tree: Tree, head: Word) -> Word | None:
    subj = tree.child(head, *SUBJECT_RELS)
    if subj is None and base(head.deprel) in ("conj", "xcomp"):
        first = tree.head_of(head)
        if first is not None:
            subj = tree.child(first, *SUBJECT_RELS)
    return subj


def object_of(tree: Tree, head: Word) -> Word | None:
    for rels in (("obj",), ("iobj",), ("xcomp",), ("obl",)):
        found = tree.children(head, *rels)
        if found:
            return found[0]
    return None


def clauses(tree: Tree) -> Iterator[tuple[Clause, list[Word]]]:
    """Each statement-bearing clause with the words of its text (contiguous, trimmed)."""
    found = clause_heads(tree)
    heads = {c.head.id for c in found}
    for clause in found:
        if is_reporting_frame(tree, clause, heads):
            continue
        words = trim(own_words(tree, clause.head, heads))
        words = contiguous(words)
        if not any(w.id == clause.head.id for w in words):
            continue
        yield clause, words

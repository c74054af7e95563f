"""Who says it: sources, cues and chains of attribution over UD trees.

Patterns, each a rule below: a reporting or cognitive verb over a complement
clause ("Recent intelligence reveals that X"), a parenthetical reporting clause
("X, officials said"), "according to X", a content noun ("there are concerns
that X", "assurance that X"), and an attitude predicate whose subject is the
source ("the US is deeply concerned about X"). A source that is itself reported
is followed outward, so the chain runs from the outermost source inward.
"""

from __future__ import annotations

from stanza.models.common.doc import Word

from ..nlp.tree import Tree, base, trim
from .lexicons import lexicons
from .types import Source, Span

PRONOUNS = {"he", "she", "they", "it", "we", "i", "you", "this", "that", "these", "those", "who", "which"}
ENTITY_TYPES = {"PERSON": "person", "GPE": "government", "NORP": "government", "ORG": "institution"}


def _span(tree: Tree, words: list[Word]) -> Span | None:
    sp = tree.span(words)
    return None if sp is None else Span(tree.text[sp[0] : sp[1]], sp[0], sp[1])


def source_type(tree: Tree, words: list[Word]) -> str:
    """Classify a source phrase: lexicon lists by its head word first, then NER."""
    types: dict[str, list[str]] = lexicons().attribution["source_types"]
    text = " ".join(w.text for w in words).lower()
    head = next((w for w in words if not any(x.id == w.head for x in words)), words[-1] if words else None)
    head_word = (head.lemma or head.text).lower() if head is not None else ""
    if head_word in PRONOUNS and len(words) == 1:
        return "unnamed"
    for kind in ("intelligence", "official", "document"):
        if head_word in types[kind] or text in types[kind]:
            return kind
    for kind in ("intelligence", "official"):  # "intelligence officials", "a senior US official"
        if any((w.lemma or w.text).lower() in types[kind] for w in words):
            return kind
    if text in types["government"] or head_word in types["government"]:
        return "government"
    ners = [tok.ner[2:] for w in words for tok in [w.parent] if tok.ner and tok.ner != "O"]
    for ner in ners:
        if ner in ENTITY_TYPES:
            return ENTITY_TYPES[ner]
    if head is not None and head.upos == "PROPN":
        return "institution"
    if head_word in types["institution"]:
        return "institution"
    return "unnamed"


def _source(tree: Tree, src: Word | None, cue_words: list[Word], default_text: str = "unnamed source") -> Source:
    cue = _span(tree, cue_words)
    if src is None:
        return Source(text=default_text, source_type="unnamed", cue=cue.text if cue else None, cue_span=cue)
    # the source phrase without its relative clauses and its preposition ("according to")
    words = trim(tree.subtree(src, exclude={c.id for c in tree.children(src, "acl:relcl", "parataxis", "case")}))
    span = _span(tree, words)
    return Source(
        text=span.text if span else src.text,
        source_type=source_type(tree, words),
        cue=cue.text if cue else None,
        span=span,
        cue_span=cue,
    )


def verb_cue(tree: Tree, verb: Word) -> list[Word]:
    """A reporting verb with its auxiliaries, negation and particles: "has warned", "is believed"."""
    extras = [c for c in tree.children(verb, "aux", "advmod", "compound:prt") if c.id < verb.id or base(c.deprel) == "compound"]
    extras = [c for c in extras if c.id >= verb.id - 3]
    return sorted([verb, *extras], key=lambda w: w.id)


def frame_of(tree: Tree, head: Word) -> tuple[Source, Word] | None:
    """The attribution frame directly over a clause head, with the frame's own head."""
    lex = lexicons()
    reporting = lex.words("attribution", "reporting_verbs")
    nouns = lex.words("attribution", "content_nouns")
    parent = tree.head_of(head)
    rel = base(head.deprel)
    if parent is not None and rel in ("ccomp", "csubj") and (parent.lemma or "").lower() in reporting:
        subj = tree.child(parent, "nsubj") or next(
            (c for o in tree.children(parent, "obl") if o.deprel == "obl:agent" for c in [o]), None
        )
        return _source(tree, subj, verb_cue(tree, parent)), parent
    if parent is not None and rel == "acl" and (parent.lemma or "").lower() in nouns:
        host = tree.head_of(parent)
        if host is not None and tree.children(host, "expl"):
            # "there are concerns that X": an unnamed source
            cue = [w for w in tree.words if tree.children(host, "expl")[0].id <= w.id <= parent.id]
            return _source(tree, None, cue), host
        if host is not None and base(parent.deprel) == "obj":
            # "it is providing guidance and assurance that X": the provider
            return _source(tree, tree.child(host, "nsubj"), [parent]), host
        return _source(tree, None, [parent]), parent
    # "X, officials said": a parenthetical reporting clause under the content
    for p in tree.children(head, "parataxis"):
        if (p.lemma or "").lower() in reporting and not tree.children(p, "obj", "ccomp", "xcomp"):
            return _source(tree, tree.child(p, "nsubj"), verb_cue(tree, p)), p
    # "According to X, ..." / "..., according to X"
    for obl in tree.children(head, "obl", "advcl", "nmod"):
        case = [c for c in tree.children(obl, "case") if c.text.lower() == "according"]
        if case:
            fixed = tree.children(case[0], "fixed")
            return _source(tree, obl, [case[0], *fixed]), obl
    return None


def attitude_source(tree: Tree, head: Word) -> Source | None:
    """"The US is deeply concerned about X": the subject holds the attitude."""
    if (head.lemma or head.text).lower() not in lexicons().words("attribution", "attitude_predicates"):
        return None
    subj = tree.child(head, "nsubj")
    if subj is None:
        return None
    cue_words = [head, *[c for c in tree.children(head, "cop", "advmod") if c.id < head.id]]
    return _source(tree, subj, sorted(cue_words, key=lambda w: w.id))


def sources(tree: Tree, head: Word) -> list[Source]:
    """The attribution chain of a clause, outermost first; empty when the author asserts it."""
    chain: list[Source] = []
    seen: set[int] = set()
    cur: Word | None = head
    while cur is not None and cur.id not in seen:
        seen.add(cur.id)
        found = frame_of(tree, cur)
        if found is None:
            break
        src, frame_head = found
        chain.insert(0, src)
        cur = frame_head
    if not chain:
        att = attitude_source(tree, head)
        if att is not None:
            chain.append(att)
    return chain

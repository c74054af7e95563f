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

from ..nlp.tree import Tree, base, trim, word_span
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


# --- every attribution frame of a sentence ------------------------------------
# Claims carry the chain of the frames above them; ``attributions()`` lists the
# frames themselves, whether or not their content is a clause that states
# something ("he called for calm", "officials want to see more"), for the
# sources table and for scoring against attribution corpora.

CONTENT_RELS = ("ccomp", "csubj", "xcomp", "parataxis")
QUOTES = {'"', "“", "”", "'", "‘", "’", "``", "''"}


def _content_of(tree: Tree, verb: Word) -> Word | None:
    """What a reporting verb reports: a clause, a quotation, or the host it is parenthetical to."""
    reporting = lexicons().words("attribution", "reporting_verbs")
    for c in tree.children(verb, *CONTENT_RELS):
        if base(c.deprel) != "parataxis":
            return c
        # "He said: X" reports X; "X, sources said" is a frame over this verb, not its content
        if c.id > verb.id and (c.lemma or "").lower() not in reporting:
            return c
    if base(verb.deprel) == "parataxis":
        return tree.head_of(verb)
    for c in tree.children(verb, "obj"):
        # "said: 'We will win'", "called for calm", "cited a poll"
        if any(w.text in QUOTES for w in tree.subtree(c)) or (c.lemma or "").lower() in lexicons().words("attribution", "content_nouns"):
            return c
    return None


PERSONAL = {"he", "she", "they", "we", "i", "who"}


def is_agent(tree: Tree, w: Word | None) -> bool:
    """A subject that can hold a view: a named person or body, a personal pronoun, a role noun."""
    if w is None:
        return False
    kind = source_type(tree, trim(tree.subtree(w)))
    return kind != "unnamed" or (w.lemma or w.text).lower() in PERSONAL


def closes_quote(tree: Tree, verb: Word) -> bool:
    """A bare "X said" that ends a quotation: the sentence quotes, or it is all frame."""
    text = tree.span_text(tree.words)
    return any(q in text for q in QUOTES - {"'"}) or len([w for w in tree.words if base(w.deprel) != "punct"]) <= 6


def attributions(tree: Tree) -> list[Source]:
    """The outermost attribution frames of a sentence, each with its source and cue spans."""
    lex = lexicons()
    reporting = lex.words("attribution", "reporting_verbs")
    intention = lex.words("attribution", "intention_verbs")
    stance = lex.words("attribution", "stance_verbs")
    found: list[tuple[Source, set[int]]] = []
    for w in tree.words:
        lemma = (w.lemma or w.text).lower()
        # any verb whose agent puts a clause forward reports it ("Trump bragged that ...")
        clausal = w.upos == "VERB" and bool(tree.children(w, "ccomp")) and is_agent(tree, tree.child(w, "nsubj"))
        if clausal or lemma in reporting and w.upos in ("VERB", "AUX", "NOUN") or (w.upos == "VERB" and (lemma in intention or lemma in stance)):
            content = _content_of(tree, w)
            if content is None and lemma in stance and is_agent(tree, tree.child(w, "nsubj")):
                content = tree.child(w, "obj")  # "Graham endorsed the plan": the stance is the content
            if content is None:
                if not (w.upos == "VERB" and lemma in reporting and tree.child(w, "nsubj") is not None and closes_quote(tree, w)):
                    continue
                content = w  # "..., Trump said." after a quotation in the sentences before
            subj = tree.child(w, "nsubj") or next((o for o in tree.children(w, "obl") if o.deprel == "obl:agent"), None)
            if subj is None and base(w.deprel) in ("conj", "xcomp"):
                host = tree.head_of(w)
                subj = tree.child(host, "nsubj") if host is not None else None
            src = _source(tree, subj, verb_cue(tree, w))
            content_ids = {x.id for x in tree.subtree(content)}
            if content.id == w.head or content.id == w.id:  # the host of a parenthetical frame
                content_ids -= {x.id for x in tree.subtree(w)}
            found.append((src, content_ids))
        for obl in tree.children(w, "obl", "advcl", "nmod"):
            case = [c for c in tree.children(obl, "case") if c.text.lower() == "according"]
            if case:
                found.append((_source(tree, obl, [case[0], *tree.children(case[0], "fixed")]), set()))
    found += [(src, set()) for src in speaker_labels(tree)]
    # a frame inside another frame's content, or inside a quotation, is part of what
    # that source reports, not an attribution of the author's
    inner: set[int] = set().union(*(ids for _, ids in found)) if found else set()
    out = []
    for src, _ in found:
        cue = src.cue_span
        if cue is not None and (
            inside_quote(tree.text, cue.start_char)
            or any(w.id in inner for w in tree.words if word_span(w)[0] >= cue.start_char and word_span(w)[1] <= cue.end_char)
        ):
            continue
        out.append(src)
    return out


DASHES = {"―", "—", "--"}


def speaker_labels(tree: Tree) -> list[Source]:
    """Transcript and vox-pop attributions marked by punctuation, not verbs.

    "PENCE: Well, look ..." (a speaker label opening the sentence) and
    "“...” ― Karen Bobadilla" (a quotation signed with a dash).
    """
    words = [w for w in tree.words if w.text not in QUOTES]
    out: list[Source] = []
    for i, w in enumerate(words):
        if w.text == ":" and 0 < i <= 3 and all(x.upos == "PROPN" or x.text.isupper() for x in words[:i]):
            out.append(_labelled(tree, words[:i], [w]))
        elif w.text == ":" and i > 0 and words[i - 1].text.isupper() and len(words[i - 1].text) > 1:
            # a transcript's speaker mid-sentence: ... follows: "WALLACE: Let's start
            k = tree.words.index(words[i - 1])
            if k == 0 or tree.words[k - 1].text in QUOTES:
                out.append(_labelled(tree, [words[i - 1]], [w]))
        elif w.text in DASHES and (i == 0 or words[i - 1].upos == "PUNCT"):
            name = []
            for x in words[i + 1 :]:
                if x.upos != "PROPN":
                    break
                name.append(x)
            if name:
                out.append(_labelled(tree, name, [w]))
    return out


def _labelled(tree: Tree, name: list[Word], cue_words: list[Word]) -> Source:
    span, cue = _span(tree, name), _span(tree, cue_words)
    assert span is not None and cue is not None
    return Source(text=span.text, source_type="person", cue=cue.text, span=span, cue_span=cue)


def inside_quote(text: str, pos: int) -> bool:
    """Whether ``pos`` lies within a quotation opened earlier in its paragraph."""
    start = text.rfind("\n", 0, pos) + 1
    before = text[start:pos]
    depth = before.count("“") - before.count("”")
    return depth > 0 or (depth == 0 and before.count('"') % 2 == 1)

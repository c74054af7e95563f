"""Who says it: sources, cues and chains of attribution over UD trees.

Patterns, each a rule below: a reporting or cognitive verb over a complement
clause ("Recent intelligence reveals that X"), a parenthetical reporting clause
("X, officials said"), "according to X", a content noun ("there are concerns
that X", "assurance that X"), and an attitude predicate whose subject is the
source ("the US is deeply concerned about X"). A source that is itself reported
is followed outward, so the chain runs from the outermost source inward.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from ..nlp.document import Word
from ..nlp.punctuation import QUOTES
from ..nlp.tree import Tree, base, same_line, trim, word_span
from .lexicons import lexicons
from .polarity import denied_by
from .types import Source, Span

ENTITY_TYPES = {"PERSON": "person", "GPE": "government", "NORP": "government", "ORG": "institution"}


def according_case(tree: Tree, phrase: Word) -> Word | None:
    """The case marker that makes ``phrase`` the source of the clause it modifies: "According
    to [X], ..." (the first word of a phrase of attribution.yml's according_to)."""
    cases = {p.split()[0] for p in lexicons().words("attribution", "according_to")}
    return next((c for c in tree.children(phrase, "case") if c.text.lower() in cases), None)


def _span(tree: Tree, words: list[Word]) -> Span | None:
    sp = tree.span(words)
    return None if sp is None else Span(tree.text[sp[0] : sp[1]], sp[0], sp[1])


def source_type(tree: Tree, words: list[Word]) -> str:
    """Classify a source phrase: lexicon lists by its head word first, then NER."""
    types: dict[str, list[str]] = lexicons().attribution["source_types"]
    text = " ".join(w.text for w in words).lower()
    head = next((w for w in words if not any(x.id == w.head for x in words)), words[-1] if words else None)
    head_word = (head.lemma or head.text).lower() if head is not None else ""
    if head_word in lexicons().words("attribution", "pronouns") and len(words) == 1:
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
    words = trim(same_line(tree.text, tree.subtree(src, exclude={c.id for c in tree.children(src, "acl:relcl", "parataxis", "case")}), src))
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


@dataclass(frozen=True)
class Frame:
    """One attribution frame of a sentence: who, by which cue, over which words.

    ``content`` holds the ids of the words the source puts forward (empty for a
    bare "X said." closing a quotation in earlier sentences). ``listed`` frames
    are the ones ``attributions()`` reports; content nouns ("there are concerns
    that X") only attribute claims.
    """

    source: Source
    content: frozenset[int]
    listed: bool = True
    time: Span | None = None  # when the source said it: "said on Monday", "a report published last week"


def frames(tree: Tree) -> list[Frame]:
    """Every attribution frame of a sentence, nested ones included, in sentence order."""
    lex = lexicons()
    reporting = lex.words("attribution", "reporting_verbs")
    intention = lex.words("attribution", "intention_verbs")
    stance = lex.words("attribution", "stance_verbs")
    nouns = lex.words("attribution", "content_nouns")
    found: list[Frame] = []
    for w in tree.words:
        lemma = (w.lemma or w.text).lower()
        # any verb whose agent puts a clause forward reports it ("Trump bragged that ...")
        clausal = w.upos == "VERB" and bool(tree.children(w, "ccomp")) and is_agent(tree, tree.child(w, "nsubj"))
        if clausal or lemma in reporting and w.upos in ("VERB", "AUX", "NOUN") or (w.upos == "VERB" and (lemma in intention or lemma in stance)):
            frame = _verb_frame(tree, w, lemma, reporting, stance)
            if frame is not None:
                found.append(frame)
        elif lemma in nouns and w.upos == "NOUN":
            found += _noun_frames(tree, w)
        for obl in tree.children(w, "obl", "advcl", "nmod"):
            according = according_case(tree, obl)
            if according is not None:
                # "According to X, ...": X reports the rest of the clause it modifies
                content = {x.id for x in tree.subtree(w)} - {x.id for x in tree.subtree(obl)}
                found.append(Frame(_source(tree, obl, [according, *tree.children(according, "fixed")]), frozenset(content)))
    for src in speaker_labels(tree):
        assert src.cue_span is not None
        after = {x.id for x in tree.words if word_span(x)[0] >= src.cue_span.end_char}
        found.append(Frame(src, frozenset(after)))
    return found


def _verb_frame(tree: Tree, w: Word, lemma: str, reporting: frozenset[str], stance: frozenset[str]) -> Frame | None:
    content = _content_of(tree, w)
    # (only the verb's own subject: the host's, for "..., criticizing X", gained recall but cost
    # 0.010 cue precision on PolNeAR dev)
    if content is None and (lemma in stance or lemma in intention_verbs() or lemma in reporting) and is_agent(tree, tree.child(w, "nsubj")):
        # "Graham endorsed the plan", "Trump attacked Clinton", "she cited a poll": the stance is the content
        content = tree.child(w, "obj")
    if content is None and (lemma in stance or lemma in intention_verbs()) and is_agent(tree, _subject(tree, w)):
        # "called for a moratorium", "spoke about the plan", "warned against it": the topic
        content = next((o for o in tree.children(w, "obl") if any((c.lemma or c.text).lower() in TOPIC_CASES for c in tree.children(o, "case"))), None)
    if content is None:
        if not (w.upos == "VERB" and lemma in reporting and tree.child(w, "nsubj") is not None and (closes_quote(tree, w) or (lemma in BARE_SAY and is_agent(tree, tree.child(w, "nsubj")) and not tree.children(w, "obj")))):
            return None
        content = w  # "..., Trump said." after a quotation in the sentences before
    subj = tree.child(w, "nsubj") or next((o for o in tree.children(w, "obl") if o.deprel == "obl:agent"), None)
    if subj is None and base(w.deprel) in ("conj", "xcomp", "advcl"):
        # "X said ... and added that", "X wants to argue that", "X recalled, suggesting that"
        host = tree.head_of(w)
        subj = tree.child(host, "nsubj") if host is not None else None
    content_ids = {x.id for x in tree.subtree(content)}
    if content.id == w.head or content.id == w.id:  # the host of a parenthetical frame
        content_ids -= {x.id for x in tree.subtree(w)}
    return Frame(_source(tree, subj, verb_cue(tree, w)), frozenset(content_ids), time=frame_time(tree, w, subj, content_ids))


TIME_RELS = ("obl", "advmod", "nmod", "obl:tmod", "obl:npmod", "nmod:tmod")


def frame_time(tree: Tree, verb: Word, src: Word | None, content: set[int]) -> Span | None:
    """The time of an attribution frame, outside its content: a dependent of the cue verb ("said
    on Monday", "told reporters yesterday") or of a participle on the source ("a report
    published last week")."""
    from .temporal import time_span

    candidates = [c for c in tree.children(verb, *TIME_RELS) if c.id not in content and (src is None or c.id != src.id)]
    if src is not None:
        for acl in tree.children(src, "acl"):
            candidates += [c for c in tree.children(acl, *TIME_RELS)]
    for c in candidates:
        found = time_span(tree, [x for x in tree.subtree(c) if x.id not in content])
        if found is not None:
            return found
    return None


def statement_time(head: Word, found: list[Frame]) -> Span | None:
    """When the claim was stated: the time of the innermost frame over it that gives one."""
    over = sorted((f for f in found if head.id in f.content and f.time is not None), key=lambda f: len(f.content))
    return over[0].time if over else None


# Prepositions that introduce what a stance or request is about: "called for", "spoke about".
TOPIC_CASES = {"for", "about", "on", "against", "of"}


def intention_verbs() -> frozenset[str]:
    return lexicons().words("attribution", "intention_verbs")


def _subject(tree: Tree, w: Word) -> Word | None:
    """A verb's subject, or its host's for a conjunct, complement or adverbial without one."""
    subj = tree.child(w, "nsubj")
    if subj is None and base(w.deprel) in ("conj", "xcomp", "advcl"):
        host = tree.head_of(w)
        subj = tree.child(host, "nsubj") if host is not None else None
    return subj


def _noun_frames(tree: Tree, noun: Word) -> list[Frame]:
    """"there are concerns that X", "assurance that X", "the claim that X": the noun's clause."""
    out = []
    for clause in tree.children(noun, "acl"):
        content = frozenset(x.id for x in tree.subtree(clause))
        host = tree.head_of(noun)
        expl = tree.children(host, "expl") if host is not None else []
        if expl:
            # "there are concerns that X": an unnamed source
            cue = [w for w in tree.words if expl[0].id <= w.id <= noun.id]
            out.append(Frame(_source(tree, None, cue), content, listed=False))
        elif host is not None and base(noun.deprel) == "obj" and denied_by(tree, clause) is host:
            continue  # "rejected claims that X": the rejecting verb's frame holds X (see polarity)
        elif host is not None and base(noun.deprel) == "obj":
            # "it is providing guidance and assurance that X": the provider; but "the escalation
            # elevates the risk that X" names no one who holds X (the author says it)
            provider = tree.child(host, "nsubj")
            if is_agent(tree, provider):
                out.append(Frame(_source(tree, provider, [noun]), content, listed=False))
        else:
            out.append(Frame(_source(tree, None, [noun]), content, listed=False))
    return out


def attitude_source(tree: Tree, head: Word) -> Source | None:
    """"The US is deeply concerned about X": the subject holds the attitude."""
    if (head.lemma or head.text).lower() not in lexicons().words("attribution", "attitude_predicates"):
        return None
    subj = tree.child(head, "nsubj")
    if subj is None:
        return None
    cue_words = [head, *[c for c in tree.children(head, "cop", "advmod") if c.id < head.id]]
    return _source(tree, subj, sorted(cue_words, key=lambda w: w.id))


def sources(tree: Tree, head: Word, found: list[Frame] | None = None) -> list[Source]:
    """The attribution chain of a clause, outermost first; empty when the author asserts it.

    The chain is every frame whose content holds the clause's head, the widest
    first: "Officials said intelligence reveals that X" gives [Officials, intelligence].
    """
    over = [f for f in (frames(tree) if found is None else found) if head.id in f.content]
    chain: list[Source] = []
    for f in sorted(over, key=lambda f: -len(f.content)):
        if f.source not in chain:
            chain.append(f.source)
    if not chain:
        att = attitude_source(tree, head)
        if att is not None:
            chain.append(att)
    return chain


# Claims carry the chain of the frames above them; ``attributions()`` lists the
# outermost frames themselves, whether or not their content is a clause that
# states something ("he called for calm", "officials want to see more"), for
# the sources table and for scoring against attribution corpora.

CONTENT_RELS = ("ccomp", "csubj", "xcomp", "parataxis")


def _content_of(tree: Tree, verb: Word) -> Word | None:
    """What a reporting verb reports: a clause, a quotation, or the host it is parenthetical to."""
    reporting = lexicons().words("attribution", "reporting_verbs")
    for c in tree.children(verb, *CONTENT_RELS):
        if base(c.deprel) != "parataxis":
            return c
        # "He said: X" reports X; "X, sources said" is a frame over this verb, not its content
        if c.id > verb.id and (c.lemma or "").lower() not in reporting:
            return c
    if base(verb.deprel) == "parataxis" or as_frame(tree, verb):
        return tree.head_of(verb)
    for c in tree.children(verb, "obj"):
        # "said: 'We will win'", "called for calm", "cited a poll"
        if any(w.text in QUOTES for w in tree.subtree(c)) or (c.lemma or "").lower() in lexicons().words("attribution", "content_nouns"):
            return c
    return None


def as_frame(tree: Tree, verb: Word) -> bool:
    """"As the Secretary highlighted, X": an "as" clause of a reporting verb with no object of
    its own attributes its host clause X (it is a frame, not a claim)."""
    return (
        base(verb.deprel) == "advcl"
        and any((m.lemma or m.text).lower() == "as" for m in tree.children(verb, "mark"))
        and not tree.children(verb, "obj", "ccomp", "xcomp")
        and tree.child(verb, "nsubj") is not None
    )


PERSONAL = {"he", "she", "they", "we", "i", "who"}
# "X said in a statement.", "she added": a bare verb of saying reports what the text around it quotes.
BARE_SAY = {"say", "add", "tell", "write", "explain", "continue", "recall", "insist"}


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


def attributions(tree: Tree, found: list[Frame] | None = None) -> list[Source]:
    """The outermost attribution frames of a sentence, each with its source and cue spans."""
    found = frames(tree) if found is None else found
    # a frame inside another frame's content, or inside a quotation, is part of what
    # that source reports, not an attribution of the author's
    inner: set[int] = set().union(*(f.content for f in found)) if found else set()
    out = []
    for f in found:
        cue = f.source.cue_span
        if not f.listed:
            continue
        # a transcript's speaker label ('"PENCE: Well, ...') opens the quotation it attributes
        label = cue is not None and cue.text in (":", *DASHES)
        if cue is not None and (
            (inside_quote(tree.text, cue.start_char) and not label)
            or any(w.id in inner for w in tree.words if word_span(w)[0] >= cue.start_char and word_span(w)[1] <= cue.end_char)
        ):
            continue
        out.append(f.source)
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


def quotations(text: str) -> list[tuple[int, int]]:
    """Quoted stretches of a text, as (start, end) offsets including the marks.

    Curly quotes pair up; straight double quotes alternate. A quotation left
    open at the end of its paragraph (news style for a quote that goes on in
    the next paragraph) ends there.
    """
    out: list[tuple[int, int]] = []
    pos = 0
    for para in text.split("\n"):
        opened: int | None = None
        for i, ch in enumerate(para):
            if opened is None and ch in "“\"":
                opened = i
            elif opened is not None and (ch == "”" or (ch == '"' and para[opened] == '"')):
                out.append((pos + opened, pos + i + 1))
                opened = None
        if opened is not None:
            out.append((pos + opened, pos + len(para)))
        pos += len(para) + 1
    return out


def quote_speakers(text: str, found: list[Frame], reach: int = 40) -> list[tuple[int, int, Source]]:
    """Who speaks each quotation: the nearest frame whose cue sits just after it or just before it.

    '“We will win. They know it,” he said.' and 'He said: “We will win. They know
    it.”' give both sentences to "he", which a frame inside one sentence cannot.
    """
    cues = [(f.source.cue_span.start_char, f.source.cue_span.end_char, f.source) for f in found if f.listed and f.source.cue_span is not None]
    # the cues that can be in reach, by where they start and where they end (long texts have many of both)
    by_start = sorted(range(len(cues)), key=lambda i: cues[i][0])
    by_end = sorted(range(len(cues)), key=lambda i: cues[i][1])
    starts = [cues[i][0] for i in by_start]
    ends = [cues[i][1] for i in by_end]
    out = []
    for start, end in quotations(text):
        near = by_start[bisect_left(starts, end) : bisect_right(starts, end + reach)]
        near += by_end[bisect_left(ends, start - reach) : bisect_right(ends, start)]
        best: tuple[int, Source] | None = None
        for a, b, src in (cues[i] for i in sorted(set(near))):  # in sentence order, as the frames came
            if start <= a < end:
                continue  # a frame inside the quotation is the speaker's own
            gap = a - end if a >= end else start - b
            between = text[end:a] if a >= end else text[b:start]
            if 0 <= gap <= reach and "\n" not in between and (best is None or gap < best[0]):
                best = (gap, src)
        if best is not None:
            out.append((start, end, best[1]))
    return out


def with_speaker(chain: list[Source], at: int, speakers: list[tuple[int, int, Source]]) -> list[Source]:
    """A claim inside a quotation is its speaker's: the speaker goes first in its chain.

    ``speakers`` is in text order and quotations never overlap: the one that can hold ``at`` is
    the last to start at or before it.
    """
    i = bisect_right(speakers, at, key=lambda sp: sp[0]) - 1
    if i >= 0:
        start, end, src = speakers[i]
        if start <= at < end:
            inside = all(s.cue_span is None or start <= s.cue_span.start_char < end for s in chain)
            if inside and src not in chain:
                return [src, *chain]
    return chain


def inside_quote(text: str, pos: int) -> bool:
    """Whether ``pos`` lies within a quotation opened earlier in its paragraph."""
    start = text.rfind("\n", 0, pos) + 1
    before = text[start:pos]
    depth = before.count("“") - before.count("”")
    return depth > 0 or (depth == 0 and before.count('"') % 2 == 1)

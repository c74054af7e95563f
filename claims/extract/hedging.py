"""How firmly: FactBank certainty and typed hedge cues in a clause's scope.

The scope of a clause is its own words plus the frames above it (the verb,
adjective or noun it is the complement of, up the chain). Each cue is kept with
its kind and offsets; the hedge level sums the kinds' weights from the lexicon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import CERTAINTY_SCORE as RANK
from ..nlp.document import Word
from ..nlp.tree import Tree, base, run_around, word_span
from .lexicons import lexicons
from .polarity import is_negator, negators, shares_first_conjunct
from .types import HedgeCue

NUMBER = r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|a hundred|hundreds|a dozen|dozens|half|a third|a quarter|\w+ty)"


@dataclass
class Firmness:
    certainty: str
    certainty_term: str | None
    cues: list[HedgeCue]
    hedge_level: str
    estimative_band: str | None = None  # an ICD 203 band (estimative.yml), when a term of one is in scope
    confidence: str | None = None  # low, moderate, high: the stated analytic confidence
    negates: bool = False  # the band is a "probably not" (unlikely, very unlikely, almost no chance)


def estimative_term(tree: Tree, w: Word) -> tuple[str, list[Word]] | None:
    """The ICD 203 band of a cue word with the modifiers just before it in its own subtree
    ("almost" + "certainly", "roughly even" + "chance", "very" + "unlikely"), longest term first."""
    below = {x.id for x in tree.subtree(w)}
    run = [w]
    for x in reversed([x for x in tree.words if x.id < w.id]):
        if x.id not in below or len(run) >= 4:
            break
        run.insert(0, x)
    texts = [x.text.lower() for x in run]
    for term, band in lexicons().estimative_terms():
        n = len(term)
        if n <= len(texts) and tuple(texts[-n:]) == term:
            return band, run[-n:]
    return None


def confidence_of(tree: Tree, words: list[Word]) -> str | None:
    """"with high confidence", "we have moderate confidence that": the level's adjective on
    the noun "confidence" among these words or their dependents."""
    levels: dict[str, list[str]] = lexicons().estimative["confidence"]
    for w in words:
        for noun in [w, *tree.children(w, "obl", "nmod", "obj")]:
            if _lemma(noun) != "confidence":
                continue
            for mod in tree.children(noun, "amod", "compound"):
                for level, adjectives in levels.items():
                    if _lemma(mod) in adjectives:
                        return level
    return None


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
    while True:
        parent = tree.head_of(cur)
        if parent is None:
            break
        if base(cur.deprel) == "conj" and not tree.children(cur, "nsubj", "csubj", "expl", "aux"):
            # "wants to leave and start again": a conjunct without its own subject or auxiliary
            # shares its first conjunct's frames
            cur = parent
            continue
        if base(cur.deprel) not in ("ccomp", "csubj", "xcomp", "acl") or cur.deprel == "acl:relcl":
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
    adverbs: dict[str, str] = h["adverbs"]
    evidential: dict[str, str] = h["evidential_verbs"]
    frame_words: dict[str, str] = h["frames"]
    boosters = lex.words("hedges", "boosters")
    unknown_makers = lex.words("hedges", "unknown_makers")
    qualifiers = lex.words("hedges", "qualifiers")
    attenuators = lex.words("hedges", "attenuators")
    distancing = lex.words("hedges", "distancing")
    factive = lex.words("hedges", "factive_frames")
    neg_raisers = lex.words("hedges", "neg_raisers")
    doxastic = lex.words("hedges", "doxastic_verbs")
    doxastic_nouns = lex.words("hedges", "doxastic_nouns")

    # modal auxiliaries on the predicate (or on the verb it is raised under)
    predicates = [head, *[p for p in frames(tree, head) if base(head.deprel) == "xcomp"][:1]]
    if base(head.deprel) == "conj" and not tree.children(head, "nsubj", "csubj", "expl", "aux"):
        # "could escalate and spread": the first conjunct's modal covers the second
        first = tree.head_of(head)
        if first is not None:
            predicates.append(first)
    for pred in predicates:
        for aux in tree.children(pred, "aux"):
            level = modal_level(tree, pred, aux)
            if level is not None:
                votes.append((level, aux.text))
                cues.append(_cue(tree, [aux], "epistemic"))

    scoped: list[Word] = []
    band: str | None = None
    bands: dict[str, dict] = lex.estimative["bands"]
    used: set[int] = set()  # words of an estimative term, not read again one by one

    def estimate(w: Word) -> bool:
        nonlocal band
        found = estimative_term(tree, w)
        if found is None:
            return False
        name, term_words = found
        if band is None:
            band = name
        votes.append((bands[name]["certainty"], tree.span_text(term_words)))
        cues.append(_cue(tree, term_words, "epistemic"))
        used.update(x.id for x in term_words)
        return True

    for w in words:
        lemma = _lemma(w)
        rel = base(w.deprel)
        if w.id in used:
            continue
        if lemma in adverbs and rel in ("advmod", "amod") and estimate(w):
            continue
        if lemma in adverbs and rel in ("advmod", "amod"):
            level = adverbs[lemma]
            votes.append((level, w.text))
            cues.append(_cue(tree, [w], "booster" if level == "certain" else "epistemic"))
        elif lemma in distancing:
            votes.append(("probable", w.text))
            cues.append(_cue(tree, [w], "distancing"))
        elif lemma in doxastic_nouns and w.upos == "NOUN":
            # "allegations of fraud", "the belief that": a held view, not a fact
            cues.append(_cue(tree, [w], "evidential"))
        elif lemma in attenuators and rel in ("advmod", "amod", "obl") and tree.head_of(w) is not None and tree.head_of(w).upos in ("ADJ", "ADV", "VERB"):  # type: ignore[union-attr,operator]
            cues.append(_cue(tree, [w], "attenuator"))
        elif negative and lemma in qualifiers and rel in ("advmod", "amod") and not scoped:
            # "not explicitly", "not always", "not complete control": a scoped negation. The
            # source states the negated claim flatly (certain); the qualifier records what is
            # denied (always, not never) and is no hedge (its weight is 0). One per claim: the
            # first after the negation ("does not always have complete control": "always").
            scoped.append(w)
            cues.append(_cue(tree, [w], "qualifier"))

    # the clause's own predicate: "appears", "remains unclear", "seems"
    own_preds = [head, *tree.children(head, "xcomp")]
    for pred in own_preds:
        lemma = _lemma(pred)
        if pred is head and lemma in evidential and (tree.children(head, "xcomp", "ccomp") or lemma in ("seem", "tend") or (lemma == "appear" and tree.children(head, "expl"))):
            # "appears less culpable", "it appears that": not "appeared in three films"
            votes.append((evidential[lemma], pred.text))
            cues.append(_cue(tree, [pred], "evidential"))
        elif pred is head and lemma in doxastic and _doxastic_use(tree, head, lemma):
            # "is considered the best", "widely regarded as", "accused of": a belief with no one behind it
            votes.append(("probable", pred.text))
            cues.append(_cue(tree, [pred], "distancing"))
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
    # (or under "there are many questions to include which X", "still assessing who X": the
    # question word may sit a few words above the clause, not on its parent)
    if base(head.deprel) in ("ccomp", "csubj", "acl", "xcomp"):
        first = words[0] if words else None
        if first is not None and _lemma(first) in lex.words("hedges", "question_words"):
            for depth, above in zip(range(3), tree.ancestors(head), strict=False):
                # "it remains unclear who X": the adjective is the raising verb's xcomp
                said = {_lemma(x) for x in [above, *tree.children(above, "xcomp")]}
                if (depth == 0 and base(head.deprel) in ("ccomp", "csubj") and said & lex.words("hedges", "question_governors")) or said & unknown_makers:
                    votes.append(("unknown", first.text))
                    cues.append(_cue(tree, [first], "unknown"))
                    break
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
        if frame.id not in used and (lemma in frame_words or lemma in adverbs) and estimate(frame):
            pass
        elif lemma in boosters:
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
        if lemma in factive:
            # "she didn't realise that X", "if he knew that X": a factive frame presupposes its
            # complement, so negation, modals and conditionals above it do not reach X
            break
        for aux in tree.children(frame, "aux"):
            level = modal_level(tree, frame, aux)
            if level is not None:
                votes.append((level, aux.text))
                cues.append(_cue(tree, [aux], "epistemic"))
        if negators(tree, frame) and lemma not in neg_raisers:
            # "he didn't say that X": a denied report leaves X open (neg-raisers flip polarity instead)
            votes.append(("unknown", frame.text))
        marks = tree.children(frame, "mark")
        if base(frame.deprel) == "advcl" and any(_lemma(m) in ("if", "unless") for m in marks):
            # "if she admitted that X": the frame itself is only supposed
            votes.append(("unknown", marks[0].text))
            cues.append(_cue(tree, marks[:1], "conditional"))

    votes.extend(irrealis(tree, head, own))

    cues.extend(approximators(tree, words))
    cues = sorted({(c.start_char, c.kind): c for c in cues}.values(), key=lambda c: c.start_char)

    lowered = [v for v in votes if v[0] != "certain"]
    if lowered:
        certainty, term = min(lowered, key=lambda v: RANK[v[0]])
    elif votes:
        certainty, term = votes[0]
    else:
        certainty, term = "certain", None
    conf = confidence_of(tree, [head, *frames(tree, head)])
    negates = band is not None and bool(bands[band]["negated"])
    return Firmness(certainty, term, cues, hedge_level(cues), band, conf, negates)


def modal_level(tree: Tree, pred: Word, aux: Word) -> str | None:
    """The certainty a modal auxiliary gives its predicate, or None for a non-epistemic use."""
    modals: dict[str, str] = lexicons().hedges["modals"]
    m = _lemma(aux)
    level = modals.get(m)
    if level is None or level == "certain":
        return None
    perfect = any(_lemma(a) == "have" and a.id > aux.id for a in tree.children(pred, "aux"))
    if m == "would" and not (perfect or _conditional(tree, pred)):
        # "he would later become mayor": future in the past, not a hedge
        return None
    if m in ("must", "should") and not (perfect or (m == "must" and tree.children(pred, "cop"))):
        # "players must pass the ball": obligation; "must have been", "must be true": inference
        return None
    if m == "could" and any(is_negator(c) for c in tree.children(pred, "advmod")) and not perfect:
        # "he could not walk": past inability, not a possibility
        return None
    return level


def _conditional(tree: Tree, pred: Word) -> bool:
    """An "if"/"unless" clause on the predicate or on a clause above it."""
    for w in [pred, *tree.ancestors(pred)]:
        for adv in tree.children(w, "advcl"):
            if any(_lemma(m) in ("if", "unless") for m in tree.children(adv, "mark")):
                return True
    return False


def _doxastic_use(tree: Tree, head: Word, lemma: str) -> bool:
    """A belief verb used as one: passive, with a clause or "as" complement, or "accused of"."""
    as_obl = any(_lemma(c) == "as" for o in tree.children(head, "obl", "advcl", "xcomp") for c in tree.children(o, "case", "mark"))
    if lemma in ("see", "view"):
        # "seen as a threat", not "was seen at the scene"
        return as_obl
    if tree.children(head, "aux:pass", "nsubj:pass") or ("VerbForm=Part" in (head.feats or "") and base(head.deprel) in ("acl", "amod")):
        return True
    if tree.children(head, "xcomp", "ccomp"):
        return True
    for obl in tree.children(head, "obl", "advcl"):
        if any(_lemma(c) in ("as", "of") for c in tree.children(obl, "case", "mark")):
            return True
    return False


def irrealis(tree: Tree, head: Word, own: set[int]) -> list[tuple[str, str]]:
    """Votes for events the text does not present as having happened: wanted, planned or
    ordered ones, purposes, commands and questions (FactBank's underspecified). They lower
    certainty but are not hedges, so they add no cue."""
    frames_lex: dict[str, str] = lexicons().hedges["irrealis_frames"]
    out: list[tuple[str, str]] = []
    for frame in frames(tree, head):
        # "plans to attack", "wants them to leave": the frame's event, not this one, is asserted
        if frame.id not in own and _lemma(frame) in frames_lex:
            out.append((frames_lex[_lemma(frame)], frame.text))
            break
    implicative = lexicons().words("hedges", "implicative_frames")
    parent = tree.head_of(head)
    modals: dict[str, str] = lexicons().hedges["modals"]
    # a conjunct with no subject or auxiliary of its own shares its first conjunct's
    # ("should not exploit X or allow Y", "could be severe and escalate the conflict")
    first = shares_first_conjunct(tree, head)
    carrier = first if first is not None else head
    for aux in tree.children(carrier, "aux"):
        m = _lemma(aux)
        if modals.get(m, "certain") != "certain" and modal_level(tree, carrier, aux) is None:
            # "must pass", "would later become": obligation or future in the past, no hedge,
            # but not an event the text says happened either
            out.append((modals[m], aux.text))
    marks = {_lemma(m) for m in tree.children(head, "mark")}
    if "to" in marks and base(head.deprel) in ("xcomp", "acl", "advcl", "csubj", "ccomp") and not (
        parent is not None and _lemma(parent) in implicative
    ):
        # "to replace retiring jurists", "a chance to win": a to-infinitive is unrealised unless
        # an implicative verb ("managed to", "began to") asserts it
        out.append(("unknown", "to"))
    feats = head.feats or ""
    main = head.deprel == "root" or (base(head.deprel) in ("conj", "parataxis") and parent is not None and parent.deprel == "root")
    if "Mood=Imp" in feats or (main and first is None and head.upos == "VERB" and "VerbForm=Inf" in feats and not tree.children(head, "nsubj", "expl", "aux")):
        # "Call me tomorrow": a command
        out.append(("unknown", head.text))
    elif main and _question(tree, head):
        # "Did they leave?", "Can you help me ...": a question asserts nothing
        out.append(("unknown", "?"))
    return out


def _question(tree: Tree, head: Word) -> bool:
    """A main clause ending in "?" or opening with its auxiliary before the subject."""
    if tree.words and tree.words[-1].text == "?":
        return True
    aux = tree.children(head, "aux", "cop")
    subj = tree.children(head, "nsubj")
    return bool(aux and subj and aux[0].id < subj[0].id and aux[0].id == min(w.id for w in tree.subtree(head)))


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


# Cue kinds that make a sentence uncertain in the CoNLL-2010 task-1 sense (boosters,
# approximators, attenuators and qualifiers are vagueness or emphasis, not uncertainty).
UNCERTAIN_KINDS = frozenset({"epistemic", "evidential", "distancing", "unknown", "conditional"})


def hedges(tree: Tree) -> list[HedgeCue]:
    """Every hedge cue of a sentence: the cues of each predicate in it, deduplicated."""
    from .polarity import polarity

    found: dict[tuple[int, str], HedgeCue] = {}
    for w in tree.words:
        if not _is_predicate(tree, w):
            continue
        pol, _ = polarity(tree, w)
        for c in firmness(tree, w, clause_words(tree, w), negative=pol == "negative").cues:
            found.setdefault((c.start_char, c.kind), c)
    # hedging adverbs and adjectives outside any clause's scope: "probably the best", "a likely cause"
    h = lexicons().hedges
    for w in tree.words:
        lemma = _lemma(w)
        if h["adverbs"].get(lemma, "certain") != "certain" and base(w.deprel) in ("advmod", "amod"):
            found.setdefault((word_span(w)[0], "epistemic"), _cue(tree, [w], "epistemic"))
        elif h["frames"].get(lemma, "certain") != "certain" and w.upos == "ADJ" and (
            base(w.deprel) == "amod" or tree.children(w, "cop", "csubj", "ccomp", "expl")
        ):
            found.setdefault((word_span(w)[0], "epistemic"), _cue(tree, [w], "epistemic"))
    return sorted(found.values(), key=lambda c: c.start_char)


def clause_words(tree: Tree, head: Word) -> list[Word]:
    """Any predicate's own words: its subtree without conjoined, adverbial, parenthetical and
    relative clauses, cut to the unbroken run around the head (the scope ``firmness`` reads)."""
    cut = {c.id for c in tree.children(head, "conj", "advcl", "parataxis", "acl:relcl")}
    # punctuation keeps the run together ("Iran, however, may") but is not part of the scope
    return [w for w in run_around(tree.subtree(head, exclude=cut), head) if base(w.deprel) != "punct" or w.id == head.id]


def _is_predicate(tree: Tree, w: Word) -> bool:
    """Verbs, and nouns or adjectives with a copula or subject (what firmness can judge)."""
    if w.upos == "VERB":
        return True
    if w.upos in ("AUX",) and not w.head:
        return True
    return w.upos in ("ADJ", "NOUN", "PROPN", "PRON", "ADV", "NUM") and bool(tree.children(w, "cop", "nsubj", "csubj"))

"""Extractors: pure functions from a parsed ``Document`` (:mod:`claims.nlp.document`) to claim candidates.

``claims_of(doc, doc_date)`` runs them all: clauses, then for each clause its
polarity, firmness (certainty and hedges), attribution chain, time expressions
and entity mentions. Nothing here reads or writes the database.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..nlp.document import Document, Word
from ..nlp.tree import Tree, one_line, word_span
from .attribution import Frame, frames, quote_speakers, sources, statement_time, with_speaker
from .clauses import clauses, object_of, phrase_words, subject_of
from .entities import mentions
from .hedging import Firmness, firmness
from .lexicons import extractor_version
from .polarity import polarity
from .temporal import future_at, resolve, time_refs
from .types import ClaimCandidate, Mention, Source

__all__ = ["claims_of", "extractor_version", "ClaimCandidate"]


def claims_of(doc: Document, doc_date: str, aliases: str | None = None) -> Iterator[ClaimCandidate]:
    """Every claim of a parsed document, sentence by sentence."""
    text = doc.text or ""
    trees = [Tree(sentence, text) for sentence in doc.sentences]
    found = [frames(tree) for tree in trees]
    # quotations run across sentences: their speaker may be named sentences later
    speakers = quote_speakers(text, [f for fs in found for f in fs])
    for index, tree in enumerate(trees):
        yield from sentence_claims(tree, index, doc, doc_date, aliases, found[index], speakers)


def sentence_claims(
    tree: Tree,
    index: int,
    doc: Document,
    doc_date: str,
    aliases: str | None = None,
    found_frames: list[Frame] | None = None,
    speakers: list[tuple[int, int, Source]] | None = None,
) -> Iterator[ClaimCandidate]:
    if found_frames is None:
        found_frames = frames(tree)
    tense = future_at(tree)
    for clause, words in clauses(tree):
        head = clause.head
        span = tree.span(words)
        if span is None:
            continue
        start, end = span
        # arguments on another line belong to a heading the parser glued on, not to the claim
        subj = next((x for x in [subject_of(tree, head)] if x is not None and one_line(tree.text, x, head)), None)
        obj = next((x for x in [object_of(tree, head)] if x is not None and one_line(tree.text, x, head)), None)
        pol, firm = reading(tree, head, words)
        found = mentions(doc, start, end, aliases)
        said = statement_time(head, found_frames)
        yield ClaimCandidate(
            sentence_index=index,
            head_id=int(head.id),
            text=tree.text[start:end],
            start_char=start,
            end_char=end,
            predicate=(head.lemma or head.text).lower(),
            clause_type=clause.clause_type,
            subject=tree.span_text(phrase_words(tree, subj, marked=False)) or None if subj is not None else None,
            object=tree.span_text(phrase_words(tree, obj)) or None if obj is not None else None,
            subject_head=(subj.lemma or subj.text).lower() if subj is not None else None,
            object_head=(obj.lemma or obj.text).lower() if obj is not None else None,
            polarity=pol,
            certainty=firm.certainty,
            certainty_term=firm.certainty_term,
            hedge_level=firm.hedge_level,
            hedge_cues=firm.cues,
            estimative_band=firm.estimative_band,
            confidence=firm.confidence,
            sources=with_speaker(sources(tree, head, found_frames), word_span(head)[0], speakers or []),
            time_refs=time_refs(doc, start, end, doc_date, tense),
            statement_date=resolve(said.text, doc_date)[0] if said is not None else None,
            statement_date_text=said.text if said is not None else None,
            mentions=found,
            proposition_key=proposition_key(tree, head, subj, obj, found + outside(doc, tree, (start, end), [subj, obj], aliases)),
        )


def outside(doc: Document, tree: Tree, span: tuple[int, int], args: list[Word | None], aliases: str | None) -> list[Mention]:
    """Entity mentions of arguments outside the claim's span (the antecedent of "which")."""
    out: list[Mention] = []
    for word in args:
        at = tree.span(phrase_words(tree, word)) if word is not None else None
        if at is not None and (at[1] <= span[0] or at[0] >= span[1]):
            out.extend(mentions(doc, at[0], at[1], aliases))
    return out


def _key_of(tree: Tree, word: Word | None, found: list[Mention]) -> str:
    """An argument's key: the canonical entity it names, else its head lemma."""
    if word is None:
        return ""
    span = tree.span(phrase_words(tree, word))
    if span is not None:
        for mention in found:
            if span[0] <= mention.start_char and mention.end_char <= span[1]:
                return mention.canonical.lower()
    return (word.lemma or word.text).lower()


def proposition_key(tree: Tree, head: Word, subj: Word | None, obj: Word | None, found: list[Mention]) -> str:
    return "|".join([_key_of(tree, subj, found), (head.lemma or head.text).lower(), _key_of(tree, obj, found)])


def reading(tree: Tree, head: Word, words: list[Word]) -> tuple[str, Firmness]:
    """Polarity and firmness of a predicate over its words. A "probably not" band of ICD 203
    ("unlikely", "very unlikely", "almost no chance") negates what it qualifies."""
    pol, _ = polarity(tree, head)
    firm = firmness(tree, head, words, negative=pol == "negative")
    if firm.negates:
        pol = "positive" if pol == "negative" else "negative"
    return pol, firm


def assess(tree: Tree, head: Word) -> tuple[str, Firmness]:
    """Polarity and firmness of any predicate of a sentence, clause head or not (for evaluation)."""
    from .hedging import clause_words

    return reading(tree, head, clause_words(tree, head))

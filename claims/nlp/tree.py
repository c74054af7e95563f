"""Helpers over one ``Sentence``'s UD tree: children, subtrees, spans."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from .document import Sentence, Word


def base(deprel: str | None) -> str:
    """``nsubj:pass`` -> ``nsubj``."""
    return (deprel or "").split(":")[0]


def word_span(word: Word) -> tuple[int, int]:
    """A word's offsets; words of a multi-word token share the token's."""
    start, end = word.start_char, word.end_char
    if start is None or end is None:
        start, end = word.parent.start_char, word.parent.end_char
    return int(start), int(end)  # type: ignore[arg-type]  # every parser gives every token offsets


class Tree:
    """Index over a sentence: children by head, subtrees, and spans as document offsets."""

    def __init__(self, sentence: Sentence, text: str):
        self.sentence = sentence
        self.text = text
        self.words: list[Word] = list(sentence.words)
        self.by_id: dict[int, Word] = {w.id: w for w in self.words}
        self.kids: dict[int, list[Word]] = {w.id: [] for w in self.words}
        self.kids[0] = []
        # the extractors ask for children by relation hundreds of times a sentence:
        # each child with its relation and the relation's base, read once
        self._rels: dict[int, list[tuple[Word, str, str]]] = {w.id: [] for w in self.words}
        self._rels[0] = []
        self._subtrees: dict[int | tuple[int, frozenset[int]], list[Word]] = {}
        for w in self.words:
            self.kids.setdefault(w.head or 0, []).append(w)
            rel = w.deprel or ""
            self._rels.setdefault(w.head or 0, []).append((w, rel, base(rel)))

    def children(self, word: Word, *rels: str) -> list[Word]:
        """Children, optionally only those whose relation (or its base) is in ``rels``."""
        if not rels:
            return self.kids.get(word.id, [])
        return [c for c, rel, b in self._rels.get(word.id, ()) if rel in rels or b in rels]

    def child(self, word: Word, *rels: str) -> Word | None:
        found = self.children(word, *rels)
        return found[0] if found else None

    def head_of(self, word: Word) -> Word | None:
        return self.by_id.get(word.head) if word.head else None

    def ancestors(self, word: Word) -> Iterable[Word]:
        seen = set()
        cur = self.head_of(word)
        while cur is not None and cur.id not in seen:
            seen.add(cur.id)
            yield cur
            cur = self.head_of(cur)

    def subtree(self, word: Word, exclude: set[int] | None = None) -> list[Word]:
        """The word and its descendants in sentence order, without the subtrees of ``exclude``."""
        # the extractors ask for the same subtrees many times a sentence: each is walked once
        key: int | tuple[int, frozenset[int]] = (word.id, frozenset(exclude)) if exclude else word.id
        found = self._subtrees.get(key)
        if found is None:
            exclude = exclude or set()
            ids, stack = set(), [word.id]
            while stack:
                i = stack.pop()
                if i in ids:
                    continue
                ids.add(i)
                stack.extend(c.id for c in self.kids.get(i, ()) if c.id not in exclude)
            found = self._subtrees[key] = [self.by_id[i] for i in sorted(ids)]
        return list(found)

    def span(self, words: Iterable[Word]) -> tuple[int, int] | None:
        offsets = [word_span(w) for w in words]
        if not offsets:
            return None
        return min(s for s, _ in offsets), max(e for _, e in offsets)

    def span_text(self, words: Iterable[Word]) -> str:
        sp = self.span(words)
        return "" if sp is None else self.text[sp[0] : sp[1]]

    def phrase(self, word: Word) -> str:
        """The text of a word's whole subtree, without edge punctuation."""
        return self.span_text(trim(self.subtree(word)))

    @cached_property
    def root(self) -> Word | None:
        return next((w for w in self.words if not w.head), None)


EDGE_RELS = {"punct", "cc", "mark"}


def trim(words: list[Word], rels: set[str] = EDGE_RELS) -> list[Word]:
    """Drop punctuation (and by default conjunctions and markers) at both edges."""
    lo, hi = 0, len(words)
    while lo < hi and base(words[lo].deprel) in rels:
        lo += 1
    while hi > lo and base(words[hi - 1].deprel) == "punct":
        # a closing bracket whose opening one is kept stays ("Hamas (an FTO)")
        if words[hi - 1].text == ")" and sum(w.text == "(" for w in words[lo : hi - 1]) > sum(w.text == ")" for w in words[lo : hi - 1]):
            break
        hi -= 1
    return words[lo:hi]


def run_around(words: list[Word], head: Word) -> list[Word]:
    """The unbroken run of words around the head (a cut-out clause may split a subtree)."""
    ids = {w.id for w in words}
    lo = hi = head.id
    while lo - 1 in ids:
        lo -= 1
    while hi + 1 in ids:
        hi += 1
    return [w for w in words if lo <= w.id <= hi]


def same_line(text: str, words: list[Word], head: Word) -> list[Word]:
    """The words on the head's line: a heading or dateline ("Updated January 29, 2024") that a
    sentence splitter glued to the sentence after it is its own segment, never part of a claim."""
    lo, hi = 0, len(words)
    at = next((i for i, w in enumerate(words) if w.id == head.id), None)
    if at is None:
        return words
    for i in range(at, 0, -1):
        if "\n" in text[word_span(words[i - 1])[1] : word_span(words[i])[0]]:
            lo = i
            break
    for i in range(at, len(words) - 1):
        if "\n" in text[word_span(words[i])[1] : word_span(words[i + 1])[0]]:
            hi = i + 1
            break
    return words[lo:hi]


def one_line(text: str, a: Word, b: Word) -> bool:
    """No line break between two words."""
    lo, hi = sorted((a, b), key=lambda w: word_span(w)[0])
    return "\n" not in text[word_span(lo)[1] : word_span(hi)[0]]


def feats(word: Word) -> dict[str, str]:
    if not word.feats:
        return {}
    return dict(kv.split("=", 1) for kv in word.feats.split("|") if "=" in kv)

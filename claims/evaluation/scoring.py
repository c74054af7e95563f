"""Scorers: plain functions over plain values, no corpus or parser knowledge.

Precision/recall/F1, Pearson r, mean absolute error, sign accuracy, span
overlap and exact span match, and the deterministic split every evaluator
uses to keep a tuning half apart from a held-out half.
"""

from __future__ import annotations

import hashlib
import math
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

EDGE_CHARS = string.whitespace + string.punctuation + "“”‘’«»—–…"


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int


def prf(tp: int, fp: int, fn: int) -> PRF:
    """Precision, recall and F1 from counts; 0.0 where a ratio is undefined."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return PRF(p, r, f, tp, fp, fn)


def binary_prf(gold: Sequence[bool], pred: Sequence[bool]) -> PRF:
    """P/R/F1 of the positive class (here: "uncertain")."""
    if len(gold) != len(pred):
        raise ValueError("gold and predicted labels differ in length")
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if p and not g)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g and not p)
    return prf(tp, fp, fn)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson's r; 0.0 when either side is constant (no linear signal to find)."""
    n = len(xs)
    if n != len(ys):
        raise ValueError("pearson: sequences differ in length")
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return 0.0
    return sxy / math.sqrt(sxx * syy)


def mae(xs: Sequence[float], ys: Sequence[float]) -> float:
    if len(xs) != len(ys):
        raise ValueError("mae: sequences differ in length")
    return sum(abs(x - y) for x, y in zip(xs, ys, strict=True)) / len(xs) if xs else 0.0


def sign_accuracy(gold: Sequence[float], pred: Sequence[float]) -> float:
    """Share of items where "did it happen" (score > 0) agrees."""
    if not gold:
        return 0.0
    return sum(1 for g, p in zip(gold, pred, strict=True) if (g > 0) == (p > 0)) / len(gold)


# --- spans ---------------------------------------------------------------------

Offsets = tuple[int, int]


def overlaps(a: Offsets, b: Offsets) -> bool:
    """Half-open spans sharing at least one character."""
    return a[0] < b[1] and b[0] < a[1]


def strip_span(text: str, start: int, end: int) -> Offsets:
    """The span without whitespace and punctuation at its edges (for exact matching)."""
    while start < end and text[start] in EDGE_CHARS:
        start += 1
    while end > start and text[end - 1] in EDGE_CHARS:
        end -= 1
    return start, end


def span_prf(gold: Iterable[Offsets], pred: Iterable[Offsets], mode: str = "overlap") -> PRF:
    """Span P/R/F1. ``exact``: same offsets. ``overlap``: a predicted span is right when it
    overlaps some gold span, and a gold span is found when some predicted span overlaps it."""
    g, p = sorted(set(gold)), sorted(set(pred))
    if mode == "exact":
        hit = len(set(g) & set(p))
        return prf(hit, len(p) - hit, len(g) - hit)
    if mode != "overlap":
        raise ValueError(f"no span match mode {mode!r}; use exact or overlap")
    right = sum(1 for s in p if any(overlaps(s, t) for t in g))
    found = sum(1 for t in g if any(overlaps(s, t) for s in p))
    # precision counts predictions, recall counts gold spans; F1 is their harmonic mean
    precision = right / len(p) if p else 0.0
    recall = found / len(g) if g else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PRF(precision, recall, f1, found, len(p) - right, len(g) - found)


# --- split ---------------------------------------------------------------------

def half(key: str) -> str:
    """``tune`` or ``held-out``, fixed by a hash of the item's id: rules are tuned on one half only."""
    return "tune" if hashlib.sha1(key.encode("utf-8")).digest()[0] % 2 == 0 else "held-out"

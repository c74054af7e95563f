"""Scoring the linker on labelled claim pairs: precision, recall and F1 of a scorer over a threshold sweep.

Evaluation, not linking: the pairs file is a gold set, and nothing here writes to a database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..propositions import ClaimView


@dataclass(frozen=True)
class Scores:
    threshold: float
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_pairs(path: Any) -> list[tuple[ClaimView, ClaimView, bool, dict[str, Any]]]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                out.append((ClaimView.from_json(d["a"]), ClaimView.from_json(d["b"]), bool(d["same"]), d))
    return out


def sweep(
    pairs: Sequence[tuple[ClaimView, ClaimView, bool, Any]],
    scorer: Callable[[ClaimView, ClaimView], float],
    thresholds: Iterable[float],
) -> list[Scores]:
    scored = [(scorer(a, b), same) for a, b, same, _ in pairs]
    out = []
    for t in thresholds:
        tp = sum(1 for s, y in scored if s >= t and y)
        fp = sum(1 for s, y in scored if s >= t and not y)
        fn = sum(1 for s, y in scored if s < t and y)
        out.append(Scores(round(t, 2), tp, fp, fn, len(scored) - tp - fp - fn))
    return out

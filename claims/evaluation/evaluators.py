"""One evaluator per task: read a corpus, run the extractor's rules, score them.

Each evaluator returns a :class:`Section`: table rows (ours beside the target
and the published figure) and details for the report (error breakdowns, per-type
recall). They raise :class:`MissingData` when their corpus is absent; the CLI
turns that into a "skipped" line.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import MissingData
from . import corpora as C
from .scoring import binary_prf, half, mae, pearson, prf, sign_accuracy, span_prf, strip_span

Progress = Callable[[int], None] | None


@dataclass
class Row:
    task: str
    dataset: str
    metric: str
    ours: float | None
    target: str = ""
    published: str = ""
    n: int | None = None
    note: str = ""


@dataclass
class Section:
    name: str
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def _need(path: Path, what: str) -> Path:
    if not path.exists():
        raise MissingData(f"{what} is missing", path=str(path), fix="put the corpus there or pass --data DIR")
    return path


def _limit(items: list[Any], limit: int | None) -> list[Any]:
    return items if limit is None else items[:limit]


# --- 1. parser -----------------------------------------------------------------

def evaluate_parser(data: Path, limit: int | None = None, **_: Any) -> Section:
    from .parser import evaluate_ewt

    path = _need(data / "ud_english_ewt" / "en_ewt-ud-dev.conllu", "UD English EWT dev")
    r = evaluate_ewt(path, limit=limit)
    n = r["n_words"]
    return Section(
        "parser",
        [
            Row("parser", "UD EWT dev", "UAS", r["uas"], "≥ 0.87", "", n, "spaCy sm → UD v2, gold tokens"),
            Row("parser", "UD EWT dev", "LAS", r["las"], "≥ 0.83", "", n, "labels with subtypes"),
        ],
        {"top_errors": r.get("per_label", [])[:10], "sents_per_s": r.get("sents_per_s")},
    )


# --- 2. hedging ----------------------------------------------------------------

def sentence_uncertain(doc: Any) -> tuple[bool, list[Any]]:
    """Whether a parsed text has a cue of an uncertainty kind (sentence-level task-1 decision)."""
    from ..extract.hedging import UNCERTAIN_KINDS, hedges
    from ..nlp.tree import Tree

    text = doc.text or ""
    cues = [c for s in doc.sentences for c in hedges(Tree(s, text)) if c.kind in UNCERTAIN_KINDS]
    return bool(cues), cues


def flat_lexicon() -> frozenset[str]:
    """The baseline: every uncertainty word of hedges.yml matched by lemma, no tree."""
    from ..extract.lexicons import lexicons

    h = lexicons().hedges
    words = {k for table in ("modals", "adverbs", "evidential_verbs", "frames") for k, v in h[table].items() if v != "certain"}
    words |= set(h["distancing"]) | set(h["unknown_makers"]) | {"if", "whether", "unless"}
    return frozenset(str(w).lower() for w in words)


def flat_uncertain(doc: Any, words: frozenset[str]) -> bool:
    return any((w.lemma or w.text).lower() in words for s in doc.sentences for w in s.words)


def _hedge_rows(name: str, items: Sequence[C.HedgeSentence], docs: Sequence[Any], target: str, published: str) -> tuple[list[Row], dict[str, Any]]:
    flat = flat_lexicon()
    gold = [i.uncertain for i in items]
    decided = [sentence_uncertain(d) for d in docs]
    pred = [u for u, _ in decided]
    base = [flat_uncertain(d, flat) for d in docs]
    rows: list[Row] = []
    for part in ("tune", "held-out", None):
        idx = [k for k, i in enumerate(items) if part is None or half(i.text) == part]
        if not idx:
            continue
        s = binary_prf([gold[k] for k in idx], [pred[k] for k in idx])
        label = "all" if part is None else part
        ds = f"{name} ({label})"
        rows += [
            Row("hedging", ds, "P", s.precision, "", "", len(idx)),
            Row("hedging", ds, "R", s.recall, "", "", len(idx)),
            Row("hedging", ds, "F1", s.f1, target if part != "tune" else "", published if part is None else "", len(idx), "tuned on this half" if part == "tune" else ""),
        ]
    b = binary_prf(gold, base)
    rows.append(Row("hedging", f"{name} (all)", "F1 flat lexicon", b.f1, "", "", len(items), "baseline: hedges.yml words by lemma, no tree"))
    # per cue type: the share of gold sentences with that type that we flag (held-out half)
    by_type: dict[str, list[bool]] = defaultdict(list)
    for i, p in zip(items, pred, strict=True):
        if half(i.text) == "held-out":
            for t in set(i.cue_types):
                by_type[t].append(p)
    fps: Counter[str] = Counter()
    fns: Counter[str] = Counter()
    for i, (p, cues) in zip(items, decided, strict=True):
        if half(i.text) != "tune":
            continue
        if p and not i.uncertain:
            fps.update(c.text.lower() for c in cues)
        if i.uncertain and not p:
            fns.update(c.lower().strip() for c in i.cues)
    details = {
        "recall_by_type": {t: (sum(v) / len(v), len(v)) for t, v in sorted(by_type.items())},
        "false_positive_cues": fps.most_common(15),
        "missed_gold_cues": fns.most_common(15),
    }
    return rows, details


def evaluate_hedging(data: Path, limit: int | None = None, progress: Progress = None, use_cache: bool = True, **_: Any) -> Section:
    section = Section("hedging")
    szeged_path = data / "szeged_uncertainty_wiki" / "wiki.xml"
    sample_path = data / "conll2010_wiki_uncertainty_sample" / "uncertainty-conll2010.csv"
    if not szeged_path.exists() and not sample_path.exists():
        _need(szeged_path, "the Szeged uncertainty corpus (Wikipedia)")
    if szeged_path.exists():
        items = _limit(C.read_szeged(szeged_path), limit)
        docs = C.parsed([i.text for i in items], "szeged", use_cache, progress)
        rows, details = _hedge_rows("Szeged Wikipedia", items, docs, "≥ 0.78", "")
        section.rows += rows
        section.details["szeged"] = details
    else:
        section.details["skipped"] = [f"Szeged Wikipedia: {szeged_path} is missing"]
    if sample_path.exists():
        items = _limit(C.read_conll2010_sample(sample_path), limit)
        docs = C.parsed([i.text for i in items], "conll2010", use_cache, progress)
        rows, details = _hedge_rows("CoNLL-2010 sample", items, docs, "", "best task-1 Wikipedia F1 ≈ 0.60 (Farkas et al. 2010)")
        section.rows += [r for r in rows if "(all)" in r.dataset or "held-out" in r.dataset]
        section.details["conll2010"] = details
    return section


# --- 3. factuality -------------------------------------------------------------

DEFAULT_SCALE = {"certain": 3.0, "probable": 2.0, "possible": 1.0, "unknown": 0.0}


def signed(polarity: str, certainty: str) -> float:
    """Our uncalibrated signed certainty: certain 3 … unknown 0, negative polarity flips the sign."""
    value = DEFAULT_SCALE[certainty]
    return -value if polarity == "negative" else value


Cell = tuple[str, str]


def calibrate(cells: Sequence[Cell], gold: Sequence[float], min_count: int = 5, stat: str = "median") -> dict[Cell, float]:
    """The median (or mean) gold score of each (polarity, certainty) cell; sparse cells keep
    the default scale. The median is the constant with the least absolute error."""
    sums: dict[Cell, list[float]] = defaultdict(list)
    for c, g in zip(cells, gold, strict=True):
        sums[c].append(g)
    centre = statistics.median if stat == "median" else statistics.fmean
    return {c: float(centre(v)) for c, v in sums.items() if len(v) >= min_count}


def apply(mapping: dict[Cell, float], cells: Sequence[Cell]) -> list[float]:
    return [mapping.get(c, signed(*c)) for c in cells]


def calibrated_on_tune(cells: Sequence[Cell], gold: Sequence[float], parts: Sequence[str]) -> tuple[dict[Cell, float], list[float]]:
    """The cell means of the tune half, and every item's score under them."""
    tune = [k for k, p in enumerate(parts) if p == "tune"]
    mapping = calibrate([cells[k] for k in tune], [gold[k] for k in tune], stat="mean")
    return mapping, apply(mapping, cells)


def judge(tree: Any, word: Any) -> Cell:
    from ..extract import assess

    pol, firm = assess(tree, word)
    return pol, firm.certainty


def _aligned_cells(sentences: Sequence[C.FactSentence], docs: Sequence[Any]) -> tuple[list[Cell], list[float], int]:
    """Our judgement of each gold predicate, found by character offsets in our parse."""
    from ..nlp.tree import Tree, word_span

    cells: list[Cell] = []
    gold: list[float] = []
    missed = 0
    for s, doc in zip(sentences, docs, strict=True):
        trees = [Tree(sent, doc.text or "") for sent in doc.sentences]
        for tok, score in s.scores.items():
            start, end = s.tokens[tok]
            hit = None
            for tree in trees:
                for w in tree.words:
                    ws, we = word_span(w)
                    if ws <= start < we or (start <= ws < end):
                        hit = (tree, w)
                        break
                if hit:
                    break
            if hit is None:
                missed += 1
                cells.append(("positive", "certain"))
            else:
                cells.append(judge(*hit))
            gold.append(score)
    return cells, gold, missed


def _fact_rows(ds: str, cells: Sequence[Cell], gold: Sequence[float], mapping: dict[Cell, float], target_r: str, target_mae: str, pub_r: str, pub_mae: str, note: str) -> list[Row]:
    pred = apply(mapping, cells)
    n = len(gold)
    return [
        Row("factuality", ds, "Pearson r", pearson(pred, gold), target_r, pub_r, n, note),
        Row("factuality", ds, "MAE", mae(pred, gold), target_mae, pub_mae, n, note),
        Row("factuality", ds, "MAE all-factual (+3)", mae([3.0] * n, gold), "", "", n, "baseline"),
    ]


PUBLISHED_UW_R = "TruthTeller 0.63; supervised 0.66 (Stanovsky et al. 2017)"
PUBLISHED_UW_MAE = "TruthTeller 0.72; supervised 0.42"


def evaluate_factuality(data: Path, limit: int | None = None, progress: Progress = None, use_cache: bool = True, **_: Any) -> Section:
    section = Section("factuality")
    root = data / "factuality_uw_meantime"
    uds_dir = data / "uds_it_happened"
    if not root.exists() and not uds_dir.exists():
        _need(root, "the UW/MEANTIME factuality data")
    skipped = []
    for name, target_r, target_mae, pub_r, pub_mae in (
        ("uw", "≥ 0.65", "≤ 0.55", PUBLISHED_UW_R, PUBLISHED_UW_MAE),
        ("meantime", "", "", "", ""),
    ):
        dev_path, train_path = root / name / "dev.conll", root / name / "train.conll"
        if not dev_path.exists():
            skipped.append(f"{name}: {dev_path} is missing")
            continue
        dev = _limit(C.read_factuality_conll(dev_path, name), limit)
        cells, gold, missed = _aligned_cells(dev, C.parsed([s.text for s in dev], name, use_cache, progress))
        mapping: dict[Cell, float] = {}
        note = "default scale"
        if train_path.exists():
            train = _limit(C.read_factuality_conll(train_path, name), None if limit is None else limit * 3)
            tcells, tgold, _unaligned = _aligned_cells(train, C.parsed([s.text for s in train], name, use_cache, progress))
            mapping = calibrate(tcells, tgold)
            note = "scale: median of train per cell"
        label = {"uw": "UW dev", "meantime": "MEANTIME dev"}[name]
        section.rows += _fact_rows(label, cells, gold, mapping, target_r, target_mae, pub_r, pub_mae, note)
        section.details[name] = {"mapping": mapping, "unaligned": missed, "cells": Counter(cells).most_common()}
    if (uds_dir / "it-happened_eng_ud1.2_07092017.tsv").exists() and (uds_dir / "en-ud-dev.conllu").exists():
        section.rows += _uds(uds_dir, limit, section.details)
    else:
        skipped.append(f"UDS-IH2: {uds_dir} is missing")
    if skipped:
        section.details["skipped"] = skipped
    return section


def _uds(folder: Path, limit: int | None, details: dict[str, Any]) -> list[Row]:
    from ..nlp.conllu import read_conllu
    from ..nlp.tree import Tree

    items = C.read_uds(folder / "it-happened_eng_ud1.2_07092017.tsv")
    if limit is not None:
        keep = sorted({i.sentence for i in items})[:limit]
        items = [i for i in items if i.sentence in set(keep)]
    raw = (folder / "en-ud-dev.conllu").read_text(encoding="utf-8")
    if items and limit is not None:  # only the sentences the kept items point into
        raw = "\n\n".join(raw.split("\n\n")[: max(i.sentence for i in items)]) + "\n\n"
    doc = C.to_ud2(read_conllu(raw, "en-ud-dev.conllu"))
    text = doc.text or ""
    trees: dict[int, Tree] = {}
    cells: list[Cell] = []
    gold: list[float] = []
    parts: list[str] = []
    mismatched = 0
    for item in items:
        tree = trees.get(item.sentence)
        if tree is None:
            tree = trees[item.sentence] = Tree(doc.sentences[item.sentence - 1], text)
        word = tree.by_id.get(item.token)
        if word is None:
            mismatched += 1
            continue
        if (word.lemma or "").lower() != item.lemma.lower():
            mismatched += 1
        cells.append(judge(tree, word))
        gold.append(item.score)
        parts.append(half(item.id))
    mapping, pred = calibrated_on_tune(cells, gold, parts)
    rows = []
    majority = max(sum(1 for g in gold if g > 0), sum(1 for g in gold if g <= 0)) / len(gold) if gold else 0.0
    for part in ("tune", "held-out", None):
        idx = [k for k, p in enumerate(parts) if part is None or p == part]
        if not idx:
            continue
        g = [gold[k] for k in idx]
        p = [pred[k] for k in idx]
        ds = f"UDS-IH2 dev ({'all' if part is None else part})"
        note = "scale calibrated on this half" if part == "tune" else ""
        rows += [
            Row("factuality", ds, "Pearson r", pearson(p, g), "≥ 0.65" if part != "tune" else "", "", len(idx), note),
            Row("factuality", ds, "accuracy (happened)", sign_accuracy(g, p), "≥ 0.80" if part != "tune" else "", "majority 0.64" if part is None else "", len(idx), note),
        ]
    rows.append(Row("factuality", "UDS-IH2 dev (all)", "accuracy majority", majority, "", "0.64", len(gold), "baseline on these items"))
    details["uds"] = {"mapping": mapping, "lemma_mismatches": mismatched, "cells": Counter(cells).most_common()}
    return rows


# --- 4. attribution ------------------------------------------------------------

def _lemma_of(doc: Any, span: tuple[int, int]) -> str:
    """A cue's lemmas (verbs and nouns inside it), for the error breakdown."""
    out = []
    for s in doc.sentences:
        for w in s.words:
            if w.start_char is not None and span[0] <= w.start_char < span[1] and w.upos in ("VERB", "NOUN", "ADJ", "ADP", "PROPN", "ADV"):
                out.append((w.lemma or w.text).lower())
    return " ".join(out) or "?"


def evaluate_attribution(data: Path, limit: int | None = None, progress: Progress = None, use_cache: bool = True, **_: Any) -> Section:
    from ..extract.attribution import attributions
    from ..nlp.tree import Tree

    folder = _need(data / "polnear" / "dev", "PolNeAR dev")
    articles = _limit(C.read_polnear(folder), limit)
    docs = C.parsed([a.text for a in articles], "polnear", use_cache, progress)
    stride = 10_000_000  # articles' offsets are shifted apart so one micro-average covers them all
    gold: dict[str, list[tuple[int, int]]] = {"source": [], "cue": []}
    pred: dict[str, list[tuple[int, int]]] = {"source": [], "cue": []}
    gold_x: dict[str, list[tuple[int, int]]] = {"source": [], "cue": []}
    pred_x: dict[str, list[tuple[int, int]]] = {"source": [], "cue": []}
    missed: Counter[str] = Counter()
    false_cues: Counter[str] = Counter()
    per_claim: Counter[str] = Counter()
    for k, (art, doc) in enumerate(zip(articles, docs, strict=True)):
        per_claim += claim_sources(art, doc)
        shift = k * stride
        ours: dict[str, set[tuple[int, int]]] = {"source": set(), "cue": set()}
        # every outermost frame, whether or not its content is a claim (PolNeAR marks
        # each token with at most one attribution, so nested frames are not scored)
        for sentence in doc.sentences:
            for src in attributions(Tree(sentence, art.text)):
                if src.span is not None:
                    ours["source"].add((src.span.start_char, src.span.end_char))
                if src.cue_span is not None:
                    ours["cue"].add((src.cue_span.start_char, src.cue_span.end_char))
        for kind, spans in (("source", art.sources), ("cue", art.cues)):
            gold[kind] += [(a + shift, b + shift) for a, b in spans]
            pred[kind] += [(a + shift, b + shift) for a, b in ours[kind]]
            gold_x[kind] += [tuple(x + shift for x in strip_span(art.text, a, b)) for a, b in spans]  # type: ignore[misc]
            pred_x[kind] += [tuple(x + shift for x in strip_span(art.text, a, b)) for a, b in ours[kind]]  # type: ignore[misc]
        for a, b in art.cues:
            if not any(x < b and a < y for x, y in ours["cue"]):
                missed[_lemma_of(doc, (a, b))] += 1
        for a, b in ours["cue"]:
            if not any(x < b and a < y for x, y in art.cues):
                false_cues[_lemma_of(doc, (a, b))] += 1
    rows = []
    for kind, label in (("source", "source"), ("cue", "cue")):
        o = span_prf(gold[kind], pred[kind], "overlap")
        e = span_prf(gold_x[kind], pred_x[kind], "exact")
        pub = "BBC citron (PARC 3.0): 82.0" if kind == "source" else "BBC citron (PARC 3.0): 82.3"
        n = len(set(gold[kind]))
        rows += [
            Row("attribution", "PolNeAR dev", f"{label} P (overlap)", o.precision, "", "", n),
            Row("attribution", "PolNeAR dev", f"{label} R (overlap)", o.recall, "", "", n),
            Row("attribution", "PolNeAR dev", f"{label} F1 (overlap)", o.f1, "≥ 0.75", pub, n),
            Row("attribution", "PolNeAR dev", f"{label} F1 (exact)", e.f1, "", "", n),
        ]
    n_claims = per_claim["claims"]
    c = prf(per_claim["tp"], per_claim["fp"], per_claim["fn"])
    rows += [
        Row("attribution", "PolNeAR dev", "claims: source right (accuracy)", per_claim["right"] / n_claims if n_claims else 0.0, "", "", n_claims),
        Row("attribution", "PolNeAR dev", "claims: attributed P", c.precision, "", "", n_claims),
        Row("attribution", "PolNeAR dev", "claims: attributed R", c.recall, "", "", n_claims),
        Row("attribution", "PolNeAR dev", "claims: attributed F1", c.f1, "", "", n_claims),
    ]
    return Section(
        "attribution", rows,
        {"articles": len(articles), "missed_cues": missed.most_common(20), "false_positive_cues": false_cues.most_common(20)},
    )


def claim_sources(art: C.Article, doc: Any) -> Counter[str]:
    """What a fact-checker sees: each extracted claim's source chain against PolNeAR's contents.

    A claim whose head word lies inside an annotated content belongs to that
    attribution: it is right when a source of its chain overlaps the gold source.
    A claim outside every content is the author's: right when its chain is empty.
    Counts attributed claims too: tp the right source, fp attributed wrongly or
    needlessly, fn attributed in gold but not by us (or to another source).
    """
    from ..extract import claims_of

    doc.text = art.text
    n: Counter[str] = Counter()
    for c in claims_of(doc, "2016-11-01"):
        n["claims"] += 1
        head = doc.sentences[c.sentence_index].words[c.head_id - 1]
        at = head.start_char
        gold = [src for frags, src in art.contents if any(a <= at < b for a, b in frags)]
        ours = [(s.span.start_char, s.span.end_char) for s in c.sources if s.span is not None]
        hit = any(x < b and a < y for x, y in ours for src in gold if src is not None for a, b in [src])
        if not gold:
            n["right"] += not c.sources
            n["fp"] += bool(c.sources)
        else:
            n["right"] += hit
            n["tp"] += hit
            n["fp"] += bool(c.sources) and not hit
            n["fn"] += not hit
    return n


# --- 5. CommitmentBank ---------------------------------------------------------

def embedded_head(tree: Any, item: C.CbItem, target_start: int) -> Any:
    """The embedded clause's predicate: the complement of the embedding verb in the target,
    else the highest target word whose text is in the prompt."""
    from ..nlp.tree import base, word_span

    in_target = [w for w in tree.words if word_span(w)[0] >= target_start]
    verb = item.verb.lower()
    for w in in_target:
        if (w.lemma or w.text).lower() == verb or w.text.lower() == verb:
            for c in tree.children(w):
                if base(c.deprel) in ("ccomp", "xcomp", "csubj") or c.deprel == "acl":
                    return c
    prompt = {t.lower() for t in item.prompt.replace(",", " ").split()}
    cands = [w for w in in_target if w.text.lower() in prompt and w.upos in ("VERB", "AUX", "ADJ", "NOUN")]
    if not cands:
        return None
    return min(cands, key=lambda w: (len(list(tree.ancestors(w))), w.upos != "VERB"))


def evaluate_commitment(data: Path, limit: int | None = None, progress: Progress = None, use_cache: bool = True, **_: Any) -> Section:
    from ..nlp.tree import Tree, word_span

    path = _need(data / "commitmentbank" / "CommitmentBank-items.csv", "the CommitmentBank items file")
    items = _limit(C.read_commitmentbank(path), limit)
    texts = [f"{i.context} {i.target}".strip() for i in items]
    docs = C.parsed(texts, "commitmentbank", use_cache, progress)
    cells: list[Cell] = []
    gold: list[float] = []
    parts: list[str] = []
    unfound = 0
    for item, text, doc in zip(items, texts, docs, strict=True):
        start = len(text) - len(item.target.strip())
        head = None
        for s in doc.sentences:
            tree = Tree(s, text)
            if tree.words and word_span(tree.words[-1])[1] > start:
                head = embedded_head(tree, item, start)
                if head is not None:
                    break
        if head is None:
            unfound += 1
            cells.append(("positive", "certain"))
        else:
            cells.append(judge(tree, head))
        gold.append(item.mean)
        parts.append(half(item.id))
    mapping, pred = calibrated_on_tune(cells, gold, parts)
    rows = []
    for part in ("tune", "held-out", None):
        idx = [k for k, p in enumerate(parts) if part is None or p == part]
        if not idx:
            continue
        ds = f"CommitmentBank ({'all' if part is None else part})"
        rows.append(Row("commitment", ds, "Pearson r", pearson([pred[k] for k in idx], [gold[k] for k in idx]), "≥ 0.65" if part != "tune" else "", "", len(idx), "scale calibrated on this half" if part == "tune" else ""))
    return Section("commitment", rows, {"mapping": mapping, "no_embedded_predicate": unfound, "cells": Counter(cells).most_common()})


EVALUATORS: dict[str, Callable[..., Section]] = {
    "parser": evaluate_parser,
    "hedging": evaluate_hedging,
    "factuality": evaluate_factuality,
    "attribution": evaluate_attribution,
    "commitment": evaluate_commitment,
}


def evaluate_linking(data: Path, **_: Any) -> Section:
    from .linking import evaluate

    folder = _need(data / "linking", "the linking set")
    r = evaluate(folder)
    rows: list[Row] = []
    for name, x in r.items():
        rec = x["linked"] / x["pairs"] if x["pairs"] else None
        apart, n_neg = x["negatives"]
        right, n_lab = x["labels"]
        vr, vn = x["verbatim"]
        wr, wn = x["reworded"]
        rows += [
            Row("linking", f"CRS series dev, {name}", "pairwise recall", rec, "≥ 0.85" if name == "semantic" else "", "", x["pairs"], f"{x['linked']} of {x['pairs']} gold pairs"),
            Row("linking", f"CRS series dev, {name}", "recall, verbatim pairs", vr / vn if vn else None, "", "", vn),
            Row("linking", f"CRS series dev, {name}", "recall, reworded pairs", wr / wn if wn else None, "", "", wn),
            Row("linking", f"CRS series dev, {name}", "negatives kept apart", apart / n_neg if n_neg else None, "≥ 0.95" if name == "semantic" else "", "", n_neg),
            Row("linking", f"CRS series dev, {name}", "change-label accuracy", right / n_lab if n_lab else None, "≥ 0.85" if name == "semantic" else "", "", n_lab),
        ]
    details: dict[str, Any] = {"runs": r}
    from .linking import PAIRS, evaluate_pairs

    if PAIRS.exists():
        pairs = evaluate_pairs(PAIRS)
        details["pairs"] = pairs
        for name, by_split in pairs.items():
            tp, fp, fn, _tn = by_split["test"]
            p = prf(tp, fp, fn)
            rows += [
                Row("linking", f"labelled pairs held-out, {name}", "precision", p.precision, "", "", tp + fp + fn),
                Row("linking", f"labelled pairs held-out, {name}", "recall", p.recall, "", "", tp + fn),
            ]
    return Section("linking", rows, details)


EVALUATORS["linking"] = evaluate_linking

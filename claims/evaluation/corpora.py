"""Readers for the annotated corpora in ``../shared/eval`` (see each folder's PROVENANCE.md).

Each reader returns plain records; none of them parses text. ``parsed()`` runs
the spaCy fallback over texts in batches and keeps the CoNLL-U in a cache
outside the repository (keyed by the parser, the conversion code and the
text), so a rule change is re-scored without re-parsing.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..nlp.document import Document

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "eval"


def data_dir(given: str | Path | None = None) -> Path:
    """``--data``, else ``$CLAIMS_EVAL_DATA``, else ``<repo>/../shared/eval``."""
    return Path(given or os.environ.get("CLAIMS_EVAL_DATA") or DEFAULT_DATA)


# --- hedging -------------------------------------------------------------------

@dataclass(frozen=True)
class HedgeSentence:
    id: str
    text: str
    cue_types: tuple[str, ...]  # Szeged cue types, e.g. "modal_probable"; empty = certain
    cues: tuple[str, ...] = ()

    @property
    def uncertain(self) -> bool:
        return bool(self.cue_types)


def read_szeged(path: str | Path) -> list[HedgeSentence]:
    """Sentences of wiki.xml with their ``ccue`` types (``speculation_`` prefix and padding stripped)."""
    root = ET.parse(path).getroot()
    out: list[HedgeSentence] = []
    for doc in root.iter("Document"):
        doc_id = (doc.findtext("DocID") or "").strip()
        for s in doc.iter("Sentence"):
            cues = s.findall("ccue")
            types = tuple(
                (c.get("type") or "").strip(" _").removeprefix("speculation_").strip(" _") for c in cues
            )
            text = "".join(s.itertext()).strip()
            out.append(HedgeSentence(f"{doc_id}/{s.get('id')}", text, types, tuple("".join(c.itertext()) for c in cues)))
    return out


def read_conll2010_sample(path: str | Path) -> list[HedgeSentence]:
    """Pattern's balanced CoNLL-2010 sample: ``-1`` uncertain, ``1`` certain; BOM and HTML entities undone."""
    raw = Path(path).read_text(encoding="utf-8-sig")
    out = []
    for i, row in enumerate(csv.reader(io.StringIO(raw))):
        if len(row) < 2:
            continue
        label, text = row[0].strip().strip('"'), html.unescape(row[1]).strip()
        out.append(HedgeSentence(f"conll2010/{i}", text, ("uncertain",) if label == "-1" else ()))
    return out


# --- factuality ----------------------------------------------------------------

@dataclass
class FactSentence:
    id: str
    text: str
    tokens: list[tuple[int, int]]  # offsets of each gold token in ``text``
    scores: dict[int, float]  # gold token index -> factuality in [-3, 3]


NO_SPACE_BEFORE = {",", ".", ":", ";", "!", "?", "%", ")", "]", "}", "'s", "n't", "'re", "'ve", "'ll", "'d", "'m", "''", "'"}
NO_SPACE_AFTER = {"(", "[", "{", "$", "``", "#"}


def detokenize(words: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """Text from tokens with ordinary spacing around punctuation, and each token's offsets."""
    parts: list[str] = []
    offsets = []
    pos = 0
    for i, w in enumerate(words):
        if i and w not in NO_SPACE_BEFORE and words[i - 1] not in NO_SPACE_AFTER:
            parts.append(" ")
            pos += 1
        offsets.append((pos, pos + len(w)))
        parts.append(w)
        pos += len(w)
    return "".join(parts), offsets


def read_factuality_conll(path: str | Path, name: str) -> list[FactSentence]:
    """Stanovsky et al.'s unified format: token, score (``_`` = not a predicate), POS, head, label, lemma."""
    out: list[FactSentence] = []
    block: list[list[str]] = []
    lines = Path(path).read_text(encoding="utf-8").splitlines() + [""]
    for line in lines:
        if line.strip():
            block.append(line.split("\t"))
            continue
        if block:
            text, offsets = detokenize([cols[1] for cols in block])
            scores = {i: float(cols[2]) for i, cols in enumerate(block) if cols[2] != "_"}
            out.append(FactSentence(f"{name}/{len(out)}", text, offsets, scores))
            block = []
    return out


@dataclass
class UdsItem:
    sentence: int  # 1-based index in en-ud-dev.conllu (UD v1.2)
    token: int  # 1-based word id
    lemma: str
    judgements: list[float] = field(default_factory=list)  # ±0.75 × confidence each

    @property
    def id(self) -> str:
        return f"uds/{self.sentence}/{self.token}"

    @property
    def score(self) -> float:
        return sum(self.judgements) / len(self.judgements)


def uds_judgement(happened: str, confidence: str) -> float | None:
    """One annotator's signed score in [-3, 3]: +/- (happened) × 0.75 × confidence (0-4)."""
    h = happened.strip().lower()
    if h not in ("true", "false", "yes", "no"):
        return None
    try:
        conf = float(confidence)
    except ValueError:
        return None
    if conf != conf:  # nan
        return None
    return (1.0 if h in ("true", "yes") else -1.0) * 0.75 * conf


def read_uds(tsv: str | Path, split: str = "dev") -> list[UdsItem]:
    """UDS-IH2 items of a split: rows kept by the IH2 ``Keep`` filter, judged a predicate and understandable."""
    items: dict[tuple[int, int], UdsItem] = {}
    with open(tsv, encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["Split"] != split or row.get("Keep", "True") != "True":
                continue
            if row["Is.Predicate"] != "True" or row["Is.Understandable"] != "True":
                continue
            value = uds_judgement(row["Happened"], row["Confidence"])
            if value is None:
                continue
            n = int(row["Sentence.ID"].rsplit(" ", 1)[1])
            key = (n, int(row["Pred.Token"]))
            items.setdefault(key, UdsItem(n, key[1], row["Pred.Lemma"])).judgements.append(value)
    return sorted(items.values(), key=lambda i: (i.sentence, i.token))


# UD v1.2 -> v2 relation names, for running v2 rules on the v1.2 trees UDS-IH2 points into.
UD1_TO_UD2 = {
    "dobj": "obj",
    "nsubjpass": "nsubj:pass",
    "csubjpass": "csubj:pass",
    "auxpass": "aux:pass",
    "neg": "advmod",
    "mwe": "fixed",
    "name": "flat",
    "foreign": "flat:foreign",
    "remnant": "orphan",
}


def to_ud2(doc: Document) -> Document:
    """Relabel a UD v1.2 Document in place: renamed relations, and ``nmod`` on predicates -> ``obl``."""
    for sentence in doc.sentences:
        by_id = {w.id: w for w in sentence.words}
        for w in sentence.words:
            rel = w.deprel or ""
            if rel in UD1_TO_UD2:
                if rel == "neg":
                    w.feats = "Polarity=Neg" if not w.feats or w.feats == "_" else w.feats + "|Polarity=Neg"
                w.deprel = UD1_TO_UD2[rel]
            elif rel.split(":")[0] == "nmod" and rel != "nmod:poss":
                head = by_id.get(w.head or 0)
                if head is not None and head.upos in ("VERB", "ADJ", "ADV", "AUX"):
                    w.deprel = "obl" + rel[4:]
    return doc


# --- attribution ---------------------------------------------------------------

@dataclass
class BratSpan:
    id: str
    label: str
    fragments: list[tuple[int, int]]
    text: str

    @property
    def extent(self) -> tuple[int, int]:
        return self.fragments[0][0], self.fragments[-1][1]


def read_brat(raw: str) -> tuple[dict[str, BratSpan], list[dict[str, str]]]:
    """BRAT standoff: ``T`` spans (discontinuous fragments joined by ``;``) and ``E`` events (role -> T id)."""
    spans: dict[str, BratSpan] = {}
    events: list[dict[str, str]] = []
    for line in raw.splitlines():
        if line.startswith("T"):
            parts = line.split("\t")
            if len(parts) < 2:
                continue
            label, _, offs = parts[1].partition(" ")
            frags = []
            for piece in offs.split(";"):
                a, b = piece.split()
                frags.append((int(a), int(b)))
            spans[parts[0]] = BratSpan(parts[0], label, sorted(frags), parts[2] if len(parts) > 2 else "")
        elif line.startswith("E"):
            parts = line.split("\t")
            roles = {}
            for arg in parts[1].split():
                role, _, target = arg.partition(":")
                roles[re.sub(r"\d+$", "", role)] = target
            events.append(roles)
    return spans, events


@dataclass
class Article:
    name: str
    text: str
    sources: set[tuple[int, int]]
    cues: set[tuple[int, int]]
    # each attribution's content fragments with its source's extent (None: no source marked)
    contents: list[tuple[list[tuple[int, int]], tuple[int, int] | None]] = field(default_factory=list)


def read_polnear(folder: str | Path) -> list[Article]:
    """PolNeAR articles with gold Source and Cue extents; a doubly annotated article uses its first annotator's file."""
    folder = Path(folder)
    out = []
    for txt in sorted((folder / "text").glob("*.txt")):
        anns = sorted((folder / "attributions").glob(txt.stem + "_*.ann"))
        if not anns:
            continue
        spans, events = read_brat(anns[0].read_text(encoding="utf-8"))
        text = txt.read_text(encoding="utf-8")
        contents = [
            (spans[e["Content"]].fragments, spans[e["Source"]].extent if e.get("Source") in spans else None)
            for e in events
            if e.get("Content") in spans
        ]
        out.append(
            Article(
                txt.stem,
                text,
                {s.extent for s in spans.values() if s.label == "Source"},
                {s.extent for s in spans.values() if s.label == "Cue"},
                contents,
            )
        )
    return out


# --- CommitmentBank ------------------------------------------------------------

@dataclass(frozen=True)
class CbItem:
    id: str
    verb: str
    embedding: str
    context: str
    target: str
    prompt: str
    mean: float


def read_commitmentbank(path: str | Path) -> list[CbItem]:
    """The items file; read by position because the header repeats ``Embedding``."""
    with open(path, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    col = {name: header.index(name) for name in ("uID", "Verb", "Embedding", "Context", "Target", "Prompt", "Mean")}
    return [
        CbItem(r[col["uID"]], r[col["Verb"]], r[col["Embedding"]], r[col["Context"]], r[col["Target"]], r[col["Prompt"]], float(r[col["Mean"]]))
        for r in rows[1:]
        if len(r) == len(header)
    ]


# --- parsing with a cache ------------------------------------------------------

def cache_dir() -> Path:
    base = os.environ.get("CLAIMS_EVAL_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "claims", "eval"
    )
    return Path(base)


def _parser_key() -> str:
    """What a cached parse depends on: the parser's name and version, the conversion code and
    the rule that sets sentence starts (``claims.nlp.segment``)."""
    from ..nlp import segment, spacy_ud
    from ..nlp.parse import SPACY_MODEL

    digest = hashlib.sha256(Path(spacy_ud.__file__).read_bytes())
    digest.update(Path(segment.__file__).read_bytes())
    digest.update(SPACY_MODEL.encode())
    return digest.hexdigest()[:16]


def parsed(
    texts: Sequence[str],
    name: str,
    use_cache: bool = True,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 64,
    key: str | None = None,
) -> list[Document]:
    """A Document for each text, from the cache or the spaCy fallback (batched).

    ``key`` names the cache file; by default it is derived from the parser and
    the conversion code, so a change to either re-parses."""
    from ..nlp.conllu import document_from_stored, sentence_conllu

    key = key or _parser_key()
    path = cache_dir() / f"{name}-{key}.jsonl"
    stored: dict[str, list[str]] = {}
    if use_cache and path.exists():
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a run cut short leaves a partial last line
                stored[rec["h"]] = rec["c"]

    def h(t: str) -> str:
        return hashlib.sha1(t.encode("utf-8")).hexdigest()

    missing = list(dict.fromkeys(t for t in texts if h(t) not in stored))
    if missing:
        from ..nlp.parse import SpacyParser

        parser = SpacyParser(batch_size=batch_size)
        if use_cache:
            path.parent.mkdir(parents=True, exist_ok=True)
        out = open(path, "a", encoding="utf-8") if use_cache else None
        try:
            for text, doc in zip(missing, parser.parse(missing), strict=True):
                conllu = sentence_conllu(doc)
                stored[h(text)] = conllu
                if out is not None:
                    out.write(json.dumps({"h": h(text), "c": conllu}) + "\n")
                if progress:
                    progress(1)
        finally:
            if out is not None:
                out.close()
    return [_document(t, stored[h(t)], document_from_stored) for t in texts]


def _document(text: str, conllu: list[str], rebuild: Callable[[str, list[str]], Document]) -> Document:
    if not conllu:  # an empty or whitespace-only text has no sentences
        return Document(text)
    return rebuild(text, conllu)


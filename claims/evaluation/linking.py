"""``claims eval --only linking``: propositions across dated report series (``../shared/eval/linking``).

Scored as that folder's README says: all of ``docs/`` ingested into one database; each gold
member is the claim of its document whose sentence contains the fragment and whose span overlaps
it most; recall over every pair of members of a proposition, negatives kept apart, false links
between members of different propositions, and change-label accuracy on consecutive linked
members. The rule-only linker (``semantic=False``) is scored beside the semantic one on the same
claims, and recall is split into verbatim pairs (the two fragments are the same words) and
reworded ones.
"""

from __future__ import annotations

import itertools
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session

# gold change labels (the README's) → the stored ones
GOLD_CHANGE = {"same": "repeated"}


@dataclass(frozen=True)
class Member:
    doc: str
    date: str
    fragment: str


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def read_gold(folder: Path) -> tuple[list[dict[str, Any]], list[tuple[Member, Member, str]]]:
    gold = [json.loads(line) for line in (folder / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    negatives = []
    for line in (folder / "negatives.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            negatives.append((Member(**d["a"]), Member(**d["b"]), d.get("note", "")))
    return gold, negatives


def find_claim(conn: Any, member: Member) -> str | None:
    """The claim of the member's document whose sentence holds the fragment and whose span overlaps it most."""
    frag = _norm(member.fragment)
    rows = conn.exec_driver_sql(
        "SELECT c.id, c.start_char, c.end_char, s.text, s.start_char FROM claims c JOIN sentences s ON s.id = c.sentence_id "
        "JOIN documents d ON d.id = c.document_id WHERE d.path LIKE ?",
        (f"%{member.doc}",),
    ).all()
    best: tuple[int, str | None] = (0, None)
    for cid, lo, hi, sent, sent_start in rows:
        # whitespace-normalised search, mapped back to document offsets
        words = [(mt.start() + sent_start, mt.end() + sent_start, mt.group()) for mt in re.finditer(r"\S+", sent)]
        flat = " ".join(w for _, _, w in words)
        at = flat.find(frag)
        if at < 0:
            continue
        i0 = flat[:at].count(" ")
        i1 = i0 + frag.count(" ")
        f_lo, f_hi = words[i0][0], words[i1][1]
        overlap = min(hi, f_hi) - max(lo, f_lo)
        if overlap > best[0]:
            best = (overlap, cid)
    return best[1]


def score(conn: Any, gold: list[dict[str, Any]], negatives: list[tuple[Member, Member, str]]) -> dict[str, Any]:
    """Pairwise recall, negatives apart, false links and change-label accuracy of the database's current links."""
    prop = dict(conn.exec_driver_sql("SELECT id, proposition_id FROM claims").all())
    labels = dict(conn.exec_driver_sql("SELECT id, change_label FROM claims").all())
    found: dict[tuple[str, str, str], str | None] = {}

    def claim(mb: Member) -> str | None:
        key = (mb.doc, mb.date, mb.fragment)
        if key not in found:
            found[key] = find_claim(conn, mb)
        return found[key]

    def linked(a: str | None, b: str | None) -> bool:
        return a is not None and b is not None and prop.get(a) is not None and prop.get(a) == prop.get(b)

    out: dict[str, Any] = {"pairs": 0, "linked": 0, "verbatim": [0, 0], "reworded": [0, 0], "missing_members": 0, "missed": [], "labels": [0, 0], "wrong_labels": []}
    members_by_prop = []
    for g in gold:
        ms = [Member(**x) for x in g["members"]]
        cids = [claim(x) for x in ms]
        out["missing_members"] += sum(1 for c in cids if c is None)
        members_by_prop.append((g["id"], cids))
        for (i, a), (j, b) in itertools.combinations(enumerate(ms), 2):
            ok = linked(cids[i], cids[j])
            kind = "verbatim" if _norm(a.fragment).lower() == _norm(b.fragment).lower() else "reworded"
            out["pairs"] += 1
            out["linked"] += ok
            out[kind][0] += ok
            out[kind][1] += 1
            if not ok:
                out["missed"].append(f"{g['id']}: {a.date} / {b.date}")
        for i, change in enumerate(g.get("changes") or []):
            if change is None or not linked(cids[i], cids[i + 1]):
                continue
            want = GOLD_CHANGE.get(change, change)
            got = labels.get(cids[i + 1])
            out["labels"][1] += 1
            if got == want:
                out["labels"][0] += 1
            else:
                out["wrong_labels"].append(f"{g['id']} {ms[i + 1].date}: {got} (gold {want})")
    apart = 0
    out["negative_links"] = []
    for a, b, note in negatives:
        if linked(claim(a), claim(b)):
            out["negative_links"].append(note)
        else:
            apart += 1
    out["negatives"] = (apart, len(negatives))
    false = 0
    for (_, xs), (_, ys) in itertools.combinations(members_by_prop, 2):
        false += sum(1 for x in xs for y in ys if x != y and linked(x, y))
    out["cross_links"] = false
    return out


def evaluate(folder: Path, parser: str = "spacy") -> dict[str, dict[str, Any]]:
    """Ingest the series once, then score the rule-only and the semantic linker on the same claims."""
    from ..pipeline import ingest
    from ..propositions import link_propositions, unlink_all
    from ..store import engine_for

    gold, negatives = read_gold(folder)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "linking.db"
        ingest([folder / "docs"], db, parser=parser)
        engine = engine_for(db)
        for name, semantic in (("semantic", True), ("rule-only", False)):
            with Session(engine) as s:
                unlink_all(s)
                link_propositions(s, semantic=semantic, tidy=True)
                s.commit()
                results[name] = score(s.connection(), gold, negatives)
        engine.dispose()
    return results


PAIRS = Path(__file__).resolve().parent.parent.parent / "tests" / "data" / "pairs.jsonl"


def evaluate_pairs(path: Path = PAIRS) -> dict[str, dict[str, tuple[int, int, int, int]]]:
    """The hand-labelled claim pairs (docs/evaluation.md, "Linking"): (tp, fp, fn, tn) of each linker, by split."""
    from .. import embed
    from ..propositions import THRESHOLD, pair_decision, similarity
    from .pairs import load_pairs

    pairs = load_pairs(path)
    texts = sorted({v.features.text for a, b, _, _ in pairs for v in (a, b)})
    vec = dict(zip(texts, embed.embed_texts(texts), strict=True))
    out: dict[str, dict[str, tuple[int, int, int, int]]] = {}
    for split in ("dev", "test"):
        sub = [p for p in pairs if p[3]["split"] == split]
        for name, pred in (
            ("semantic", [pair_decision(a, b, float(vec[a.features.text] @ vec[b.features.text])) for a, b, _, _ in sub]),
            ("rule-only", [similarity(a, b)[0] >= THRESHOLD for a, b, _, _ in sub]),
        ):
            gold = [y for _, _, y, _ in sub]
            tp = sum(1 for y, z in zip(gold, pred, strict=True) if y and z)
            fp = sum(1 for y, z in zip(gold, pred, strict=True) if z and not y)
            fn = sum(1 for y, z in zip(gold, pred, strict=True) if y and not z)
            out.setdefault(name, {})[split] = (tp, fp, fn, len(sub) - tp - fp - fn)
    return out

"""What changed from one claim of a proposition to the next: computed once, at link time, and stored.

:func:`store_changes` labels every claim of the given propositions against the claim before it in
date order and writes ``claims.change_label``, ``change_detail`` and ``previous_claim_id``.
``claims compare``, the reports, the Datasette start panel, ``assessment_changes`` and the
timeline all read those columns; none of them judges a change its own way.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field

from .model import CERTAINTY_SCORE

CERTAINTY_RANK = CERTAINTY_SCORE  # the one scale, from the model
# Low hedging is mostly approximators on figures ("more than fifty"): not a weaker commitment.
HEDGE_RANK = {"none": 0, "low": 0, "medium": 1, "high": 2}


class Change(str, Enum):
    first_seen = "first seen"
    repeated = "repeated"
    strengthened = "strengthened"
    weakened = "weakened"
    reversed = "reversed"
    new_source = "new source"
    figure_changed = "figure changed"


def change_words(stored: str | None) -> str | None:
    """A change label as stored in ``claims.change_label`` (its name: figure_changed) in words (figure changed)."""
    return Change[stored].value if stored is not None and stored in Change.__members__ else None


# The label shown when several apply: the one a reader most needs to see.
PRIORITY = [Change.reversed, Change.figure_changed, Change.strengthened, Change.weakened, Change.new_source, Change.repeated]




# --- figures --------------------------------------------------------------------

UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split())}
TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 1_000_000_000_000}
NUMBER_WORDS = frozenset({*UNITS, *TENS, *SCALES, "dozen"})  # what figures() reads as a number
NUMBER_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
# A figure's qualifier is one of hedges.yml's approximators ("more than fifty"), or a bound or
# round multiple that says how exact the figure is without hedging the clause; "an estimated
# 300" keeps its figure unqualified.
FIGURE_QUALIFIERS = ("at most", "dozens of", "hundreds of", "thousands of")
NOT_FIGURE_QUALIFIERS = frozenset({"estimated"})


@lru_cache(maxsize=1)
def figure_pattern() -> re.Pattern[str]:
    """Figures in words or digits, with their qualifier (built once, from the shipped lexicon)."""
    from .extract.lexicons import lexicons

    approximators = [str(t) for t in lexicons().hedges["approximators"] if str(t) not in NOT_FIGURE_QUALIFIERS]
    qualifier = "|".join(re.escape(t) for t in sorted([*approximators, *FIGURE_QUALIFIERS], key=len, reverse=True))
    return re.compile(
        rf"(?<!\w)(?:(?P<q>{qualifier})\s+)?(?:US)?[$£€]?\s?(?:(?P<d>\d[\d,]*(?:\.\d+)?)(?:\s*(?P<ds>{'|'.join(SCALES)}))?"
        rf"|(?P<w>(?:(?:{NUMBER_WORD})(?!\w)(?:[\s-]+(?:and\s+)?)?)+))(?![\w])",
        re.I,
    )


class Figure(BaseModel):
    text: str = Field(description="As written")
    value: float
    qualifier: str | None = Field(default=None, description="more than, at least, nearly, ...")


def words_value(words: str) -> float | None:
    total = current = 0
    seen = False
    for w in re.split(r"[\s-]+", words.lower()):
        if not w or w == "and":
            continue
        if w in UNITS:
            current += UNITS[w]
        elif w in TENS:
            current += TENS[w]
        elif w == "dozen":
            current = (current or 1) * 12
        elif w in SCALES:
            total += (current or 1) * SCALES[w]
            current = 0
        else:
            return None
        seen = True
    return float(total + current) if seen else None


def figures(text: str, skip: Sequence[tuple[int, int]] = ()) -> list[Figure]:
    """Numbers in a claim, in words or digits, outside the given spans (dates, times)."""
    out = []
    for mt in figure_pattern().finditer(text):
        start = mt.start("d") if mt.group("d") else mt.start("w")
        if any(a <= start < b for a, b in skip):
            continue
        if mt.group("d"):
            raw = mt.group("d").replace(",", "")
            try:
                value = float(raw)
            except ValueError:
                continue
            if mt.group("ds"):
                value *= SCALES[mt.group("ds").lower()]
        else:
            words = mt.group("w").strip()
            if words.lower() == "one":
                continue  # mostly a pronoun: "no one", "one of them"
            parsed = words_value(words)
            if parsed is None:
                continue
            value = parsed
        out.append(Figure(text=mt.group(0).strip(), value=value, qualifier=(mt.group("q") or None) and mt.group("q").lower()))
    return out


@dataclass
class Stated:
    """What a change label compares: how firmly, by whom, with which figures."""

    claim_id: str
    polarity: str
    certainty: str
    hedge_level: str
    source: str  # as shown
    who: str  # identity, for "new source" (source_identity)
    figures: list[Figure]


def firmness(a: Any) -> tuple[int, int]:
    return CERTAINTY_RANK.get(a.certainty, 0), -HEDGE_RANK.get(a.hedge_level, 0)


def _fig(fs: list[Figure]) -> str:
    return ", ".join(f.text for f in fs)


def label_changes(items: Sequence[Stated]) -> list[tuple[Change, str | None]]:
    """The change label and detail of each claim against the one before it (the first is first seen)."""
    seen: set[str] = set()
    out: list[tuple[Change, str | None]] = []
    for i, a in enumerate(items):
        if i == 0:
            out.append((Change.first_seen, f"first seen: {a.polarity}, {a.certainty}, according to {a.source}"))
            seen.add(a.who)
            continue
        prev = items[i - 1]
        found: list[Change] = []
        details: list[str] = []
        if a.polarity != prev.polarity:
            found.append(Change.reversed)
            details.append(f"polarity {prev.polarity} → {a.polarity}")
        if a.figures and prev.figures and sorted(f.value for f in a.figures) != sorted(f.value for f in prev.figures):
            found.append(Change.figure_changed)
            details.append(f"figure {_fig(prev.figures)} → {_fig(a.figures)}")
        before, now = firmness(prev), firmness(a)
        # across a reversal, "firmer" compares two different assertions: the detail says it
        if now > before and Change.reversed not in found:
            found.append(Change.strengthened)
        elif now < before and Change.reversed not in found:
            found.append(Change.weakened)
        if now != before:
            details.append(f"certainty {prev.certainty} (hedging {prev.hedge_level}) → {a.certainty} (hedging {a.hedge_level})")
        if a.who not in seen:
            found.append(Change.new_source)
            details.append(f"new source: {a.source}")
        seen.add(a.who)
        if not found:
            out.append((Change.repeated, None))
            continue
        top = next(c for c in PRIORITY if c in found)
        out.append((top, "; ".join(details)))
    return out


def source_identity(source_type: str, source_text: str, doc_source: str | None, document_id: str) -> str:
    """Who stands behind a claim, for counting distinct sources: the publisher when unattributed."""
    if source_type == "author":
        return doc_source or "the author (unnamed)"
    return re.sub(r"^(?:the|a|an)\s+", "", source_text.strip(), flags=re.I)


def shown_source(source_type: str, source_text: str, doc_source: str | None) -> str:
    return source_text if source_type != "author" else (doc_source or "the author")


_CLAIMS_OF = (
    "SELECT c.id, c.proposition_id, c.polarity, c.certainty, c.hedge_level, c.source_type, c.source_text, d.source, c.document_id, c.text, c.start_char "
    "FROM claims c JOIN documents d ON d.id = c.document_id WHERE c.proposition_id IN ({marks}) "
    "ORDER BY c.proposition_id, c.doc_date, c.document_id, c.start_char, c.id"
)


def store_changes(conn: Any, pids: Iterable[int]) -> int:
    """Label every claim of these propositions against the one before it and store the labels; returns claims labelled."""
    ids = sorted(set(pids))
    rows: dict[int, list[Any]] = defaultdict(list)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for r in conn.exec_driver_sql(_CLAIMS_OF.format(marks=",".join("?" * len(chunk))), tuple(chunk)):
            rows[r[1]].append(r)
    cids = [r[0] for rs in rows.values() for r in rs]
    times: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for i in range(0, len(cids), 500):
        chunk = cids[i : i + 500]
        for cid, lo, hi in conn.exec_driver_sql(f"SELECT claim_id, start_char, end_char FROM time_refs WHERE claim_id IN ({','.join('?' * len(chunk))})", tuple(chunk)):
            times[cid].append((lo, hi))
    updates = []
    for _, rs in sorted(rows.items()):
        items = [
            Stated(
                claim_id=cid,
                polarity=pol,
                certainty=cert,
                hedge_level=hedge,
                source=shown_source(st, stext, dsrc),
                who=source_identity(st, stext, dsrc, doc_id),
                figures=figures(text, [(a - start, b - start) for a, b in times[cid]]),
            )
            for cid, _, pol, cert, hedge, st, stext, dsrc, doc_id, text, start in rs
        ]
        for i, (item, (change, detail)) in enumerate(zip(items, label_changes(items), strict=True)):
            updates.append((change.name, detail, items[i - 1].claim_id if i else None, item.claim_id))
    if updates:
        conn.exec_driver_sql("UPDATE claims SET change_label = ?, change_detail = ?, previous_claim_id = ? WHERE id = ?", updates)
    labels = {u[3]: u[0] for u in updates}
    counts = {pid: sum(1 for r in rs if labels[r[0]] not in UNCHANGED) for pid, rs in rows.items()}
    conn.exec_driver_sql("UPDATE propositions SET n_changes = ? WHERE id = ?", [(counts.get(pid, 0), pid) for pid in ids])
    return len(updates)


# the stored labels that are not a change of assessment (propositions.n_changes counts the others)
UNCHANGED = frozenset({"first_seen", "repeated"})


def clear_changes(conn: Any) -> None:
    """Claims without a proposition have no change label."""
    conn.exec_driver_sql(
        "UPDATE claims SET change_label = NULL, change_detail = NULL, previous_claim_id = NULL WHERE proposition_id IS NULL AND change_label IS NOT NULL"
    )

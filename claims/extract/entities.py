"""About whom: entity mentions with aliases merged into canonical names.

Mentions come from the parser's NER spans and from the alias table (for the
forms NER misses, such as "Iranian-backed militia groups"); the alias table is
data (``lexicons/entities.yml``), extendable with a user file.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ..nlp.document import Document
from .lexicons import lexicons
from .types import Mention

KEEP = {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "LAW", "WORK_OF_ART"}
LEADING = re.compile(r"^(?:the|a|an)\s+", re.I)
POSSESSIVE = re.compile(r"(?:'s|’s|')$")


@dataclass(frozen=True)
class AliasTable:
    by_alias: dict[str, tuple[str, str]]  # lower-cased alias -> (canonical, label)
    pattern: re.Pattern[str] | None


def _entries(data: dict) -> list[dict]:
    return list(data.get("entities") or [])


@lru_cache(maxsize=8)
def alias_table(user_file: str | None = None) -> AliasTable:
    entries = _entries(lexicons().entities)
    if user_file:
        with open(Path(user_file), encoding="utf-8") as f:
            entries += _entries(yaml.safe_load(f) or {})  # later entries win
    by_alias: dict[str, tuple[str, str]] = {}
    for e in entries:
        for alias in [e["canonical"], *e.get("aliases", [])]:
            by_alias[str(alias).lower()] = (str(e["canonical"]), str(e.get("label", "ORG")))
    forms = sorted(by_alias, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])", re.I) if forms else None
    return AliasTable(by_alias, pattern)


def canonical(text: str, label: str, table: AliasTable) -> tuple[str, str]:
    key = POSSESSIVE.sub("", text.strip()).lower()
    if key in table.by_alias:
        return table.by_alias[key]
    bare = LEADING.sub("", key)
    if bare in table.by_alias:
        return table.by_alias[bare]
    return LEADING.sub("", POSSESSIVE.sub("", text.strip())), label


def mentions(doc: Document, start: int, end: int, aliases: str | None = None) -> list[Mention]:
    """Entity mentions within ``[start, end)``; alias matches win over overlapping NER spans."""
    table = alias_table(aliases)
    text = doc.text or ""
    found: list[Mention] = []
    if table.pattern is not None:
        for m in table.pattern.finditer(text, start, end):
            canon, label = table.by_alias[m.group(1).lower()]
            found.append(Mention(m.group(1), m.start(1), m.end(1), label, canon))
    for ent_start, ent_end, ent_type, ent_text in entities_within(doc, start, end):
        if ent_type not in KEEP or any(m.start_char < ent_end and ent_start < m.end_char for m in found):
            continue
        canon, label = canonical(ent_text, ent_type, table)
        found.append(Mention(ent_text, ent_start, ent_end, label, canon))
    return sorted(found, key=lambda m: m.start_char)


def entities_within(doc: Document, start: int, end: int) -> Iterator[tuple[int, int, str, str]]:
    """The document's NER spans inside ``[start, end)`` as (start, end, type, text), by offset.

    The spans are sorted once and kept on the Document (every claim of a document asks);
    ``Document.build_ents`` drops them.
    """
    spans = doc.entity_index
    if spans is None:
        spans = doc.entity_index = sorted((e.start_char, e.end_char, e.type, e.text or "") for e in doc.ents)
    for span in spans[bisect_left(spans, (start,)) :]:
        if span[0] >= end:
            break
        if span[1] <= end:
            yield span

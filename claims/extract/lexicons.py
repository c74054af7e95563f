"""The word lists behind every rule, loaded from versioned YAML data files.

:func:`extractor_version` joins the rules' version with a short hash of the
lexicon files (and of the user's alias file, when there is one), so a claim row
always says which rules and words made it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

RULES_VERSION = "0.2.0"
LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
FILES = ("hedges.yml", "attribution.yml", "entities.yml", "estimative.yml", "polarity.yml")


def _load(name: str) -> dict[str, Any]:
    with open(LEXICON_DIR / name, encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


@dataclass(frozen=True)
class Lexicons:
    hedges: dict[str, Any]
    attribution: dict[str, Any]
    entities: dict[str, Any]
    estimative: dict[str, Any]
    polarity: dict[str, Any]
    version: str

    def estimative_terms(self) -> list[tuple[tuple[str, ...], str]]:
        """Every ICD 203 term as its words, with its band: longest first (so "very likely"
        is found before "likely")."""
        k = (self.version, "estimative", "terms")
        found = _TERMS.get(k)
        if found is None:
            found = [(tuple(str(t).lower().split()), band) for band, spec in self.estimative["bands"].items() for t in spec["terms"]]
            found.sort(key=lambda t: -len(t[0]))
            _TERMS[k] = found
        return found

    def words(self, table: str, key: str) -> frozenset[str]:
        """A word list, lower-cased; built once per lexicon version (rules ask for them per word)."""
        k = (self.version, table, key)
        found = _WORDS.get(k)
        if found is None:
            found = _WORDS[k] = frozenset(str(w).lower() for w in getattr(self, table)[key])
        return found


_WORDS: dict[tuple[str, str, str], frozenset[str]] = {}
_TERMS: dict[tuple[str, str, str], list[tuple[tuple[str, ...], str]]] = {}


def _with_estimative(hedges: dict[str, Any], estimative: dict[str, Any]) -> dict[str, Any]:
    """hedges.yml with the one-word ICD 203 terms ("likely", "probably", "unlikely") added to its
    adverbs and frames at their band's certainty, and the judgment verbs to its evidential verbs:
    estimative.yml is their only definition."""
    out = dict(hedges)
    adverbs, frames, evidential = dict(out["adverbs"]), dict(out["frames"]), dict(out["evidential_verbs"])
    for spec in estimative["bands"].values():
        for term in spec["terms"]:
            if " " not in str(term):
                adverbs[str(term)] = frames[str(term)] = spec["certainty"]
    evidential.update(estimative["judgment_verbs"])
    out.update(adverbs=adverbs, frames=frames, evidential_verbs=evidential)
    return out


@lru_cache(maxsize=1)
def lexicons() -> Lexicons:
    digest = hashlib.sha256()
    for name in FILES:
        digest.update((LEXICON_DIR / name).read_bytes())
    h, a, e, est, pol = (_load(n) for n in FILES)
    version = f"{RULES_VERSION}+lex{h['version']}.{a['version']}.{e['version']}.{est['version']}.{pol['version']}-{digest.hexdigest()[:8]}"
    return Lexicons(hedges=_with_estimative(h, est), attribution=a, entities=e, estimative=est, polarity=pol, version=version)


def extractor_version(aliases: str | Path | None = None) -> str:
    """The version of the rules and words that extract with ``aliases`` (the ``--aliases`` file)
    added to the shipped lexicons: its entities change the claims' mentions and proposition keys."""
    if not aliases:
        return lexicons().version
    return f"{lexicons().version}+aliases-{hashlib.sha256(Path(aliases).read_bytes()).hexdigest()[:8]}"

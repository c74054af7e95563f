"""The word lists behind every rule, loaded from versioned YAML data files.

``EXTRACTOR_VERSION`` joins the rules' version with a short hash of the
lexicon files, so a claim row always says which rules and words made it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

RULES_VERSION = "0.1.0"
LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
FILES = ("hedges.yml", "attribution.yml", "entities.yml")


def _load(name: str) -> dict[str, Any]:
    with open(LEXICON_DIR / name, encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


@dataclass(frozen=True)
class Lexicons:
    hedges: dict[str, Any]
    attribution: dict[str, Any]
    entities: dict[str, Any]
    version: str

    def words(self, table: str, key: str) -> frozenset[str]:
        """A word list, lower-cased; built once per lexicon version (rules ask for them per word)."""
        k = (self.version, table, key)
        found = _WORDS.get(k)
        if found is None:
            found = _WORDS[k] = frozenset(str(w).lower() for w in getattr(self, table)[key])
        return found


_WORDS: dict[tuple[str, str, str], frozenset[str]] = {}


@lru_cache(maxsize=1)
def lexicons() -> Lexicons:
    digest = hashlib.sha256()
    for name in FILES:
        digest.update((LEXICON_DIR / name).read_bytes())
    h, a, e = (_load(n) for n in FILES)
    version = f"{RULES_VERSION}+lex{h['version']}.{a['version']}.{e['version']}-{digest.hexdigest()[:8]}"
    return Lexicons(hedges=h, attribution=a, entities=e, version=version)


def extractor_version() -> str:
    return lexicons().version

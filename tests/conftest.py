"""Shared fixtures: the repository's paths, a spaCy parser loaded once, fresh databases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATA = Path(__file__).resolve().parent / "data"
SEED = EXAMPLES / "000_12b2a0c01990487f.txt"
EVAL_DATA = Path(os.environ.get("CLAIMS_EVAL_DATA", ROOT.parent / "shared" / "eval"))


@pytest.fixture(scope="session")
def spacy_parser():
    from claims.nlp.parse import SpacyParser

    return SpacyParser()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "claims.db"


@pytest.fixture(scope="session")
def examples_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled examples ingested once with the spaCy fallback (read-only for tests)."""
    from claims.pipeline import Ingest

    path = tmp_path_factory.mktemp("examples") / "claims.db"
    result = Ingest(path, parser="spacy").run([EXAMPLES])
    assert result.ok, result.problems
    return path

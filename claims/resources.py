"""The data files the package serves: JSON Schemas, Datasette's metadata and templates.

The repository keeps them where the design puts them (``schema/``, ``db/metadata.yml``,
``db/templates/``); ``claims/data/schema`` and ``claims/data/db`` are symbolic links to
those folders, which setuptools follows when it builds the wheel, so an installed package
carries the same bytes (``tests/test_packaging.py`` builds a wheel and compares them). They
are found with :mod:`importlib.resources`, never by a path relative to a source checkout.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any


def _data_dir() -> Path:
    # setuptools installs the package as plain files (wheels are unpacked, never imported from a
    # zip), and Datasette needs file-system paths for its metadata and templates
    return Path(str(files("claims").joinpath("data")))


DATA = _data_dir()
SCHEMA_DIR = DATA / "schema"
METADATA = DATA / "db" / "metadata.yml"
TEMPLATES = DATA / "db" / "templates"


def schema_path(name: str) -> Path:
    """``schema/NAME`` as the package serves it (resolved: in a checkout, the repository's file)."""
    return (SCHEMA_DIR / name).resolve()


@cache
def schema(name: str) -> dict[str, Any]:
    """A shipped JSON Schema, parsed."""
    with open(schema_path(name), encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data

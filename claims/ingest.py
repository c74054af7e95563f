"""Reading documents: files in, validated ``SourceDocument`` records out.

Formats: plain text that starts with ``date YYYY-MM-DD`` (on its own line or on
the first sentence's line), Markdown or text with YAML front matter, JSON and
JSON Lines documents valid against ``schema/document.schema.json``, and
pre-parsed CoNLL-U. Every problem is an :class:`InputError` naming the file
and the fix; nothing here parses or stores.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from . import resources
from .errors import InputError, SchemaError

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CONLLU_SUFFIXES = {".conllu", ".conll"}
SUFFIXES = TEXT_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES | CONLLU_SUFFIXES
# read by neither: named directly or found in a folder, each is reported, never skipped silently
MARKUP_SUFFIXES = {".html", ".htm", ".xhtml"}


def markup_error(path: Path) -> InputError:
    return InputError(
        f"is {path.suffix.lower().lstrip('.').upper()}, which claims does not read",
        path=str(path),
        fix="save the article's text as .txt or .md starting with `date YYYY-MM-DD` (or `date:` front matter), or as JSON with text and date",
    )

# A whole book is ~1 MB; larger files are almost always mistakes, and a parse of a
# 20 MB document needs hours and tens of GB (JSON Lines archives can pass --max-bytes).
DEFAULT_MAX_BYTES = 10_000_000
# Per document, in characters after decoding: spaCy's own default `nlp.max_length`, about a
# 600-page book. Parsing runs at roughly 10,000 characters a second per process here, so this is
# about two minutes; a 10 MB text would take half an hour or more. Longer documents are refused
# (`--max-chars` raises the limit); documents over `PARSE_CHUNK_CHARS` are parsed in pieces cut
# at paragraph breaks (claims.nlp.parse), so memory stays bounded whatever the limit.
DEFAULT_MAX_CHARS = 1_000_000
PARSE_SECONDS_PER_MILLION_CHARS = 120  # for the message only: measured with the spaCy fallback

# " date 2023-11-08 Recent intelligence ..." or "date: 2023-11-08\n..."
DATE_MARKER = re.compile(r"\A\s*date\s*[:=]?\s*(\d{4}-\d{1,2}-\d{1,2})[ \t]*(?:\r?\n)?[ \t]*", re.I)
FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
MD_TITLE = re.compile(r"\A\s*#\s+(.+?)\s*(?:\n|\Z)")


class FrontMatterLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: `date: 2023-02-30` reaches parse_date, not a ValueError."""


FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class SourceDocument:
    """A document ready to parse: normalised text, its date and metadata."""

    text: str
    doc_date: str
    path: str
    format: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    external_id: str | None = None
    conllu: str | None = None  # set when the document comes pre-parsed
    meta: dict[str, Any] = field(default_factory=dict)
    # pre-parsed input, read once here to rebuild its text and handed to the pipeline (which drops
    # it once used); never pickled: documents travel to workers as text
    parsed: Any = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "parsed": None}

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)

    @property
    def id(self) -> str:
        return self.content_hash[:16]


def normalise(text: str) -> str:
    """The form that is stored, hashed and offset into."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    return text.strip()


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_date(value: Any, path: str, what: str = "date") -> str:
    """An ISO day from ``2023-11-08``, ``8 November 2023``, ``Nov 8, 2023`` or a date object."""
    if isinstance(value, date):
        return value.isoformat()[:10]
    text = str(value).strip()
    if not text:
        raise InputError(f"the {what} is empty", path=path, fix="give a date as YYYY-MM-DD")
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if iso:
        try:
            return date(*map(int, iso.groups())).isoformat()
        except ValueError:
            raise InputError(
                f"the {what} {text!r} is not a real day", path=path, fix="correct the date (YYYY-MM-DD)"
            ) from None
    import dateparser  # slow to import: only for free-form dates

    parsed = dateparser.parse(
        text,
        languages=["en"],
        settings={"REQUIRE_PARTS": ["day", "month", "year"], "STRICT_PARSING": True},
    )
    if parsed is None:
        raise InputError(
            f"cannot read the {what} {text!r}",
            path=path,
            fix="write it as YYYY-MM-DD, e.g. 2023-11-08",
        )
    return parsed.date().isoformat()


def decode(data: bytes, path: str) -> str:
    """Bytes to text, or an error saying what the bytes are and how to convert them."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(
                "starts with a UTF-16 byte-order mark but is not valid UTF-16",
                path=path,
                fix="re-save the file as UTF-8",
            ) from None
    if b"\x00" in data[:8192]:
        raise InputError(
            "looks binary (contains NUL bytes), not a text document",
            path=path,
            fix="convert it to plain text, Markdown or JSON first",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            f"is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})",
            path=path,
            fix="convert it, e.g. `iconv -f latin1 -t utf-8 FILE > FILE.utf8`",
        ) from None


def document_schema() -> dict[str, Any]:
    return resources.schema("document.schema.json")


def from_mapping(obj: Any, path: str, fmt: str, default_date: str | None) -> SourceDocument:
    """A JSON object valid against the document schema."""
    if isinstance(obj, dict) and "date" not in obj and default_date:
        obj = {**obj, "date": default_date}  # --date stands in for a missing date
    errors = sorted(jsonschema.Draft202012Validator(document_schema()).iter_errors(obj), key=str)
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.absolute_path) or "the document"
        raise SchemaError(
            f"{where}: {err.message}",
            path=path,
            fix="see schema/document.schema.json: `text` and `date` are required (or pass --date)",
        )
    text = normalise(obj["text"])
    if not text:
        raise InputError("the document's text is empty", path=path, fix="give the document some text")
    return SourceDocument(
        text=text,
        doc_date=parse_date(obj["date"], path),
        path=path,
        format=fmt,
        title=obj.get("title"),
        source=obj.get("source"),
        url=obj.get("url"),
        external_id=None if obj.get("id") is None else str(obj["id"]),
    )


def from_text(raw: str, path: str, fmt: str, default_date: str | None) -> SourceDocument:
    """Plain text or Markdown, with a ``date`` marker or YAML front matter for its metadata."""
    meta: dict[str, Any] = {}
    body = raw.lstrip("\ufeff")
    fm = FRONT_MATTER.match(body)
    if fm:
        try:
            loaded = yaml.load(fm.group(1), Loader=FrontMatterLoader) or {}
        except yaml.YAMLError as e:
            raise InputError(
                f"the YAML front matter is invalid ({str(e).splitlines()[0]})",
                path=path,
                fix="correct the block between the two `---` lines",
            ) from None
        if not isinstance(loaded, dict):
            raise InputError(
                "the YAML front matter is not a mapping", path=path, fix="write `key: value` lines"
            )
        meta = loaded
        body = body[fm.end() :]
    marker = DATE_MARKER.match(body)
    doc_date = None
    if marker:
        doc_date = parse_date(marker.group(1), path, "date marker")
        body = body[marker.end() :]
    elif meta.get("date") is not None:
        doc_date = parse_date(meta["date"], path)
    elif default_date:
        doc_date = default_date
    text = normalise(body)
    if not text:
        raise InputError("is empty (no text after the metadata)", path=path, fix="give the document some text")
    if not any(ch.isalnum() for ch in text):
        raise InputError("has no words, only punctuation or symbols", path=path, fix="check the file's content")
    if doc_date is None:
        raise InputError(
            "has no date",
            path=path,
            fix="start it with `date YYYY-MM-DD`, add `date:` front matter, or pass --date",
        )
    title = meta.get("title")
    heading = MD_TITLE.match(text) if fmt == "markdown" else None
    if heading:
        # a leading "# Title" is the document's title, not a sentence of it
        title = title if title is not None else heading.group(1)
        text = normalise(text[heading.end() :])
        if not text:
            raise InputError("has a title but no text", path=path, fix="give the document some text")
    return SourceDocument(
        text=text,
        doc_date=doc_date,
        path=path,
        format=fmt,
        title=None if title is None else str(title),
        source=None if meta.get("source") is None else str(meta["source"]),
        url=None if meta.get("url") is None else str(meta["url"]),
        meta=meta,
    )


def from_conllu(raw: str, path: str, default_date: str | None) -> SourceDocument:
    """Pre-parsed CoNLL-U: the text is rebuilt from the tokens; metadata from ``# key = value``."""
    from .nlp.conllu import read_conllu  # local: only pre-parsed input needs it

    meta = dict(re.findall(r"^#\s*(date|title|source|url)\s*=\s*(.+?)\s*$", raw, re.M))
    parsed = read_conllu(raw, path)
    text = str(parsed.text or "")
    doc_date = meta.get("date") or default_date
    if not text.strip():
        raise InputError("has no tokens", path=path, fix="check that it is CoNLL-U")
    if doc_date is None:
        raise InputError(
            "has no date", path=path, fix="add a `# date = YYYY-MM-DD` comment line or pass --date"
        )
    return SourceDocument(
        text=text,
        doc_date=parse_date(doc_date, path),
        path=path,
        format="conllu",
        title=meta.get("title"),
        source=meta.get("source"),
        url=meta.get("url"),
        conllu=raw,
        parsed=parsed,
    )


def read_path(
    path: Path,
    default_date: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> Iterator[SourceDocument | InputError]:
    """Every document in one file; a JSON Lines file may hold many.

    Problems are yielded, not raised, so that one bad line never loses the rest.
    A document to parse that is longer than ``max_chars`` characters is a problem
    (pre-parsed CoNLL-U is not parsed again, so it has no such limit).
    """
    for item in _read_path(path, default_date, max_bytes):
        if isinstance(item, SourceDocument) and item.conllu is None and len(item.text) > max_chars:
            yield too_long(item.path, len(item.text), max_chars)
        else:
            yield item


def too_long(path: str, n_chars: int, max_chars: int) -> InputError:
    minutes = n_chars / 1_000_000 * PARSE_SECONDS_PER_MILLION_CHARS / 60
    return InputError(
        f"is too long to parse: {n_chars:,} characters, over the limit of {max_chars:,} "
        f"(parsing it would take about {max(1, round(minutes)):,} minute(s))",
        path=path,
        fix="split it into smaller documents, or raise the limit with --max-chars",
    )


def _read_path(path: Path, default_date: str | None, max_bytes: int) -> Iterator[SourceDocument | InputError]:
    name = str(path)
    if path.suffix.lower() in MARKUP_SUFFIXES:
        yield markup_error(path)
        return
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(
                f"is too large: {size:,} bytes, over the limit of {max_bytes:,} bytes",
                path=name,
                fix="split it, or raise the limit with --max-bytes",
            )
        if size == 0:
            raise InputError("is empty (0 bytes)", path=name, fix="remove it or give it some text")
        raw = decode(path.read_bytes(), name)
        if not raw.strip():
            raise InputError("contains only whitespace", path=name, fix="remove it or give it some text")
        suffix = path.suffix.lower()
        if suffix in JSONL_SUFFIXES:
            yield from _read_jsonl(raw, name, default_date)
            return
        if suffix in JSON_SUFFIXES:
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as e:
                raise InputError(
                    f"is not valid JSON ({e.msg} at line {e.lineno} column {e.colno})",
                    path=name,
                    fix="correct the JSON (e.g. check it with `python -m json.tool FILE`)",
                ) from None
            items = obj if isinstance(obj, list) else [obj]
            if not items:
                raise InputError("is an empty JSON list", path=name, fix="give a document object or a list of them")
            for i, item in enumerate(items):
                where = name if len(items) == 1 else f"{name}[{i}]"
                try:
                    yield from_mapping(item, where, "json", default_date)
                except InputError as e:
                    yield e
            return
        if suffix in CONLLU_SUFFIXES:
            yield from_conllu(raw, name, default_date)
            return
        yield from_text(raw, name, "markdown" if suffix in {".md", ".markdown"} else "text", default_date)
    except InputError as e:
        yield e
    except OSError as e:
        yield InputError(f"cannot be read ({e.strerror})", path=name, fix="check the path and its permissions")


def _read_jsonl(raw: str, name: str, default_date: str | None) -> Iterator[SourceDocument | InputError]:
    for lineno, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield InputError(
                f"is not valid JSON ({e.msg} at column {e.colno})",
                path=where,
                fix="each line of a .jsonl file must be one JSON object",
            )
            continue
        try:
            yield from_mapping(obj, where, "jsonl", default_date)
        except InputError as e:
            yield e


def discover(paths: list[Path]) -> Iterator[Path | InputError]:
    """Files under the given paths, recursively, in a stable order."""
    for p in paths:
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
            found = [f for f in files if f.suffix.lower() in SUFFIXES]
            for f in files:
                if f.suffix.lower() in MARKUP_SUFFIXES:
                    yield markup_error(f)
            if not found:
                yield InputError(
                    "contains no documents", path=str(p), fix=f"add files ending in {', '.join(sorted(SUFFIXES))}"
                )
            yield from found
        elif p.is_file():
            yield p
        else:
            yield InputError("does not exist", path=str(p), fix="check the path")

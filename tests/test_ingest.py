"""Reading documents: every format, every normalisation, every bad input (no parser needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import DATA, DOCUMENT_SCHEMA, validator, write

from claims.errors import InputError, SchemaError
from claims.ingest import (
    DEFAULT_MAX_BYTES,
    SourceDocument,
    content_hash,
    discover,
    normalise,
    read_path,
)

BODY = "Officials said that Iran is not directing the groups. The attacks could escalate."


def read_all(path: Path, **kwargs) -> list[SourceDocument | InputError]:
    return list(read_path(path, **kwargs))


def read_one(path: Path, **kwargs) -> SourceDocument:
    (item,) = read_all(path, **kwargs)
    assert isinstance(item, SourceDocument), item
    return item


def read_error(path: Path, **kwargs) -> InputError:
    (item,) = read_all(path, **kwargs)
    assert isinstance(item, InputError), item
    assert item.path is not None and str(path) in item.path
    assert item.fix, "every error carries a fix"
    assert str(path) in str(item) and "fix:" in str(item)
    return item


# --- plain text ---------------------------------------------------------------


def test_date_marker_on_the_first_sentence_line(tmp_path):
    doc = read_one(write(tmp_path / "a.txt", f" date 2023-11-08 {BODY}\n"))
    assert doc.text == BODY  # the marker is metadata, not text
    assert doc.doc_date == "2023-11-08"
    assert doc.format == "text"
    assert doc.title is None and doc.source is None


def test_date_marker_on_its_own_line(tmp_path):
    doc = read_one(write(tmp_path / "a.txt", f"date 2023-11-08\n{BODY}\n"))
    assert doc.text == BODY
    assert doc.doc_date == "2023-11-08"


@pytest.mark.parametrize("marker", ["date: 2023-11-08", "DATE = 2023-11-08", "date 2023-11-8"])
def test_date_marker_variants(tmp_path, marker):
    doc = read_one(write(tmp_path / "a.txt", f"{marker}\n{BODY}"))
    assert doc.doc_date == "2023-11-08"
    assert doc.text == BODY


def test_a_word_date_in_prose_is_not_a_marker(tmp_path):
    item = read_all(write(tmp_path / "a.txt", "Dates matter. " + BODY))[0]
    assert isinstance(item, InputError) and "has no date" in str(item)


def test_crlf_becomes_lf(tmp_path):
    doc = read_one(write(tmp_path / "a.txt", "date 2023-11-08\r\nFirst line.\r\nSecond line.\r\n"))
    assert doc.text == "First line.\nSecond line."
    assert "\r" not in doc.text


def test_utf8_bom_is_stripped(tmp_path):
    doc = read_one(write(tmp_path / "a.txt", b"\xef\xbb\xbf" + f"date 2023-11-08\n{BODY}".encode()))
    assert doc.text == BODY
    assert doc.doc_date == "2023-11-08"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_with_bom_is_decoded(tmp_path, codec):
    data = "date 2023-11-08\r\nCafé owners said prices rose.\r\n".encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    doc = read_one(write(tmp_path / "a.txt", data))
    assert doc.text == "Café owners said prices rose."


def test_text_is_nfc_normalised(tmp_path):
    decomposed = "Cafe\u0301 owners said prices rose."
    doc = read_one(write(tmp_path / "a.txt", f"date 2023-11-08\n{decomposed}"))
    assert doc.text == "Café owners said prices rose."


def test_default_date_for_a_text_without_one(tmp_path):
    path = write(tmp_path / "a.txt", BODY)
    assert "has no date" in str(read_error(path))
    doc = read_one(path, default_date="2024-01-02")
    assert doc.doc_date == "2024-01-02"
    assert doc.text == BODY


def test_the_documents_own_date_wins_over_the_default(tmp_path):
    doc = read_one(write(tmp_path / "a.txt", f"date 2023-11-08\n{BODY}"), default_date="2024-01-02")
    assert doc.doc_date == "2023-11-08"


# --- content hash -----------------------------------------------------------------


def test_content_hash_identifies_the_normalised_text(tmp_path):
    a = read_one(write(tmp_path / "a.txt", f" date 2023-11-08 {BODY}\n"))
    b = read_one(write(tmp_path / "b.txt", f"\ufeffdate 2023-11-09\r\n{BODY}\r\n\r\n"))
    c = read_one(write(tmp_path / "c.json", json.dumps({"text": BODY, "date": "2023-11-10"})))
    d = read_one(write(tmp_path / "d.txt", f"date 2023-11-08\n{BODY} More."))
    assert a.content_hash == b.content_hash == c.content_hash == content_hash(BODY)
    assert a.id == a.content_hash[:16] and len(a.id) == 16
    assert d.content_hash != a.content_hash


def test_normalise():
    assert normalise("  a\r\nb\rc  \n") == "a\nb\nc"
    assert normalise("e\u0301") == "\u00e9"


# --- Markdown and front matter ------------------------------------------------------


def test_markdown_front_matter(tmp_path):
    md = (
        "---\ntitle: Pentagon briefing\ndate: 2023-11-21\nsource: Reuters\n"
        "url: https://example.org/briefing\n---\n\n" + BODY + "\n"
    )
    doc = read_one(write(tmp_path / "a.md", md))
    assert doc.text == BODY
    assert (doc.title, doc.doc_date, doc.source, doc.url) == (
        "Pentagon briefing", "2023-11-21", "Reuters", "https://example.org/briefing"
    )
    assert doc.format == "markdown"


@pytest.mark.parametrize("free_form", ["8 November 2023", "Nov 8, 2023", "November 8th, 2023"])
def test_free_form_front_matter_dates(tmp_path, free_form):
    doc = read_one(write(tmp_path / "a.md", f"---\ndate: {free_form}\n---\n{BODY}"))
    assert doc.doc_date == "2023-11-08"


def test_front_matter_in_a_txt_file(tmp_path):
    doc = read_one(write(tmp_path / "a.txt", f"---\ndate: 2023-11-08\nsource: AP\n---\n{BODY}"))
    assert (doc.doc_date, doc.source, doc.format) == ("2023-11-08", "AP", "text")


def test_markdown_heading_is_the_title(tmp_path):
    doc = read_one(write(tmp_path / "a.md", f"---\ndate: 2023-11-08\n---\n# The briefing\n\n{BODY}"))
    assert doc.title == "The briefing"
    assert doc.text == BODY


def test_front_matter_with_crlf_and_bom(tmp_path):
    md = f"\ufeff---\r\ndate: 2023-11-08\r\ntitle: T\r\n---\r\n{BODY}\r\n"
    doc = read_one(write(tmp_path / "a.md", md))
    assert (doc.text, doc.title, doc.doc_date) == (BODY, "T", "2023-11-08")


def test_invalid_front_matter(tmp_path):
    err = read_error(write(tmp_path / "a.md", f"---\ndate: [2023\n---\n{BODY}"))
    assert "front matter" in str(err)


def test_front_matter_that_is_not_a_mapping(tmp_path):
    err = read_error(write(tmp_path / "a.md", f"---\n- a list\n---\n{BODY}"))
    assert "not a mapping" in str(err)


def test_impossible_front_matter_date(tmp_path):
    # YAML would build a date object from it and raise ValueError: it must be an InputError
    err = read_error(write(tmp_path / "a.md", f"---\ndate: 2023-02-30\n---\n{BODY}"))
    assert "2023-02-30" in str(err) and "not a real day" in str(err)


def test_unreadable_free_form_date(tmp_path):
    err = read_error(write(tmp_path / "a.md", f"---\ndate: sometime soon\n---\n{BODY}"))
    assert "cannot read the date" in str(err) and "YYYY-MM-DD" in err.fix


# --- JSON and JSON Lines -----------------------------------------------------------


def test_json_object(tmp_path):
    obj = {"text": BODY, "date": "2023-11-21", "title": "T", "source": "AP", "url": "u", "id": 42}
    assert not list(validator(DOCUMENT_SCHEMA).iter_errors(obj))
    doc = read_one(write(tmp_path / "a.json", json.dumps(obj)))
    assert (doc.text, doc.doc_date, doc.title, doc.source, doc.url, doc.external_id) == (
        BODY, "2023-11-21", "T", "AP", "u", "42"
    )
    assert doc.format == "json"


def test_json_list(tmp_path):
    objs = [{"text": "First document.", "date": "2023-11-08"}, {"text": "Second one.", "date": "8 November 2023"}]
    docs = read_all(write(tmp_path / "a.json", json.dumps(objs)))
    assert [d.text for d in docs] == ["First document.", "Second one."]
    assert [d.doc_date for d in docs] == ["2023-11-08", "2023-11-08"]
    assert [d.path for d in docs] == [f"{tmp_path / 'a.json'}[0]", f"{tmp_path / 'a.json'}[1]"]


def test_json_lines(tmp_path):
    lines = [{"text": "First document.", "date": "2023-11-08"}, {"text": "Second one.", "date": "Nov 9, 2023", "source": "AP"}]
    path = write(tmp_path / "a.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    docs = read_all(path)
    assert [(d.text, d.doc_date, d.source, d.format) for d in docs] == [
        ("First document.", "2023-11-08", None, "jsonl"),
        ("Second one.", "2023-11-09", "AP", "jsonl"),
    ]
    assert [d.path for d in docs] == [f"{path}:1", f"{path}:2"]


def test_json_without_date_takes_the_default(tmp_path):
    path = write(tmp_path / "a.json", json.dumps({"text": BODY}))
    err = read_error(path)
    assert isinstance(err, SchemaError) and "'date' is a required property" in str(err)
    assert "--date" in err.fix
    assert read_one(path, default_date="2023-11-08").doc_date == "2023-11-08"


def test_jsonl_with_one_bad_line_keeps_the_good_ones(tmp_path):
    path = write(
        tmp_path / "a.jsonl",
        '{"text": "First document.", "date": "2023-11-08"}\n'
        "{not json\n"
        '{"date": "2023-11-08"}\n'
        '{"text": "Third one.", "date": "2023-11-10"}\n',
    )
    items = read_all(path)
    assert [type(x).__name__ for x in items] == ["SourceDocument", "InputError", "SchemaError", "SourceDocument"]
    bad_json, bad_schema = items[1], items[2]
    assert bad_json.path == f"{path}:2" and "not valid JSON" in str(bad_json) and bad_json.fix
    assert bad_schema.path == f"{path}:3" and "'text' is a required property" in str(bad_schema)
    assert [x.text for x in items if isinstance(x, SourceDocument)] == ["First document.", "Third one."]


def test_json_list_with_one_bad_item(tmp_path):
    path = write(tmp_path / "a.json", json.dumps([{"text": "Good.", "date": "2023-11-08"}, {"text": "No date."}]))
    good, bad = read_all(path)
    assert isinstance(good, SourceDocument) and isinstance(bad, SchemaError)
    assert bad.path == f"{path}[1]"


# --- CoNLL-U ------------------------------------------------------------------------


def test_conllu_with_date_comment():
    doc = read_one(DATA / "chain.conllu")
    assert doc.text == "Officials said intelligence reveals that militias are preparing attacks."
    assert doc.doc_date == "2023-11-08"
    assert doc.format == "conllu"
    assert doc.conllu is not None and "# date = 2023-11-08" in doc.conllu


def test_conllu_is_read_once_and_travels_as_text(tmp_path, monkeypatch):
    import pickle

    import claims.nlp.conllu as conllu
    import claims.pipeline as pipeline

    calls = []
    real = conllu.read_conllu

    def counting(raw, path="<conllu>"):
        calls.append(path)
        return real(raw, path)

    monkeypatch.setattr(conllu, "read_conllu", counting)
    monkeypatch.setattr(pipeline, "read_conllu", counting)
    result = pipeline.ingest([DATA / "chain.conllu"], tmp_path / "c.db", parser="conllu")
    assert len(result.stored) == 1 and result.n_claims > 0 and not result.problems
    assert len(calls) == 1  # ingest.from_conllu reads it; the pipeline uses that parse
    doc = read_one(DATA / "chain.conllu")
    assert doc.parsed is not None
    assert pickle.loads(pickle.dumps(doc)).parsed is None


def test_conllu_without_date(tmp_path):
    raw = "\n".join(line for line in (DATA / "chain.conllu").read_text().splitlines() if not line.startswith("# date")) + "\n"
    path = write(tmp_path / "a.conllu", raw)
    err = read_error(path)
    assert "has no date" in str(err) and "# date" in err.fix
    assert read_one(path, default_date="2023-01-01").doc_date == "2023-01-01"


def test_conllu_that_is_not_conllu(tmp_path):
    err = read_error(write(tmp_path / "a.conllu", "# date = 2023-11-08\n1\tOnly\tthree columns\n\n"))
    assert "CoNLL-U" in str(err)


# --- every bad input: an InputError naming the file and the fix --------------------------


BAD_INPUTS = {
    "empty": ("a.txt", b"", "is empty"),
    "whitespace": ("a.txt", b"  \n\t\r\n  ", "only whitespace"),
    "binary": ("a.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    "invalid utf-8": ("a.txt", b"date 2023-11-08\nCaf\xe9 owners said so.", "not valid UTF-8"),
    "broken utf-16": ("a.txt", b"\xff\xfed\x00a\x00t", "UTF-16"),
    "missing date": ("a.txt", BODY.encode(), "has no date"),
    "impossible date": ("a.txt", f"date 2023-02-30\n{BODY}".encode(), "not a real day"),
    "only a date": ("a.txt", b"date 2023-11-08\n", "is empty"),
    "punctuation only": ("a.txt", "date 2023-11-08\n!!! ... ??? \u2014 ***".encode(), "no words"),
    "malformed json": ("a.json", b'{"text": "A.", "date": "2023-11-08",}', "not valid JSON"),
    "json missing text": ("a.json", b'{"date": "2023-11-08"}', "'text' is a required property"),
    "json text not a string": ("a.json", b'{"text": 5, "date": "2023-11-08"}', "is not of type 'string'"),
    "json empty text": ("a.json", b'{"text": "", "date": "2023-11-08"}', "text"),
    "json blank text": ("a.json", b'{"text": "  ", "date": "2023-11-08"}', "text is empty"),
    "json not an object": ("a.json", b'"just a string"', "is not of type 'object'"),
    "json empty list": ("a.json", b"[]", "empty JSON list"),
    "json impossible date": ("a.json", b'{"text": "A b.", "date": "2023-02-30"}', "not a real day"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input(tmp_path, name):
    filename, content, expected = BAD_INPUTS[name]
    err = read_error(write(tmp_path / filename, content))
    assert expected in str(err)


def test_too_large(tmp_path):
    path = write(tmp_path / "a.txt", f"date 2023-11-08\n{BODY}")
    err = read_error(path, max_bytes=20)
    assert "too large" in str(err) and "--max-bytes" in err.fix
    assert read_one(path, max_bytes=path.stat().st_size).text == BODY


def test_default_size_limit_matches_the_cli():
    from claims.cli import ingest

    (option,) = [p for p in ingest.params if p.name == "max_bytes"]
    assert option.default == DEFAULT_MAX_BYTES


def test_too_long_to_parse(tmp_path):
    from claims.ingest import DEFAULT_MAX_CHARS

    path = write(tmp_path / "a.txt", f"date 2023-11-08\n{BODY}")
    err = read_error(path, max_chars=len(BODY) - 1)
    assert "too long to parse" in str(err) and f"{len(BODY):,} characters" in str(err)
    assert str(path) in str(err) and "--max-chars" in err.fix
    assert read_one(path, max_chars=len(BODY)).text == BODY
    lines = write(tmp_path / "b.jsonl", json.dumps({"text": "short", "date": "2023-11-08"}) + "\n" + json.dumps({"text": "x" * 50, "date": "2023-11-08"}) + "\n")
    ok, bad = read_path(lines, max_chars=10)
    assert ok.text == "short" and isinstance(bad, InputError) and bad.path == f"{lines}:2" and "too long" in str(bad)
    from claims.cli import ingest

    (option,) = [p for p in ingest.params if p.name == "max_chars"]
    assert option.default == DEFAULT_MAX_CHARS == 1_000_000


def test_nonexistent_path(tmp_path):
    path = tmp_path / "missing.txt"
    (err,) = list(discover([path]))
    assert isinstance(err, InputError) and str(path) in str(err) and "does not exist" in str(err) and err.fix
    err = read_error(path)
    assert "cannot be read" in str(err)


def test_unreadable_path(tmp_path, monkeypatch):
    path = write(tmp_path / "a.txt", f"date 2023-11-08\n{BODY}")

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)  # chmod is no help when the tests run as root
    err = read_error(path)
    assert "cannot be read (Permission denied)" in str(err) and "permissions" in err.fix


def test_directory_with_no_documents(tmp_path):
    folder = tmp_path / "empty"
    write(folder / "notes.pdf", b"%PDF")
    write(folder / ".hidden.txt", f"date 2023-11-08\n{BODY}")
    (err,) = list(discover([folder]))
    assert isinstance(err, InputError)
    assert str(folder) in str(err) and "contains no documents" in str(err) and ".txt" in err.fix


def test_directory_discovery_is_recursive_and_sorted(tmp_path):
    for name in ["b.txt", "a/c.md", "a/b.json", "z.jsonl", "x.conllu", "skip.pdf", ".hidden.txt"]:
        write(tmp_path / name, "x")
    found = [p.relative_to(tmp_path).as_posix() for p in discover([tmp_path])]
    assert found == ["a/b.json", "a/c.md", "b.txt", "x.conllu", "z.jsonl"]


def test_html_is_reported_the_same_way_in_a_folder_and_named_directly(tmp_path):
    """An .html file is never skipped silently: in a folder and named directly, the same message and fix."""
    write(tmp_path / "a.txt", f"date 2023-11-08\n{BODY}")
    page = write(tmp_path / "page.html", "<html><body><p>date 2023-11-08</p></body></html>")
    found = list(discover([tmp_path]))
    errors = [x for x in found if isinstance(x, InputError)]
    assert [p.name for p in found if isinstance(p, Path)] == ["a.txt"]
    assert len(errors) == 1 and str(page) in str(errors[0]) and "is HTML, which claims does not read" in str(errors[0])
    direct = read_error(page)
    assert str(direct) == str(errors[0]) and ".txt or .md" in direct.fix and "has no date" not in str(direct)

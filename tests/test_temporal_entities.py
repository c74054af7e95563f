"""Time expressions resolved against the document date; entity aliases merged."""

from __future__ import annotations

import pytest

from claims.extract.entities import mentions
from claims.extract.temporal import resolve, time_refs


@pytest.mark.parametrize(
    "text, doc_date, value, granularity",
    [
        ("On January 25", "2024-01-29", "2024-01-25", "day"),
        ("January 25", "2024-01-10", "2023-01-25", "day"),  # a report looks back, not ahead
        ("In December 2023", "2024-01-29", "2023-12", "month"),
        ("yesterday", "2024-01-29", "2024-01-28", "day"),
        ("last night", "2024-01-29", "2024-01-28", "day"),
        ("2019", "2024-01-29", "2019", "year"),
        ("8 November 2023", "2024-01-29", "2023-11-08", "day"),
        ("on Monday", "2023-11-21", "2023-11-20", "day"),
    ],
)
def test_resolve(text, doc_date, value, granularity):
    assert resolve(text, doc_date) == (value, granularity)


def test_time_refs_only_look_at_time_expressions(spacy_parser):
    text = "Do a search. Yesterday the Pentagon said a strike on January 25 killed three."
    doc = next(spacy_parser.parse([text]))
    refs = time_refs(doc, 0, len(text), "2024-01-29")
    assert [(r.text, r.value, r.is_relative) for r in refs] == [
        ("Yesterday", "2024-01-28", True),
        ("January 25", "2024-01-25", False),
    ]
    for r in refs:
        assert text[r.start_char : r.end_char] == r.text


def test_aliases_merge_and_user_file_extends(spacy_parser, tmp_path):
    text = "The IRGC and the Islamic Revolutionary Guard Corps met the Quds Force and Iran-aligned militia groups and the Foo Brigade."
    doc = next(spacy_parser.parse([text]))
    canon = {m.text: m.canonical for m in mentions(doc, 0, len(text))}
    assert canon["IRGC"] == canon["Islamic Revolutionary Guard Corps"] == "Islamic Revolutionary Guard Corps"
    assert canon["Quds Force"] == "IRGC-Quds Force"
    assert canon["Iran-aligned militia groups"] == "Iran-backed militias"
    user = tmp_path / "aliases.yml"
    user.write_text("entities:\n  - canonical: Foo Brigades\n    label: ORG\n    aliases: [Foo Brigade, FB]\n")
    canon = {m.text: m.canonical for m in mentions(doc, 0, len(text), str(user))}
    assert canon["Foo Brigade"] == "Foo Brigades"

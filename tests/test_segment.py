"""A title, heading, byline or dateline line is its own segment; wrapped prose is never cut."""

from __future__ import annotations

import re

import stanza

from claims.nlp import parse
from claims.nlp.segment import forced_starts, segments, stands_alone, title_cased

CRS = (
    "Israel and Hamas Conflict In Brief: Overview, U.S. Policy, and Options for Congress\n"
    "Updated October 4, 2024\n"
    "\n"
    "Since October 7, 2023, Israel has been at war with Hamas. More than 1,200 Israelis were killed.\n"
    "\n"
    "Overview of Programs Since 2014\n"
    "\n"
    "The United States has used a variety of programs.\n"
)


def starting(text: str) -> list[str]:
    """The first words of each line a sentence is forced to start on."""
    return [text[s:].split("\n", 1)[0][:20] for s in forced_starts(text)]


def test_title_dateline_and_heading_start_their_own_segments():
    assert starting(CRS) == [
        "Updated October 4, 2",
        "Since October 7, 202",
        "Overview of Programs",
        "The United States ha",
    ]


def test_every_forced_start_is_the_first_character_of_a_line():
    text = "  Title Of A Report\n   By Jane Doe and John Roe\n\n  The text begins here. It goes on.\n"
    starts = forced_starts(text)
    assert [text[s:s + 6] for s in starts] == ["By Jan", "The te"]
    for s in starts:
        assert not text[s].isspace()
        assert text[:s].rstrip(" ").endswith("\n")


def test_segments_cover_the_text_end_to_end():
    pieces = segments(CRS)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(CRS)
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:], strict=False))
    assert "".join(CRS[a:b] for a, b in pieces) == CRS
    assert CRS[pieces[0][0] : pieces[0][1]].strip().endswith("for Congress")
    assert segments("") == [(0, 0)]
    assert segments("One sentence.") == [(0, 13)]


def test_wrapped_prose_is_never_cut():
    wrapped = (
        "Iranian-backed militia groups have carried out more than fifty attacks on\n"
        "US forces in Iraq and Syria since October 17, according to officials who\n"
        "spoke on condition of anonymity. The attacks were claimed by a group calling\n"
        "itself the Islamic Resistance in Iraq, which the Pentagon says is a front for\n"
        "Kataib Hezbollah and other militias backed by the Islamic Revolutionary Guard\n"
        "Corps.\n"
    )
    assert forced_starts(wrapped) == []


def test_prose_wrapped_before_names_is_never_cut():
    # title-cased fragments of wrapped prose ("Ted Cruz and Marco") are full lines: the next
    # line's first word did not fit, which is why the line was broken
    import textwrap

    prose = (
        "As for the others, Ted Cruz and Marco Rubio, as well as Mike Huckabee and Chris Christie in "
        "the earlier debate, said the National Rifle Association (NRA) poses no threat to the U.S. "
        "Secretary of State Antony Blinken and Secretary of Defense Lloyd Austin Met Officials in "
        "Amman. They spoke to Reporters."
    )
    for width in (30, 40, 50, 60, 72):
        assert forced_starts(textwrap.fill(prose, width)) == [], width


def test_a_heading_over_prose_in_one_block_stands_alone():
    text = "Sahar Khoga, 52\nKhoga, a Saudi woman, had worked at the clinic for ten years before it closed.\n"
    assert starting(text) == ["Khoga, a Saudi woman"]
    # a heading line ending in a function word goes on ("... Huckabee and")
    assert not stands_alone("Ted Cruz and Mike Huckabee and\n", "Chris Christie said so.\n")


def test_a_line_that_goes_on_is_not_alone():
    # a colon, comma or dash says the line continues; terminal punctuation is the parser's split
    assert forced_starts("GEN. RYDER:\nGood afternoon, everyone.\n") == []
    assert forced_starts("The following units, namely\nAlpha Company, Bravo Company,\nCharlie.\n") == []
    assert forced_starts("It ended.\nThe next sentence began.\n") == []
    assert forced_starts("He said the rate is 51 percent.\u201c\n\nWhen PolitiFact examined it, it was not.") == []
    assert not stands_alone("The attacks continued in\n", "Iraq and Syria.\n")
    assert not stands_alone("the attacks continued\n", "and then they stopped.\n")


def test_title_cased_lines_stand_alone():
    assert stands_alone("Updated January 29, 2024\n", "The Pentagon said ...")
    assert stands_alone("By Lolita C. Baldor\n", "WASHINGTON (AP) The Pentagon said ...")
    assert stands_alone("a line of prose with no end\n", "\n")  # a blank line follows
    assert stands_alone("a line of prose with no end", None)  # the end of the text
    assert not stands_alone("the attacks were carried out by a group of militias from\n", "Iraq said ...")
    assert not stands_alone("The following units, namely\n", "Alpha Company, Bravo Company.")
    assert title_cased("Israel and Hamas Conflict In Brief: Overview, U.S. Policy, and Options for Congress")
    assert title_cased("2024-01-29")
    assert not title_cased("the attacks were carried out by Iranian-backed militias")


class GluingPipeline:
    """Stands in for stanza: one sentence per Document, whatever its lines (the failure mode)."""

    def __init__(self, lang, **kwargs):
        pass

    def __call__(self, docs):
        out = []
        for d in docs:
            tokens = [
                {"id": k + 1, "text": m.group(), "start_char": m.start(), "end_char": m.end(), "head": 0 if k == 0 else 1,
                 "deprel": "root" if k == 0 else "dep", "ner": "O"}
                for k, m in enumerate(re.finditer(r"\S+", d.text))
            ]
            out.append(stanza.Document([tokens] if tokens else [], text=d.text))
        return out


def test_stanza_gets_each_segment_apart_and_offsets_index_the_text(monkeypatch):
    monkeypatch.setattr(stanza, "Pipeline", GluingPipeline)
    parser = parse.StanzaParser()
    other = "Updated Monday\nSecond line goes on here.\n"
    docs = list(parser.parse([CRS, other, ""]))
    assert len(docs) == 3
    doc = docs[0]
    assert doc.text == CRS
    firsts = [s.tokens[0].text for s in doc.sentences]
    assert firsts == ["Israel", "Updated", "Since", "Overview", "The"]
    for d, text in zip(docs, (CRS, other, ""), strict=True):
        for s in d.sentences:
            for t in s.tokens:
                assert text[t.start_char : t.end_char] == t.text
            assert s.text == text[s.tokens[0].start_char : s.tokens[-1].end_char]
    assert [s.text for s in docs[1].sentences] == ["Updated Monday", "Second line goes on here."]
    assert docs[2].sentences == []


def test_spacy_never_glues_a_title_or_dateline_to_the_first_sentence(spacy_parser):
    doc = next(spacy_parser.parse([CRS]))
    texts = [s.text for s in doc.sentences]
    assert texts[:3] == [
        "Israel and Hamas Conflict In Brief: Overview, U.S. Policy, and Options for Congress",
        "Updated October 4, 2024",
        "Since October 7, 2023, Israel has been at war with Hamas.",
    ]
    assert "Overview of Programs Since 2014" in texts
    for s in doc.sentences:
        assert CRS[s.tokens[0].start_char : s.tokens[-1].end_char] == s.text
    # wrapped prose keeps its sentence across the line break
    wrapped = "The attacks were carried out by militia groups in\nIraq and Syria since October.\n"
    assert [s.text for s in next(spacy_parser.parse([wrapped])).sentences] == [wrapped.strip()]

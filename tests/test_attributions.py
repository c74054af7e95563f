"""Every attribution frame of a sentence, as the sources list and the PolNeAR scorer see them."""

from __future__ import annotations

import pytest

from claims.extract.attribution import attributions, inside_quote
from claims.nlp.tree import Tree


@pytest.fixture(scope="module")
def frames(spacy_parser):
    def run(text: str) -> list[tuple[str, str | None]]:
        doc = next(spacy_parser.parse([text]))
        out = []
        for s in doc.sentences:
            for src in attributions(Tree(s, text)):
                assert src.span is None or text[src.span.start_char : src.span.end_char] == src.text
                out.append((src.text, src.cue))
        return out

    return run


def test_reporting_verb_with_clause(frames):
    assert frames("Officials said that Iran is directing the groups.") == [("Officials", "said")]


def test_parenthetical_reporting_clause(frames):
    assert frames("Secret Service protocol called for a hospital visit, sources said.") == [("sources", "said")]


def test_according_to(frames):
    assert frames("According to the Pentagon, Iran is probably directing some of these groups.") == [
        ("the Pentagon", "According to")
    ]


def test_nested_frame_is_part_of_the_outer_content(frames):
    assert frames("Officials said intelligence reveals that militias are preparing attacks.") == [("Officials", "said")]


def test_frames_inside_a_quotation_belong_to_the_quote(frames):
    text = '“I think we will win, and I know it,” said Mr. Clarke.'
    found = frames(text)
    assert ("I", "think") not in found and ("I", "know") not in found


def test_bare_said_closing_a_quotation(frames):
    assert frames("“We will win.” Clinton said.")[-1] == ("Clinton", "said")


def test_stance_verb_with_an_agent(frames):
    assert frames("Senator Graham endorsed the plan.") == [("Senator Graham", "endorsed")]
    assert frames("The plan endorsed a new tax.") == []  # a plan holds no view


def test_speaker_label(frames):
    assert frames("PENCE: Well, look, we will win this election.") == [("PENCE", ":")]


def test_no_frame_in_plain_statement(frames):
    assert frames("Militia groups have carried out more than 160 attacks.") == []


def test_inside_quote():
    text = 'He said: "We know it. They know it." Then he left.'
    assert inside_quote(text, text.index("They"))
    assert not inside_quote(text, text.index("Then"))


# --- the chains claims carry: every frame whose content holds the claim ---------


@pytest.fixture(scope="module")
def chains(spacy_parser):
    from claims.extract import claims_of

    def run(text: str) -> dict[str, list[str]]:
        doc = next(spacy_parser.parse([text]))
        doc.text = text
        return {c.text: [s.text for s in c.sources] for c in claims_of(doc, "2023-11-08")}

    return run


def test_every_conjunct_of_a_reported_clause_is_reported(chains):
    found = chains("Officials said that Iran funds the militias and trains their fighters.")
    assert found["Iran funds the militias"] == ["Officials"]
    assert found["trains their fighters"] == ["Officials"]


def test_nested_chain_runs_outermost_first(chains):
    found = chains("Officials said intelligence reveals that militias are preparing attacks.")
    assert found["militias are preparing attacks"] == ["Officials", "intelligence"]


def test_a_quotation_belongs_to_the_speaker_named_after_it(chains):
    text = "“We will win this fight. The militias are losing ground,” the general said on Monday."
    found = chains(text)
    assert found["We will win this fight"] == ["the general"]
    assert found["The militias are losing ground"] == ["the general"]


def test_a_quotation_belongs_to_the_speaker_named_before_it(chains):
    found = chains("The minister said: “The talks have failed. Iran rejected every offer.”")
    assert found["Iran rejected every offer"] == ["The minister"]


def test_text_outside_quotations_stays_the_authors(chains):
    found = chains("“We will win,” the general said. The militias attacked a base in Syria.")
    assert found["The militias attacked a base in Syria"] == []


def test_participle_takes_its_host_subject(chains):
    found = chains("The general praised the troops, saying that the militias had retreated.")
    assert found["the militias had retreated"] == ["The general"]

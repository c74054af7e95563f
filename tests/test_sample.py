"""The sample documents, claim by claim: source, polarity, certainty and hedges.

These are the expectations the product was designed around (issue 3); they run
on the spaCy fallback parser, as CI does.
"""

from __future__ import annotations

import pytest

from claims.export import records

HEDGED = {"low", "medium", "high"}


@pytest.fixture(scope="module")
def claims(examples_db):
    return list(records(examples_db))


def find(claims, starts: str, date: str | None = None) -> dict:
    """The claim whose text starts with ``starts`` (in the document of ``date``)."""
    found = [c for c in claims if c["text"].startswith(starts) and (date is None or c["doc_date"] == date)]
    assert found, f"no claim starts with {starts!r}; claims: {[c['text'] for c in claims if c['doc_date'] == (date or c['doc_date'])]}"
    return found[0]


def kinds(claim) -> dict[str, str]:
    return {cue["text"]: cue["kind"] for cue in claim["hedge_cues"]}


# --- the sample document, 2023-11-08 ------------------------------------------

def test_intelligence_reveals(claims):
    c = find(claims, "Iranian-backed militia groups are preparing to intensify their attacks")
    assert c["attribution"]["source_text"] == "Recent intelligence"
    assert c["attribution"]["source_type"] == "intelligence"
    assert c["attribution"]["cue"] == "reveals"
    assert [link["source_type"] for link in c["attribution"]["chain"]] == ["author", "intelligence"]
    assert c["certainty"] == "certain"


def test_concerns_that_attacks_could_escalate(claims):
    c = find(claims, "the attacks could escalate even further")
    assert c["certainty"] == "possible"
    assert c["attribution"]["source_type"] == "unnamed"
    assert c["attribution"]["cue"] == "there are concerns"
    assert kinds(c)["could"] == "epistemic"


def test_not_explicitly_directing(claims):
    c = find(claims, "Iran is not explicitly directing these groups")
    assert c["polarity"] == "negative"
    # a scoped negation: the author states it flatly; the qualifier records the scope, no hedge
    assert (c["certainty"], c["hedge_level"]) == ("certain", "none")
    assert kinds(c)["explicitly"] == "qualifier"
    assert c["predicate"] == "direct"
    assert c["subject"] == "Iran"


def test_us_is_deeply_concerned(claims):
    c = find(claims, "the US is deeply concerned about the potential for a significant escalation")
    assert c["attribution"]["source_text"] == "the US"
    assert c["attribution"]["source_type"] == "government"


def test_not_always_complete_control(claims):
    c = find(claims, "it does not always have complete control over their actions")
    assert (c["polarity"], c["certainty"], c["hedge_level"]) == ("negative", "certain", "none")
    assert kinds(c) == {"always": "qualifier"}  # "not always": the scope of the negation


def test_extent_remains_unclear(claims):
    c = find(claims, "The extent to which these groups act independently remains unclear")
    assert c["certainty"] == "unknown"


def test_evident_that_iran_monitors(claims):
    c = find(claims, "Iran closely monitors events")
    assert c["certainty"] == "certain"
    assert "booster" in kinds(c).values()
    assert c["attribution"]["implicit"] is True  # "it is evident": the author commits
    assert c["attribution"]["source_type"] == "author"


def test_repercussions_could_be_severe(claims):
    c = find(claims, "The repercussions of such actions could be severe")
    assert c["certainty"] == "possible"


def test_appears_less_culpable(claims):
    c = find(claims, "it appears less culpable in the Hamas attack")
    assert c["hedge_level"] in {"medium", "high"}
    assert kinds(c).get("appears") == "evidential"
    assert kinds(c).get("less") == "attenuator"


def test_entities_merge_aliases(claims):
    canon = {e["text"]: e["canonical"] for c in claims for e in c["entities"]}
    assert canon["Iranian Revolutionary Guard Corps"] == "Islamic Revolutionary Guard Corps"
    assert canon["IRGC-Quds Force"] == "IRGC-Quds Force"
    assert canon["Iranian-backed militia groups"] == "Iran-backed militias"
    assert canon["US"] == "United States"


def test_every_stating_sentence_of_the_seed_has_a_claim(examples_db):
    import sqlite3

    conn = sqlite3.connect(examples_db)
    empty = conn.execute(
        "select s.text from sentences s join documents d on d.id = s.document_id "
        "where d.doc_date = '2023-11-08' and s.n_claims = 0"
    ).fetchall()
    assert empty == []


# --- the constructed follow-ups ------------------------------------------------

def test_briefing_2023_11_21(claims):
    c = find(claims, "Iranian-backed militia groups have carried out more than fifty attacks", "2023-11-21")
    assert c["attribution"]["source_text"] == "US officials"
    assert c["attribution"]["source_type"] == "official"
    assert {"text": "October 17", "value": "2023-10-17", "granularity": "day", "is_relative": False} in c["event_dates"]
    assert kinds(c).get("more than") == "approximator"
    p = find(claims, "Iran is probably directing some of these groups", "2023-11-21")
    assert p["certainty"] == "probable"
    assert p["attribution"]["source_text"] == "the Pentagon"
    assert p["attribution"]["cue"] == "According to"
    assert find(claims, "The IRGC may be supplying the drones", "2023-11-21")["certainty"] == "possible"
    u = find(claims, "Tehran approved each strike", "2023-11-21")
    assert u["certainty"] == "unknown"
    assert c["statement_date"] == "2023-11-20" and c["statement_date_text"] == "on Monday"  # "said on Monday"
    # "Iran denied any involvement in the attacks, a foreign ministry spokesman said."
    d = find(claims, "any involvement in the attacks", "2023-11-21")
    assert d["polarity"] == "negative"
    assert [(x["source_text"], x["source_type"]) for x in d["attribution"]["chain"][1:]] == [
        ("a foreign ministry spokesman", "official"),
        ("Iran", "government"),
    ]
    assert d["attribution"]["cue"] == "denied"


def test_tower_22_2024_01_29(claims):
    c = find(claims, "Yesterday a drone attack killed three US service members", "2024-01-29")
    assert any(d["text"] == "Yesterday" and d["value"] == "2024-01-28" and d["is_relative"] for d in c["event_dates"])
    c = find(claims, "Iran is directing these groups through the Islamic Revolutionary Guard Corps", "2024-01-29")
    assert c["polarity"] == "positive"
    assert c["attribution"]["source_text"] == "US officials"
    i = find(claims, "The IRGC almost certainly supplied the drone", "2024-01-29")
    assert (i["certainty"], i["certainty_term"], i["estimative_band"]) == ("probable", "almost certainly", "almost_certain")
    assert i["attribution"]["source_text"] == "a senior defense official"
    assert any(e["canonical"] == "Islamic Revolutionary Guard Corps" for e in i["entities"])
    j = find(claims, "On January 25, the Pentagon announced additional deployments", "2024-01-29")
    assert any(d["value"] == "2024-01-25" and d["granularity"] == "day" for d in j["event_dates"])


def test_assessment_2024_02_15(claims):
    c = find(claims, "Iran is directing these groups", "2024-02-15")
    assert c["certainty"] == "probable"  # "believe"
    assert c["attribution"]["source_text"] == "Intelligence officials"
    assert c["attribution"]["source_type"] == "intelligence"
    n = find(claims, "Tehran does not control every attack", "2024-02-15")
    assert n["polarity"] == "negative"
    w = find(claims, "the attacks could resume", "2024-02-15")
    assert w["certainty"] == "possible"
    assert w["attribution"]["source_text"] == "Analysts"

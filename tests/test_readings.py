"""Readings a fact-checker would reject, on hand-checked UD trees (issue 11).

Each fixture in ``tests/data`` is one reading that was wrong (estimative language, denials,
negation over coordination, scoped negation, non-claims, frames missed or invented, embedded
questions, tense-aware dates, the statement's date) and a ``*_more`` fixture with further cases of
the same kind. The trees come from the spaCy fallback parser through the project's conversion,
checked and corrected by eye; the expected JSON is compared whole by ``check``.
"""

from __future__ import annotations

from test_extract_conllu import check, only


def reading(c: dict) -> tuple[str, str]:
    return c["polarity"], c["certainty"]


def chain(c: dict) -> list[tuple[str, str | None]]:
    return [(x["source_text"], x["cue"]) for x in c["attribution"]["chain"]]


def cues(c: dict) -> list[tuple[str, str]]:
    return [(h["text"], h["kind"]) for h in c["hedge_cues"]]


# --- estimative language (ICD 203) -------------------------------------------------------


def test_almost_certainly_is_not_certain(db):
    """The IRGC almost certainly supplied the drone."""
    (c,) = check("estimative", db)
    assert reading(c) == ("positive", "probable")
    assert c["certainty_term"] == "almost certainly"
    assert c["estimative_band"] == "almost_certain"
    assert cues(c) == [("almost certainly", "epistemic")]
    assert c["confidence"] is None


def test_estimative_bands_and_confidence(db):
    claims = check("estimative_more", db)
    c = only(claims, "Iran very likely supplied the drones")  # "We assess with high confidence that ..."
    assert (c["estimative_band"], c["confidence"], c["certainty"]) == ("very_likely", "high", "probable")
    assert chain(c)[-1] == ("We", "assess")
    c = only(claims, "the militias will stop")  # "It is unlikely that ...": probably not
    assert (c["estimative_band"], c["polarity"], c["certainty"]) == ("unlikely", "negative", "possible")
    c = only(claims, "the talks resume")  # "a roughly even chance that"
    assert (c["estimative_band"], c["certainty"], c["certainty_term"]) == ("roughly_even_chance", "possible", "roughly even chance")
    c = only(claims, "The strikes probably destroyed the depot")
    assert (c["estimative_band"], c["certainty"]) == ("likely", "probable")


# --- denials -----------------------------------------------------------------------------


def test_denial_is_the_source_asserting_the_negation(db):
    """Iran denied any involvement in the attacks."""
    (c,) = check("denial", db)
    assert c["text"] == "any involvement in the attacks"
    assert reading(c) == ("negative", "certain")
    assert (c["attribution"]["source_text"], c["attribution"]["cue"], c["attribution"]["implicit"]) == ("Iran", "denied", False)


def test_denial_family(db):
    claims = check("denial_more", db)
    texts = [c["text"] for c in claims]
    assert not any(t.startswith(("Iran denied", "Tehran rejected", "The ministry dismissed", "Officials disputed")) for t in texts)
    c = only(claims, "any involvement in the attacks")  # ..., a foreign ministry spokesman said.
    assert reading(c) == ("negative", "certain")
    assert chain(c) == [("the author", None), ("a foreign ministry spokesman", "said"), ("Iran", "denied")]
    c = only(claims, "it supplied the drones")  # Tehran rejected claims that ...
    assert reading(c) == ("negative", "certain") and chain(c)[-1] == ("Tehran", "rejected")
    c = only(claims, "militias had fired missiles")  # The ministry dismissed reports that ...
    assert reading(c) == ("negative", "certain") and chain(c)[-1] == ("The ministry", "dismissed")
    c = only(claims, "the casualty figures")  # Officials disputed ...
    assert reading(c) == ("negative", "certain") and chain(c)[-1] == ("Officials", "disputed")
    c = only(claims, "Iran did not deny the strike")  # a negated denial is no denial: the author's claim
    assert c["polarity"] == "negative" and c["attribution"]["implicit"] is True


# --- negation over coordination ----------------------------------------------------------


def test_negation_governs_every_conjunct(db):
    """... that it should not exploit the situation or allow the groups under its influence to do so."""
    claims = check("negated_coordination", db)
    first = only(claims, "it should not exploit the situation")
    second = only(claims, "allow the groups under its influence to do so")
    assert reading(first) == reading(second) == ("negative", "probable")
    assert second["certainty_term"] == "should"


def test_negated_coordination_more(db):
    claims = check("negated_coordination_more", db)
    assert reading(only(claims, "approve the strike")) == ("negative", "certain")  # did not plan or approve
    assert only(claims, "Iran did not plan")["object"] == "the strike"  # the shared object
    assert reading(only(claims, "claimed the attack")) == ("negative", "certain")  # never warned ... nor claimed
    assert reading(only(claims, "identify the group")) == ("negative", "possible")  # could not confirm ... or identify
    assert reading(only(claims, "it armed the groups")) == ("positive", "certain")  # "not X but Y": Y is affirmed


# --- scoped (quantifier) negation --------------------------------------------------------


def test_scoped_negation_is_certain(db):
    """... but it does not always have complete control over their actions."""
    c = only(check("quantifier_negation", db), "it does not always have complete control over their actions")
    assert reading(c) == ("negative", "certain")
    assert c["hedge_level"] == "none"
    assert cues(c) == [("always", "qualifier")]  # the scope, recorded; "complete" is no second cue


def test_scoped_negation_more(db):
    for c in check("quantifier_negation_more", db):
        assert reading(c) == ("negative", "certain"), c["text"]
        assert c["hedge_level"] == "none"
        assert [k for _, k in cues(c)] == ["qualifier"]


# --- things that are not claims ----------------------------------------------------------


def test_not_claims(db):
    claims = check("not_claims", db)
    texts = [c["text"] for c in claims]
    assert "to which these groups act" not in texts  # a relative clause on "extent"
    assert "you know" not in texts and "As you know" not in texts  # a discourse marker
    c = only(claims, "escalate the conflict further")  # shares "The repercussions could"
    assert reading(c) == ("positive", "possible")
    assert c["subject"] == "The repercussions"


def test_not_claims_more(db):
    claims = check("not_claims_more", db)
    texts = [c["text"] for c in claims]
    assert "to which Tehran controls the militias" not in texts
    assert "at which drones arrive" not in texts
    assert "I mean" not in texts
    assert reading(only(claims, "strike again")) == ("positive", "possible")  # "might regroup and strike again"


# --- frames missed or invented -----------------------------------------------------------


def test_as_frame_attributes_its_host(db):
    """As the Secretary highlighted in his statement, this is the start of our response."""
    (c,) = check("as_frame", db)
    assert c["text"] == "this is the start of our response"
    assert chain(c) == [("the author", None), ("the Secretary", "highlighted")]


def test_non_agent_subject_is_no_source(db):
    """The escalation of those attacks elevates the risk that these groups might trigger a wider war."""
    c = only(check("nonagent_frame", db), "these groups might trigger a wider war")
    assert c["attribution"]["implicit"] is True  # the author's, not "The escalation of those attacks"
    assert c["certainty"] == "possible"


def test_conjuncts_under_assess_share_frame_and_object(db):
    """We currently assess that the strikes destroyed or functionally damaged more than 80 targets."""
    claims = check("assess_conj", db)
    first, second = only(claims, "the strikes destroyed"), only(claims, "functionally damaged")
    assert first["object"] == second["object"] == "more than 80 targets"
    assert first["certainty"] == second["certainty"] == "probable"
    assert chain(first)[-1] == chain(second)[-1] == ("We", "currently assess")


def test_frames_more(db):
    claims = check("frames_more", db)
    texts = [c["text"] for c in claims]
    assert "officials noted" not in texts and "the Pentagon said on Monday" not in texts
    assert chain(only(claims, "the attacks have slowed"))[-1] == ("officials", "noted")
    c = only(claims, "three soldiers died")
    assert chain(c)[-1] == ("the Pentagon", "said")
    assert (c["statement_date"], c["statement_date_text"]) == ("2024-01-29", "on Monday")
    assert only(claims, "crops will fail")["attribution"]["implicit"] is True  # "The drought raises the possibility"
    assert only(claims, "burned")["object"] == "the depot"  # "destroyed and burned the depot"


# --- open questions ----------------------------------------------------------------------


def test_embedded_question_under_questions_is_unknown(db):
    """We know there are still many questions to include which specific proxy group is responsible."""
    c = only(check("embedded_question", db), "which specific proxy group is responsible")
    assert c["certainty"] == "unknown"


def test_embedded_questions_more(db):
    claims = check("embedded_question_more", db)
    for text in ("which group launched the drone", "who ordered the strike", "how the drone evaded defenses"):
        assert only(claims, text)["certainty"] == "unknown", text


# --- dates -------------------------------------------------------------------------------


def test_relative_dates_follow_tense(db):
    """Briefing of Tuesday 2024-01-30: "is planning to attend ... on Friday", "killed ... this weekend"."""
    claims = check("future_date", db)
    dates = only(claims, "Secretary Austin is planning to attend the dignified transfer on Friday")["event_dates"]
    assert [(d["text"], d["value"]) for d in dates] == [("on Friday", "2024-02-02")]  # the next Friday
    dates = only(claims, "Three soldiers were killed in Jordan this weekend")["event_dates"]
    assert [(d["text"], d["value"], d["granularity"]) for d in dates] == [("this weekend", "2024-01-27", "weekend")]


def test_relative_dates_more(db):
    claims = check("dates_more", db)

    def value(text: str) -> str | None:
        (d,) = only(claims, text)["event_dates"]
        return d["value"]

    assert value("The Secretary will meet the families on Thursday") == "2024-02-01"
    assert value("the base was attacked on Sunday") == "2024-01-28"
    assert value("The delegation is traveling to Iraq next weekend") == "2024-02-03"
    assert value("The militias attacked the base last weekend") == "2024-01-27"


def test_statement_date_is_the_frames(db):
    """US officials said on Monday that ... (document of Tuesday 2023-11-21)."""
    (c,) = check("statement_date", db)
    assert (c["statement_date"], c["statement_date_text"]) == ("2023-11-20", "on Monday")
    assert c["event_dates"] == []  # the frame's time is not the event's


def test_statement_date_more(db):
    claims = check("statement_date_more", db)
    said = {c["text"]: (c["statement_date"], c["statement_date_text"]) for c in claims}
    assert said["Iran was not involved"] == ("2023-11-20", "yesterday")  # told reporters yesterday
    assert said["the militias had grown"] == ("2023-11-14", "last week")  # a report published last week
    assert said["The attacks continued"] == ("2023-11-17", "on Friday")  # ..., officials said on Friday


# --- a heading line is its own segment ---------------------------------------------------


def test_heading_lines_are_not_part_of_the_claim(db):
    """A title and an "Updated January 29, 2024" line the sentence splitter glued to the first sentence."""
    (c,) = check("heading_line", db)
    assert c["text"] == "The United States struck more than 85 targets on Friday"
    assert "\n" not in c["text"] and c["subject"] == "The United States"


def test_heading_lines_more(db):
    claims = check("heading_line_more", db)
    assert all("\n" not in c["text"] for c in claims)
    said = only(claims, "the base was attacked")  # "Press briefing" on the line above "Officials said ..."
    assert said["attribution"]["source_text"] == "Officials"
    c = only(claims, "The talks resumed in Doha")  # "Key points" above it
    assert c["object"] == "in Doha"  # not "Key points"


# --- non-restrictive relative clauses ---------------------------------------------------------


def test_nonrestrictive_relative_is_its_own_claim(db):
    """Israel is at war with Hamas, which led an attack from Gaza. (and six more)"""
    claims = check("relative_clause", db)
    texts = [c["text"] for c in claims]
    # the relative clause is cut from its host where it ends it, and stated about its noun
    assert "Israel is at war with Hamas" in texts
    c = only(claims, "which led an attack from Gaza")
    assert (c["subject"], c["predicate"], c["object"]) == ("Hamas", "lead", "an attack from Gaza")
    assert c["clause_type"] == "relative" and chain(c) == [("the author", None)]
    c = only(claims, "who was a senior Hamas leader")
    assert c["subject"] == "Saleh al-Arouri"
    # in reported speech it is the speaker's, like its host
    host = only(claims, "Iran supplied the Houthis")
    c = only(claims, "who attacked ships in the Red Sea")
    assert c["subject"] == "the Houthis"
    assert chain(c) == chain(host) == [("the author", None), ("Officials", "said")]
    # a negated host does not negate it
    assert reading(only(claims, "Iran did not arm Hezbollah")) == ("negative", "certain")
    assert reading(only(claims, "which fired rockets at Israel")) == ("positive", "certain")
    # mid-clause it stays in its host (the host keeps its subject), and "which" is the object
    only(claims, "Hamas, which Iran funds, attacked Israel")
    c = only(claims, "which Iran funds")
    assert (c["subject"], c["object"]) == ("Iran", "Hamas")
    # restrictive relatives pick the noun out; they state nothing of their own
    assert "that attacked the base" not in texts and "that Iran funds" not in texts
    only(claims, "Iran funds the militias that attacked the base")

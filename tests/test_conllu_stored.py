"""Stored sentences read back without stanza's general reader give the very Document it would build."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import rows
from stanza.utils.conll import CoNLL

from claims.nlp import conllu as conllu_module
from claims.nlp.conllu import document_from_stored, read_conllu, sentence_conllu


def by_stanza(text: str, conllus: list[str]):
    doc = CoNLL.conll2doc(input_str="\n\n".join(c.strip("\n") for c in conllus) + "\n")
    doc.text = text
    for sentence in doc.sentences:
        if len(sentence.tokens) > 0:
            sentence.text = text[sentence.tokens[0].start_char : sentence.tokens[-1].end_char]
    doc.build_ents()
    return doc


SKIP = {"_sent", "_parent", "_words", "_doc", "_tokens", "_dependencies", "_enhanced_dependencies"}


def snapshot(doc) -> list:
    out: list = [doc.text, [(e.type, e.start_char, e.end_char, e.text) for e in doc.ents]]
    for s in doc.sentences:
        out.append((s.text, s.comments, s.sent_id, [(h.id, rel, d.id) for h, rel, d in s.dependencies]))
        for t in s.tokens:
            out.append({k: v for k, v in vars(t).items() if k not in SKIP})
            out += [{k: v for k, v in vars(w).items() if k not in SKIP} for w in t.words]
    return out


def test_stored_sentences_read_back_as_stanza_reads_them(examples_db: Path) -> None:
    docs = rows(examples_db, "select id, text from documents")
    assert docs
    for doc_id, text in docs:
        conllus = [c for (c,) in rows(examples_db, 'select conllu from sentences where document_id = ? order by "index"', doc_id)]
        assert [conllu_module._entries(c) is not None for c in conllus] == [True] * len(conllus)  # the fast path
        assert snapshot(document_from_stored(text, conllus)) == snapshot(by_stanza(text, conllus))


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.replace("|ner=O", "|Foo=bar", 1),  # a MISC key the constructors might read
        lambda c: c.replace("\n2\t", "\n2.1\tx\tx\tX\tX\t_\t_\t_\t_\t_\n2\t", 1),  # an empty node
        lambda c: c + "\n\n# text = extra\n1\textra\textra\tX\tX\t_\t0\troot\t_\tstart_char=0|end_char=5",  # two sentences in a row
    ],
)
def test_anything_unusual_goes_through_stanzas_reader(examples_db: Path, change) -> None:
    (text,), = rows(examples_db, "select text from documents limit 1")
    (doc_id,), = rows(examples_db, "select id from documents limit 1")
    conllus = [c for (c,) in rows(examples_db, 'select conllu from sentences where document_id = ? order by "index"', doc_id)]
    odd = [change(conllus[0]), *conllus[1:]]
    assert conllu_module._entries(odd[0]) is None
    assert snapshot(document_from_stored(text, odd)) == snapshot(by_stanza(text, odd))


def test_a_conllu_fixture_round_trips(tmp_path: Path) -> None:
    for path in sorted((Path(__file__).parent / "data").glob("*.conllu")):
        doc = read_conllu(path.read_text(encoding="utf-8"), str(path))
        stored = sentence_conllu(doc)
        assert snapshot(document_from_stored(doc.text, stored)) == snapshot(by_stanza(doc.text, stored))

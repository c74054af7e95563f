"""One vocabulary: each scale and word list has one definition, and every reader uses it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from claims import changes, desk, model, propositions
from claims.extract import hedging
from claims.extract.lexicons import FILES, LEXICON_DIR, extractor_version, lexicons
from claims.nlp import punctuation, spacy_ud
from claims.resources import METADATA


def test_the_certainty_scale_is_the_enums_order() -> None:
    assert model.CERTAINTY_SCORE == {"certain": 3, "probable": 2, "possible": 1, "unknown": 0}
    assert [c.score for c in model.Certainty] == [3, 2, 1, 0]
    assert hedging.RANK is model.CERTAINTY_SCORE
    assert changes.CERTAINTY_RANK is model.CERTAINTY_SCORE
    assert desk.SCORES is model.CERTAINTY_SCORE


def test_the_canned_queries_spell_the_certainty_scale_as_the_enum() -> None:
    """metadata.yml is Datasette's own file, so its SQL says the scale again: it must say the same."""
    text = METADATA.read_text(encoding="utf-8")
    cases = re.findall(r"case c\.certainty ((?:when '\w+' then \d+ )+)else (\d+) end", text)
    assert len(cases) == 2  # assessment search and assessment timeline
    for whens, otherwise in cases:
        said = {k: int(v) for k, v in re.findall(r"when '(\w+)' then (\d+)", whens)}
        assert said == {k: v for k, v in model.CERTAINTY_SCORE.items() if v != int(otherwise)}
        assert model.CERTAINTY_SCORE["unknown"] == int(otherwise)
    described = re.search(r"score: ((?:\w+ \d+, )+\w+ \d+)", text)
    assert described is not None
    assert {w: int(n) for w, n in (p.split() for p in described.group(1).split(", "))} == model.CERTAINTY_SCORE


def _lists(data: Any, path: str = "") -> list[tuple[str, list[Any]]]:
    if isinstance(data, list):
        return [(path, data)]
    if isinstance(data, dict):
        return [found for k, v in data.items() for found in _lists(v, f"{path}.{k}")]
    return []


def test_no_lexicon_list_has_duplicates() -> None:
    for name in FILES:
        data = yaml.safe_load((LEXICON_DIR / name).read_text(encoding="utf-8"))
        for path, items in _lists(data):
            words = [str(w).lower() for w in items]
            assert sorted({w for w in words if words.count(w) > 1}) == [], f"{name}{path}"


def test_the_lexicon_files_parse_words_as_words() -> None:
    """YAML 1.1 reads a bare no, true or off as a boolean (and null as None): no list holds one."""
    for name in FILES:
        data = yaml.safe_load((LEXICON_DIR / name).read_text(encoding="utf-8"))
        for path, items in _lists(data):
            assert not [w for w in items if w is None or isinstance(w, bool)], f"{name}{path}"


def test_one_list_of_negators_for_polarity_and_propositions() -> None:
    negators = lexicons().words("polarity", "negators")
    assert {"not", "n't", "no", "never", "nobody", "nothing", "nowhere"} <= negators
    assert propositions.negator_words() == negators


def test_the_question_and_pronoun_words_are_lexicon_data() -> None:
    lex = lexicons()
    assert {"whether", "who"} <= lex.words("hedges", "question_words")
    assert {"unclear", "wonder"} <= lex.words("hedges", "question_governors")
    assert {"he", "they", "which"} <= lex.words("attribution", "pronouns")


def test_one_definition_of_quotation_marks() -> None:
    assert punctuation.DOUBLE_QUOTES < punctuation.QUOTES
    assert punctuation.QUOTES - punctuation.DOUBLE_QUOTES == {"'", "‘", "’"}
    assert spacy_ud.DOUBLE_QUOTES is punctuation.DOUBLE_QUOTES
    assert not hasattr(spacy_ud, "QUOTES")


def test_figure_qualifiers_are_the_approximators_and_the_bounds() -> None:
    pattern = changes.figure_pattern()
    for term in lexicons().hedges["approximators"]:
        found = changes.figures(f"{term} 20 attacks")
        if term in changes.NOT_FIGURE_QUALIFIERS:
            assert found[0].qualifier is None
        else:
            assert found[0].qualifier == term, term
    assert pattern.search("at most 20")


def test_propositions_count_the_number_words_of_figures() -> None:
    assert changes.NUMBER_WORDS <= propositions.NUMBER_WORDS
    assert {"several", "dozens"} <= propositions.NUMBER_WORDS


def test_the_alias_file_is_part_of_the_extractor_version(tmp_path: Path) -> None:
    aliases = tmp_path / "aliases.yml"
    aliases.write_text("entities:\n  - {canonical: Hamas, aliases: [Harakat al-Muqawama]}\n", encoding="utf-8")
    first = extractor_version(aliases)
    assert first.startswith(extractor_version() + "+aliases-")
    assert extractor_version(str(aliases)) == first
    aliases.write_text("entities:\n  - {canonical: Hamas, aliases: [HAMAS movement]}\n", encoding="utf-8")
    assert extractor_version(aliases) != first
    assert extractor_version(None) == extractor_version()

"""The evaluation harness: scorers on hand-made inputs with known answers, corpus readers on
tiny snippets, and a small-limit smoke run of each evaluator on the shared data."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from claims.evaluation import corpora as C
from claims.evaluation import report
from claims.evaluation.evaluators import Row, apply, calibrate, signed
from claims.evaluation.scoring import (
    binary_prf,
    half,
    mae,
    overlaps,
    pearson,
    prf,
    sign_accuracy,
    span_prf,
    strip_span,
)

EVAL_DATA = Path(os.environ.get("CLAIMS_EVAL_DATA", Path(__file__).resolve().parents[2] / "shared" / "eval"))

# --- scorers -------------------------------------------------------------------


def test_prf_counts():
    s = prf(tp=3, fp=1, fn=2)
    assert (s.precision, s.recall) == (0.75, 0.6)
    assert s.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert prf(0, 0, 0).f1 == 0.0


def test_binary_prf():
    s = binary_prf([True, True, False, False], [True, False, True, False])
    assert (s.tp, s.fp, s.fn) == (1, 1, 1)
    assert s.f1 == 0.5


def test_pearson_known_values():
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert pearson([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert pearson([1, 1, 1], [1, 2, 3]) == 0.0  # constant side: no signal


def test_mae_and_sign_accuracy():
    assert mae([3, 3, 3], [3, 1, -3]) == pytest.approx(8 / 3)
    assert sign_accuracy([2.0, -1.0, 0.5, -0.1], [1.0, 1.0, 3.0, -2.0]) == 0.75


def test_span_overlap_and_exact():
    assert overlaps((0, 5), (4, 9)) and not overlaps((0, 5), (5, 9))
    gold = [(0, 10), (20, 25)]
    pred = [(2, 4), (30, 35)]
    o = span_prf(gold, pred, "overlap")
    assert (o.precision, o.recall) == (0.5, 0.5)
    e = span_prf(gold, [(0, 10), (2, 4)], "exact")
    assert (e.precision, e.recall) == (0.5, 0.5)


def test_strip_span_drops_edge_punctuation_and_space():
    text = ' "officials said," he'
    assert text[slice(*strip_span(text, 0, 18))] == "officials said"


def test_half_is_deterministic_and_balanced():
    parts = [half(f"item {i}") for i in range(2000)]
    assert parts == [half(f"item {i}") for i in range(2000)]
    assert 900 < parts.count("tune") < 1100


def test_calibration_maps_cells_to_mean_gold():
    cells = [("positive", "certain")] * 5 + [("negative", "certain")] * 2
    gold = [3, 3, 2, 2, 0, -3, -1]
    m = calibrate(cells, gold, min_count=2)
    assert m[("positive", "certain")] == 2.0 and m[("negative", "certain")] == -2.0
    assert apply({}, [("negative", "probable")]) == [signed("negative", "probable")] == [-2.0]


def test_target_marks():
    assert report.met(Row("t", "d", "F1", 0.8, "≥ 0.78")) == "✓"
    assert report.met(Row("t", "d", "MAE", 0.6, "≤ 0.55")) == "✗"
    assert report.met(Row("t", "d", "P", 0.6)) == ""


def test_report_keeps_prose_outside_markers(tmp_path: Path):
    out = tmp_path / "evaluation.md"
    out.write_text(f"# Evaluation\n\nintro\n\n{report.BEGIN}\nold\n{report.END}\n\n## What limits these numbers\n\nprose\n")
    report.write(out, "new table\n")
    text = out.read_text()
    assert "new table" in text and "old" not in text
    assert text.startswith("# Evaluation\n\nintro") and text.endswith("prose\n")


# --- readers -------------------------------------------------------------------

ANN = """T1\tSource 89 106\tThe New York Post
T2\tCue 107 114\treports
T3\tContent 115 120;125 130\tthat H
T4\tAttribution 107 114\treports
E1\tAttribution:T4 Content:T3 Cue:T2 Source:T1
"""


def test_brat_spans_and_events():
    spans, events = C.read_brat(ANN)
    assert spans["T1"].label == "Source" and spans["T1"].fragments == [(89, 106)]
    assert spans["T3"].fragments == [(115, 120), (125, 130)] and spans["T3"].extent == (115, 130)
    assert events == [{"Attribution": "T4", "Content": "T3", "Cue": "T2", "Source": "T1"}]


def test_uds_item_aggregation(tmp_path: Path):
    rows = [
        "Split\tAnnotator.ID\tDisplay.Position\tSentence.ID\tPred.Token\tPred.Lemma\tIs.Predicate\tIs.Understandable\tHappened\tConfidence\tKeep",
        "dev\t1\t1\ten-ud-dev.conllu 7\t3\tgo\tTrue\tTrue\ttrue\t4\tTrue",
        "dev\t2\t1\ten-ud-dev.conllu 7\t3\tgo\tTrue\tTrue\tfalse\t2\tTrue",
        "dev\t3\t1\ten-ud-dev.conllu 7\t3\tgo\tTrue\tTrue\ttrue\t4\tFalse",  # filtered by Keep
        "dev\t4\t1\ten-ud-dev.conllu 7\t3\tgo\tFalse\tTrue\tna\tna\tTrue",  # not a predicate
        "train\t1\t1\ten-ud-train.conllu 1\t1\tbe\tTrue\tTrue\ttrue\t4\tTrue",
    ]
    tsv = tmp_path / "ih2.tsv"
    tsv.write_text("\n".join(rows) + "\n")
    (item,) = C.read_uds(tsv)
    assert (item.sentence, item.token, item.lemma) == (7, 3, "go")
    assert item.judgements == [3.0, -1.5]
    assert item.score == pytest.approx(0.75)
    assert C.uds_judgement("false", "nan") is None


def test_ud1_relabelling():
    from claims.nlp.conllu import read_conllu

    raw = (
        "1\tHe\the\tPRON\tPRP\t_\t3\tnsubj\t_\t_\n2\tdid\tdo\tAUX\tVBD\t_\t3\taux\t_\t_\n"
        "3\tnot\tnot\tPART\tRB\t_\t4\tneg\t_\t_\n"  # head deliberately 4 to test nmod too
        "4\tleave\tleave\tVERB\tVB\t_\t0\troot\t_\t_\n5\tthe\tthe\tDET\tDT\t_\t6\tdet\t_\t_\n"
        "6\tcity\tcity\tNOUN\tNN\t_\t4\tdobj\t_\t_\n7\tin\tin\tADP\tIN\t_\t8\tcase\t_\t_\n"
        "8\tMay\tMay\tPROPN\tNNP\t_\t4\tnmod\t_\t_\n\n"
    )
    doc = C.to_ud2(read_conllu(raw))
    rels = [w.deprel for w in doc.sentences[0].words]
    assert rels == ["nsubj", "aux", "advmod", "root", "det", "obj", "case", "obl"]
    assert "Polarity=Neg" in doc.sentences[0].words[2].feats


def test_detokenize_offsets():
    text, offs = C.detokenize(["He", "said", "(", "AP", ")", "it", "is", "n't", "over", "."])
    assert text == "He said (AP) it isn't over."
    assert [text[a:b] for a, b in offs][-3:] == ["n't", "over", "."]


def test_szeged_reader(tmp_path: Path):
    xml = (
        '<Annotation><DocumentSet><Document type="Wikipedia_text_weasel"><DocID type="WIKIPEDIA_ARTICLE_ID">A_1</DocID>'
        '<DocumentPart type="Text"><Sentence id="S1.1">It <ccue type="speculation_modal_probable_">may</ccue> rain.</Sentence>'
        '<Sentence id="S1.2">It rained.</Sentence></DocumentPart></Document></DocumentSet></Annotation>'
    )
    path = tmp_path / "wiki.xml"
    path.write_text(xml)
    a, b = C.read_szeged(path)
    assert (a.id, a.text, a.cue_types, a.cues, a.uncertain) == ("A_1/S1.1", "It may rain.", ("modal_probable",), ("may",), True)
    assert not b.uncertain


# --- smoke runs on the shared data ---------------------------------------------

needs_data = pytest.mark.skipif(not EVAL_DATA.is_dir(), reason=f"evaluation data not found at {EVAL_DATA} (set CLAIMS_EVAL_DATA)")


@needs_data
@pytest.mark.parametrize("name", ["hedging", "factuality", "attribution", "commitment", "parser"])
def test_evaluator_smoke(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from claims.evaluation.evaluators import EVALUATORS

    monkeypatch.setenv("CLAIMS_EVAL_CACHE", str(tmp_path))
    section = EVALUATORS[name](EVAL_DATA, limit=3 if name == "attribution" else 20)
    assert section.rows
    for row in section.rows:
        assert row.ours is not None and not math.isnan(row.ours) and -1.0 <= row.ours <= 3.0, row


def test_cli_skips_missing_data(tmp_path: Path):
    from click.testing import CliRunner

    from claims.cli import cli

    result = CliRunner().invoke(cli, ["eval", "--data", str(tmp_path), "--only", "commitment", "--limit", "2"])
    assert result.exit_code == 1
    assert "skipped: commitment:" in result.output and "CommitmentBank-items.csv" in result.output


def test_report_appends_block_to_a_file_without_markers(tmp_path: Path):
    out = tmp_path / "evaluation.md"
    out.write_text("# Evaluation\n\n## Linking\n\nkept\n")
    report.write(out, "table\n")
    text = out.read_text()
    assert text.startswith("# Evaluation\n\n## Linking\n\nkept\n") and "table" in text

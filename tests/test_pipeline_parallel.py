"""`claims ingest --jobs N`: same results as one job, spaCy workers without torch, and a worker
process that dies (killed, out of memory) costs at most the document that killed it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import count, rows

from claims.bench import generated_documents
from claims.pipeline import CRASH_ENV, CRASH_ONCE_ENV, Ingest, doc_batches

CLAIMS_EXE = shutil.which("claims") or str(Path(sys.executable).with_name("claims"))
N_DOCS = 8
CLAIM_COLUMNS = "d.path, c.start_char, c.end_char, c.text, c.predicate, c.polarity, c.certainty, c.source_text"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parallel-inputs")
    generated_documents(folder, N_DOCS, sentences=(3, 6), seed=11)
    return folder


def claims_of_db(db: Path) -> list[tuple]:
    return rows(db, f"select {CLAIM_COLUMNS} from claims c join documents d on d.id = c.document_id order by d.path, c.start_char, c.end_char, c.text")


def ingest_cli(folder: Path, db: Path, jobs: int, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLAIMS_EXE, "ingest", str(folder), "--db", str(db), "--parser", "spacy", "--jobs", str(jobs)],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=600,
    )


def test_parallel_batches_are_small_and_keep_the_order():
    class D:
        def __init__(self, n: int, size: int):
            self.n, self.text = n, "x" * size

    docs = [D(i, 10) for i in range(10)] + [D(10, 500), D(11, 10)]
    batches = list(doc_batches(docs, 4, 100))
    assert [d.n for b in batches for d in b] == list(range(12))
    assert all(len(b) <= 4 for b in batches)
    assert [d.n for d in batches[-2]] == [10]  # longer than the character bound: on its own


def test_two_jobs_store_what_one_job_stores(inputs, tmp_path, spacy_parser):
    one = Ingest(tmp_path / "one.db", parser="spacy")
    one._parser = spacy_parser
    assert one.run([inputs]).ok
    two = Ingest(tmp_path / "two.db", parser="spacy", jobs=2)
    result = two.run([inputs])
    assert result.ok, result.problems
    assert len(result.stored) == N_DOCS
    assert claims_of_db(tmp_path / "two.db") == claims_of_db(tmp_path / "one.db")
    # stored in input order, as with one job
    assert rows(tmp_path / "two.db", "select path from documents order by rowid") == rows(
        tmp_path / "one.db", "select path from documents order by rowid"
    )


def test_a_killed_worker_loses_only_the_document_that_killed_it(inputs, tmp_path):
    folder = tmp_path / "docs"
    shutil.copytree(inputs, folder)
    victim = sorted(folder.iterdir())[2]
    crash = victim.with_name("crash.txt")
    victim.rename(crash)
    db = tmp_path / "claims.db"
    proc = ingest_cli(folder, db, 2, **{CRASH_ENV: "crash.txt"})
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "a parser process stopped unexpectedly" in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith(f"error: {crash}: crashed the parser process") and "(fix: " in errors[0]
    assert proc.stdout.startswith(f"{N_DOCS - 1} document(s) stored, 0 already present, 1 failed;")
    stored = {Path(p).name for (p,) in rows(db, "select path from documents")}
    assert stored == {p.name for p in folder.iterdir()} - {"crash.txt"}
    assert rows(db, "select path, error from problems") == [(str(crash), "WorkerCrashed")]
    assert rows(db, "select n_documents, n_failed from runs") == [(N_DOCS - 1, 1)]


def test_a_worker_killed_once_loses_nothing(inputs, tmp_path):
    folder = tmp_path / "docs"
    shutil.copytree(inputs, folder)
    victim = sorted(folder.iterdir())[-1]
    db = tmp_path / "claims.db"
    proc = ingest_cli(folder, db, 2, **{CRASH_ENV: victim.name, CRASH_ONCE_ENV: str(tmp_path / "crashed")})
    assert (tmp_path / "crashed").exists(), "the test hook did not fire"
    assert proc.returncode == 0, proc.stderr
    assert "a parser process stopped unexpectedly" in proc.stderr
    assert count(db, "documents") == N_DOCS and count(db, "problems") == 0


LIGHT_WORKER = """
import json, sys
from claims.nlp import lite
lite.init_worker(True, "claims.pipeline:_init_worker", "spacy", None)
from claims.ingest import read_path
from claims.pipeline import _work
from pathlib import Path
(doc,) = read_path(Path(sys.argv[1]))
(a,) = _work([doc])
out = {"torch": "torch" in sys.modules, "sentences": a.sentences, "claims": repr(a.candidates)}
import stanza  # the rest of stanza still loads on demand, torch and all
out["stanza"] = [stanza.__version__, hasattr(stanza, "Pipeline"), "torch" in sys.modules]
from stanza.models.common import utils
out["utils"] = hasattr(utils, "set_random_seed")
print(json.dumps(out))
"""


def test_a_spacy_worker_runs_without_torch_and_extracts_the_same(inputs, spacy_parser):
    from claims.ingest import read_path
    from claims.pipeline import analyse

    path = sorted(inputs.iterdir())[0]
    proc = subprocess.run([sys.executable, "-c", LIGHT_WORKER, str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["torch"] is False
    (doc,) = read_path(path)
    here = analyse(doc, next(spacy_parser.parse([doc.text])), spacy_parser.info)
    assert [tuple(s) for s in out["sentences"]] == here.sentences
    assert out["claims"] == repr(here.candidates)
    assert out["stanza"][1:] == [True, True] and out["utils"] is True

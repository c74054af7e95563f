"""`claims ingest --jobs N` / `--scheduler ADDRESS` on a real Dask LocalCluster (2 worker
processes): same results as one job, spaCy workers without torch, and a worker process that
dies (killed, out of memory) costs at most the document that killed it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import count, rows
from test_faults import count_documents, half_written

from claims.bench import generated_documents
from claims.cluster import CRASH_ENV, CRASH_ONCE_ENV, doc_batches
from claims.pipeline import Ingest

CLAIMS_EXE = shutil.which("claims") or str(Path(sys.executable).with_name("claims"))
DASK_EXE = shutil.which("dask") or str(Path(sys.executable).with_name("dask"))
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
    # stored in completion order: the same documents, propositions linked as with one job
    assert sorted(rows(tmp_path / "two.db", "select id, n_claims from documents")) == sorted(
        rows(tmp_path / "one.db", "select id, n_claims from documents")
    )
    link = "select c.text, p.key from claims c join propositions p on p.id = c.proposition_id order by c.text"
    assert rows(tmp_path / "two.db", link) == rows(tmp_path / "one.db", link)


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
    assert "a worker stopped unexpectedly" in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith(f"error: {crash}: crashed the worker parsing it twice") and "(fix: " in errors[0]
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
    assert "a worker stopped unexpectedly" in proc.stderr
    assert count(db, "documents") == N_DOCS and count(db, "problems") == 0


LIGHT_WORKER = """
import json, sys
from claims.cluster import plain
from claims.worker import ParserPlugin
plugin = ParserPlugin("spacy", None)
plugin.setup()  # as a Dask worker does when the plugin is registered
from claims.ingest import read_path
from pathlib import Path
(doc,) = read_path(Path(sys.argv[1]))
(a,) = plugin.analyse([plain(doc)])
out = {"torch": "torch" in sys.modules, "stanza": "stanza" in sys.modules, "sentences": a.sentences, "claims": repr(a.candidates)}
print(json.dumps(out))
"""


def test_a_spacy_worker_runs_without_torch_and_extracts_the_same(inputs, spacy_parser):
    from claims.ingest import read_path
    from claims.pipeline import analyse

    path = sorted(inputs.iterdir())[0]
    proc = subprocess.run([sys.executable, "-c", LIGHT_WORKER, str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["torch"] is False and out["stanza"] is False
    (doc,) = read_path(path)
    here = analyse(doc, next(spacy_parser.parse([doc.text])), spacy_parser.info)
    assert [tuple(s) for s in out["sentences"]] == here.sentences
    assert out["claims"] == repr(here.candidates)


@contextlib.contextmanager
def dask_cluster(tmp_path: Path, workers: int = 2) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`dask scheduler` and `dask worker ADDRESS --nworkers 2 --nthreads 1`, as docs/scaling.md runs them."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = (tmp_path / "dask.log").open("wb")
    scheduler = subprocess.Popen([DASK_EXE, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], stdout=log, stderr=log)
    worker = subprocess.Popen(
        [DASK_EXE, "worker", address, "--nworkers", str(workers), "--nthreads", "1", "--no-dashboard", "--memory-limit", "0"],
        stdout=log, stderr=log,
    )  # fmt: skip
    try:
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address, scheduler
    finally:
        for proc in (worker, scheduler):
            if proc.poll() is None:
                proc.terminate()
        for proc in (worker, scheduler):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_ingest_on_a_running_scheduler_and_a_lost_one(tmp_path, spacy_parser):
    """`--scheduler ADDRESS`: the workers of a cluster started elsewhere, the writer here; a scheduler
    that dies mid-run leaves whole documents and a clear message, and a resumed run completes."""
    folder = tmp_path / "docs"
    generated_documents(folder, 30, sentences=(4, 8), seed=7)
    db = tmp_path / "remote.db"
    with dask_cluster(tmp_path) as (address, scheduler):
        proc = subprocess.Popen(
            [CLAIMS_EXE, "ingest", str(folder), "--db", str(db), "--parser", "spacy", "--scheduler", address],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        wait_for_documents(db, 3, proc)
        scheduler.kill()
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    assert "lost the Dask scheduler" in err and "run the same command again" in err
    state = half_written(db)
    assert 3 <= state["documents"] < 30 and state == {**state, "bad_documents": 0, "bad_sentences": 0, "orphan_claims": 0}
    with dask_cluster(tmp_path) as (address, _scheduler):
        again = Ingest(db, parser="spacy", scheduler=address).run([folder])
    assert again.ok and len(again.duplicates) == state["documents"] and len(again.stored) == 30 - state["documents"]
    one = Ingest(tmp_path / "one.db", parser="spacy")
    one._parser = spacy_parser
    assert one.run([folder]).ok
    assert claims_of_db(db) == claims_of_db(tmp_path / "one.db")


def test_ctrl_c_stops_between_documents_and_a_rerun_completes(tmp_path):
    folder = tmp_path / "docs"
    generated_documents(folder, 30, sentences=(4, 8), seed=7)
    db = tmp_path / "claims.db"
    proc = subprocess.Popen(
        [CLAIMS_EXE, "ingest", str(folder), "--db", str(db), "--parser", "spacy", "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    wait_for_documents(db, 3, proc)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the caller and its workers
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted: " in err
    state = half_written(db)
    assert 3 <= state["documents"] < 30 and state == {**state, "bad_documents": 0, "bad_sentences": 0, "orphan_claims": 0}
    rerun = ingest_cli(folder, db, 2)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.startswith(f"{30 - state['documents']} document(s) stored, {state['documents']} already present, 0 failed")
    assert half_written(db)["documents"] == 30


def wait_for_documents(db: Path, n: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 180
    while count_documents(db) < n:
        assert proc.poll() is None, f"ingest ended before it could be stopped: {proc.communicate()}"
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no {n} documents committed within 180 s: {proc.communicate()}")
        time.sleep(0.05)


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, inputs):
    proc = subprocess.run(
        [CLAIMS_EXE, "ingest", str(inputs), "--db", str(tmp_path / "x.db"), "--parser", "spacy", "--scheduler", "tcp://127.0.0.1:9"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"},
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "tcp://127.0.0.1:9: cannot reach a Dask scheduler" in proc.stderr and "dask scheduler" in proc.stderr

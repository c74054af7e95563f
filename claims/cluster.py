"""Parallel ingest on Dask distributed: parsing and extraction on workers, one writer here.

``claims ingest --scheduler tcp://HOST:8786`` uses the workers of a running cluster;
``--jobs N`` starts a :class:`distributed.LocalCluster` of N worker processes and takes the
same path. Batches of documents travel to the workers as plain dictionaries of text and
metadata; :func:`claims.pipeline.analyse_batch` (the batch function a single job runs too)
turns them into :class:`~claims.pipeline.Analysis` records of plain fields, which come back
and are written by the caller, in completion order, whole (several documents a transaction).

Faults (docs/scaling.md):

* a worker that dies (killed, out of memory, a crash in the parser) costs the batches it was
  running: the scheduler gives up on them at once (``allowed-failures`` 0 on a local cluster;
  a remote scheduler keeps its own setting) and their documents are sent again one at a time,
  to any worker; a document that kills a worker again is recorded as a ``problems`` row;
* the work in flight is bounded (a few batches per worker thread), so memory stays flat;
* Ctrl-C or a lost scheduler stops the run between two documents: every document written is
  whole, and the same command run again skips them.

This module imports neither Dask nor spaCy nor stanza (a single-job ingest never loads
them); :mod:`claims.worker` is what runs on the workers.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distributed import Client

    from .ingest import SourceDocument
    from .pipeline import Analysis, Problem

log = logging.getLogger(__name__)

# Small batches keep the workers evenly loaded to the end of a run and let the writer start
# early; a few batches per worker thread in flight keep them busy while the writer stores,
# with bounded memory.
BATCH_DOCS = 4
BATCH_CHARS = 40_000
IN_FLIGHT_PER_THREAD = 3
MAX_CRASHES_IN_A_ROW = 3
CONNECT_TIMEOUT_S = 30
LOCAL_CONFIG = {
    # a worker death fails its tasks at once: their documents are retried one at a time
    "distributed.scheduler.allowed-failures": 0,
    # the workers' statistical profiler (every thread's stack every 10 ms) serves only Dask's
    # dashboard, which a local cluster does not start
    "distributed.worker.profile.enabled": False,
    # the nanny's default environment also sets MALLOC_TRIM_THRESHOLD_=65536, which makes glibc
    # return freed memory to the system eagerly: the parser's many short-lived arrays then cost
    # about 15% more CPU per document (measured in one process, getrusage, spaCy fallback);
    # keep only the one-thread settings, so the workers do not oversubscribe the cores
    "distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1},
}
CLOSE_TIMEOUT_S = 30
# Test hook: a worker given a document with this file name exits at once, as if killed
# (with CRASH_ONCE_ENV set to a path, only the first time: the path is created then).
CRASH_ENV = "CLAIMS_TEST_WORKER_EXIT_ON"
CRASH_ONCE_ENV = "CLAIMS_TEST_WORKER_EXIT_ONCE"
CRASHED_FIX = (
    "ingest it again on its own; if it crashes again it is too big or too unusual for the parser "
    "(split it, see --max-chars) or the worker ran out of memory (use fewer --jobs, or workers with more memory)"
)


def plain(d: SourceDocument) -> dict[str, Any]:
    """A document as it travels: its text and metadata as a dict of plain values."""
    return {f.name: getattr(d, f.name) for f in dataclasses.fields(d)}


def doc_batches(docs: Iterable[Any], max_docs: int, max_chars: int | None = None) -> Iterator[list[Any]]:
    """Batches of at most ``max_docs`` documents and (unless one document is longer) ``max_chars`` characters."""
    batch: list[Any] = []
    chars = 0
    for d in docs:
        if batch and (len(batch) >= max_docs or (max_chars is not None and chars + len(d.text) > max_chars)):
            yield batch
            batch, chars = [], 0
        batch.append(d)
        chars += len(d.text)
    if batch:
        yield batch


class LostScheduler(Exception):
    """The connection to the scheduler broke (it stopped, or the network did)."""


class Cluster:
    """A Dask client on a running scheduler, or on a LocalCluster of ``jobs`` processes that it owns."""

    def __init__(self, parser_name: str, aliases: str | None, scheduler: str | None = None, jobs: int = 2):
        import dask
        from distributed import Client, LocalCluster

        self.address = scheduler
        self.local: LocalCluster | None = None
        # Dask's own log lines (a worker restarted, the scheduler gone, tasks dropped at shutdown)
        # would come with tracebacks; the run reports each of those events itself, in one line
        self._quiet = _quiet()
        self._quiet.__enter__()
        if scheduler is None:
            with dask.config.set(LOCAL_CONFIG):
                self.local = LocalCluster(
                    n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                    scheduler_port=0, silence_logs=logging.CRITICAL, memory_limit=0,
                )  # fmt: skip
            self.client: Client = Client(self.local, set_as_default=False)
        else:
            from .errors import ClaimsError

            try:
                self.client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as e:
                self._quiet.__exit__()  # nothing else to close
                raise ClaimsError(
                    f"cannot reach a Dask scheduler there ({type(e).__name__}: {e})",
                    path=scheduler,
                    fix="start one with `dask scheduler` and give its address (tcp://HOST:8786), see docs/scaling.md",
                ) from None
        from .worker import PLUGIN_NAME, ParserPlugin

        plugin = ParserPlugin(parser_name, aliases, ignore_sigint=self.local is not None)
        self.client.register_plugin(plugin, name=PLUGIN_NAME)

    def threads(self) -> int:
        """Worker threads connected now (from the client's copy of the scheduler's state: no round trip)."""
        workers = self.client.scheduler_info().get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def close(self) -> None:
        """Disconnect, and stop the local cluster; never fails the run (everything written is already committed).

        A worker still starting (say, one restarted after a crash, on a loaded machine) can make
        an orderly stop time out; the worker processes are daemons and end with this process.
        """
        try:
            for close in (self.client.close, *((self.local.close,) if self.local is not None else ())):
                try:
                    close(timeout=CLOSE_TIMEOUT_S)
                except Exception as e:  # noqa: BLE001  (a time-out or a connection already gone)
                    log.debug("closing the Dask cluster: %s: %s", type(e).__name__, e)
        finally:
            self._quiet.__exit__()


class _quiet:
    """Dask's log handlers (on the ``distributed`` logger; its children have levels of their own) muted in this process."""

    def __enter__(self) -> None:
        self.handlers = [(h, h.level) for h in logging.getLogger("distributed").handlers]
        for h, _level in self.handlers:
            h.setLevel(logging.CRITICAL + 1)

    def __exit__(self, *exc: Any) -> None:
        for h, level in self.handlers:
            h.setLevel(level)


def analyse_distributed(
    batches: Iterator[list[SourceDocument]], cluster: Cluster
) -> Iterator[list[Analysis | Problem]]:
    """Each finished batch's analyses and problems, in completion order.

    At most ``IN_FLIGHT_PER_THREAD`` batches per worker thread are submitted at a time. A batch
    whose worker died is sent again one document at a time, each alone on the cluster (once the
    batches in flight are done, nothing else is submitted beside it), so that a worker dying then
    is that document's doing and not a neighbour's: a document whose worker died again becomes a
    problem. :class:`LostScheduler` when the scheduler goes away.
    """
    from collections import deque
    from concurrent.futures import CancelledError

    from distributed import as_completed
    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker

    from .errors import ClaimsError
    from .pipeline import Problem, internal_error
    from .worker import analyse_on_worker

    client = cluster.client
    if not client.scheduler_info().get("workers"):
        log.warning("no worker is connected to the scheduler yet: the documents wait for one (start `dask worker ADDRESS`)")
    todo = iter(batches)
    suspects: deque[SourceDocument] = deque()  # documents of a batch whose worker died, to retry alone
    in_flight: dict[Any, tuple[list[SourceDocument], bool]] = {}
    done = as_completed(loop=client.loop)
    crashes = 0

    def submit(batch: list[SourceDocument], alone: bool) -> None:
        f = client.submit(analyse_on_worker, [plain(d) for d in batch], key=f"claims-batch-{os.urandom(8).hex()}")
        in_flight[f] = (batch, alone)
        done.add(f)

    def fill() -> None:
        if suspects:  # one at a time, with nothing beside it: wait for the cluster to drain
            if not in_flight:
                submit([suspects.popleft()], True)
            return
        limit = IN_FLIGHT_PER_THREAD * cluster.threads()  # workers may join or leave during the run
        while sum(1 for _b, alone in in_flight.values() if not alone) < limit:
            batch = next(todo, None)
            if batch is None:
                return
            submit(batch, False)

    fill()
    try:
        for f in done:
            batch, alone = in_flight.pop(f)
            try:
                items: list[Analysis | Problem] = f.result()
                if alone:
                    crashes = 0
            except KilledWorker:
                if not alone:
                    log.warning(
                        "a worker stopped unexpectedly (killed, out of memory or crashed): "
                        "parsing its %d document(s) again, one at a time", len(batch)
                    )
                    suspects.extend(batch)
                    fill()
                    continue
                (d,) = batch
                log.warning("%s crashed a worker again", d.path)
                crashes += 1
                if crashes >= MAX_CRASHES_IN_A_ROW:
                    raise ClaimsError(
                        f"the workers crashed on {crashes} documents in a row: stopped (the documents before them are stored)",
                        path=d.path,
                        fix="run again with --jobs 1 to see the error, or check the memory available to the workers",
                    ) from None
                items = [Problem(d.path, "crashed the worker parsing it twice (killed, out of memory or crashed) and was not stored", CRASHED_FIX, "WorkerCrashed")]
            except ClaimsError:
                raise  # e.g. the parser's model is not installed on the workers: the run cannot go on
            except (CancelledError, CommClosedError, OSError, TimeoutError) as e:
                raise LostScheduler(f"{type(e).__name__}: {e}") from None
            except Exception as e:  # a bug outside the per-document guards: the batch is lost, not the run
                items = [internal_error(d.path, "parsing", e) for d in batch]
            yield items
            fill()
    finally:
        for f in list(in_flight):
            f.release()

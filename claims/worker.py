"""What runs on a Dask worker: the parser, loaded once per worker process, and the batch task.

Unpickled by the workers (importing this module imports no spaCy or stanza); the parser is
loaded on the first batch (a spaCy one without torch: ``claims.nlp.parse.import_spacy``).
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distributed import WorkerPlugin, get_worker

from .cluster import CRASH_ENV, CRASH_ONCE_ENV

if TYPE_CHECKING:
    from distributed import Worker

    from .ingest import SourceDocument
    from .nlp.parse import Parser
    from .pipeline import Analysis, Problem

PLUGIN_NAME = "claims-parser"


class ParserPlugin(WorkerPlugin):
    """Loads the parser once per worker process (a Dask worker plugin) and analyses batches.

    The parser is loaded on the first batch, not at registration, so that a model that is
    missing fails that batch with a clear :class:`~claims.errors.ClaimsError` for the caller.
    Batches run one at a time per worker process (parsers are not thread-safe), so start
    workers with ``--nthreads 1`` and as many processes as cores (``--nworkers``).
    """

    name = PLUGIN_NAME
    idempotent = True

    def __init__(self, parser_name: str, aliases: str | None, ignore_sigint: bool = False):
        self.parser_name = parser_name
        self.aliases = aliases
        # a LocalCluster's workers share the caller's terminal: Ctrl-C is the caller's to handle
        # (it stops between two documents and closes the cluster), not a traceback from each worker
        self.ignore_sigint = ignore_sigint
        self._parser: Parser | None = None
        self._lock: threading.Lock | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"parser_name": self.parser_name, "aliases": self.aliases, "ignore_sigint": self.ignore_sigint}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def setup(self, worker: Worker | None = None) -> None:
        if self.ignore_sigint and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        self._lock = threading.Lock()

    def teardown(self, worker: Worker | None = None) -> None:
        self._parser = None

    def parser(self) -> Parser:
        if self._parser is None:
            from .nlp.parse import load_parser

            self._parser = load_parser(self.parser_name)
        return self._parser

    def analyse(self, docs: list[dict[str, Any]]) -> list[Analysis | Problem]:
        """The analyses and problems of a batch of plain documents."""
        from .ingest import SourceDocument
        from .pipeline import analyse_batch

        if self._lock is None:
            self.setup()
        assert self._lock is not None
        batch = [SourceDocument(**d) for d in docs]
        if crash := os.environ.get(CRASH_ENV):
            _crash_hook(batch, crash)
        with self._lock:
            items = list(analyse_batch(batch, self.parser, self.aliases))
        return items


def analyse_on_worker(docs: list[dict[str, Any]]) -> list[Analysis | Problem]:
    """The task each batch is: run on a worker by its :class:`ParserPlugin`."""
    plugin: ParserPlugin = get_worker().plugins[PLUGIN_NAME]  # type: ignore[assignment]
    return plugin.analyse(docs)


def _crash_hook(batch: list[SourceDocument], name: str) -> None:
    if any(Path(d.path.split(":", 1)[0]).name == name for d in batch):
        once = os.environ.get(CRASH_ONCE_ENV)
        if once:
            if Path(once).exists():
                return
            Path(once).touch()
        os._exit(70)

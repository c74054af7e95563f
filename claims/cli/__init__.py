"""The command line: thin commands over library calls; the only package that prints.

One room per kind of command: :mod:`.archive` builds and reads the archive
(ingest, reextract, export, serve, setup, schema), :mod:`.follow` follows a
proposition over time (compare, report, verify, link), :mod:`.evaluate` and
:mod:`.bench` are the developer's (eval, bench). What they share is in
:mod:`.common`; none of them imports this package, so there is no cycle.
Heavy imports stay inside the commands so that ``claims --help`` stays fast.
"""

from __future__ import annotations

import logging

import click

from .. import __version__
from .archive import export, ingest, reextract, schema, serve, setup
from .bench import bench_command
from .common import ClickLogHandler, db_option, handle_errors, progress_bar
from .evaluate import eval_command
from .follow import compare_command, link_command, report_command, verify_command

__all__ = ["cli", "db_option", "handle_errors", "ingest", "main", "progress_bar"]


@click.group()
@click.version_option(__version__, prog_name="claims")
def cli() -> None:
    """Attributed claims from dated documents: who asserts what, how firmly, about whom and when."""
    logger = logging.getLogger("claims")
    if not any(isinstance(h, ClickLogHandler) for h in logger.handlers):
        logger.addHandler(ClickLogHandler())
        logger.setLevel(logging.WARNING)
        logger.propagate = False


for command in (ingest, reextract, export, serve, setup, schema):
    cli.add_command(command)
cli.add_command(eval_command, "eval")
cli.add_command(bench_command, "bench")
cli.add_command(compare_command, "compare")
cli.add_command(report_command, "report")
cli.add_command(verify_command, "verify")
cli.add_command(link_command, "link")

main = cli  # the console script's entry point (`claims = claims.cli:cli`; `main` is the same group)

"""What every command shares: the ``--db`` option, the error mapping, the log handler, the progress bar.

Commands are thin (sqlite-utils style): open the database, make one library
call, turn the library's :class:`~claims.errors.ClaimsError` into a one-line
message and an exit code. This module imports nothing heavy so that
``claims --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import ClaimsError

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_DB = "db/claims.db"


def db_option(fn: F) -> F:
    return click.option(
        "--db",
        default=DEFAULT_DB,
        show_default=True,
        type=click.Path(dir_okay=False),
        help="SQLite database file.",
    )(fn)


def handle_errors(fn: F) -> F:
    """Turn ClaimsError into click's one-line error and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ClaimsError as e:
            raise click.ClickException(str(e)) from None

    return wrapper  # type: ignore[return-value]


class ClickLogHandler(logging.Handler):
    """Library warnings go to stderr as plain lines, not log records; a bug keeps its traceback."""

    def emit(self, record: logging.LogRecord) -> None:
        level = "error" if record.levelno >= logging.ERROR else "warning"
        click.echo(f"{level}: {record.getMessage()}", err=True)
        if record.exc_info:
            click.echo(logging.Formatter().formatException(record.exc_info), err=True)


def require_db(db: str) -> None:
    """A command that reads the database says how to make one when there is none."""
    if not Path(db).is_file():
        raise ClaimsError("no such database", path=db, fix="run `claims ingest PATH --db " + db + "` first")


def open_session(db: str) -> Any:
    """A session on an existing database (:func:`claims.store.session`)."""
    from ..store import session

    require_db(db)
    return session(db)


def date_option_value(value: str | None, name: str) -> str | None:
    """A ``--since``/``--until``/``--date`` value as an ISO day, the option named in the error."""
    if value is None:
        return None
    from ..ingest import parse_date

    return parse_date(value, name)


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[Callable[..., None]]:
    """A rich progress bar on stderr showing documents, claims and problems so far; nothing when stderr is not a terminal.

    Yields ``update(documents, claims, problems)``.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(), disable=not sys.stderr.isatty(), transient=True, console=None,
    ) as bar:
        task = bar.add_task(label, total=None, counts="")

        def update(
            documents: int, claims: int | None = None, problems: int | None = None, total: int | None = None, label: str | None = None
        ) -> None:
            counts = "documents" + (f", {claims} claims" if claims is not None else "") + (f", {problems} problems" if problems is not None else "")
            bar.update(task, completed=documents, total=total, counts=counts, description=label or bar.tasks[0].description)

        yield update

"""Building and reading the archive: ingest, reextract, export, serve, setup, schema.

Each command opens the database, makes one library call and turns the
library's :class:`~claims.errors.ClaimsError` into a one-line message and an
exit code (:func:`.common.handle_errors`). Any other exception is a bug and
keeps its traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .common import db_option, handle_errors, progress_bar, require_db


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@click.option(
    "--parser",
    type=click.Choice(["auto", "stanza", "spacy", "conllu"]),
    default="auto",
    show_default=True,
    help="auto: stanza if its models are installed, else the spaCy fallback. conllu: pre-parsed input only.",
)
@click.option("--date", "date_", help="Date for documents that carry none (YYYY-MM-DD or free-form).")
@click.option("--source", help="Publisher or author; unattributed claims are attributed to it.")
@click.option("--title", help="Title for the documents (overrides their own).")
@click.option("--aliases", type=click.Path(exists=True, dir_okay=False), help="Extra entity aliases (YAML, same format as the shipped table).")
@click.option("--max-bytes", default=10_000_000, show_default=True, help="Refuse files larger than this many bytes.")
@click.option(
    "--max-chars",
    default=1_000_000,
    show_default=True,
    type=click.IntRange(1),
    help="Refuse documents longer than this many characters (parsing takes about 2 minutes per million).",
)
@click.option("-j", "--jobs", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes of a local Dask cluster (one writer, here).")
@click.option("--scheduler", metavar="ADDRESS", help="Parse on the workers of this Dask scheduler (tcp://HOST:8786; docs/scaling.md); the writer stays here.")
@handle_errors
def ingest(
    paths: tuple[Path, ...],
    db: str,
    parser: str,
    date_: str | None,
    source: str | None,
    title: str | None,
    aliases: str | None,
    max_bytes: int,
    max_chars: int,
    jobs: int,
    scheduler: str | None,
) -> None:
    """Parse documents (files or folders) and store their claims.

    Formats: .txt/.md starting with `date YYYY-MM-DD` or with YAML front
    matter; .json/.jsonl valid against schema/document.schema.json; .conllu.
    A document already stored (same normalised text) is skipped.
    """
    if scheduler and jobs > 1:
        raise click.UsageError("give --jobs (a local cluster) or --scheduler (a running one), not both")
    from ..ingest import parse_date
    from ..pipeline import Ingest

    default_date = parse_date(date_, "--date") if date_ else None

    def announce(info: Any) -> None:
        click.echo(f"parser: {info.name} ({info.version})", err=True)

    job = Ingest(db, parser=parser, source=source, title=title, aliases=aliases, on_parser=announce, jobs=jobs, scheduler=scheduler)
    try:
        with progress_bar("ingesting") as bar:
            result = job.run(
                list(paths), date=default_date, max_bytes=max_bytes, max_chars=max_chars,
                progress=lambda r: bar(len(r.stored) + len(r.duplicates), r.n_claims, len(r.problems)),
            )
    except KeyboardInterrupt:
        click.echo(
            f"interrupted: the documents finished so far are stored, none half-written; "
            f"run the same command again to go on (stored documents are skipped) -> {db}", err=True,
        )
        sys.exit(130)
    for p in result.problems:
        fix = f" (fix: {p.fix})" if p.fix else ""
        click.echo(f"error: {p.path}: {p.message}{fix}", err=True)
    for path in result.duplicates:
        click.echo(f"skipped: {path}: already in {db}", err=True)
    click.echo(
        f"{len(result.stored)} document(s) stored, {len(result.duplicates)} already present, "
        f"{len(result.problems)} failed; {result.n_sentences} sentences, {result.n_claims} claims -> {db}"
    )
    if result.problems:
        sys.exit(1)


@click.command()
@db_option
@click.option("--aliases", type=click.Path(exists=True, dir_okay=False), help="Extra entity aliases (YAML).")
@handle_errors
def reextract(db: str, aliases: str | None) -> None:
    """Re-run extraction on the stored parses, without re-parsing (after a lexicon or rule change)."""
    from ..pipeline import reextract as run

    require_db(db)
    with progress_bar("re-extracting") as bar:
        result = run(db, aliases=aliases, progress=lambda r, total: bar(r.n_documents, r.n_claims, len(r.problems), total))
    for p in result.problems:
        click.echo(f"error: {p.path}: {p.message}", err=True)
    click.echo(f"{result.n_documents} document(s) re-extracted: {result.n_claims} claims")
    if result.problems:
        sys.exit(1)


@click.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True, help="Output format: JSON Lines, one claim per line.")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-", help="Output file (default: stdout).")
@handle_errors
def export(db: str, fmt: str, output: Any) -> None:
    """Write every claim as one JSON object per line (schema/claim.schema.json)."""
    from ..export import records

    require_db(db)
    n = 0
    for record in records(db):
        output.write(json.dumps(record, ensure_ascii=False) + "\n")
        n += 1
    if output is not sys.stdout and getattr(output, "name", "-") != "<stdout>":
        click.echo(f"{n} claims written to {output.name}", err=True)


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback by default).")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option("--writable", is_flag=True, help="Open the database read-write (default: immutable).")
@handle_errors
def serve(db: str, host: str, port: int, writable: bool) -> None:
    """Browse the claims in Datasette."""
    from ..serve import serve as run

    require_db(db)
    click.echo(f"Serving {db} at http://{host}:{port}/  (Ctrl-C to stop)", err=True)
    sys.exit(run(db, host=host, port=port, writable=writable))


@click.command()
@click.option("--model-dir", type=click.Path(file_okay=False), help="Where to put stanza's models.")
@handle_errors
def setup(model_dir: str | None) -> None:
    """Download stanza's English models (needs access to stanza's model hub)."""
    from ..nlp.parse import setup_stanza

    setup_stanza(model_dir)
    click.echo("stanza's English models are installed")


@click.command()
@click.option("--write", is_flag=True, help="Rewrite schema/claim.schema.json from the models.")
def schema(write: bool) -> None:
    """Print the JSON Schema of exported claims (generated from the models)."""
    from ..export import SCHEMA_PATH, claim_schema

    text = json.dumps(claim_schema(), indent=2) + "\n"
    if write:
        SCHEMA_PATH.write_text(text, encoding="utf-8")
        click.echo(f"wrote {SCHEMA_PATH}", err=True)
    else:
        click.echo(text, nl=False)

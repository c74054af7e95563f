"""``claims eval``: score the extractor against the annotated corpora in ``../shared/eval``.

Registered on the main group in ``claims/cli/__init__.py``; everything heavy is imported
inside the command so ``claims --help`` stays fast.
"""

from __future__ import annotations

import sys
import time

import click

from .common import progress_bar

NAMES = ("parser", "hedging", "factuality", "attribution", "commitment", "linking")


@click.command("eval")
@click.option("--data", type=click.Path(file_okay=False), default=None, help="Corpora folder (default: $CLAIMS_EVAL_DATA or ../shared/eval).")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="Write the table into this Markdown file (e.g. docs/evaluation.md).")
@click.option("--only", multiple=True, type=click.Choice(NAMES), help="Run only these evaluations (repeatable).")
@click.option("--limit", type=int, default=None, help="First N items of each corpus (a quick run; figures are not comparable).")
@click.option("--no-cache", is_flag=True, help="Re-parse instead of reading cached parses.")
def eval_command(data: str | None, output: str | None, only: tuple[str, ...], limit: int | None, no_cache: bool) -> None:
    """Score parser, hedging, factuality, attribution and commitment against published corpora."""
    from rich.console import Console
    from rich.table import Table

    from ..errors import MissingData
    from ..evaluation import report
    from ..evaluation.corpora import data_dir
    from ..evaluation.evaluators import EVALUATORS
    from ..extract.lexicons import extractor_version

    console = Console(stderr=True)
    root = data_dir(data)
    if not root.is_dir():
        raise click.ClickException(f"{root}: no evaluation data here (fix: pass --data DIR or set CLAIMS_EVAL_DATA)")
    names = [n for n in NAMES if not only or n in only]
    sections, skipped = [], []
    t0 = time.perf_counter()
    for name in names:
        console.print(f"[bold]{name}[/bold] …")
        t = time.perf_counter()
        try:
            with progress_bar(f"{name}: parsing") as bar:
                parsed = 0

                def step(n: int) -> None:
                    nonlocal parsed
                    parsed += n
                    bar(parsed)

                section = EVALUATORS[name](root, limit=limit, use_cache=not no_cache, progress=step)
        except MissingData as e:
            skipped.append(f"{name}: {e}")
            console.print(f"  skipped: {e}")
            continue
        sections.append(section)
        skipped += [f"{name}: {m}" for m in section.details.get("skipped", [])]
        console.print(f"  done in {time.perf_counter() - t:.0f} s")
    seconds = time.perf_counter() - t0

    table = Table(title="claims eval")
    for col in ("task", "dataset", "metric", "ours", "target", "met", "published", "n"):
        table.add_column(col, justify="right" if col in ("ours", "n") else "left")
    for s in sections:
        for r in s.rows:
            table.add_row(r.task, r.dataset, r.metric, report.fmt(r.ours), r.target, report.met(r), r.published, "" if r.n is None else str(r.n))
    out = Console()
    if not out.is_terminal:
        out = Console(width=200)  # a log file: no wrapping
    out.print(table)
    for m in skipped:
        click.echo(f"skipped: {m}", err=True)

    if output:
        from ..nlp.parse import SPACY_MODEL

        head = report.header_lines(extractor_version(), f"spaCy fallback ({SPACY_MODEL}) → UD v2", limit, seconds)
        report.write(output, report.markdown(sections, skipped, head))
        click.echo(f"wrote {output}", err=True)
    if not sections:
        sys.exit(1)

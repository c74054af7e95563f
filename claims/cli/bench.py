"""``claims bench``'s command line, apart from :mod:`claims.bench` so that ``claims --help`` and
the other commands never import the benchmarks (or what they import)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .common import progress_bar

SECTIONS = ("startup", "throughput", "jobs", "writer", "reextract", "memory", "latency", "link", "profile")


@click.command(name="bench")
@click.option(
    "--quick",
    is_flag=True,
    help="Small inputs (12 documents, 500 short ones, a 50,000-claim archive): a few minutes.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default="docs/performance.md",
    show_default=True,
    help="Where to write the report.",
)
@click.option(
    "--corpus",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of .txt/.md texts (default: the PolNeAR dev articles in ../shared/eval, else generated).",
)
@click.option("--docs", type=int, help="Use only the first N corpus documents.")
@click.option(
    "--repeats",
    type=int,
    help="Interleaved repeats of the throughput and --jobs runs (default 2; quick 1).",
)
@click.option(
    "--jobs",
    type=int,
    default=2,
    show_default=True,
    help="Worker processes to compare with one.",
)
@click.option(
    "--memory-docs",
    type=int,
    help="Short documents for the memory run (default 10,000; quick 500).",
)
@click.option(
    "--synthetic",
    type=int,
    help="Claims in the synthetic archive (default 1,000,000; quick 50,000).",
)
@click.option(
    "--archive",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Synthetic archive to reuse, or to create here and keep.",
)
@click.option(
    "--requests",
    type=int,
    help="Timed requests per URL (default 10; quick 5; fewer for a URL slower than 10 s in all).",
)
@click.option(
    "--only",
    "sections",
    multiple=True,
    type=click.Choice(SECTIONS),
    help="Run only these sections (repeatable).",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the work files here (default: a temporary folder, removed).",
)
@click.option(
    "--provisional",
    help="A note printed at the top of the report (e.g. why the figures are noisy).",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the raw results as JSON.",
)
def bench_command(quick: bool, output: Path, corpus: Path | None, docs: int | None, repeats: int | None, jobs: int,
                  memory_docs: int | None, synthetic: int | None, archive: Path | None, requests: int | None,
                  sections: tuple[str, ...], workdir: Path | None, provisional: str | None, json_path: Path | None) -> None:  # fmt: skip
    """Measure start-up, ingest throughput, parallel ingest, the writer alone, reextract, memory and Datasette latency; write the report."""
    from ..bench import Settings, main

    with progress_bar("bench") as bar:
        step = {"label": "bench"}

        def log(msg: str) -> None:
            click.echo(f"bench: {msg}", err=True)
            step["label"] = f"bench: {msg}"
            bar(0, label=step["label"])

        kw: dict[str, Any] = dict(output=output, corpus=corpus, docs=docs, repeats=repeats, jobs=jobs, memory_docs=memory_docs,
                  synthetic=synthetic, archive=archive, requests=requests, sections=sections or None, workdir=workdir,
                  log=log, progress=lambda r: bar(len(r.stored) + len(r.duplicates), r.n_claims, len(r.problems), label=step["label"]))  # fmt: skip
        s = (
            Settings.quick_mode(**kw)
            if quick
            else Settings(**{k: v for k, v in kw.items() if v is not None})
        )  # type: ignore[arg-type]
        res = main(s, provisional, json_path)
    click.echo(f"report written to {s.output} ({res.seconds:,.0f} s)")
    if res.errors:
        raise click.ClickException(
            "sections failed: " + "; ".join(f"{k}: {v}" for k, v in res.errors.items())
        )


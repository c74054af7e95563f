"""Commands for following a proposition over time: compare, report, verify, link.

Thin wrappers, like the rest of :mod:`claims.cli`: open the database, make
one library call (in :mod:`claims.compare`, :mod:`claims.report`,
:mod:`claims.verify`, :mod:`claims.propositions`), print. Heavy imports stay
inside the functions so that ``claims --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import date_option_value as _date
from .common import db_option, handle_errors
from .common import open_session as _session


@click.command("compare")
@db_option
@click.option("--entity", help="Propositions whose claims mention this entity (canonical name or as written).")
@click.option("--proposition", type=int, help="One proposition, by id.")
@click.option("--query", help="Propositions with a claim containing all these words.")
@click.option("--since", help="Only claims in documents dated on or after this day.")
@click.option("--until", help="Only claims in documents dated on or before this day.")
@click.option("--min-claims", type=int, help="Hide propositions with fewer claims (default 2, or 1 with --proposition).")
@click.option("--changed", is_flag=True, help="Only propositions whose assessment changed.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@handle_errors
def compare_command(
    db: str,
    entity: str | None,
    proposition: int | None,
    query: str | None,
    since: str | None,
    until: str | None,
    min_claims: int | None,
    changed: bool,
    fmt: str,
) -> None:
    """How the assessment of a proposition changed: its claims by date, who said what, how firmly.

    Each assessment gets a change label against the one before it: first
    seen, repeated, strengthened, weakened, reversed, new source, figure
    changed.
    """
    from ..compare import compare

    if sum(x is not None for x in (entity, proposition, query)) > 1:
        raise click.UsageError("give at most one of --entity, --proposition, --query")
    with _session(db) as s:
        found = compare(
            s, entity=entity, proposition=proposition, query=query,
            since=_date(since, "--since"), until=_date(until, "--until"), min_claims=min_claims,
        )
    if changed:
        found = [p for p in found if p.changed]
    if fmt == "json":
        click.echo(json.dumps([p.model_dump(mode="json") for p in found], indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("no proposition with two claims or more matches; try --min-claims 1", err=True)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)
    for p in found:
        table = Table(
            title=f"Proposition {p.id}: {p.label}",
            caption=f"{p.key} · {p.n_claims} claims, {p.n_documents} documents, {p.n_sources} sources · first {p.first_seen}, last {p.last_seen}",
            show_lines=False,
            highlight=False,
        )
        for name in ("date", "change", "claim", "polarity", "certainty", "source", "detail"):
            table.add_column(name, overflow="fold")
        for a in p.assessments:
            table.add_row(
                a.date,
                ", ".join(c.value for c in a.changes),
                a.quote,
                a.polarity,
                a.certainty + (f" ({a.certainty_term})" if a.certainty_term else ""),
                a.source,
                a.change_detail,
                style="bold" if a.change.value in ("reversed", "figure changed") else None,
            )
        console.print(table, markup=False)


@click.command("report")
@db_option
@click.option("--proposition", type=int, help="Report on one proposition, by id.")
@click.option("--entity", help="Report on every proposition (two claims or more) about an entity.")
@click.option("--claim", help="Report on the proposition of one claim (and rate it, with --format claimreview).")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json", "prov", "claimreview"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: stdout).")
@click.option("--since", help="Only claims in documents dated on or after this day.")
@click.option("--until", help="Only claims in documents dated on or before this day.")
@click.option("--generated-at", help="A 'generated at' to print; 'last-run' uses the database's last run. Default: none, so reports are reproducible.")
@click.option("--rating", help="ClaimReview: the rating, e.g. 'Unproven'.")
@click.option("--reviewer", help="ClaimReview: the fact-checking organisation.")
@click.option("--url", help="ClaimReview: where the review is published.")
@handle_errors
def report_command(
    db: str,
    proposition: int | None,
    entity: str | None,
    claim: str | None,
    fmt: str,
    output: Path | None,
    since: str | None,
    until: str | None,
    generated_at: str | None,
    rating: str | None,
    reviewer: str | None,
    url: str | None,
) -> None:
    """A provenance report: the proposition, its timeline, every claim quoted with its source chain and document.

    Formats: md, html (escaped), json (schema/report.schema.json), prov
    (W3C PROV-JSON), claimreview (schema.org JSON-LD; needs --claim,
    --rating and --reviewer).
    """
    from ..report import build_report, last_run_time, render

    if sum(x is not None for x in (proposition, entity, claim)) != 1:
        raise click.UsageError("give exactly one of --proposition, --entity, --claim")
    with _session(db) as s:
        when = last_run_time(s) if generated_at == "last-run" else generated_at
        rep = build_report(
            s, proposition=proposition, entity=entity, claim=claim, generated_at=when,
            since=_date(since, "--since"), until=_date(until, "--until"),
        )
        extra = {"rating": rating, "reviewer": reviewer, "url": url} if fmt == "claimreview" else {}
        text = render(s, rep, fmt, **extra)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@click.command("verify")
@db_option
@handle_errors
def verify_command(db: str) -> None:
    """Re-check every quoted span against the stored document text and its sha256; exit 1 on any mismatch."""
    from ..verify import verify

    with _session(db) as s:
        result = verify(s)
    for mm in result.mismatches:
        click.echo(f"mismatch: {mm}", err=True)
    click.echo(f"{result.n_documents} document(s), {result.n_spans} span(s) checked: {len(result.mismatches)} mismatch(es)")
    if not result.ok:
        sys.exit(1)


@click.command("link")
@db_option
@click.option("--merge", nargs=2, type=int, metavar="INTO OTHER", help="Move every claim of proposition OTHER into INTO.")
@click.option("--split", "split_claim", metavar="CLAIM_ID", help="Take one claim out of its proposition into a new one.")
@click.option("--reason", help="Why: kept in the review_actions audit table.")
@click.option("--reviewer", help="Who decided.")
@click.option("--evaluate", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Score the linker on labelled pairs (JSONL) and print the threshold sweep.")
@handle_errors
def link_command(
    db: str,
    merge: tuple[int, int] | None,
    split_claim: str | None,
    reason: str | None,
    reviewer: str | None,
    evaluate: Path | None,
) -> None:
    """Review proposition links: merge two propositions or split a claim off; decisions survive `claims reextract`."""
    if evaluate is not None:
        from ..evaluation.pairs import load_pairs, sweep
        from ..propositions import SCORERS, THRESHOLD

        pairs = load_pairs(evaluate)
        click.echo(f"{len(pairs)} pairs, {sum(1 for p in pairs if p[2])} same proposition; linker threshold {THRESHOLD}")
        click.echo("scorer        threshold  precision  recall  f1")
        for name, scorer in SCORERS.items():
            for row in sweep(pairs, scorer, [x / 100 for x in range(50, 101, 5)]):
                click.echo(f"{name:12s}  {row.threshold:9.2f}  {row.precision:9.3f}  {row.recall:6.3f}  {row.f1:.3f}")
        return
    if (merge is None) == (split_claim is None):
        raise click.UsageError("give one of --merge INTO OTHER or --split CLAIM_ID")
    from ..propositions import review

    with _session(db) as s:
        if merge is not None:
            action = review.merge(s, merge[0], merge[1], reason=reason, reviewer=reviewer)
            msg = f"merged proposition {merge[1]} into {merge[0]}: {len(action.claim_ids)} claim(s) moved (review #{action.id})"
        else:
            assert split_claim is not None
            action = review.split(s, split_claim, reason=reason, reviewer=reviewer)
            msg = f"claim {split_claim} is now proposition {action.proposition_id} (review #{action.id})"
        s.commit()
    click.echo(msg)

"""Provenance reports: a proposition's timeline as Markdown, HTML, JSON, W3C PROV-JSON or ClaimReview.

Every format is rendered from one :class:`Report` (built by :func:`build_report`
from :func:`claims.compare.timelines`), so they cannot disagree. Reports are
deterministic: they carry no wall-clock time unless one is passed in
(``generated_at``); "data as of" is the latest document date they cite.
Document text is untrusted: HTML goes through Jinja2 with autoescape on, and
Markdown escapes the characters that could inject markup or links.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, select

from . import __version__, resources
from . import model as m
from .compare import PropositionTimeline, QueryError, proposition_ids, timelines
from .errors import ReportError
from .propositions import LINKER_VERSION

SCHEMA_PATH = resources.schema_path("report.schema.json")
FORMATS = ("md", "html", "json", "prov", "claimreview")
NS = "https://claims.example/id/"


class ToolOut(BaseModel):
    name: str = "claims"
    version: str
    linker_version: str


class QueryOut(BaseModel):
    kind: str = Field(description="proposition | entity | claim")
    value: str


class Report(BaseModel):
    title: str
    query: QueryOut
    data_as_of: str | None = Field(description="The latest document date the report cites")
    generated_at: str | None = Field(default=None, description="Only when given: reports carry no wall-clock time")
    tool: ToolOut
    propositions: list[PropositionTimeline]


def report_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://claims.example/schema/report.schema.json",
        "description": "A provenance report as written by `claims report --format json` (generated from claims.report.Report).",
        **Report.model_json_schema(),
    }


def build_report(
    s: Session,
    proposition: int | None = None,
    entity: str | None = None,
    claim: str | None = None,
    generated_at: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Report:
    given = [(k, v) for k, v in (("proposition", proposition), ("entity", entity), ("claim", claim)) if v is not None]
    if len(given) != 1:
        raise ReportError("give exactly one of --proposition, --entity or --claim", fix="e.g. `claims report --claim <id>`")
    kind, value = given[0]
    ids = proposition_ids(s, entity=entity, proposition=proposition, claim=claim)
    props = timelines(s, ids, since=since, until=until, min_claims=1 if kind != "entity" else 2)
    if not props:
        raise QueryError(f"nothing to report for {kind} {value}", fix="widen --since/--until, or pick a proposition with `claims compare`")
    if kind == "entity":
        title = f"Claims about {value}"
    else:
        title = props[0].label
    as_of = max((p.last_seen for p in props if p.last_seen), default=None)
    return Report(
        title=title,
        query=QueryOut(kind=kind, value=str(value)),
        data_as_of=as_of,
        generated_at=generated_at,
        tool=ToolOut(version=__version__, linker_version=LINKER_VERSION),
        propositions=props,
    )


# --- Markdown and HTML ------------------------------------------------------------

MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>&#])")


def md_escape(value: Any) -> str:
    """Text safe inside Markdown: no HTML, no links, no table breaks; renders as written."""
    text = re.sub(r"\s+", " ", "" if value is None else str(value))
    return MD_SPECIAL.sub(lambda mt: {"<": "&lt;", ">": "&gt;", "&": "&amp;"}.get(mt.group(1), "\\" + mt.group(1)), text)


def md_code(value: Any) -> str:
    """Text inside a Markdown code span: shown literally, so only backticks and newlines matter."""
    return re.sub(r"\s+", " ", "" if value is None else str(value)).replace("`", "'")


def _env(autoescape: bool) -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("claims", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["code"] = md_code
    return env


def render_markdown(report: Report) -> str:
    return _env(autoescape=False).get_template("report.md.j2").render(r=report)


def render_html(report: Report) -> str:
    return _env(autoescape=True).get_template("report.html.j2").render(r=report)


def render_json(report: Report) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


# --- W3C PROV ----------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unnamed"


def prov_document(s: Session, report: Report) -> Any:
    """Documents and claims as entities, ingest runs as activities, sources and the tool as agents."""
    from prov.model import PROV_LABEL, PROV_TYPE, PROV_VALUE, ProvDocument

    d = ProvDocument()
    d.add_namespace("claims", NS)
    d.add_namespace("schema", "https://schema.org/")
    tool = d.agent(
        f"claims:tool/claims-{__version__}",
        {PROV_TYPE: "prov:SoftwareAgent", PROV_LABEL: f"claims {__version__}", "claims:linkerVersion": report.tool.linker_version},
    )
    seen: set[str] = set()
    agents: dict[str, Any] = {}

    def agent(identifier: str, label: str, source_type: str) -> Any:
        if identifier not in agents:
            agents[identifier] = d.agent(identifier, {PROV_LABEL: label, "claims:sourceType": source_type})
        return agents[identifier]

    for p in report.propositions:
        prop = d.collection(f"claims:proposition/{p.id}", {PROV_LABEL: p.label, "claims:key": p.key})
        for a in p.assessments:
            doc = a.document
            doc_id = f"claims:document/{doc.id}"
            if doc_id not in seen:
                seen.add(doc_id)
                attrs: dict[Any, Any] = {
                    PROV_TYPE: "schema:Article",
                    "claims:contentHash": f"sha256:{doc.content_hash}",
                    "schema:datePublished": doc.date,
                }
                if doc.title:
                    attrs[PROV_LABEL] = doc.title
                if doc.url:
                    attrs["schema:url"] = doc.url
                d.entity(doc_id, attrs)
                publisher = agent(f"claims:source/{_slug(doc.source or 'author of ' + doc.id)}", doc.source or f"the author of {doc.id}", "author")
                d.wasAttributedTo(doc_id, publisher)
                if doc.ingest_run_id is not None:
                    run_id = f"claims:run/{doc.ingest_run_id}"
                    if run_id not in seen:
                        seen.add(run_id)
                        run = s.get(m.Run, doc.ingest_run_id)
                        d.activity(
                            run_id,
                            run.started_at if run else None,
                            run.finished_at if run else None,
                            {PROV_TYPE: "claims:IngestRun", PROV_LABEL: f"claims {run.command if run else 'ingest'} run {doc.ingest_run_id}"},
                        )
                        d.wasAssociatedWith(run_id, tool)
                    d.used(run_id, doc_id)
            claim_id = f"claims:claim/{a.claim_id.replace(':', '_')}"
            claim = d.entity(
                claim_id,
                {
                    PROV_TYPE: "claims:Claim",
                    PROV_VALUE: a.quote,
                    "claims:claimId": a.claim_id,
                    "claims:polarity": a.polarity,
                    "claims:certainty": a.certainty,
                    "claims:hedgeLevel": a.hedge_level,
                    "claims:startChar": a.start_char,
                    "claims:endChar": a.end_char,
                    "claims:parser": f"{a.parser} {a.parser_version}",
                    "claims:extractorVersion": a.extractor_version,
                },
            )
            row = s.get(m.Claim, a.claim_id)
            if doc.ingest_run_id is not None:
                d.wasGeneratedBy(claim, f"claims:run/{doc.ingest_run_id}", row.extracted_at if row else None)
            d.wasDerivedFrom(claim, doc_id)
            if a.source_type == "author":  # the publisher, or the document's unnamed author
                source = agent(f"claims:source/{_slug(doc.source or 'author of ' + doc.id)}", doc.source or f"the author of {doc.id}", "author")
            else:
                source = agent(f"claims:source/{_slug(a.source)}", a.source, a.source_type)
            d.wasQuotedFrom(claim, doc_id)
            d.wasAttributedTo(claim, source)
            d.hadMember(prop, claim)
    return d


def render_prov(s: Session, report: Report) -> str:
    return str(prov_document(s, report).serialize(format="json", indent=2)) + "\n"


# --- schema.org ClaimReview ------------------------------------------------------------


ORGANISATION_TYPES = {m.SourceType.government.value, m.SourceType.institution.value, m.SourceType.document.value, m.SourceType.intelligence.value}


def claim_author_type(source: str, source_type: str) -> str:
    """schema.org type of a claim's author: an Organization for a body, or for a group named by a
    plural source word of the lexicon ("officials", "analysts"); a Person otherwise."""
    from .extract.lexicons import lexicons

    if source_type in ORGANISATION_TYPES:
        return "Organization"
    last = (source.split() or [""])[-1].lower()
    words = {str(w).lower() for ws in lexicons().attribution["source_types"].values() for w in ws}
    return "Organization" if last.endswith("s") and last in words else "Person"


def claim_review(report: Report, claim_id: str, rating: str, reviewer: str, url: str | None = None) -> dict[str, Any]:
    """ClaimReview JSON-LD for one claim, its appearances being the claims of its proposition."""
    for p in report.propositions:
        for a in p.assessments:
            if a.claim_id == claim_id:
                break
        else:
            continue
        break
    else:
        raise ReportError(f"claim {claim_id} is not in the report", fix="use `claims report --claim ID --format claimreview`")

    def appearance(x: Any) -> dict[str, Any]:
        work: dict[str, Any] = {"@type": "CreativeWork", "datePublished": x.document.date, "text": x.quote}
        if x.document.url:
            work["url"] = x.document.url
        if x.document.title:
            work["headline"] = x.document.title
        if x.document.source:
            work["publisher"] = {"@type": "Organization", "name": x.document.source}
        work["identifier"] = f"{x.document.id}:{x.start_char}-{x.end_char}"
        return work

    # appearances: the claims of its proposition that assert it the same way round
    appearances = [appearance(x) for x in p.assessments if x.polarity == a.polarity]
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": a.quote,
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": claim_author_type(a.source, a.source_type), "name": a.source},
            "datePublished": a.date,
            "firstAppearance": appearances[0],
            "appearance": appearances,
        },
        "reviewRating": {"@type": "Rating", "alternateName": rating},
        "author": {"@type": "Organization", "name": reviewer},
    }
    # the review's own date is when it is made: only when given (--generated-at), never a document's date
    if report.generated_at:
        review["datePublished"] = report.generated_at
    if url:
        review["url"] = url
    return review


def render(s: Session, report: Report, fmt: str, **claimreview: Any) -> str:
    if fmt == "md":
        return render_markdown(report)
    if fmt == "html":
        return render_html(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "prov":
        return render_prov(s, report)
    if fmt == "claimreview":
        if report.query.kind != "claim":
            raise ReportError("a ClaimReview rates one claim", fix="use --claim ID with --format claimreview")
        if not claimreview.get("rating") or not claimreview.get("reviewer"):
            raise ReportError("a ClaimReview needs --rating and --reviewer", fix="e.g. --rating 'Unproven' --reviewer 'Example Fact Check'")
        return json.dumps(claim_review(report, report.query.value, **claimreview), indent=2, ensure_ascii=False) + "\n"
    raise ReportError(f"unknown format {fmt}", fix=f"use one of {', '.join(FORMATS)}")


def last_run_time(s: Session) -> str | None:
    """The finish time of the database's last run: a 'generated at' that only changes with the data."""
    run = s.exec(select(m.Run).order_by(m.Run.id.desc())).first()  # type: ignore[union-attr]
    when = run and (run.finished_at or run.started_at)
    return when.isoformat() if when else None

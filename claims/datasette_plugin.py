"""Datasette plugin for the claims database: readable cells, an entity facet, a timeline page.

Registered through the ``datasette`` entry point in pyproject.toml. Configuration
(titles, descriptions, facets, canned queries) lives in ``db/metadata.yml`` and
templates in ``db/templates/``; this module only adds behaviour Datasette 0.65
cannot be configured to have:

- ``render_cell``: a claim shown inside its sentence with its hedge cues and
  attribution cue highlighted, certainty / hedge level / polarity as badges, and
  links from claims to their sentence, document, proposition and timeline: one
  renderer per (table, column) in ``RENDERERS``, and one query per page for what the
  cells need beyond their row (:class:`Page`). Every piece of document text goes
  through :func:`markupsafe.escape`.
- ``register_facet_classes`` + ``filters_from_request``: an ``entity`` facet on the
  claims table and the ``?_entity=NAME`` filter it toggles.
- ``register_routes``: ``/-/timeline?proposition=N`` (or ``?q=``, ``?entity=``), a
  chart of certainty over time drawn from a canned query's JSON.
- ``extra_template_vars``: the propositions whose assessment changed, for the
  "start here" panel on the home and database pages.

Nothing here writes to the database; the canned queries are read-only.
"""

from __future__ import annotations

import inspect
import json
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import path_with_added_args, path_with_removed_args, tilde_encode
from datasette.utils.asgi import Forbidden, Response, asgi_static
from markupsafe import Markup, escape

from . import desk
from .changes import change_words
from .desk import SCORE_WORDS, SCORES, assessment_words, pair_words, source_url, timeline_url

PLUGIN = "claims"
# Datasette finds a plugin's static/ folder only when the plugin is a package (Python 3.12+
# for a module), so the vendored files are served by a route of our own at the same URL.
STATIC_DIR = Path(__file__).resolve().parent / "static"
DB_NAME = "claims"
CLAIM_TABLES = {
    "claims", "sentences", "documents", "propositions", "attributions", "hedge_cues",
    "time_refs", "entities", "claim_entities", "runs", "problems", "proposition_links", "review_actions",
}  # fmt: skip

CERTAINTY_HELP = {
    "certain": "the source commits fully",
    "probable": "the source thinks it likely",
    "possible": "the source thinks it possible",
    "unknown": "the source does not commit either way",
}
HEDGE_HELP = {
    "none": "no hedge cues",
    "low": "lightly hedged",
    "medium": "hedged",
    "high": "heavily hedged",
}
POLARITY_HELP = {"positive": "affirmed", "negative": "negated"}
HEDGE_KIND_HELP = {
    "epistemic": "epistemic (may, could, should)",
    "evidential": "evidential (appears, seems, suggests)",
    "approximator": "approximator (about, some)",
    "qualifier": "qualifier: limits the scope (not explicitly, not always)",
    "attenuator": "attenuator (less)",
    "distancing": "distancing (reportedly, allegedly)",
    "booster": "booster: strengthens the claim",
    "unknown": "unknown (remains unclear, whether)",
    "conditional": "conditional (if)",
}

CLAIM_IN_SENTENCE_SQL = """
select c.id, c.text, c.start_char, c.end_char, c.sentence_id, c.certainty, c.polarity,
  s.text as sentence, s.start_char as sentence_start,
  (select json_group_array(json_object('text', h.text, 'start', h.start_char, 'end', h.end_char, 'kind', h.kind))
     from hedge_cues h where h.claim_id = c.id) as hedges,
  (select json_group_array(json_object('source', a.source_text, 'type', a.source_type,
       'source_start', a.source_start, 'source_end', a.source_end,
       'cue', a.cue, 'cue_start', a.cue_start, 'cue_end', a.cue_end, 'depth', a.depth))
     from attributions a where a.claim_id = c.id) as attributions,
  coalesce(d.title, d.source, 'untitled document of ' || d.doc_date) as document_title
from claims c join sentences s on s.id = c.sentence_id left join documents d on d.id = c.document_id
where c.id = :id
"""
# the same for a page of claims in one query (a table page's cells, the timeline's quotes, a source's claims)
CLAIMS_IN_SENTENCES_SQL = CLAIM_IN_SENTENCE_SQL.replace(
    "where c.id = :id", "where c.id in (select value from json_each(:ids))"
)


# --- Highlighting a claim inside its sentence --------------------------------


@dataclass(frozen=True)
class Span:
    start: int  # offsets into the sentence, half-open
    end: int
    tag: str
    css: str
    title: str
    rank: int  # nesting order: lower wraps higher


def highlight(sentence: str, spans: list[Span]) -> Markup:
    """The sentence, escaped, with each span wrapped in its tag (overlaps split, never crossed)."""
    spans = [s for s in spans if 0 <= s.start < s.end <= len(sentence)]
    cuts = sorted({0, len(sentence), *(s.start for s in spans), *(s.end for s in spans)})
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = escape(sentence[a:b])
        for span in sorted(
            (s for s in spans if s.start <= a and b <= s.end), key=lambda s: -s.rank
        ):
            piece = (
                Markup('<{tag} class="{css}" title="{title}">').format(
                    tag=Markup(span.tag), css=span.css, title=span.title
                )
                + piece
                + Markup(f"</{span.tag}>")
            )
        out.append(piece)
    return Markup("").join(out)


def claim_spans(info: dict[str, Any]) -> list[Span]:
    """Spans for the claim, its hedge cues, its attribution cues and sources, relative to the sentence."""
    base = info["sentence_start"]
    spans = [
        Span(
            info["start_char"] - base,
            info["end_char"] - base,
            "mark",
            "cl-claim",
            f"claim: {info['certainty']}, {POLARITY_HELP.get(info['polarity'], info['polarity'])}",
            0,
        )
    ]
    for h in json.loads(info["hedges"] or "[]"):
        kind = h["kind"]
        spans.append(
            Span(
                h["start"] - base,
                h["end"] - base,
                "span",
                f"cl-hedge cl-hedge-{kind}",
                f"hedge cue: {HEDGE_KIND_HELP.get(kind, kind)}",
                3,
            )
        )
    for a in json.loads(info["attributions"] or "[]"):
        if a["source_start"] is not None and a["source_end"] is not None:
            spans.append(
                Span(
                    a["source_start"] - base,
                    a["source_end"] - base,
                    "span",
                    "cl-source",
                    f"source ({a['type']})",
                    1,
                )
            )
        if a["cue_start"] is not None and a["cue_end"] is not None:
            spans.append(
                Span(
                    a["cue_start"] - base,
                    a["cue_end"] - base,
                    "span",
                    "cl-cue",
                    f"attribution cue: {a['cue']} (source: {a['source']}, {a['type']})",
                    2,
                )
            )
    return spans


async def claim_in_sentence(
    datasette: Any, database: str, claim_id: str, links: bool = True
) -> Markup | None:
    result = await datasette.get_database(database).execute(CLAIM_IN_SENTENCE_SQL, {"id": claim_id})
    row = result.first()
    return sentence_html(datasette, database, dict(row), links) if row is not None else None


async def claims_in_sentences(datasette: Any, database: str, claim_ids: list[str]) -> dict[str, Markup]:
    """Each claim inside its sentence, highlighted, without links: one query for a page of claims."""
    if not claim_ids:
        return {}
    result = await datasette.get_database(database).execute(
        CLAIMS_IN_SENTENCES_SQL, {"ids": json.dumps(claim_ids)}
    )
    return {r["id"]: sentence_html(datasette, database, dict(r), links=False) for r in result.rows}


# --- Badges and links ---------------------------------------------------------


def badge(kind: str, value: str, title: str, label: str | None = None) -> Markup:
    return Markup('<span class="cl-badge cl-{kind}-{value}" title="{title}">{label}</span>').format(
        kind=kind, value=value, title=title, label=label or value
    )


def certainty_badge(value: str) -> Markup:
    return badge("certainty", value, f"certainty: {value} ({CERTAINTY_HELP[value]})")


def polarity_badge(value: str) -> Markup:
    label = "affirmed" if value == "positive" else "negated"
    return badge("polarity", value, f"polarity: {value} ({label})", label)


def hedge_badge(value: str) -> Markup:
    return badge("hedge", value, f"hedge level: {value} ({HEDGE_HELP[value]})", f"hedge: {value}")


def row_link(datasette: Any, database: str, table: str, pk: Any, label: Any) -> Markup:
    return Markup('<a href="{}">{}</a>').format(
        datasette.urls.row(database, table, tilde_encode(str(pk))), label
    )


def proposition_cell(datasette: Any, database: str, pid: Any, label: Any) -> Markup:
    label = label if label not in (None, "") else f"proposition {pid}"
    return Markup(
        '{} <a class="cl-timeline-link" href="{}" title="every claim of this proposition, in date order">timeline</a>'
    ).format(
        row_link(datasette, database, "propositions", pid, label),
        timeline_url(datasette, proposition=pid),
    )


ASSESSMENT_COLUMNS = {"first_assessment", "last_assessment", "assessment"}


def source_cell(datasette: Any, name: Any, source_type: Any, document_id: Any) -> Markup:
    """A source, linked to its page, with its type."""
    if source_type == desk.AUTHOR and not document_id:
        link = escape(name)  # "the author" of which document: not known here, so no page
    else:
        link = Markup('<a href="{}" title="every claim of this source">{}</a>').format(
            source_url(datasette, str(name), str(source_type), str(document_id or "")), name
        )
    return Markup('{} <span class="cl-stype" title="source type">{}</span>').format(link, source_type or "")


_claims_dbs: dict[int, set[str]] = {}


CLAIMS_TABLES = ("claims", "sentences", "propositions")  # a database with these is a claims database


async def is_claims_db(datasette: Any, database: str) -> bool:
    """True for a database with the claims schema (cached per Datasette instance)."""
    known = _claims_dbs.setdefault(id(datasette), set())
    if database in known:
        return True
    try:
        names = set(await datasette.get_database(database).table_names())
    except KeyError:
        return False
    if set(CLAIMS_TABLES) <= names:
        known.add(database)
        return True
    return False


# --- Cells: one renderer per (table, column), fed by one query per page -------

ANY = "*"  # the renderer serves this column in every claims table and query


@dataclass(frozen=True)
class Cell:
    """What a renderer sees of one cell: its raw value, the expanded label, and its row."""

    datasette: Any
    database: str
    table: str | None  # None on a canned or ad-hoc query
    column: str
    raw: Any
    label: Any
    row: Any

    def get(self, key: str) -> Any:
        """A column of the same row, None when the row has no such column."""
        return self.row[key] if key in self.row.keys() else None


class Page:
    """The claims the cells of one page need (their sentence, cues, document title), fetched in
    one query when the page is rendered rather than one query per cell.

    Datasette 0.65 renders every cell (``render_cell``) before the page's template, and asks
    ``extra_template_vars`` just before the template: cells put the claims they need here and
    hand back a :class:`Deferred`, and ``extra_template_vars`` runs the one query. A page lives
    for one request (``asgi_wrapper`` makes it).
    """

    def __init__(self) -> None:
        self.wanted: dict[str, set[str]] = {}
        self.found: dict[str, dict[str, dict[str, Any]]] = {}

    def want(self, database: str, claim_id: Any) -> None:
        self.wanted.setdefault(database, set()).add(str(claim_id))

    async def fetch(self, datasette: Any) -> None:
        for database, ids in self.wanted.items():
            result = await datasette.get_database(database).execute(
                CLAIMS_IN_SENTENCES_SQL, {"ids": json.dumps(sorted(ids))}
            )
            self.found.setdefault(database, {}).update((r["id"], dict(r)) for r in result.rows)
        self.wanted = {}


_PAGE: ContextVar[Page | None] = ContextVar("claims_page", default=None)


class Deferred:
    """A cell's HTML made from its claim's row of the page's query, when the template renders it."""

    def __init__(
        self, page: Page, database: str, claim_id: Any, make: Callable[[dict[str, Any]], Markup], fallback: Markup
    ) -> None:
        self.page, self.database, self.claim_id = page, database, str(claim_id)
        self.make, self.fallback = make, fallback

    def __html__(self) -> str:
        info = self.page.found.get(self.database, {}).get(self.claim_id)
        return str(self.make(info) if info is not None else self.fallback)

    __str__ = __html__


async def deferred(cell: Cell, claim_id: Any, make: Callable[[dict[str, Any]], Markup], fallback: Markup) -> Deferred:
    page = _PAGE.get()
    if page is None:  # called outside a request served by this Datasette: fetch for this cell alone
        page = Page()
        page.want(cell.database, claim_id)
        await page.fetch(cell.datasette)
    else:
        page.want(cell.database, claim_id)
    return Deferred(page, cell.database, claim_id, make, fallback)


def sentence_html(datasette: Any, database: str, info: dict[str, Any], links: bool = True) -> Markup:
    """A claim inside its sentence, highlighted, from its row of ``CLAIMS_IN_SENTENCES_SQL``."""
    html = highlight(info["sentence"], claim_spans(info))
    if links:
        html += Markup(
            ' <a class="cl-more" href="{}" title="the sentence, with its parse">sentence</a>'
        ).format(datasette.urls.row(database, "sentences", tilde_encode(info["sentence_id"])))
    return Markup('<div class="cl-sentence">{}</div>').format(html)


Renderer = Callable[[Cell], Awaitable["Markup | Deferred | None"]]


async def certainty_cell(cell: Cell) -> Markup | None:
    return certainty_badge(cell.raw) if cell.raw in SCORES else None


async def polarity_cell(cell: Cell) -> Markup | None:
    return polarity_badge(cell.raw) if cell.raw in POLARITY_HELP else None


async def hedge_level_cell(cell: Cell) -> Markup | None:
    return hedge_badge(cell.raw) if cell.raw in HEDGE_HELP else None


async def hedge_kind_cell(cell: Cell) -> Markup | None:
    return badge("kind", cell.raw, HEDGE_KIND_HELP.get(cell.raw, cell.raw)) if isinstance(cell.raw, str) else None


async def claim_text_cell(cell: Cell) -> Deferred | None:
    """The claim inside its sentence: the claims table, or a query that returns claim_id."""
    claim_id = cell.row["id"] if cell.table == "claims" else cell.get("claim_id")
    if claim_id is None:
        return None
    return await deferred(
        cell, claim_id, lambda info: sentence_html(cell.datasette, cell.database, info), escape(cell.raw)
    )


async def proposition_id_cell(cell: Cell) -> Markup:
    label = cell.label if cell.label is not None else cell.get("proposition")
    return proposition_cell(cell.datasette, cell.database, cell.raw, label)


async def claims_document_cell(cell: Cell) -> Deferred | None:
    """A claim's document by its title; Datasette's own label when it has one (a titled document)."""
    if cell.label not in (None, "", cell.raw):
        return None
    return await deferred(
        cell,
        cell.row["id"],
        lambda info: row_link(cell.datasette, cell.database, "documents", cell.raw, info["document_title"]),
        row_link(cell.datasette, cell.database, "documents", cell.raw, cell.raw),
    )


async def claims_source_cell(cell: Cell) -> Markup:
    return source_cell(cell.datasette, cell.raw, cell.row["source_type"], cell.row["document_id"])


async def proposition_key_cell(cell: Cell) -> Markup:
    return Markup('<code>{}</code> <a class="cl-timeline-link" href="{}">timeline</a>').format(
        cell.raw, timeline_url(cell.datasette, proposition=cell.row["id"])
    )


async def entity_cell(cell: Cell) -> Markup:
    claims_url = (
        cell.datasette.urls.table(cell.database, "claims") + "?" + urllib.parse.urlencode({"_entity": cell.raw})
    )
    return Markup(
        '{} <a class="cl-more" href="{}">claims</a> <a class="cl-timeline-link" href="{}">timeline</a>'
    ).format(cell.raw, claims_url, timeline_url(cell.datasette, entity=cell.raw))


# Canned and ad-hoc queries: labels link to their rows (the id columns are hidden on the page by
# query-claims.html and kept in JSON and CSV); assessments in words.


async def assessment_cell(cell: Cell) -> Markup | None:
    words = pair_words(cell.raw) if isinstance(cell.raw, str) else None
    return Markup('<span class="cl-assessment" title="{}">{}</span>').format(cell.raw, words) if words else None


async def query_proposition_cell(cell: Cell) -> Markup | None:
    pid = cell.get("proposition_id")
    return proposition_cell(cell.datasette, cell.database, pid, cell.raw) if pid is not None else None


async def query_document_cell(cell: Cell) -> Markup | None:
    doc = cell.get("document_id")
    return row_link(cell.datasette, cell.database, "documents", doc, cell.raw) if doc else None


async def query_source_cell(cell: Cell) -> Markup | None:
    if "source_type" not in cell.row.keys():
        return None
    return source_cell(cell.datasette, cell.raw, cell.row["source_type"], cell.get("document_id") or "")


async def query_claim_id_cell(cell: Cell) -> Markup:
    return row_link(cell.datasette, cell.database, "claims", cell.raw, "claim card")


async def query_document_id_cell(cell: Cell) -> Markup:
    return row_link(cell.datasette, cell.database, "documents", cell.raw, cell.get("document") or cell.raw)


async def query_sentence_id_cell(cell: Cell) -> Markup:
    return row_link(cell.datasette, cell.database, "sentences", cell.raw, cell.raw)


# (table, column) -> renderer; table None is a query, ANY every claims table and query.
RENDERERS: dict[tuple[str | None, str], Renderer] = {
    (ANY, "certainty"): certainty_cell,
    (ANY, "polarity"): polarity_cell,
    (ANY, "hedge_level"): hedge_level_cell,
    ("hedge_cues", "kind"): hedge_kind_cell,
    ("claims", "text"): claim_text_cell,
    (None, "text"): claim_text_cell,
    ("claims", "proposition_id"): proposition_id_cell,
    (None, "proposition_id"): proposition_id_cell,
    ("claims", "document_id"): claims_document_cell,
    ("claims", "source_text"): claims_source_cell,
    ("propositions", "key"): proposition_key_cell,
    ("entities", "canonical"): entity_cell,
    **{(None, c): assessment_cell for c in ASSESSMENT_COLUMNS},
    (None, "proposition"): query_proposition_cell,
    (None, "document"): query_document_cell,
    **{(None, c): query_source_cell for c in ("source", "first_source", "last_source")},
    (None, "claim_id"): query_claim_id_cell,
    (None, "document_id"): query_document_id_cell,
    (None, "sentence_id"): query_sentence_id_cell,
}


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Any:
    """Return None to decline: Datasette then renders (and escapes) the value itself."""
    if table is not None and table not in CLAIM_TABLES:
        return None
    renderer = RENDERERS.get((table, column)) or RENDERERS.get((ANY, column))
    raw = value["value"] if isinstance(value, dict) else value
    if renderer is None or raw in (None, ""):
        return None
    label = value.get("label") if isinstance(value, dict) else None

    async def inner() -> Markup | Deferred | None:
        if not await is_claims_db(datasette, database):
            return None
        return await renderer(Cell(datasette, database, table, column, raw, label, row))

    return inner


# --- Connections --------------------------------------------------------------

# Memory-mapped reads: SQLite reads pages straight from the OS page cache instead of copying them
# into its own. On a 1M-claim archive: facet scans 15-20 % faster in sqlite3 (docs/performance.md),
# and the table searched for a common word (141k rowid lookups) 660 -> 400-450 ms in Datasette.
# The OS shares and evicts the mapping; no query results are kept.
MMAP_BYTES = 2_000_000_000


@hookimpl
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    """Memory-mapped reads for claims databases only: other databases served beside them (or by any
    Datasette in the same environment) keep SQLite's defaults."""
    if database == "_internal":
        return
    marks = ",".join("?" * len(CLAIMS_TABLES))
    found = conn.execute(
        f"select count(*) from sqlite_master where type = 'table' and name in ({marks})", CLAIMS_TABLES
    ).fetchone()[0]
    if found == len(CLAIMS_TABLES):
        conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")


# --- The entity facet and its filter -----------------------------------------

# Both branches on claim_entities, so each uses an index: ix_claim_entities_entity_claim for the
# canonical name, ix_claim_entities_text_nocase for the mention as written (store.FTS_SQL).
ENTITY_CLAIMS_SQL = (
    "select ce.claim_id from claim_entities ce where ce.entity_id in"
    " (select e.id from entities e where e.canonical = {p} collate nocase)"
    " union select ce.claim_id from claim_entities ce where ce.text = {p} collate nocase"
)

# The facet over every claim: the per-entity counts kept by triggers (store.FTS_SQL,
# entity_claim_counts), one row per entity. A canonical name shared by entities of different
# labels is counted from its mentions, so a claim naming both counts once.
ENTITY_FACET_ALL_SQL = """
select e.canonical as value,
  case when count(*) = 1 then sum(n.n_claims) else (
    select count(distinct ce.claim_id) from claim_entities ce
    where ce.entity_id in (select e2.id from entities e2 where e2.canonical = e.canonical)) end as count
from entity_claim_counts n join entities e on e.id = n.entity_id
where n.n_claims > 0
group by e.canonical order by count desc, value limit :limit
"""

# The same from the mentions, for a database that has no entity_claim_counts yet (made before
# it, and not opened for writing since): a pass over the covering index
# ix_claim_entities_entity_claim (entity_id, claim_id), no visit to the claims table.
ENTITY_FACET_MENTIONS_SQL = """
select e.canonical as value, count(distinct ce.claim_id) as count
from entities e join claim_entities ce on ce.entity_id = e.id
group by e.canonical order by count desc, value limit :limit
"""

# The facet over a filtered set: from each matching claim to its mentions (claim_entities' primary
# key starts with claim_id), so the cost follows the number of matches, not of mentions.
ENTITY_FACET_FILTERED_SQL = """
select e.canonical as value, count(distinct ce.claim_id) as count
from ({sql}) c cross join claim_entities ce on ce.claim_id = c.id
join entities e on e.id = ce.entity_id
group by e.canonical order by count desc, value limit {limit}
"""

UNFILTERED_CLAIMS = re.compile(r"\sfrom\s+(claims|\[claims\]|\"claims\")\s*$", re.IGNORECASE)


def is_unfiltered(sql: str) -> bool:
    """Whether a table view's ``select ... from claims {where}`` has no where clause."""
    return bool(UNFILTERED_CLAIMS.search(sql))


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    """``?_entity=Iran`` on the claims table: claims that mention it (canonical name or as written)."""
    names = [v for v in request.args.getlist("_entity") if v.strip()] if table == "claims" else []
    if not names:
        return None
    where, params, human = [], {}, []
    for i, name in enumerate(names):
        key = f"claims_entity_{i}"
        where.append("id in (" + ENTITY_CLAIMS_SQL.format(p=":" + key) + ")")
        params[key] = name.strip()
        human.append(f'mention "{name.strip()}"')
    return FilterArguments(where, params, human)


class EntityFacet(Facet):
    """Facet claims by the entities they mention (a many-to-many, so not a column facet)."""

    type = "entity"

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        if self.table != "claims" or not self.get_configs():
            return [], []
        size = self.get_facet_size()
        if is_unfiltered(self.sql):
            counted = await self.ds.get_database(self.database).table_exists("entity_claim_counts")
            sql = ENTITY_FACET_ALL_SQL if counted else ENTITY_FACET_MENTIONS_SQL
            params = {"limit": size + 1}
        else:
            sql = ENTITY_FACET_FILTERED_SQL.format(sql=self.sql, limit=size + 1)
            params = self.params
        try:
            rows = await self.ds.execute(
                self.database,
                sql,
                params,
                truncate=False,
                custom_time_limit=self.ds.setting("facet_time_limit_ms"),
            )
        except QueryInterrupted:
            return [], ["entity"]
        selected_now = {v.lower() for v in self.request.args.getlist("_entity")}
        results = []
        for row in rows.rows[:size]:
            selected = row["value"].lower() in selected_now
            if selected:
                path = path_with_removed_args(self.request, {"_entity": row["value"]})
            else:
                path = path_with_added_args(self.request, {"_entity": row["value"]})
            results.append(
                {
                    "value": row["value"],
                    "label": row["value"],
                    "count": row["count"],
                    "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                    "selected": selected,
                }
            )
        facet = {
            "name": "mentions",
            "type": self.type,
            # asked for with ?_facet_entity=canonical: can be hidden again
            "hideable": any(c.get("source") == "request" for c in self.get_configs()),
            "toggle_url": self.ds.urls.path(
                path_with_removed_args(self.request, {"_facet_entity": "canonical"})
            ),
            "results": results,
            "truncated": len(rows.rows) > size,
        }
        return [facet], []


@hookimpl
def register_facet_classes() -> list[type[Facet]]:
    return [EntityFacet]


# --- Pages --------------------------------------------------------------------


@hookimpl
def extra_css_urls(database: str | None, datasette: Any) -> list[str]:
    return [datasette.urls.static_plugins(PLUGIN, "claims.css")]


# The propositions whose assessment changed, most claims first: propositions.n_changes (the claims
# whose change label, stored at link time by claims.changes, is a change) picks them, ix_propositions_n_claims walks them in order, and
# their first and last claims are lookups on ix_claims_proposition_date.
CHANGED_PROPOSITIONS_SQL = """
select
  p.id as proposition_id,
  p.key,
  p.label as proposition,
  p.n_claims,
  p.n_changes,
  first.doc_date as first_date,
  first.certainty || ', ' || first.polarity as first_assessment,
  first.source_text as first_source,
  last.doc_date as last_date,
  last.certainty || ', ' || last.polarity as last_assessment,
  last.source_text as last_source
from propositions p
join claims first on first.rowid = (
  select x.rowid from claims x where x.proposition_id = p.id
  order by x.doc_date, x.document_id, x.start_char, x.rowid limit 1)
join claims last on last.rowid = (
  select x.rowid from claims x where x.proposition_id = p.id
  order by x.doc_date desc, x.document_id desc, x.start_char desc, x.rowid desc limit 1)
where p.n_changes > 0
order by p.n_claims desc, first_date, p.id
limit :limit
"""


async def changed_propositions(
    datasette: Any, database: str, limit: int = 8
) -> list[dict[str, Any]]:
    """The propositions whose assessment changed, most claims first (as in assessment_changes, unbounded)."""
    if not await datasette.get_canned_query(database, "assessment_changes", None):
        return []
    db = datasette.get_database(database)
    if "n_changes" not in await db.table_columns("propositions"):
        return []  # a database made before the column: the start panel goes without the list
    result = await db.execute(CHANGED_PROPOSITIONS_SQL, {"limit": limit})
    return [
        dict(
            r,
            timeline_url=timeline_url(datasette, key=r["key"]),
            first_words=pair_words(r["first_assessment"] or ""),
            last_words=pair_words(r["last_assessment"] or ""),
        )
        for r in result.rows
    ]


async def top_propositions(datasette: Any, database: str, limit: int = 8) -> list[dict[str, Any]]:
    result = await datasette.get_database(database).execute(
        "select id, key, label, n_claims, first_seen, last_seen from propositions"
        " where n_claims > 1 order by n_claims desc, last_seen desc limit :limit",
        {"limit": limit},
    )
    return [dict(r, timeline_url=timeline_url(datasette, key=r["key"])) for r in result.rows]


# Canned queries read as reports: column titles in words, and the id columns that only carry a
# link hidden on the page (the label beside them links to the same row; JSON and CSV keep them).
COLUMN_TITLES = {
    "doc_date": "date", "source_type": "source type", "hedge_level": "hedging", "text": "claim, in its sentence",
    "cue": "cue", "cues": "cue words", "claim_id": "claim", "n_claims": "claims", "n_documents": "documents",
    "n_assessments": "distinct assessments", "first_date": "first date", "first_assessment": "first assessment",
    "first_source": "first source", "last_date": "last date", "last_assessment": "last assessment",
    "last_source": "last source", "first_cited": "first cited", "last_cited": "last cited", "hedged": "hedged (medium, high)",
    "sentence_index": "sentence no.", "uncovered": "sentences without claims", "n_sentences": "sentences",
    "sentence_id": "sentence", "mentions": "mentioned as", "proposition": "proposition (timeline)",
}  # fmt: skip
PARAM_TITLES = {
    "entity": "Entity (canonical name or as written)", "proposition": "Proposition number",
    "q": "Words", "since": "From date (YYYY-MM-DD or YYYY-MM)", "until": "To date (inclusive)",
    "document": "Document (id or words of its title)",
}  # fmt: skip
LABELLED_IDS = {"proposition_id": "proposition", "document_id": "document"}
ALWAYS_HIDDEN = {"score", "proposition_key"}


def hidden_columns(columns: list[str]) -> set[str]:
    """The id columns whose label column is shown (and links to the same row); the source type
    when the source is shown (its cell carries the type)."""
    hidden = {c for c in columns if c in ALWAYS_HIDDEN or (c in LABELLED_IDS and LABELLED_IDS[c] in columns)}
    if "source" in columns:
        hidden.add("source_type")
    return hidden


def pk_of(request: Any) -> str | None:
    from datasette.utils import urlsafe_components

    pks = (request.url_vars or {}).get("pks") if request is not None else None
    parts = urlsafe_components(pks) if pks else []
    return parts[0] if len(parts) == 1 else None


@hookimpl
def extra_template_vars(
    template: str, database: str | None, columns: Any, request: Any, datasette: Any
) -> Any:
    """The page's one query for its cells (:class:`Page`), then the template's own variables."""
    page = _PAGE.get()
    own = template_vars(template, database, columns, request, datasette)
    if page is None or not page.wanted:
        return own

    async def fetched() -> dict[str, Any]:
        await page.fetch(datasette)
        found = own() if callable(own) else own
        return (await found if inspect.isawaitable(found) else found) or {}

    return fetched


def template_vars(template: str, database: str | None, columns: Any, request: Any, datasette: Any) -> Any:
    if template.startswith("query-") and database:
        cols = list(columns or [])
        return {
            "claims_titles": COLUMN_TITLES,
            "claims_param_titles": PARAM_TITLES,
            "claims_hidden": hidden_columns(cols),
        }
    if template in (f"row-{DB_NAME}-claims.html", f"row-{DB_NAME}-documents.html") and database:

        async def row_vars() -> dict[str, Any]:
            pk = pk_of(request)
            if pk is None or not await is_claims_db(datasette, database):
                return {}
            if template.endswith("-claims.html"):
                return {"card": await desk.claim_card(datasette, database, pk)}
            return {"page": await desk.document_page(datasette, database, pk)}

        return row_vars
    if template not in ("index.html", "database.html", f"database-{DB_NAME}.html"):
        return None

    async def inner() -> dict[str, Any]:
        name = database or claims_db_name(datasette)
        if name is None or not await is_claims_db(datasette, name):
            return {}
        return {
            "claims_db": name,
            "claims_changed": await changed_propositions(datasette, name),
            "claims_top": await top_propositions(datasette, name),
        }

    return inner


def claims_db_name(datasette: Any) -> str | None:
    if DB_NAME in datasette.databases:
        return DB_NAME
    names = [n for n in datasette.databases if n != "_internal"]
    return names[0] if names else None


# A word typed on the timeline page: the propositions and entities it could mean, to pick one.
# Propositions most stated first (ix_propositions_n_claims), so a common word stops after a page.
PICK_PROPOSITIONS_SQL = """
select id, key, label, n_claims, first_seen, last_seen from propositions
where key like lower(trim(:q)) || '%' or label like '%' || trim(:q) || '%'
order by n_claims desc, id limit :limit
"""
PICK_ENTITIES_SQL = """
select e.canonical, group_concat(distinct e.label) as labels, {count} as n_claims
from entities e {join} where e.canonical like '%' || trim(:q) || '%'
group by e.canonical order by n_claims desc, e.canonical limit :limit
"""
PICK_LIMIT = 40


async def check_query(datasette: Any, request: Any, database: str, name: str) -> dict[str, Any]:
    for action, resource in (
        ("view-instance", None),
        ("view-database", database),
        ("view-query", (database, name)),
    ):
        if not await datasette.permission_allowed(request.actor, action, resource, default=True):
            raise Forbidden("You may not view this query")
    query = await datasette.get_canned_query(database, name, request.actor)
    if not query:
        raise NotConfigured(name)
    return dict(query)


class NotConfigured(Exception):
    pass


async def pick_list(datasette: Any, database: str, q: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The propositions and entities a word matches, most claims first."""
    db = datasette.get_database(database)
    props = [dict(r) for r in (await db.execute(PICK_PROPOSITIONS_SQL, {"q": q, "limit": PICK_LIMIT})).rows]
    for p in props:
        p["timeline_url"] = timeline_url(datasette, proposition=p["id"])
    counted = await db.table_exists("entity_claim_counts")
    sql = PICK_ENTITIES_SQL.format(
        count="coalesce(sum(n.n_claims), 0)" if counted else "null",
        join="left join entity_claim_counts n on n.entity_id = e.id" if counted else "",
    )
    ents = [dict(r) for r in (await db.execute(sql, {"q": q, "limit": PICK_LIMIT})).rows]
    for e in ents:
        e["timeline_url"] = timeline_url(datasette, entity=e["canonical"])
    return props, ents


async def timeline(datasette: Any, request: Any) -> Response:
    """``/-/timeline``: one proposition's claims, or one entity's propositions as separate lines.

    ``?q=WORD`` lists the propositions and entities that match, to pick one: a chart is never
    drawn through claims of unrelated propositions.
    """
    database = claims_db_name(datasette)
    if database is None or not await is_claims_db(datasette, database):
        return Response.html("No claims database is being served.", status=404)
    entity = request.args.get("entity", "").strip()
    proposition = request.args.get("proposition", "").strip()
    q = request.args.get("q", "").strip()
    key = request.args.get("key", "").strip()
    if key and not proposition and not entity:
        # a proposition by its canonical key: a link that outlives re-ingestion (ids are assigned at ingest)
        found = (
            await datasette.get_database(database).execute(
                "select id from propositions where key = ? order by n_claims desc limit 1", [key]
            )
        ).first()
        if found is None:
            q = q or key  # no such key: the propositions it could mean
        else:
            proposition = str(found[0])
    if proposition and not proposition.isdigit():
        return Response.html(
            f"proposition must be a proposition's number, not {escape(proposition)}; "
            f'<a href="{escape(timeline_url(datasette, q=proposition))}">search for it</a>.',
            status=400,
        )
    if entity:
        name, params = "claims_about", {"entity": entity}
    elif proposition:
        name, params = "assessment_timeline", {"proposition": proposition, "q": ""}
    else:
        name, params = None, {}
    rows: list[dict[str, Any]] = []
    truncated_at = None
    if name:
        try:
            query = await check_query(datasette, request, database, name)
        except NotConfigured:
            return Response.html(
                f"The canned query {escape(name)} is not configured (db/metadata.yml).", status=404
            )
        result = await datasette.get_database(database).execute(query["sql"], params)
        rows = [dict(r) for r in result.rows]
        # the canned queries stop after a page (``limit 100``): say so when the page is full
        limits = [int(n) for n in re.findall(r"\blimit\s+(\d+)", query["sql"], re.IGNORECASE)]
        if limits and len(rows) >= max(limits):
            truncated_at = len(rows)
        quotes = await claims_in_sentences(datasette, database, [r["claim_id"] for r in rows])
        for r in rows:
            r["quote"] = quotes.get(r["claim_id"])
            r["words"] = assessment_words(r["certainty"], r["polarity"])
            r["change"] = change_words(r.get("change"))
            r["claim_url"] = datasette.urls.row(database, "claims", tilde_encode(r["claim_id"]))
            r["document_url"] = datasette.urls.row(
                database, "documents", tilde_encode(r["document_id"])
            )
            r["source_url"] = source_url(datasette, r["source"], r["source_type"], r["document_id"])
    propositions: dict[Any, dict[str, Any]] = {}
    for r in rows:
        pid = r["proposition_id"]
        if pid not in propositions:
            propositions[pid] = {
                "id": pid,
                "label": r["proposition"] or ("no proposition" if pid is None else f"proposition {pid}"),
                "key": r.get("proposition_key"),
                "url": datasette.urls.row(database, "propositions", pid) if pid is not None else None,
                "timeline_url": timeline_url(datasette, proposition=pid) if pid is not None else None,
                "n": 0,
                "path": [],
            }
        propositions[pid]["n"] += 1
        propositions[pid]["path"].append(f"{r['doc_date']}: {r['words']}")
    json_url = (
        datasette.urls.query(database, name, format="json")
        + "?"
        + urllib.parse.urlencode({**params, "_shape": "array"})
        if name
        else None
    )
    table_url = (
        datasette.urls.query(database, name) + "?" + urllib.parse.urlencode(params)
        if name
        else None
    )
    picks: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
    if entity:
        heading = f"What is claimed about {entity}"
    elif proposition:
        label = None
        found = (
            await datasette.get_database(database).execute(
                "select label, key from propositions where id = ?", [int(proposition)]
            )
        ).first()
        if found:
            label = found["label"] or found["key"].replace("|", " · ")
        heading = f"How the assessment changed: {label}" if label else f"No proposition {proposition}"
    elif q:
        heading = f"Timelines matching “{q}”"
        picks = await pick_list(datasette, database, q)
    else:
        heading = "Timelines"
    context = {
        "heading": heading,
        "entity": entity,
        "proposition": proposition,
        "q": q,
        "rows": rows,
        "truncated_at": truncated_at,
        "propositions": list(propositions.values()),
        "pick_propositions": picks[0],
        "pick_entities": picks[1],
        "pick_limit": PICK_LIMIT,
        "path": [f"{r['doc_date']}: {r['words']}" for r in rows],
        "json_url": json_url,
        "table_url": table_url,
        "query_name": name,
        "claims_db": database,
        "claims_top": await top_propositions(datasette, database, limit=15) if not (name or q) else [],
        "claims_changed": await changed_propositions(datasette, database) if not (name or q) else [],
        "score_words": SCORE_WORDS,
        "vega_urls": [
            datasette.urls.static_plugins(PLUGIN, f)
            for f in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
        ],
        "timeline_js": datasette.urls.static_plugins(PLUGIN, "timeline.js"),
    }
    html = await datasette.render_template("timeline.html", context, request=request)
    return Response.html(html)


async def source_view(datasette: Any, request: Any) -> Response:
    """``/-/source?name=NAME`` (``&document=ID`` for a document's own voice): every claim of one source."""
    database = claims_db_name(datasette)
    if database is None or not await is_claims_db(datasette, database):
        return Response.html("No claims database is being served.", status=404)
    await check_table(datasette, request, database)
    name = request.args.get("name", "").strip()
    document = request.args.get("document", "").strip()
    if not name and not document:
        return Response.redirect(datasette.urls.query(database, "sources"))
    page = await desk.source_page(datasette, database, name, document)
    html = await datasette.render_template(
        "source.html", {**page, "claims_db": database}, request=request
    )
    return Response.html(html, status=200 if page["n"] else 404)


async def check_table(datasette: Any, request: Any, database: str) -> None:
    for action, resource in (
        ("view-instance", None),
        ("view-database", database),
        ("view-table", (database, "claims")),
    ):
        if not await datasette.permission_allowed(request.actor, action, resource, default=True):
            raise Forbidden("You may not view the claims")


async def report_view(datasette: Any, request: Any) -> Response:
    """``/-/report?claim=ID&format=md|html|json|prov|claimreview``: the provenance report of
    ``claims report --claim ID`` (claims.report), made by the same code."""
    database = claims_db_name(datasette)
    if database is None or not await is_claims_db(datasette, database):
        return Response.text("No claims database is being served.", status=404)
    await check_table(datasette, request, database)
    status, ctype, body, filename = await desk.report_response(datasette, database, request.args)
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'} if filename else {}
    return Response(body, status=status, content_type=ctype, headers=headers)


READ_METHODS = {"GET", "HEAD", "OPTIONS"}


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """Refuse every request that is not a read: nothing a visitor does may change the data.

    (Datasette 0.65 answers a POST to a read-only canned query with a 500; this makes it a 405.)
    Only a Datasette that serves a claims database is guarded, and in it only the claims
    databases and the server-wide pages: another database served beside them is left alone.
    """

    async def guards(path: str) -> bool:
        served = [n for n in datasette.databases if n != "_internal"]
        claims_dbs = [n for n in served if await is_claims_db(datasette, n)]
        if not claims_dbs:
            return False
        first = urllib.parse.unquote(path.lstrip("/").split("/", 1)[0])
        return not (first in served and first not in claims_dbs)

    def wrap(app: Any) -> Any:
        async def read_only(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if (
                scope.get("type") == "http"
                and scope.get("method", "GET").upper() not in READ_METHODS
                and await guards(scope.get("path", "/"))
            ):
                await Response.text(
                    "This claims desk is read-only.", status=405, headers={"Allow": "GET, HEAD"}
                ).asgi_send(send)
                return
            token = _PAGE.set(Page())  # the claims this request's cells need (render_cell)
            try:
                await app(scope, receive, send)
            finally:
                _PAGE.reset(token)

        return read_only

    return wrap


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/timeline$", timeline),
        (r"^/-/source$", source_view),
        (r"^/-/report$", report_view),
        (rf"^/-/static-plugins/{PLUGIN}/(?P<path>.*)$", asgi_static(str(STATIC_DIR))),
    ]

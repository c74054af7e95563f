"""The desk's own pages: a claim card, a readable document, a source page, provenance reports.

Read by :mod:`claims.datasette_plugin` (which registers the routes and templates); every
query here is a lookup on an index, so each page costs a few milliseconds on a 1M-claim
archive (``claims bench``). Claim rows are read generically (``select *``), so columns
added later (``change_label``, ``estimative_band``, ``statement_date``, ...) are shown
when present without a change here. Document text is untrusted: it goes through
:func:`markupsafe.escape` or Jinja's autoescape.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import urllib.parse
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from . import model as m
from .changes import change_words

# --- one place for the words the pages use -----------------------------------

# y encoding of the timeline: certainty times -1 when negated
SCORES = m.CERTAINTY_SCORE
SCORE_WORDS = {
    3: "certainly",
    2: "probably",
    1: "possibly",
    0: "unknown",
    -1: "possibly not",
    -2: "probably not",
    -3: "certainly not",
}


def score(certainty: str | None, polarity: str | None) -> int:
    return SCORES.get(certainty or "", 0) * (-1 if polarity == m.Polarity.negative.value else 1)


def assessment_words(certainty: str | None, polarity: str | None) -> str:
    """'probable', 'negative' -> 'probably not' (the timeline's y axis words)."""
    if certainty == m.Certainty.unknown.value:
        return "unknown, negated" if polarity == m.Polarity.negative.value else "unknown"
    return SCORE_WORDS[score(certainty, polarity)]


ASSESSMENT_PAIR = re.compile(r"^(certain|probable|possible|unknown), (positive|negative)$")


def pair_words(value: str) -> str | None:
    """'probable, negative' (as the canned queries join them) -> 'probably not'; None otherwise."""
    mt = ASSESSMENT_PAIR.match(value)
    return assessment_words(mt.group(1), mt.group(2)) if mt else None


def band_words(value: str | None) -> str | None:
    """An ICD 203 band as stored (almost_no_chance) in words (almost no chance)."""
    return value.replace("_", " ") if value else None


# --- sources --------------------------------------------------------------------

AUTHOR = m.SourceType.author.value


def source_name(text: str) -> str:
    """A source's name as the source pages key it: whitespace collapsed (case is ignored by the queries)."""
    return re.sub(r"\s+", " ", text or "").strip()


def source_url(datasette: Any, source_text: str, source_type: str, document_id: str) -> str:
    """The page of a source: by name; "the author" (an unattributed claim) is scoped to its document."""
    params = {"name": source_name(source_text)}
    if source_type == AUTHOR:
        params["document"] = document_id
    return datasette.urls.path("/-/source?" + urllib.parse.urlencode(params))


def row_url(datasette: Any, database: str, table: str, pk: Any) -> str:
    from datasette.utils import tilde_encode

    return str(datasette.urls.row(database, table, tilde_encode(str(pk))))


def timeline_url(datasette: Any, **params: Any) -> str:
    return str(datasette.urls.path("/-/timeline?" + urllib.parse.urlencode(params)))


def report_url(datasette: Any, claim_id: str, fmt: str, **extra: str) -> str:
    return str(datasette.urls.path("/-/report?" + urllib.parse.urlencode({"claim": claim_id, "format": fmt, **extra})))


# --- the claim card -----------------------------------------------------------------

DOCUMENT_LABEL = "coalesce(d.title, d.source, 'untitled document of ' || d.doc_date)"

NEIGHBOUR_SQL = """
select c.*, {label} as document from claims c join documents d on d.id = c.document_id
where c.proposition_id = :pid and (c.doc_date, c.document_id, c.start_char) {op} (:date, :doc, :start)
order by c.doc_date {dir}, c.document_id {dir}, c.start_char {dir} limit 1
"""

# columns some databases have (added by later versions): shown when present and not null
OPTIONAL_FIELDS = ("estimative_band", "confidence", "statement_date", "statement_date_text", "change_label", "change_detail", "previous_claim_id")


@lru_cache(maxsize=1)
def entity_aliases() -> dict[str, list[str]]:
    """Canonical name -> the aliases the extraction merges into it (lexicons/entities.yml)."""
    from .extract.lexicons import lexicons

    out: dict[str, list[str]] = {}
    for e in lexicons().entities.get("entities") or []:
        canon = str(e["canonical"])
        out[canon] = [str(a) for a in e.get("aliases", []) if str(a) != canon]
    return out


def _neighbour(row: dict[str, Any] | None, datasette: Any, database: str) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        **row,
        "words": assessment_words(row["certainty"], row["polarity"]),
        "url": row_url(datasette, database, "claims", row["id"]),
        "change": change_words(row.get("change_label")),
    }


async def claim_card(datasette: Any, database: str, claim_id: str) -> dict[str, Any] | None:
    """Everything the claim's page shows, from one claim row and lookups by its id."""
    from .datasette_plugin import claim_in_sentence

    db = datasette.get_database(database)
    first = (await db.execute("select * from claims where id = ?", [claim_id])).first()
    if first is None:
        return None
    c = dict(first)

    async def rows(sql: str, params: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in (await db.execute(sql, params)).rows]

    doc = (await rows("select id, title, source, url, doc_date, content_hash, path, format from documents where id = ?", [c["document_id"]]))[0]
    doc["url_page"] = row_url(datasette, database, "documents", doc["id"])
    doc["label"] = doc["title"] or doc["source"] or f"untitled document of {doc['doc_date']}"
    sentence = (await rows('select id, "index", parser, parser_version from sentences where id = ?', [c["sentence_id"]]))[0]
    sentence["url"] = row_url(datasette, database, "sentences", sentence["id"])
    chain = await rows("select depth, source_text, source_type, cue from attributions where claim_id = ? order by depth", [claim_id])
    for link in chain:
        link["url"] = source_url(datasette, link["source_text"], link["source_type"], c["document_id"])
    if not chain:  # unattributed: the document's own voice
        chain = [{"depth": 0, "source_text": c["source_text"], "source_type": c["source_type"], "cue": None,
                  "url": source_url(datasette, c["source_text"], c["source_type"], c["document_id"])}]  # fmt: skip
    hedges = await rows("select text, kind from hedge_cues where claim_id = ? order by start_char", [claim_id])
    times = await rows("select text, value, granularity, is_relative from time_refs where claim_id = ? order by start_char", [claim_id])
    entities = await rows(
        "select e.canonical, e.label, group_concat(distinct ce.text) as written from claim_entities ce"
        " join entities e on e.id = ce.entity_id where ce.claim_id = ? group by e.id order by min(ce.start_char)",
        [claim_id],
    )
    aliases = entity_aliases()
    for e in entities:
        e["aliases"] = aliases.get(e["canonical"], [])
        e["claims_url"] = datasette.urls.table(database, "claims") + "?" + urllib.parse.urlencode({"_entity": e["canonical"]})
        e["timeline_url"] = timeline_url(datasette, entity=e["canonical"])
    proposition = prev = nxt = None
    if c.get("proposition_id") is not None:
        found = await rows("select id, key, label, n_claims, first_seen, last_seen from propositions where id = ?", [c["proposition_id"]])
        if found:
            proposition = found[0]
            proposition["url"] = row_url(datasette, database, "propositions", proposition["id"])
            proposition["timeline_url"] = timeline_url(datasette, proposition=proposition["id"])
        where = {"pid": c["proposition_id"], "date": c["doc_date"], "doc": c["document_id"], "start": c["start_char"]}
        if c.get("previous_claim_id"):
            got = await rows(f"select c.*, {DOCUMENT_LABEL} as document from claims c join documents d on d.id = c.document_id where c.id = ?", [c["previous_claim_id"]])
        else:
            got = await rows(NEIGHBOUR_SQL.format(label=DOCUMENT_LABEL, op="<", dir="desc"), where)
        prev = _neighbour(got[0] if got else None, datasette, database)
        got = await rows(NEIGHBOUR_SQL.format(label=DOCUMENT_LABEL, op=">", dir="asc"), where)
        nxt = _neighbour(got[0] if got else None, datasette, database)
    optional = {k: c[k] for k in OPTIONAL_FIELDS if c.get(k) not in (None, "")}
    reports = [(label, report_url(datasette, claim_id, fmt)) for label, fmt in
               (("Markdown", "md"), ("HTML", "html"), ("JSON", "json"), ("W3C PROV", "prov"))]  # fmt: skip
    return {
        "claim": c,
        "optional": optional,
        "band": band_words(optional.get("estimative_band")),
        "change": change_words(optional.get("change_label")),
        "words": assessment_words(c["certainty"], c["polarity"]),
        "quote": await claim_in_sentence(datasette, database, claim_id, links=False),
        "document": doc,
        "sentence": sentence,
        "chain": chain,
        "hedges": hedges,
        "times": times,
        "entities": entities,
        "proposition": proposition,
        "previous": prev,
        "next": nxt,
        "reports": reports,
        "report_action": datasette.urls.path("/-/report"),
        "json_url": row_url(datasette, database, "claims", claim_id) + ".json",
    }


# --- the document page -------------------------------------------------------------------


def document_html(text: str, claims: list[dict[str, Any]], card_url: Any) -> Markup:
    """The document's text, escaped, each claim highlighted and linked to its card.

    Claims nest (a complement clause inside its main clause): each piece of text links to the
    innermost claim that covers it, and is shaded by how many claims cover it (links never nest).
    """
    spans = [(c["start_char"], c["end_char"], c) for c in claims if 0 <= c["start_char"] < c["end_char"] <= len(text)]
    cuts = sorted({0, len(text), *(a for a, _, _ in spans), *(b for _, b, _ in spans)})
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = escape(text[a:b])
        covering = [s for s in spans if s[0] <= a and b <= s[1]]
        if covering:
            inner = min(covering, key=lambda s: (s[1] - s[0], s[0]))[2]
            title = f"{inner['source_text']}: {assessment_words(inner['certainty'], inner['polarity'])}"
            piece = Markup('<a class="cl-doc-claim cl-depth-{d} cl-certainty-{cert}" href="{href}" title="{title}">{p}</a>').format(
                d=min(len(covering), 3), cert=inner["certainty"], href=card_url(inner["id"]), title=title, p=piece
            )
        out.append(piece)
    return Markup("").join(out)


async def document_page(datasette: Any, database: str, document_id: str) -> dict[str, Any] | None:
    db = datasette.get_database(database)
    found = (await db.execute("select * from documents where id = ?", [document_id])).first()
    if found is None:
        return None
    doc = dict(found)
    claims = [dict(r) for r in (await db.execute(
        "select id, start_char, end_char, certainty, polarity, source_text, source_type from claims"
        " where document_id = ? order by start_char", [document_id])).rows]  # fmt: skip
    by_certainty: dict[str, int] = {}
    by_source: dict[tuple[str, str], int] = {}
    for c in claims:
        by_certainty[c["certainty"]] = by_certainty.get(c["certainty"], 0) + 1
        key = (source_name(c["source_text"]), c["source_type"])
        by_source[key] = by_source.get(key, 0) + 1
    sources = [
        {"name": name, "type": stype, "n": n, "url": source_url(datasette, name, stype, document_id)}
        for (name, stype), n in sorted(by_source.items(), key=lambda kv: (-kv[1], kv[0][0].lower()))
    ]
    return {
        "doc": doc,
        "label": doc["title"] or doc["source"] or f"untitled document of {doc['doc_date']}",
        "text": document_html(doc["text"] or "", claims, lambda cid: row_url(datasette, database, "claims", cid)),
        "n_claims": len(claims),
        "by_certainty": [(k, by_certainty[k]) for k in SCORES if k in by_certainty],
        "sources": sources,
        "claims_url": datasette.urls.table(database, "claims") + "?" + urllib.parse.urlencode({"document_id": document_id}),
        "sentences_url": datasette.urls.table(database, "sentences") + "?" + urllib.parse.urlencode({"document_id": document_id}),
        "json_url": row_url(datasette, database, "documents", document_id) + ".json",
    }


# --- the source page ------------------------------------------------------------------------

SOURCE_LIMIT = 50  # claims listed, newest first; the claims report has them all
CHANGED_WINDOW = 2000  # latest claims searched for changed assessments
CHANGED_LIMIT = 20

# ix_claims_source_nocase (store.FTS_SQL): a name's claims newest first, and its counts, from the index
SOURCE_WHERE = {
    "named": "c.source_text = :name collate nocase and c.source_type != 'author'",
    "author": "c.document_id = :document and c.source_type = 'author'",
}

STEPS_WHERE = {
    "named": "+c.source_text = :name collate nocase and +c.source_type != 'author'",
    "author": "+c.document_id = :document and +c.source_type = 'author'",
}


async def source_page(datasette: Any, database: str, name: str, document: str) -> dict[str, Any]:
    db = datasette.get_database(database)
    kind = "author" if document else "named"
    where = SOURCE_WHERE[kind]
    params = {"name": source_name(name), "document": document}
    counts = [dict(r) for r in (await db.execute(
        f"select c.certainty, c.polarity, c.source_type, count(*) as n, min(c.doc_date) as first, max(c.doc_date) as last"
        f" from claims c where {where} group by c.certainty, c.polarity, c.source_type", params)).rows]  # fmt: skip
    n_documents = (await db.execute(f"select count(distinct c.document_id) from claims c where {where}", params)).single_value()
    claims = [dict(r) for r in (await db.execute(
        f"select c.id, c.doc_date, c.source_text, c.certainty, c.polarity, c.hedge_level, c.attribution_cue, c.proposition_id,"
        f" p.label as proposition, {DOCUMENT_LABEL} as document, c.document_id from claims c"
        f" join documents d on d.id = c.document_id left join propositions p on p.id = c.proposition_id"
        f" where {where} order by c.doc_date desc, c.document_id, c.start_char limit {SOURCE_LIMIT}", params)).rows]  # fmt: skip
    from .datasette_plugin import claims_in_sentences

    quotes = await claims_in_sentences(datasette, database, [c["id"] for c in claims])
    for c in claims:
        c["quote"] = quotes.get(c["id"])
        c["url"] = row_url(datasette, database, "claims", c["id"])
        c["document_url"] = row_url(datasette, database, "documents", c["document_id"])
        c["words"] = assessment_words(c["certainty"], c["polarity"])
        if c["proposition_id"] is not None:
            c["timeline_url"] = timeline_url(datasette, proposition=c["proposition_id"])
    # the propositions on which this source's own assessment changed: first and last, in date order
    # among its latest CHANGED_WINDOW claims (newest first down ix_claims_source_nocase), so a
    # source quoted 30,000 times costs what one quoted 2,000 times does
    changed = [dict(r) for r in (await db.execute(
        f"""select c.proposition_id, p.label as proposition, count(*) as n,
          count(distinct c.certainty || c.polarity) as n_distinct
        from (select c.proposition_id, c.certainty, c.polarity, c.doc_date from claims c where {where}
              and c.proposition_id is not null order by c.doc_date desc limit {CHANGED_WINDOW}) c
        join propositions p on p.id = c.proposition_id
        group by c.proposition_id having n_distinct > 1 order by max(c.doc_date) desc limit {CHANGED_LIMIT}""", params)).rows]  # fmt: skip
    for p in changed:
        # the proposition's claims (ix_claims_proposition_date; "+" keeps SQLite off the source's index)
        ends = [dict(r) for r in (await db.execute(
            f"select c.doc_date, c.certainty, c.polarity from claims c where c.proposition_id = :pid and {STEPS_WHERE[kind]}"
            " order by c.doc_date, c.document_id, c.start_char", {**params, "pid": p["proposition_id"]})).rows]  # fmt: skip
        p["steps"] = [f"{e['doc_date']}: {assessment_words(e['certainty'], e['polarity'])}" for e in ends]
        p["timeline_url"] = timeline_url(datasette, proposition=p["proposition_id"])
    n = sum(x["n"] for x in counts)
    by_words: dict[str, int] = {}
    for x in counts:
        w = assessment_words(x["certainty"], x["polarity"])
        by_words[w] = by_words.get(w, 0) + x["n"]
    order = list(SCORE_WORDS.values())
    doc_label = None
    if document:
        found = (await db.execute(f"select {DOCUMENT_LABEL} from documents d where d.id = ?", [document])).first()
        doc_label = found[0] if found else None
    names = sorted({c["source_text"] for c in claims})
    return {
        "name": params["name"],
        "document": document,
        "document_label": doc_label,
        "document_url": row_url(datasette, database, "documents", document) if document else None,
        "written": names,
        "types": sorted({x["source_type"] for x in counts}),
        "n": n,
        "n_documents": n_documents,
        "window": CHANGED_WINDOW if n > CHANGED_WINDOW else None,
        "all_url": datasette.urls.table(database, "claims") + "?" + urllib.parse.urlencode(
            {"document_id": document, "source_type": AUTHOR} if document
            else {"source_text__like": params["name"], "source_type__not": AUTHOR}),
        "first": min((x["first"] for x in counts), default=None),
        "last": max((x["last"] for x in counts), default=None),
        "by_words": sorted(by_words.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)),
        "claims": claims,
        "truncated": n > len(claims),
        "changed": changed,
    }


# --- provenance reports, from the same code as `claims report` ----------------------------------

REPORT_TYPES = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "html": ("text/html; charset=utf-8", None),
    "json": ("application/json; charset=utf-8", "json"),
    "prov": ("application/json; charset=utf-8", "prov.json"),
    "claimreview": ("application/ld+json; charset=utf-8", "claimreview.jsonld"),
}


def render_report(path: str, claim: str, fmt: str, rating: str | None, reviewer: str | None) -> str:
    """`claims report --claim CLAIM --format FMT` on a read-only connection to the served file."""
    from sqlalchemy import create_engine
    from sqlmodel import Session

    from .report import build_report, render

    uri = Path(path).resolve().as_uri() + "?mode=ro"
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))
    try:
        with Session(engine) as s:
            # a ClaimReview is dated the day it is made; the other reports carry no wall-clock time
            today = datetime.now(UTC).date().isoformat() if fmt == "claimreview" else None
            rep = build_report(s, claim=claim, generated_at=today)
            extra = {"rating": rating, "reviewer": reviewer} if fmt == "claimreview" else {}
            return render(s, rep, fmt, **extra)
    finally:
        engine.dispose()


async def report_response(datasette: Any, database: str, args: Any) -> tuple[int, str, str, str | None]:
    """(status, content type, body, download file name) for ``/-/report?claim=ID&format=FMT``."""
    from .errors import ClaimsError

    claim = (args.get("claim") or "").strip()
    fmt = (args.get("format") or "md").strip()
    if fmt not in REPORT_TYPES:
        return 400, "text/plain; charset=utf-8", f"unknown format {fmt!r}: use one of {', '.join(REPORT_TYPES)}", None
    if not claim:
        return 400, "text/plain; charset=utf-8", "give ?claim=<claim id> (the report covers the claim's proposition)", None
    path = datasette.get_database(database).path
    try:
        body = await asyncio.to_thread(render_report, path, claim, fmt, args.get("rating"), args.get("reviewer"))
    except ClaimsError as e:
        return 404, "text/plain; charset=utf-8", str(e), None
    ctype, ext = REPORT_TYPES[fmt]
    name = f"claim-{re.sub(r'[^A-Za-z0-9]+', '-', claim)}.{ext}" if ext else None
    return 200, ctype, body, name

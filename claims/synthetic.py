"""A synthetic claims archive of any size, for load and latency tests.

``python -m claims.synthetic --claims 1000000 --db /tmp/archive/claims.db`` (or
``claims bench --synthetic N``) writes documents, sentences, claims, attribution
chains, hedge cues, time expressions, entities, entity mentions and propositions
that are consistent with the schema in :mod:`claims.model` (foreign keys valid,
offsets pointing at the right words, FTS populated), with distributions taken
from an ingest of the PolNeAR dev articles: about 72 claims and 38 sentences per
document, 79 % of claims unattributed, 81 % certain, 9 % negated, Zipf-distributed
sources, entities and propositions, and more documents in recent years.

It writes through ``sqlite3.executemany`` in large transactions, with the
secondary indexes and FTS triggers dropped during the load and rebuilt at the
end (one sort per index, one FTS ``rebuild``; no ``ANALYZE``, as after an ingest), not through the ORM: a million
claims take a couple of minutes rather than hours. The schema itself comes from
:func:`claims.store.engine_for`, so it is exactly the one ``claims ingest`` makes.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import random
import re
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import SQLModel

from . import model as models
from .errors import StoreError
from .store import columns

PARSER = "synthetic"
PARSER_VERSION = "claims.synthetic 1"
EXTRACTOR_VERSION = "synthetic"
EXTRACTED_AT = "2025-01-01 00:00:00.000000"
FIRST_DAY = date(2016, 1, 1)
N_DAYS = (date(2024, 12, 31) - FIRST_DAY).days + 1

# --- vocabulary ---------------------------------------------------------------
FIRST_NAMES = (
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard "
    "Susan Joseph Jessica Thomas Sarah Charles Karen Ahmed Fatima Wei Mei Olga Ivan Pierre Marie "
    "Hans Anna Carlos Lucia Kenji Yuki Ali Leila Omar Nadia Samuel Grace"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Clark Lewis Robinson Walker Young Khan Chen Wang Ivanov Dubois Schmidt Rossi Tanaka Haddad Okafor"
).split()
TITLES = ("", "", "", "Senator ", "Minister ", "Dr. ", "General ", "Governor ", "President ")
ORGS = [
    ("the United Nations", "ORG", "UN"), ("NATO", "ORG", None), ("the European Union", "ORG", "EU"),
    ("the World Health Organization", "ORG", "WHO"), ("the Pentagon", "ORG", None),
    ("the State Department", "ORG", None), ("the Federal Reserve", "ORG", "the Fed"),
    ("the International Monetary Fund", "ORG", "IMF"), ("Congress", "ORG", None),
    ("the Supreme Court", "ORG", None), ("the Islamic Revolutionary Guard Corps", "ORG", "IRGC"),
    ("Hezbollah", "ORG", None), ("the Kremlin", "ORG", None), ("Google", "ORG", None),
    ("Amazon", "ORG", None), ("the Red Cross", "ORG", None), ("Greenpeace", "ORG", None),
    ("the FBI", "ORG", None), ("the CIA", "ORG", None), ("Interpol", "ORG", None),
]  # fmt: skip
PLACES = (
    "Iran Iraq Syria Israel Russia Ukraine China Taiwan Japan India Pakistan Afghanistan Germany "
    "France Britain Spain Italy Poland Turkey Egypt Nigeria Kenya Brazil Mexico Canada Venezuela "
    "Yemen Lebanon Gaza Crimea Texas California Florida Ohio Beijing Moscow Washington London Paris Berlin"
).split()
NORPS = "Americans Russians Iranians Democrats Republicans Europeans Chinese Ukrainians".split()
PUBLISHERS = (
    "Reuters", "Associated Press", "BBC News", "The Guardian", "The New York Times", "Breitbart",
    "Fox News", "Al Jazeera", "Politico", "The Washington Post", "Bloomberg", "CNN",
)  # fmt: skip
# (source phrase, source_type); named people are added from the entity list
GENERIC_SOURCES = [  # most common first (Zipf)
    ("he", "unnamed"), ("sources familiar with the matter", "unnamed"), ("a senior official", "official"),
    ("she", "unnamed"), ("officials", "official"), ("a spokesperson", "official"),
    ("the ministry", "government"), ("the government", "government"), ("the White House", "government"),
    ("the agency", "institution"), ("researchers", "institution"), ("the university", "institution"),
    ("US intelligence", "intelligence"), ("intelligence officials", "intelligence"),
    ("the report", "document"), ("the filing", "document"), ("a leaked memo", "document"),
    ("one person", "unnamed"), ("critics", "unnamed"), ("they", "unnamed"),
]  # fmt: skip
CUES = [
    "said",
    "said",
    "said",
    "told reporters",
    "claimed",
    "argued",
    "warned",
    "believes",
    "reported",
    "denied",
]
# (verb as written, lemma) by tense
VERBS = [
    ("announced", "announce"), ("approved", "approve"), ("blocked", "block"), ("funded", "fund"),
    ("attacked", "attack"), ("supported", "support"), ("rejected", "reject"), ("signed", "sign"),
    ("directed", "direct"), ("violated", "violate"), ("criticised", "criticise"), ("backed", "back"),
    ("hid", "hide"), ("won", "win"), ("lost", "lose"), ("delayed", "delay"), ("increased", "increase"),
    ("cut", "cut"), ("investigated", "investigate"), ("threatened", "threaten"), ("armed", "arm"),
    ("sanctioned", "sanction"), ("misled", "mislead"), ("met", "meet"), ("owned", "own"),
]  # fmt: skip
NOUN_OBJECTS = (
    "the deal the sanctions the election the ceasefire the budget the vaccine the pipeline the treaty "
    "the strike the militias the protest the investigation the tariffs the law the inquiry the loan "
    "the report the talks the troops the fund"
).split(" the ")
NOUN_OBJECTS = ["the " + w.removeprefix("the ") for w in NOUN_OBJECTS]
# (words before the verb, certainty, certainty_term, hedge_level, hedge kind, cue)
FIRMNESS = [
    ("", "certain", None, "none", None, None, 0.745),
    ("clearly ", "certain", None, "low", "booster", "clearly", 0.02),
    ("probably ", "probable", "probably", "medium", "epistemic", "probably", 0.05),
    ("likely ", "probable", "likely", "medium", "epistemic", "likely", 0.05),
    ("may have ", "possible", "may", "medium", "epistemic", "may", 0.035),
    ("might have ", "possible", "might", "high", "epistemic", "might", 0.02),
    ("reportedly ", "certain", None, "medium", "distancing", "reportedly", 0.04),
    ("apparently ", "probable", "apparently", "medium", "evidential", "apparently", 0.004),
    ("possibly ", "possible", "possibly", "high", "epistemic", "possibly", 0.014),
    ("allegedly ", "unknown", "allegedly", "high", "distancing", "allegedly", 0.022),
]  # fmt: skip
NEGATORS = {"": "did not ", "clearly ": "clearly did not ", "probably ": "probably did not "}
TIMES = [  # (phrase, days before the document date, granularity, is_relative)
    (" yesterday", 1, "day", True), (" last week", 7, "week", True), (" on Monday", 3, "day", True),
    (" last month", 30, "month", True), (" last year", 365, "year", True), (" in March", None, "month", False),
]  # fmt: skip
TOKEN = re.compile(r"\w+(?:\.\w+)*|[^\w\s]")


@dataclass
class SyntheticStats:
    documents: int = 0
    sentences: int = 0
    claims: int = 0
    attributions: int = 0
    hedge_cues: int = 0
    time_refs: int = 0
    entities: int = 0
    claim_entities: int = 0
    propositions: int = 0
    seconds: float = 0.0
    db_bytes: int = 0


class Zipf:
    """Weighted choice with Zipf weights (s ~ 1): a few items very common, a long tail."""

    def __init__(self, items: Sequence[object], s: float = 1.05):
        self.items = list(items)
        self.cum = list(itertools.accumulate(1.0 / (i + 1) ** s for i in range(len(self.items))))

    def __call__(self, rnd: random.Random) -> Any:
        return self.items[bisect.bisect(self.cum, rnd.random() * self.cum[-1])]


# the tables the generator fills, in the order their rows must be inserted
FILLED_TABLES = ("documents", "sentences", "claims", "attributions", "hedge_cues", "time_refs", "claim_entities")
# the columns it leaves to their defaults (null, 0): what the synthetic text has not (estimative
# terms, stated confidence and statement dates) and the change labels linking stores (below)
LEFT_UNSET = {
    "attributions": ("id",),
    "hedge_cues": ("id",),
    "time_refs": ("id",),
    "claims": ("estimative_band", "confidence", "statement_date", "statement_date_text")
    + ("change_label", "change_detail", "previous_claim_id"),
}
MODELS: dict[str, type[SQLModel]] = {
    "documents": models.Document, "sentences": models.Sentence, "claims": models.Claim, "attributions": models.Attribution,
    "hedge_cues": models.HedgeCueRow, "time_refs": models.TimeRefRow, "claim_entities": models.ClaimEntity,
}  # fmt: skip


def insert_sql(name: str) -> str:
    """The insert of a filled table's rows: tuples of the model's columns, in its order, less LEFT_UNSET."""
    cols = columns(MODELS[name], without=LEFT_UNSET.get(name, ()))
    quoted = ", ".join(f'"{c}"' for c in cols)  # "index" is a keyword
    return f"insert into {name} ({quoted}) values ({', '.join('?' * len(cols))})"


def _entities(rnd: random.Random) -> list[tuple[str, str, str | None]]:
    """(canonical, label, alias) for about 2,000 people, organisations, places and groups."""
    people = [(f"{f} {last}", "PERSON", last) for f in FIRST_NAMES for last in LAST_NAMES]
    rnd.shuffle(people)
    ents = (
        ORGS
        + [(p, "GPE", None) for p in PLACES]
        + [(n, "NORP", None) for n in NORPS]
        + people[:1800]
    )
    rnd.shuffle(ents)
    return ents


def _conllu(sent_id: str, text: str, offset: int) -> str:
    """A flat but valid CoNLL-U parse of the sentence, with character offsets in MISC."""
    lines = [f"# sent_id = {sent_id}", f"# text = {text}"]
    for i, m in enumerate(TOKEN.finditer(text), 1):
        form = m.group()
        upos = "PUNCT" if not form[0].isalnum() else "X"
        head, rel = (0, "root") if i == 1 else (1, "punct" if upos == "PUNCT" else "dep")
        lines.append(
            f"{i}\t{form}\t{form.lower()}\t{upos}\t_\t_\t{head}\t{rel}\t_\t"
            f"start_char={offset + m.start()}|end_char={offset + m.end()}"
        )
    return "\n".join(lines) + "\n"


class _Generator:
    def __init__(self, seed: int):
        self.rnd = random.Random(seed)
        ents = _entities(self.rnd)
        self.entity_ids = {canon: i + 1 for i, (canon, _, _) in enumerate(ents)}
        self.entities = ents
        self.pick_entity = Zipf(ents, 1.1)
        people = [e for e in ents if e[1] == "PERSON"]
        named = [(self.rnd.choice(TITLES) + p[0], "person", p) for p in people[:400]]
        self.pick_named = Zipf(named, 1.0)
        self.pick_generic = Zipf(GENERIC_SOURCES, 0.8)
        self.pick_verb = Zipf(VERBS, 0.9)
        self.pick_object = Zipf(NOUN_OBJECTS, 0.7)
        self.pick_publisher = Zipf(PUBLISHERS, 0.8)
        self.firm_cum = list(itertools.accumulate(f[-1] for f in FIRMNESS))
        # more documents in recent years: day index drawn with a rising density
        self.propositions: dict[str, list] = {}  # key -> [id, label, n, first, last, {assessments}]

    def day(self) -> str:
        return (FIRST_DAY + timedelta(days=int(N_DAYS * self.rnd.random() ** 0.7))).isoformat()

    def firmness(self) -> tuple:
        return FIRMNESS[bisect.bisect(self.firm_cum, self.rnd.random() * self.firm_cum[-1])]

    def source(self) -> tuple[str, str, tuple | None] | None:
        """The innermost source of a sentence's claims, or None (the author): 79 % unattributed."""
        r = self.rnd.random()
        if r < 0.79:
            return None
        if r < 0.92:
            return self.pick_generic(self.rnd) + (None,)  # type: ignore[operator]
        return self.pick_named(self.rnd)  # type: ignore[return-value]

    def argument(self) -> tuple[str, tuple | None]:
        """A subject or object: an entity mention (named as canonical or alias) or a noun phrase."""
        if self.rnd.random() < 0.6:
            ent = self.pick_entity(self.rnd)
            canon, _, alias = ent  # type: ignore[misc]
            return (alias if alias and self.rnd.random() < 0.3 else canon), ent  # type: ignore[return-value]
        return self.pick_object(self.rnd), None  # type: ignore[return-value]


def _drop_for_load(conn: sqlite3.Connection) -> list[str]:
    """Drop the secondary indexes and the FTS insert triggers; return the SQL that restores them."""
    rows = conn.execute(
        "select type, name, sql from sqlite_master where sql is not null and "
        "((type = 'index' and tbl_name not like '%fts%') or (type = 'trigger' and name like '%\\_ai' escape '\\'))"
    ).fetchall()
    for kind, name, _ in rows:
        conn.execute(f'drop {kind} "{name}"')
    return [sql for _, _, sql in rows]


def generate(
    db: str | Path,
    n_claims: int,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> SyntheticStats:
    """Write a synthetic archive of ``n_claims`` claims into a new database file."""
    from .store import engine_for

    path = Path(db)
    if path.exists() and path.stat().st_size > 0:
        raise StoreError(
            "already exists",
            path=str(db),
            fix="give a new file: the generator only writes fresh databases",
        )
    started = time.perf_counter()
    engine_for(path).dispose()  # the schema, FTS tables and triggers, exactly as ingest makes them
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")  # a fresh file: if the load fails, delete it
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")
    conn.execute("PRAGMA temp_store=MEMORY")
    restore = _drop_for_load(conn)
    g = _Generator(seed)
    rnd = g.rnd
    stats = SyntheticStats()
    conn.execute("BEGIN")
    conn.execute(
        "insert into runs (id, command, tool_version, extractor_version, parser, settings, started_at, "
        "n_documents, n_duplicates, n_failed, n_sentences, n_claims) values (1, 'synthetic', ?, ?, ?, ?, ?, 0, 0, 0, 0, 0)",
        (
            "synthetic",
            EXTRACTOR_VERSION,
            PARSER,
            f'{{"claims": {n_claims}, "seed": {seed}}}',
            EXTRACTED_AT,
        ),
    )
    conn.executemany(
        "insert into entities (id, canonical, label) values (?, ?, ?)",
        [(g.entity_ids[c], c, label) for c, label, _ in g.entities],
    )
    stats.entities = len(g.entities)
    buf: dict[str, list[tuple]] = {
        t: []
        for t in FILLED_TABLES
    }
    doc_no = 0
    while stats.claims < n_claims:
        doc_no += 1
        _document(g, rnd, doc_no, n_claims - stats.claims, buf, stats)
        if len(buf["claims"]) >= 50_000:
            _flush(conn, buf)
            if progress:
                progress(stats.claims)
    _flush(conn, buf)
    conn.executemany(
        "insert into propositions (id, key, label, n_claims, first_seen, last_seen, n_assessments, n_changes)"
        " values (?, ?, ?, ?, ?, ?, ?, 0)",
        (
            (pid, key, label, n, lo, hi, len(seen))
            for key, (pid, label, n, lo, hi, seen) in g.propositions.items()
        ),
    )
    stats.propositions = len(g.propositions)
    conn.execute(
        "update runs set finished_at = ?, n_documents = ?, n_sentences = ?, n_claims = ? where id = 1",
        (EXTRACTED_AT, stats.documents, stats.sentences, stats.claims),
    )
    conn.execute("COMMIT")
    for sql in restore:  # indexes: one sort each; triggers: back for later ingests
        conn.execute(sql)
    # the per-entity claim counts its (dropped) insert trigger keeps during an ingest
    conn.execute("DELETE FROM entity_claim_counts")
    conn.execute(
        "INSERT INTO entity_claim_counts (entity_id, n_claims)"
        " SELECT entity_id, count(DISTINCT claim_id) FROM claim_entities GROUP BY entity_id"
    )
    conn.execute("INSERT INTO claims_fts(claims_fts) VALUES ('rebuild')")
    conn.execute("INSERT INTO sentences_fts(sentences_fts) VALUES ('rebuild')")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    # the change labels, as linking stores them (claims.changes)
    from .changes import store_changes

    engine = engine_for(path)
    with engine.begin() as c:
        store_changes(c, [pid for (pid,) in c.exec_driver_sql("SELECT id FROM propositions")])
    engine.dispose()
    stats.seconds = round(time.perf_counter() - started, 1)
    stats.db_bytes = path.stat().st_size
    return stats


def _flush(conn: sqlite3.Connection, buf: dict[str, list[tuple]]) -> None:
    sql = {t: insert_sql(t) for t in FILLED_TABLES}
    for table in FILLED_TABLES:
        conn.executemany(sql[table], buf[table])
        buf[table].clear()


def _document(
    g: _Generator,
    rnd: random.Random,
    doc_no: int,
    budget: int,
    buf: dict[str, list[tuple]],
    stats: SyntheticStats,
) -> None:
    """One document: ~38 sentences, ~72 claims (fewer when the budget runs out)."""
    doc_date = g.day()
    publisher = g.pick_publisher(rnd) if rnd.random() < 0.6 else None
    author = publisher or "the author"
    n_sentences = max(3, int(rnd.gauss(38, 15)))
    sentences: list[tuple[str, list[tuple]]] = []  # text, claims (local offsets)
    n_doc_claims = 0
    for _ in range(n_sentences):
        if n_doc_claims >= budget:
            break
        k = min(budget - n_doc_claims, rnd.choices((0, 1, 2, 3, 4, 5), (5, 39, 31, 15, 6, 4))[0])
        text, claims = _sentence(g, rnd, k, doc_date)
        sentences.append((text, claims))
        n_doc_claims += len(claims)
    if not n_doc_claims:
        return
    doc_text = " ".join(t for t, _ in sentences)
    digest = hashlib.sha256(f"{doc_no}\n{doc_text}".encode()).hexdigest()
    doc_id = digest[:16]
    title = sentences[0][0][:80]
    buf["documents"].append(
        (doc_id, digest, title, publisher, f"https://example.org/{doc_id}" if publisher else None, doc_date,
         doc_date[:7], f"synthetic/{doc_no:07d}.txt", "txt", doc_text, len(sentences), n_doc_claims, 1, EXTRACTED_AT)
    )  # fmt: skip
    offset = 0
    for index, (text, claims) in enumerate(sentences):
        sid = f"{doc_id}:{index}"
        buf["sentences"].append(
            (
                sid,
                doc_id,
                index,
                text,
                offset,
                offset + len(text),
                _conllu(sid, text, offset),
                PARSER,
                PARSER_VERSION,
                len(claims),
            )
        )
        for c in claims:
            _claim(g, c, sid, doc_id, doc_date, offset, author, buf, stats)
        offset += len(text) + 1
    stats.documents += 1
    stats.sentences += len(sentences)


def _sentence(g: _Generator, rnd: random.Random, k: int, doc_date: str) -> tuple[str, list[tuple]]:
    """``k`` coordinated clauses, optionally attributed: the text and each clause's pieces."""
    if k == 0:
        return rnd.choice(
            (
                "The meeting ended without a statement.",
                "Details were not available.",
                "Read more below.",
            )
        ), []
    src = g.source()
    outer = g.pick_named(rnd) if src is not None and rnd.random() < 0.08 else None  # nested chain
    parts: list[str] = []
    pos = 0
    chain: list[tuple] = []  # (text, type, start, end, cue, cue_start, cue_end)
    if outer is not None:
        cue = "said"
        parts.append(f"{outer[0]} {cue} ")
        chain.append(
            (
                outer[0],
                "person",
                0,
                len(outer[0]),
                cue,
                len(outer[0]) + 1,
                len(outer[0]) + 1 + len(cue),
            )
        )
        pos = len(parts[-1])
    if src is not None:
        cue = rnd.choice(CUES)
        s_start = pos
        parts.append(f"{src[0]} {cue} that ")
        chain.append(
            (
                src[0],
                src[1],
                s_start,
                s_start + len(src[0]),
                cue,
                s_start + len(src[0]) + 1,
                s_start + len(src[0]) + 1 + len(cue),
            )
        )
        pos += len(parts[-1])
    claims = []
    for j in range(k):
        if j:
            parts.append(", and ")
            pos += 6
        subj, subj_ent = g.argument()
        obj, obj_ent = g.argument()
        if pos == 0:
            subj = subj[0].upper() + subj[1:]
        verb, lemma = g.pick_verb(rnd)  # type: ignore[misc]
        firm = g.firmness()
        negative = rnd.random() < 0.09
        pre = firm[0]
        if negative:
            pre = NEGATORS.get(pre, pre + "not ")
            verb = lemma
        time_ref = rnd.choice(TIMES) if rnd.random() < 0.17 else None
        head = f"{subj} {pre}{verb}"
        clause = f"{head} {obj}{time_ref[0] if time_ref else ''}"
        start = pos
        head_id = len(TOKEN.findall("".join(parts) + f"{subj} {pre}")) + 1  # the verb's word id
        cue_at = start + len(subj) + 1 + pre.find(firm[5]) if firm[5] else None
        time_at = start + len(head) + 1 + len(obj) + 1 if time_ref else None
        obj_at = start + len(head) + 1
        mentions = []
        if subj_ent is not None:
            mentions.append((subj_ent, subj, start, start + len(subj)))
        if obj_ent is not None:
            mentions.append((obj_ent, obj, obj_at, obj_at + len(obj)))
        claims.append(
            (start, clause, subj, subj_ent, obj, obj_ent, lemma, firm, negative, time_ref, cue_at, time_at, mentions,
             chain, src, head_id, j)
        )  # fmt: skip
        parts.append(clause)
        pos += len(clause)
    parts.append(".")
    return "".join(parts), claims


def _claim(
    g: _Generator,
    c: tuple,
    sid: str,
    doc_id: str,
    doc_date: str,
    offset: int,
    author: str,
    buf: dict[str, list[tuple]],
    stats: SyntheticStats,
) -> None:
    (start, text, subj, subj_ent, obj, obj_ent, lemma, firm, negative, time_ref, cue_at, time_at, mentions,
     chain, src, head, j) = c  # fmt: skip
    cid = f"{sid}:{head}"
    key = f"{(subj_ent[0] if subj_ent else subj.split()[-1]).lower()}|{lemma}|{(obj_ent[0] if obj_ent else obj.split()[-1]).lower()}"
    prop = g.propositions.get(key)
    if prop is None:
        prop = g.propositions[key] = [len(g.propositions) + 1, text, 0, doc_date, doc_date, set()]
    prop[2] += 1
    prop[3] = min(prop[3], doc_date)
    prop[4] = max(prop[4], doc_date)
    prop[5].add((firm[1], negative))  # the assessment: certainty and polarity
    source_text, source_type, cue = (
        (src[0], src[1], chain[-1][4]) if src else (author, "author", None)
    )
    clause_type = ("complement" if src else "main") if j == 0 else "conj"
    buf["claims"].append(
        (doc_id, sid, doc_date, doc_date[:7], text, offset + start, offset + start + len(text), subj, lemma, obj,
         clause_type, "negative" if negative else "positive", firm[1], firm[2], firm[3], source_text, source_type,
         cue, prop[0], PARSER, EXTRACTOR_VERSION, cid, key, EXTRACTED_AT)
    )  # fmt: skip
    stats.claims += 1
    if src:
        for depth, (s_text, s_type, s0, s1, s_cue, c0, c1) in enumerate(chain):
            buf["attributions"].append(
                (
                    cid,
                    depth,
                    s_text,
                    s_type,
                    offset + s0,
                    offset + s1,
                    s_cue,
                    offset + c0,
                    offset + c1,
                )
            )
        stats.attributions += len(chain)
    if firm[5]:
        buf["hedge_cues"].append(
            (firm[5], offset + cue_at, offset + cue_at + len(firm[5]), firm[4], cid)
        )
        stats.hedge_cues += 1
    if time_ref:
        phrase, days, gran, relative = time_ref
        day = date.fromisoformat(doc_date)
        value = (day - timedelta(days=days)).isoformat() if days else f"{day.year}-03"
        value = value[:7] if gran == "month" else value[:4] if gran == "year" else value
        t = phrase.strip()
        t_start = offset + time_at
        buf["time_refs"].append((cid, t, t_start, t_start + len(t), value, gran, relative))
        stats.time_refs += 1
    seen = set()
    for ent, as_written, m0, m1 in mentions:
        eid = g.entity_ids[ent[0]]
        if (eid, as_written) in seen:
            continue
        seen.add((eid, as_written))
        buf["claim_entities"].append((cid, eid, as_written, offset + m0, offset + m1))
        stats.claim_entities += 1


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m claims.synthetic", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument(
        "--claims", type=int, default=1_000_000, help="how many claims (default: 1,000,000)"
    )
    ap.add_argument(
        "--db", required=True, help="a new database file (served by Datasette as its stem)"
    )
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    stats = generate(
        args.db, args.claims, seed=args.seed, progress=lambda n: print(f"{n:,} claims", flush=True)
    )
    print(
        ", ".join(
            f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in asdict(stats).items()
        )
    )


if __name__ == "__main__":
    main()

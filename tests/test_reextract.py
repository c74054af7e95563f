"""Re-extraction touches only what changed: unchanged claims keep their rows, full-text entries and links."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest
from helpers import assert_whole_documents, count, rows
from sqlmodel import Session

from claims import pipeline
from claims.pipeline import reextract
from claims.store import engine_for, entity_ids

IRAN_NOT_DIRECTING = "be8f49cc99a87ad0:2:6"  # "Iran is not explicitly directing these groups" (new proposition)
IRAN_PROBABLY = "8a759beab6d287b6:1:9"  # matched IRAN_NOT_DIRECTING (fuzzy)


def copy_db(src: Path, dst: Path) -> Path:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return dst


@pytest.fixture
def rx_db(examples_db: Path, tmp_path: Path) -> Path:
    return copy_db(examples_db, tmp_path / "rx.db")


def links(db: Path) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in rows(db, "select claim_id, proposition_id, method, score, matched_claim_id, reason, linker_version from proposition_links")}


def claim_rows(db: Path) -> dict[str, tuple]:
    """Claims with their rowid (the full-text index's key) and when they were written."""
    return {r[0]: r[1:] for r in rows(db, "select id, rowid, proposition_id, extracted_at, extractor_version from claims")}


def test_a_no_op_reextract_writes_no_claim_and_keeps_every_link(rx_db: Path) -> None:
    before_links, before_claims = links(rx_db), claim_rows(rx_db)
    n_props = count(rx_db, "propositions")
    result = reextract(rx_db)
    assert (result.n_claims, result.n_unchanged, result.n_rewritten, result.n_relinked, result.n_removed) == (len(before_claims), len(before_claims), 0, 0, 0)
    assert claim_rows(rx_db) == before_claims  # same rowids: nothing deleted and re-inserted
    assert links(rx_db) == before_links  # reasons too
    assert count(rx_db, "propositions") == n_props
    assert_whole_documents(rx_db)


def test_a_new_extractor_version_rewrites_rows_but_keeps_links(rx_db: Path, monkeypatch) -> None:
    before_links, before_claims = links(rx_db), claim_rows(rx_db)
    monkeypatch.setattr(pipeline, "extractor_version", lambda aliases=None: "test-version")
    result = reextract(rx_db)
    assert (result.n_rewritten, result.n_unchanged, result.n_relinked) == (len(before_claims), 0, 0)
    after = claim_rows(rx_db)
    assert {v[3] for v in after.values()} == {"test-version"}
    assert {k: v[1] for k, v in after.items()} == {k: v[1] for k, v in before_claims.items()}  # propositions kept
    assert links(rx_db) == before_links
    for table in ("claims_fts", "sentences_fts"):
        rows(rx_db, f"insert into {table}({table}) values ('integrity-check')")
    assert count(rx_db, "claims_fts") == count(rx_db, "claims")
    assert_whole_documents(rx_db)


def test_a_claim_whose_linking_inputs_change_is_relinked_with_those_that_matched_it(rx_db: Path, monkeypatch) -> None:
    before_links, before = links(rx_db), claim_rows(rx_db)
    assert before_links[IRAN_PROBABLY][3] == IRAN_NOT_DIRECTING  # matched it
    real = pipeline.claims_of

    def changed(doc, *args, **kwargs):
        for c in real(doc, *args, **kwargs):
            if c.text == "Iran is not explicitly directing these groups":
                c = dataclasses.replace(c, proposition_key="volcano|erupt|iceland", text="Iran is not explicitly directing")
            yield c

    monkeypatch.setattr(pipeline, "claims_of", changed)
    result = reextract(rx_db)
    after_links = links(rx_db)
    relinked = {cid for cid in after_links if after_links[cid] != before_links[cid]}
    assert IRAN_NOT_DIRECTING in relinked and IRAN_PROBABLY in relinked
    direct = {cid for (cid,) in rows(rx_db, "select id from claims where predicate = 'direct'")}
    assert relinked <= direct  # candidates never cross predicates: only this one is linked again
    assert result.n_relinked == len(direct) and result.n_unchanged == len(before) - 1 and result.n_rewritten == 0
    assert after_links[IRAN_NOT_DIRECTING][1] == "new"  # a new proposition, of its new key
    assert rows(rx_db, "select key from propositions where id = ?", after_links[IRAN_NOT_DIRECTING][0]) == [("volcano|erupt|iceland",)]
    # every claim of another predicate kept its row and its link
    after = claim_rows(rx_db)
    others = set(before) - direct
    assert others and all(after_links[c] == before_links[c] and after[c] == before[c] for c in others)
    assert rows(rx_db, "select count(*) from claims where proposition_id is null") == [(0,)]
    assert rows(rx_db, "select count(*) from propositions p where not exists (select 1 from claims c where c.proposition_id = p.id)") == [(0,)]


def test_reextract_then_reverting_the_change_restores_the_first_links(rx_db: Path, monkeypatch) -> None:
    props_before = {k: v[1] for k, v in claim_rows(rx_db).items()}
    real = pipeline.claims_of

    def dropped(doc, *args, **kwargs):
        return (c for c in real(doc, *args, **kwargs) if c.text != "Iran is not explicitly directing these groups")

    monkeypatch.setattr(pipeline, "claims_of", dropped)
    result = reextract(rx_db)
    assert result.n_removed == 1
    assert count(rx_db, "claims", "id = ?", IRAN_NOT_DIRECTING) == 0
    assert count(rx_db, "proposition_links", "claim_id = ?", IRAN_NOT_DIRECTING) == 0
    monkeypatch.setattr(pipeline, "claims_of", real)
    reextract(rx_db)
    after = {k: v[1] for k, v in claim_rows(rx_db).items()}
    assert set(after) == set(props_before)
    assert after == props_before  # the predicate linked again in date order, as at first
    assert_whole_documents(rx_db)


def test_a_claim_left_unlinked_by_a_crash_is_linked_by_the_next_reextract(rx_db: Path) -> None:
    before_links = links(rx_db)
    with sqlite3.connect(rx_db) as c:  # as if killed after the document's commit, before linking
        c.execute("update claims set proposition_id = null where id = ?", (IRAN_NOT_DIRECTING,))
    result = reextract(rx_db)
    assert result.n_relinked == count(rx_db, "claims", "predicate = 'direct'")  # its predicate, linked again in date order
    after = links(rx_db)
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before_links.items()}  # as a full relink would
    assert after[IRAN_NOT_DIRECTING][4] == "proposition of key iran|direct|group, kept across re-extraction"
    assert rows(rx_db, "select count(*) from claims where proposition_id is null") == [(0,)]


def test_a_failing_document_keeps_its_claims_and_links(rx_db: Path, monkeypatch) -> None:
    before_links, before = links(rx_db), claim_rows(rx_db)
    real = pipeline.replace_claims

    def failing(s, doc, *args, **kwargs):
        done = real(s, doc, *args, **kwargs)  # written in the transaction: the rollback must undo it
        if doc.id == "be8f49cc99a87ad0":
            raise RuntimeError("disk on fire")
        return done

    monkeypatch.setattr(pipeline, "extractor_version", lambda aliases=None: "test-version")  # so that every row is rewritten
    monkeypatch.setattr(pipeline, "replace_claims", failing)
    result = reextract(rx_db)
    assert [p.error for p in result.problems] == ["InternalError"]
    after = claim_rows(rx_db)
    mine = {k for k in before if k.startswith("be8f49cc99a87ad0:")}
    assert mine and all(after[k] == before[k] for k in mine)  # old rows, old rowids, old version
    assert all(after[k][3] == "test-version" for k in before if k not in mine)
    assert links(rx_db) == before_links
    assert_whole_documents(rx_db)


def test_entities_are_shared_across_documents_and_created_once(examples_db: Path, tmp_path: Path) -> None:
    shared = rows(examples_db, "select e.canonical, count(distinct c.document_id) from entities e join claim_entities ce on ce.entity_id = e.id "
                               "join claims c on c.id = ce.claim_id group by e.id having count(distinct c.document_id) > 1")
    assert shared  # e.g. Iran, in every example
    assert rows(examples_db, "select count(*) from (select canonical, label from entities group by canonical, label having count(*) > 1)") == [(0,)]
    db = copy_db(examples_db, tmp_path / "e.db")
    n = count(db, "entities")
    engine = engine_for(db)
    with Session(engine) as s:
        (canonical, label), = rows(db, "select canonical, label from entities order by id limit 1")
        ids = entity_ids(s, [("Atlantis", "GPE"), (canonical, label), ("Atlantis", "GPE"), ("Lemuria", "LOC")])
        s.commit()
    engine.dispose()
    assert list(ids) == [("Atlantis", "GPE"), (canonical, label), ("Lemuria", "LOC")]
    assert ids[(canonical, label)] == 1 and ids[("Atlantis", "GPE")] == n + 1 and ids[("Lemuria", "LOC")] == n + 2
    assert count(db, "entities") == n + 2


def test_linking_inputs_are_what_claim_views_read(examples_db: Path) -> None:
    """ClaimRows.linking_inputs (what a rewrite compares to keep a link) and claim_views (what
    linking reads) come from one definition, store.LINKED_COLUMNS and store.linked_parts: a view
    read from the database has the parts the stored rows give, for every claim."""
    from sqlmodel import select

    from claims import model as m
    from claims.propositions import ClaimView, claim_views
    from claims.store import LINKED_COLUMNS, stored_claim_rows

    # the claim's own fields a view carries are among the compared columns
    from_claim = {"text", "start_char", "end_char", "predicate"} | {"proposition_key"}
    assert {f.name for f in dataclasses.fields(ClaimView)} >= {"text", "start_char", "end_char", "predicate", "key"}
    assert from_claim | {"sentence_id"} <= set(LINKED_COLUMNS)
    engine = engine_for(examples_db)
    checked = 0
    with Session(engine) as s:
        doc_ids = [d.id for d in s.exec(select(m.Document))]
        for doc_id in doc_ids:
            stored = stored_claim_rows(s, doc_id)
            claims = list(s.exec(select(m.Claim).where(m.Claim.document_id == doc_id)))
            views = claim_views(s, claims)
            for c in claims:
                columns, parts = stored[c.id][0].linking_inputs()
                v = views[c.id]
                assert (v.masked, v.entities, v.times) == (parts.masked, parts.entities, parts.times), c.id
                assert dict(zip(LINKED_COLUMNS, columns, strict=True))["text"] == v.text
                checked += 1
    engine.dispose()
    assert checked > 30

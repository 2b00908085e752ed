"""search/building.py: a rebuild's in-memory posting pool writes the very segment Whoosh's own pool would."""
from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from search import storage
from search.building import RebuildWriter, TermPool
from search.codec import PracticeCodec
from search.index import Query, SearchIndex
from search.schema import build_schema, to_fields
from tests.search.conftest import LIBRARY, generated


def segment_files(path: Path, docs, writer_of) -> dict[str, bytes]:
    path.mkdir()
    ix = whoosh_index.create_in(str(path), build_schema())
    writer = writer_of(ix)
    for doc in docs:
        writer.add_document(**to_fields(doc))
    writer.commit()
    # a segment's files are named MAIN_<random id>.<what>: compare them by what they hold
    return {p.name.split(".", 1)[1]: p.read_bytes() for p in path.glob("MAIN_*.*")}


def test_the_pool_writes_the_same_bytes_as_whooshs(tmp_path):
    docs = LIBRARY + generated(300)
    options = {"codec": PracticeCodec(), "compound": False}
    ours = segment_files(tmp_path / "ours", docs, lambda ix: RebuildWriter(ix, **options))
    # limitmb=1: Whoosh's pool spills sorted runs to disk and merges them back, the path a large rebuild took
    whooshs = segment_files(tmp_path / "whoosh", docs, lambda ix: ix.writer(limitmb=1, **options))
    assert set(ours) == set(whooshs) and {"trm", "pst", "_stored.col"} <= set(ours)
    assert [name for name in ours if ours[name] != whooshs[name]] == []


def test_the_pool_gives_whooshs_postings_in_order_and_refuses_them_out_of_order():
    pool = TermPool()
    for item in [("text", b"b", 0, 1.0, b"\x01\x00\x00\x00"), ("id", b"7", 0, 1.0, b""),
                 ("text", b"a", 1, 2.0, b"\x02\x00\x00\x00\x03\x00\x00\x00"), ("text", b"b", 1, 1.0, b"\x05\x00\x00\x00")]:
        pool.add(item)
    assert list(pool.iter_postings()) == [
        ("id", b"7", 0, 1.0, b""), ("text", b"a", 1, 2.0, b"\x02\x00\x00\x00\x03\x00\x00\x00"),
        ("text", b"b", 0, 1.0, b"\x01\x00\x00\x00"), ("text", b"b", 1, 1.0, b"\x05\x00\x00\x00")]
    with pytest.raises(ValueError):
        pool.add(("text", b"b", 1, 1.0, b""))


def test_a_rebuild_in_several_processes_finds_what_one_process_finds(tmp_path, monkeypatch, big, big_docs):
    monkeypatch.setattr(storage, "PARALLEL_FROM", 100)
    parallel = SearchIndex(str(tmp_path / "parallel"), procs=2)
    assert parallel.rebuild(iter(big_docs)) == len(big_docs)
    parallel.check()
    generation = parallel.path / (parallel.path / "CURRENT").read_text().strip()
    assert len(list(generation.glob("MAIN_*.trm"))) == 2  # one segment per process
    for text in ("наставник", "учёт", '"молодых специалистов"', "mentoring -школе", ""):
        query = Query(text, filters={"region": ["77", "16"]}, facets=("nomination", "year"))
        assert sorted(parallel.ids_matching(query)) == sorted(big.ids_matching(query))
        mine, theirs = parallel.search(query), big.search(query)
        assert (mine.total, mine.facets) == (theirs.total, theirs.facets)
    parallel.upsert([big_docs[0]])
    assert parallel.doc_count() == len(big_docs)

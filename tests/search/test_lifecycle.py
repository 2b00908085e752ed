"""The index follows the database: upsert, delete, rebuild and swap, several writers, missing and damaged indexes."""
from __future__ import annotations

import json
import multiprocessing
import threading
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from search.index import NOTICE_UNAVAILABLE, Query, SearchIndex, SearchIndexBusy, SearchIndexError
from tests.search.conftest import LIBRARY, build, practice, replace


def counts(index, facet, text=""):
    return dict(index.search(Query(text, facets=(facet,))).facets[facet])


def current_generation(index: SearchIndex) -> Path:
    return index.path / (index.path / "CURRENT").read_text().strip()


def test_upsert_adds_and_replaces_and_the_counts_follow(fresh):
    assert counts(fresh, "nomination")["social"] == 1
    fresh.upsert([practice(50, "Наставники для подростков", nomination="social", region="77")])
    assert [h.id for h in fresh.search(Query("подростков")).hits] == [6, 50] or \
        {h.id for h in fresh.search(Query("подростков")).hits} == {6, 50}
    assert counts(fresh, "nomination")["social"] == 2
    fresh.upsert([replace(LIBRARY[5], title="Волонтёры района", nomination="education")])  # practice 6, edited
    assert counts(fresh, "nomination")["social"] == 1
    assert fresh.doc_count() == 13
    hits = fresh.search(Query("волонтёры района")).hits
    assert [(h.id, h.highlights["title"]) for h in hits] == [(6, "<mark>Волонтёры</mark> <mark>района</mark>")]


def test_delete_removes_and_the_counts_follow(fresh):
    before = counts(fresh, "region")
    fresh.delete([1, 8, 999])
    assert fresh.doc_count() == 10
    assert {h.id for h in fresh.search(Query("госслужащих")).hits} == set()
    assert counts(fresh, "region")["77"] == before["77"] - 2
    assert 1 not in {h.id for h in fresh.search(Query("", per_page=100)).hits}


def test_another_process_sees_writes_on_its_next_search(fresh):
    other = SearchIndex(str(fresh.path))
    assert other.search(Query("космонавты")).total == 0
    fresh.upsert([practice(60, "Космонавты-наставники")])
    assert [h.id for h in other.search(Query("космонавты")).hits] == [60]
    fresh.delete([60])
    assert other.search(Query("космонавты")).total == 0


def _upsert_many(path: str, start: int) -> None:
    index = SearchIndex(path, lock_timeout=20)
    for i in range(start, start + 8):
        index.upsert([practice(i, f"Практика номер {i} наставничество")])


def test_writers_in_several_processes_wait_for_each_other(fresh):
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_upsert_many, args=(str(fresh.path), start)) for start in (100, 200, 300)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert fresh.doc_count() == 12 + 24
    assert fresh.search(Query("номер")).total == 24


def test_a_held_writer_lock_is_waited_for_then_given_up_on(fresh):
    writer = whoosh_index.open_dir(str(current_generation(fresh))).writer()
    impatient = SearchIndex(str(fresh.path), lock_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(SearchIndexBusy):
        impatient.upsert([practice(70, "Ожидание")])
    assert 0.3 <= time.monotonic() - started < 3
    releaser = threading.Timer(0.3, writer.cancel)
    releaser.start()
    SearchIndex(str(fresh.path), lock_timeout=10).upsert([practice(70, "Ожидание")])
    releaser.join()
    assert [h.id for h in fresh.search(Query("ожидание")).hits] == [70]


def test_rebuild_swaps_in_a_new_generation_while_searches_go_on(fresh):
    old = current_generation(fresh)
    reader = SearchIndex(str(fresh.path))
    seen, failures, stop = set(), [], threading.Event()

    def search_all_the_time():
        while not stop.is_set():
            results = reader.search(Query(""))
            if results.notice:
                failures.append(results.notice)
            seen.add(results.total)

    def slowly(docs):
        for doc in docs:
            time.sleep(0.01)
            yield doc

    thread = threading.Thread(target=search_all_the_time)
    thread.start()
    try:
        assert fresh.rebuild(slowly(LIBRARY[:5])) == 5
        time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
    assert failures == []
    assert seen <= {12, 5} and 12 in seen
    assert reader.search(Query("")).total == 5
    assert current_generation(fresh) != old and old.exists()  # the previous one is kept for readers still on it
    fresh.rebuild(iter(LIBRARY))
    assert not old.exists()  # …and removed a generation later


def test_writes_during_a_rebuild_are_not_lost(fresh):
    halfway, go_on = threading.Event(), threading.Event()

    def pausing(docs):  # the database as read when the rebuild started: practice 1 still there, 80 not yet
        for i, doc in enumerate(docs):
            if i == 6:
                halfway.set()
                go_on.wait(10)
            yield doc

    rebuild = threading.Thread(target=fresh.rebuild, args=(pausing(LIBRARY),))
    rebuild.start()
    assert halfway.wait(10)
    writer = SearchIndex(str(fresh.path))
    writer.upsert([practice(80, "Опубликовано во время перестройки")])
    writer.delete([1])
    assert writer.search(Query("перестройки")).total == 1  # the old generation has it at once
    go_on.set()
    rebuild.join(20)
    assert [h.id for h in fresh.search(Query("перестройки")).hits] == [80]
    assert fresh.search(Query("школа молодого наставника")).total == 0
    assert fresh.doc_count() == 12


def test_a_missing_index_is_reported_by_check_and_answered_with_a_notice(tmp_path):
    index = SearchIndex(str(tmp_path / "nothing"))
    assert not index.exists()
    with pytest.raises(SearchIndexError):
        index.check()
    results = index.search(Query("наставник"))
    assert (results.total, results.hits, results.facets, results.notice) == (0, [], {}, NOTICE_UNAVAILABLE)
    assert index.doc_count() == 0 and index.similar(1) == []
    index.upsert([practice(1, "Без индекса")])  # nothing to write to: the next rebuild reads the database
    index.delete([1])
    assert index.rebuild(iter(LIBRARY)) == 12
    index.check()
    assert index.search(Query("наставник")).total == 8


@pytest.mark.parametrize("damage", ["toc", "segments", "pointer", "meta"])
def test_a_damaged_index_is_reported_and_can_be_rebuilt(tmp_path, damage):
    index = build(tmp_path / "index", LIBRARY)
    index.search(Query("наставник"))  # opened before the damage, as a running process would have it
    generation = current_generation(index)
    if damage == "toc":
        for toc in generation.glob("_MAIN_*.toc"):
            toc.write_bytes(b"garbage")
    elif damage == "segments":
        for part in generation.glob("MAIN_*.*"):
            part.write_bytes(part.read_bytes()[:10])
    elif damage == "pointer":
        (index.path / "CURRENT").write_text("../../etc")
    else:
        (generation / "meta.json").write_text(json.dumps({"analyser": -1}))
    fresh_process = SearchIndex(str(index.path))
    with pytest.raises(SearchIndexError):
        fresh_process.check()
    results = fresh_process.search(Query("наставник"))
    if damage != "meta":  # an index built by another analyser still answers until rebuilt
        assert (results.total, results.notice) == (0, NOTICE_UNAVAILABLE)
    fresh_process.rebuild(iter(LIBRARY))
    fresh_process.check()
    assert fresh_process.search(Query("наставник")).total == 8
    assert index.search(Query("наставник")).total == 8  # the other process moves to the new generation


def test_close_releases_the_files_and_the_next_search_reopens(fresh):
    assert fresh.search(Query("наставник")).total == 8
    fresh.close()
    assert fresh._held.open is None
    assert fresh.search(Query("наставник")).total == 8

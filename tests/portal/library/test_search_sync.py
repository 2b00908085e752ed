"""portal/services/search_sync.py (the index follows commits, repairs itself) and the index side of
portal/services/library_queries.search_library."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from portal.extensions import db
from portal.services import library, search_sync
from portal.services.library_queries import search_library
from portal.storage import backend_named
from search.index import NOTICE_UNAVAILABLE, SearchIndex, SearchIndexBusy, SearchIndexError
from search.query import Query
from tests.factories import make_library_item, make_organisation, make_season, make_user
from tests.portal.library.builders import found_ids, index_facets, make_screened_entry

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=40)


@pytest.fixture
def index(app):
    """An empty index in place, as after `search reindex` on an empty library."""
    search_sync.rebuild_index(app, db.session)
    return search_sync.index_for(app)


def edit(item, **data):
    return library.update_item(db.session, item=item, user=None, data=data, now=LATER, storage_for=backend_named)


def generation_dir(app) -> Path:
    root = Path(app.config["SEARCH_INDEX_DIR"])
    return root / (root / "CURRENT").read_text(encoding="ascii").strip()


# The index follows commits

def test_a_published_entry_is_found_after_the_commit_by_its_text_and_its_files(app, index):
    user = make_user()
    entry = make_screened_entry(user, make_season(now=NOW), organisation=make_organisation(user), now=NOW)
    item = library.publish_entry(db.session, entry=entry, user=None, now=LATER, storage_for=backend_named)
    assert found_ids(app, "наставник") == set()  # not before the commit
    db.session.commit()
    assert found_ids(app, "наставники") == {item.id}
    assert found_ids(app, "сталевар") == {item.id}  # from the presentation's PDF text
    assert found_ids(app, "приказ") == set()       # the supporting document is not public


def test_an_edited_title_replaces_the_old_words(app, index):
    item = make_library_item(title="Наставничество молодых специалистов на заводе")
    db.session.commit()
    assert found_ids(app, "завод") == {item.id}
    edit(item, title="Клуб литейщиков")
    db.session.commit()
    assert found_ids(app, "завод") == set()
    assert found_ids(app, "литейщик") == {item.id}


def test_an_edited_region_moves_the_practice_to_the_new_district(app, index):
    item = make_library_item(region="66")
    db.session.commit()
    assert index_facets(app)["district"] == {"UFD": 1}
    edit(item, region_code="77")
    db.session.commit()
    assert found_ids(app, region="77") == {item.id}
    assert index_facets(app)["region"] == {"77": 1}
    assert index_facets(app)["district"] == {"CFD": 1}
    edit(item, region_code="")
    db.session.commit()
    assert (index_facets(app)["region"], index_facets(app)["district"]) == ({}, {})


def test_an_unpublished_practice_leaves_the_hits_and_the_facet_counts(app, index):
    kept = make_library_item(nomination="production", year=2023)
    gone = make_library_item(nomination="education", year=2024)
    db.session.commit()
    assert index_facets(app)["nomination"] == {"education": 1, "production": 1}
    library.unpublish_item(db.session, item=gone, user=None, now=LATER, reason="Дубликат")
    db.session.commit()
    assert found_ids(app) == {kept.id}
    facets = index_facets(app)
    assert (facets["nomination"], facets["year"]) == ({"production": 1}, {"2023": 1})
    library.republish_item(db.session, item=gone, user=None, now=LATER)
    db.session.commit()
    assert found_ids(app) == {kept.id, gone.id}


def test_a_rolled_back_transaction_writes_nothing(app, index):
    item = make_library_item(title="Откатанная практика")
    db.session.rollback()
    assert db.session.info.get(search_sync.STAGED_KEY) is None
    make_library_item(title="Сохранённая практика")
    db.session.commit()
    assert found_ids(app, "откатанная") == set()
    assert index.doc_count() == 1
    assert item not in db.session


def test_the_last_change_in_a_transaction_wins(app, index):
    item = make_library_item()
    library.unpublish_item(db.session, item=item, user=None, now=LATER, reason="Ошибка импорта")
    db.session.commit()
    assert index.doc_count() == 0


def test_without_an_index_writes_wait_for_the_first_rebuild(app):
    item = make_library_item()
    db.session.commit()
    assert not search_sync.index_for(app).exists()
    assert search_sync.rebuild_index(app, db.session) == 1
    assert found_ids(app) == {item.id}


# A failing write marks the index stale

def test_a_failing_index_write_marks_the_index_stale_and_the_commit_stands(app, index, monkeypatch):
    def busy(self, docs):
        raise SearchIndexBusy("held by another process")

    monkeypatch.setattr(SearchIndex, "upsert", busy)
    item = make_library_item()
    db.session.commit()
    assert search_sync.stale_marker(app).exists()
    assert search_sync.index_problem(app) == "stale"
    assert db.session.get(type(item), item.id).is_published
    assert index.doc_count() == 0

    monkeypatch.undo()
    assert search_sync.repair_index(app, db.session) is True
    assert not search_sync.stale_marker(app).exists()
    assert search_sync.index_problem(app) is None
    assert found_ids(app) == {item.id}


def test_a_damaged_index_on_write_is_marked_stale(app, index, monkeypatch):
    def damaged(self, ids):
        raise SearchIndexError("search index cannot be opened")

    monkeypatch.setattr(SearchIndex, "delete", damaged)
    item = make_library_item()
    db.session.commit()
    library.unpublish_item(db.session, item=item, user=None, now=LATER, reason="Снята")
    db.session.commit()
    assert item.status == "unpublished"
    assert search_sync.index_problem(app) == "stale"


def test_healthz_reports_a_stale_index_and_repairs_it(app, client, index, monkeypatch):
    monkeypatch.setattr(SearchIndex, "upsert", lambda self, docs: (_ for _ in ()).throw(OSError("disk full")))
    make_library_item()
    db.session.commit()
    monkeypatch.undo()
    first = client.get("/healthz")
    assert (first.status_code, first.json["checks"]["search"]) == (503, "fail")
    second = client.get("/healthz")
    assert (second.status_code, second.json) == (200, {"status": "ok", "checks": {"db": "ok", "storage": "ok",
                                                                                   "search": "ok"}})


# Repair

def test_repair_rebuilds_a_deleted_index_directory(app, index):
    items = {make_library_item().id, make_library_item(title="Вторая практика").id}
    db.session.commit()
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    assert search_sync.index_problem(app).startswith("no search index at ")
    assert search_sync.repair_index(app, db.session) is True
    assert search_sync.index_problem(app) is None
    assert found_ids(app) == items


def test_repair_rebuilds_a_corrupted_index(app, index):
    item = make_library_item()
    db.session.commit()
    assert found_ids(app) == {item.id}
    index.close()  # as a process starting on the damaged files would find them
    for part in generation_dir(app).glob("MAIN_*.*"):
        part.write_bytes(b"\x00garbage" * 3)
    assert "damaged" in search_sync.index_problem(app) or "cannot be read" in search_sync.index_problem(app)
    page = search_library(app, db.session, Query(text="наставничество"))  # the library page repairs it
    assert [i.id for i in page.items] == [item.id]
    assert search_sync.index_problem(app) is None


def test_repair_runs_at_most_once_per_interval(app, index):
    make_library_item()
    db.session.commit()
    search_sync.stale_marker(app).touch()
    assert search_sync.repair_index(app, db.session) is True
    search_sync.stale_marker(app).touch()
    assert search_sync.repair_index(app, db.session) is False
    app.extensions["search_repaired_at"] -= search_sync.REPAIR_INTERVAL_S
    assert search_sync.repair_index(app, db.session) is True


def test_repair_leaves_a_library_over_the_sync_limit_to_the_reindex_command(app, index):
    app.config["SEARCH_REPAIR_SYNC_MAX"] = 1
    make_library_item()
    make_library_item(title="Вторая практика")
    make_library_item(title="Снятая практика", published=False)
    db.session.commit()
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    assert search_sync.repair_index(app, db.session) is False
    page = search_library(app, db.session, Query())
    assert (page.results.total, page.items, page.results.notice) == (0, [], NOTICE_UNAVAILABLE)
    app.config["SEARCH_REPAIR_SYNC_MAX"] = 2
    assert search_sync.repair_index(app, db.session) is True
    assert search_library(app, db.session, Query()).results.total == 2


def test_a_write_failing_while_a_rebuild_runs_keeps_the_index_stale(app, index, monkeypatch):
    make_library_item()
    db.session.commit()
    rebuild = SearchIndex.rebuild

    def rebuild_meanwhile_failing(self, docs):
        count = rebuild(self, docs)
        search_sync.apply(app, [search_sync.practice_doc(make_library_item(title="Опоздавшая"))], [])
        return count

    monkeypatch.setattr(SearchIndex, "upsert", lambda self, docs: (_ for _ in ()).throw(SearchIndexBusy("busy")))
    monkeypatch.setattr(SearchIndex, "rebuild", rebuild_meanwhile_failing)
    assert search_sync.rebuild_index(app, db.session) == 1
    assert search_sync.index_problem(app) == "stale"


def test_a_healthy_index_is_not_rebuilt(app, index):
    assert search_sync.index_problem(app) is None
    assert search_sync.repair_index(app, db.session) is False
    assert "search_repaired_at" not in app.extensions


# Reading: the database has the final word

def test_hits_unpublished_in_the_database_are_dropped_and_the_index_marked_stale(app, index):
    shown = make_library_item(title="Видимая практика")
    hidden = make_library_item(title="Скрытая практика")
    db.session.commit()
    db.session.execute(text("UPDATE library_items SET status = 'unpublished' WHERE id = :id"), {"id": hidden.id})
    db.session.commit()
    page = search_library(app, db.session, Query(text="практика"))
    assert [i.id for i in page.items] == [shown.id]
    assert set(page.highlights) == {shown.id}
    assert search_sync.stale_marker(app).exists()
    assert search_sync.repair_index(app, db.session) is True
    assert search_library(app, db.session, Query(text="практика")).results.total == 1


def test_facet_counts_are_exact_on_a_small_library(app, index):
    make_library_item(nomination="production", region="66", year=2023, form="workplace", award="winner", place=1,
                      audience="workers")
    make_library_item(nomination="production", region="42", year=2024, form="workplace", award="prize",
                      audience="workers")
    make_library_item(nomination="education", region="77", year=2024, form="teacher-teacher", award=None,
                      audience="teachers")
    make_library_item(nomination="education", region="69", year=2024, form=None, award="laureate", audience=None)
    make_library_item(nomination="social", region=None, year=2022, form="peer", award="winner", place=2,
                      audience="pupils")
    make_library_item(nomination="social", region="78", year=2022, form="peer", award="special", audience="pupils",
                      published=False)
    db.session.commit()
    page = search_library(app, db.session, Query())
    assert page.results.total == 5
    assert dict(page.results.facets) == {
        "nomination": [("education", 2), ("production", 2), ("social", 1)],
        "region": [("42", 1), ("66", 1), ("69", 1), ("77", 1)],
        "district": [("CFD", 2), ("SibFD", 1), ("UFD", 1)],
        "year": [("2024", 3), ("2022", 1), ("2023", 1)],
        "form": [("workplace", 2), ("peer", 1), ("teacher-teacher", 1)],
        "award": [("winner", 2), ("laureate", 1), ("prize", 1)],
        "audience": [("workers", 2), ("pupils", 1), ("teachers", 1)],
    }
    filtered = search_library(app, db.session, Query(filters={"district": ["CFD"], "year": ["2024"]}))
    assert filtered.results.total == 2
    assert filtered.results.facets["nomination"] == [("education", 2)]


def test_published_docs_reads_in_batches_in_id_order(app):
    items = [make_library_item(title=f"Практика {n}") for n in range(5)]
    make_library_item(published=False)
    db.session.commit()
    assert [d.id for d in search_sync.published_docs(db.session, batch=2)] == [i.id for i in items]

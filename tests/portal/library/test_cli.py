"""portal/cli.py, the library's commands: `library import FILE [--dry-run]` and `search reindex`."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import LibraryItem, Season, utcnow
from portal.services import search_sync
from tests.factories import make_library_item
from tests.portal.library.builders import found_ids

GOOD = {"external_id": "2023-0001", "year": 2023, "season": "Наставничество 2023", "nomination": "education",
        "title": "Студенты — наставники школьников", "summary": "Студенты педвуза ведут кружки в школах.",
        "mentoring_form": "student-pupil", "region_code": "78", "award": "prize", "keywords": ["вуз", "школа"]}


def jsonl(*rows) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n"


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def write(tmp_path):
    def write(text: str, name: str = "archive.jsonl", encoding: str = "utf-8"):
        path = tmp_path / name
        path.write_text(text, encoding=encoding)
        return str(path)

    return write


def count_items() -> int:
    return db.session.scalar(select(func.count(LibraryItem.id)))


def test_import_reports_problem_lines_and_a_summary(app, runner, write):
    path = write(jsonl(GOOD, "", {**GOOD, "external_id": "2023-0002", "nomination": "mining"}, "не json",
                       {**GOOD, "title": "Повтор"}, {**GOOD, "external_id": "2023-0003", "region_code": "64"}))
    result = runner.invoke(args=["library", "import", path])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "строка 3: nomination: Неизвестная номинация «mining».",
        "строка 4: Не JSON: Expecting value: line 1 column 1 (char 0).",
        "строка 5: Повтор «external_id» из строки 1: строка пропущена.",
    ]
    assert result.stdout == "импорт: created 2, updated 0, unchanged 0, skipped 1, error 2\n"
    assert count_items() == 2


def test_importing_the_same_file_again_updates_nothing(app, runner, write):
    path = write(jsonl(GOOD))
    assert runner.invoke(args=["library", "import", path]).stdout == \
        "импорт: created 1, updated 0, unchanged 0, skipped 0, error 0\n"
    again = runner.invoke(args=["library", "import", path])
    assert (again.exit_code, again.stdout) == (0, "импорт: created 0, updated 0, unchanged 1, skipped 0, error 0\n")
    changed = runner.invoke(args=["library", "import", write(jsonl({**GOOD, "summary": "Новый текст."}))])
    assert changed.stdout == "импорт: created 0, updated 1, unchanged 0, skipped 0, error 0\n"
    assert count_items() == 1
    assert db.session.scalar(select(LibraryItem.summary)) == "Новый текст."


def test_a_file_of_errors_only_exits_with_1(app, runner, write):
    result = runner.invoke(args=["library", "import", write(jsonl({**GOOD, "year": 1066}, "[]"))])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"строка 1: year: Год должен быть числом от 1990 до {utcnow().year}.",
                                          "строка 2: Строка должна быть объектом JSON."]
    assert result.stdout == "импорт: created 0, updated 0, unchanged 0, skipped 0, error 2\n"


def test_an_empty_file_imports_nothing_and_succeeds(app, runner, write):
    result = runner.invoke(args=["library", "import", write("\n\n")])
    assert (result.exit_code, result.stdout, result.stderr) == (
        0, "импорт: created 0, updated 0, unchanged 0, skipped 0, error 0\n", "")


def test_dry_run_checks_every_line_and_imports_nothing(app, runner, write):
    search_sync.rebuild_index(app, db.session)
    path = write(jsonl(GOOD, {**GOOD, "external_id": "x", "place": 2}))
    result = runner.invoke(args=["library", "import", "--dry-run", path])
    assert result.exit_code == 0
    assert result.stderr == "строка 2: place: Место указывается только для победителей.\n"
    assert result.stdout == "проверка без импорта: created 1, updated 0, unchanged 0, skipped 0, error 1\n"
    assert count_items() == 0
    assert db.session.scalar(select(func.count(Season.id))) == 0
    assert search_sync.index_for(app).doc_count() == 0


def test_imported_practices_are_searchable_at_once(app, runner, write):
    search_sync.rebuild_index(app, db.session)
    runner.invoke(args=["library", "import", write(jsonl(GOOD))])
    [item_id] = db.session.scalars(select(LibraryItem.id))
    assert found_ids(app, "школьники", region="78") == {item_id}


def test_a_byte_order_mark_and_standard_input_are_accepted(app, runner, write):
    with_bom = runner.invoke(args=["library", "import", write(jsonl(GOOD), encoding="utf-8-sig")])
    assert with_bom.stdout == "импорт: created 1, updated 0, unchanged 0, skipped 0, error 0\n"
    piped = runner.invoke(args=["library", "import", "-"], input=jsonl({**GOOD, "external_id": "stdin-1"}))
    assert piped.stdout == "импорт: created 1, updated 0, unchanged 0, skipped 0, error 0\n"
    assert count_items() == 2


def test_a_missing_file_is_a_usage_error(app, runner, tmp_path):
    result = runner.invoke(args=["library", "import", str(tmp_path / "absent.jsonl")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_search_reindex_counts_the_published_practices(app, runner):
    first = make_library_item()
    make_library_item(title="Вторая")
    make_library_item(title="Снятая", published=False)
    db.session.commit()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0
    assert re.fullmatch(r"indexed 2 practice\(s\) in \d+\.\d s\n", result.stdout)
    assert found_ids(app, "наставничество") == {first.id}


def test_search_reindex_repairs_a_stale_index(app, runner):
    make_library_item()
    db.session.commit()
    search_sync.stale_marker(app).parent.mkdir(parents=True, exist_ok=True)
    search_sync.stale_marker(app).touch()
    assert runner.invoke(args=["search", "reindex"]).stdout.startswith("indexed 1 practice(s) in ")
    assert search_sync.index_problem(app) is None

"""portal/services/library_import.py: SPEC §8 JSON Lines, reported line by line, idempotent by `external_id`."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, LibraryItem, Season
from portal.services import library, library_import, search_sync
from portal.services.library_import import LineReport, import_lines
from tests.factories import make_season
from tests.portal.library.builders import found_ids

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
SPEC_LINE = {"external_id": "2024-0153", "year": 2024, "season": "Наставничество 2024", "nomination": "production",
             "title": "Заводская школа наставников", "summary": "Мастера готовят молодых сталеваров.",
             "description": "Каждый новичок получает наставника на полгода.", "results": "Текучесть снизилась на треть.",
             "mentoring_form": "employer-student", "region_code": "42", "organization": "АО «Кузнецкий металлург»",
             "award": "winner", "place": 1, "keywords": ["металлургия", "адаптация"]}


def line(**changes) -> str:
    """The SPEC example line with some fields changed (None removes a field)."""
    fields = {**SPEC_LINE, **changes}
    return json.dumps({k: v for k, v in fields.items() if v is not None}, ensure_ascii=False)


def run(lines) -> list[LineReport]:
    return import_lines(db.session, lines, user=None, now=NOW)


def items() -> list[LibraryItem]:
    return db.session.scalars(select(LibraryItem).order_by(LibraryItem.id)).all()


def test_a_valid_line_becomes_a_published_archive_item(app):
    assert run([line()]) == [LineReport(1, "created", "2024-0153")]
    [item] = items()
    assert (item.source, item.status, item.external_id, item.entry_id) == ("archive", "published", "2024-0153", None)
    assert (item.year, item.nomination_code) == (2024, "production")
    assert item.nomination_title == "Наставничество в сфере производства"
    assert (item.title, item.summary) == ("Заводская школа наставников", "Мастера готовят молодых сталеваров.")
    assert (item.description, item.results) == ("Каждый новичок получает наставника на полгода.",
                                                "Текучесть снизилась на треть.")
    assert (item.replicability, item.audience) == ("", None)
    assert (item.mentoring_form, item.region_code) == ("employer-student", "42")
    assert item.organisation_name == "АО «Кузнецкий металлург»"
    assert (item.award, item.place, item.keywords) == ("winner", 1, ["металлургия", "адаптация"])
    assert item.created_at == item.updated_at == item.published_at == NOW
    assert item.season.title_ru == "Наставничество 2024"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "library.import")).all()
    assert [(e.object_id, e.after["line"], e.after["external_id"]) for e in events] == [(str(item.id), 1, "2024-0153")]


def test_only_the_required_fields(app):
    minimal = json.dumps({"external_id": "x-1", "year": 1990, "nomination": "business", "title": "Т"})
    assert run([minimal]) == [LineReport(1, "created", "x-1")]
    [item] = items()
    assert (item.mentoring_form, item.region_code, item.award, item.place, item.keywords) == (None, None, None, None, [])
    assert item.season.title_ru == "Наставничество — 1990"


@pytest.mark.parametrize(("raw", "message"), [
    (line(nomination="mining"), "nomination: Неизвестная номинация «mining»."),
    (line(nomination=None), "nomination: Нужна номинация («nomination»)."),
    (line(nomination=["production"]), "nomination: Неизвестная номинация «['production']»."),
    (line(mentoring_form="robot-human"), "mentoring_form: Неизвестная форма наставничества «robot-human»."),
    (line(mentoring_form={"code": "peer"}), "mentoring_form: Неизвестная форма наставничества «{'code': 'peer'}»."),
    (line(audience="aliens"), "audience: Неизвестная целевая аудитория «aliens»."),
    (line(audience=["pupils"]), "audience: Неизвестная целевая аудитория «['pupils']»."),
    (line(region_code="00"), "region_code: Неизвестный регион «00»."),
    (line(region_code=42), "region_code: Неизвестный регион «42»."),
    (line(year=1989), "year: Год должен быть числом от 1990 до 2026."),
    (line(year=2027), "year: Год должен быть числом от 1990 до 2026."),
    (line(year="2024"), "year: Год должен быть числом от 1990 до 2026."),
    (line(year=True), "year: Год должен быть числом от 1990 до 2026."),
    (line(year=None), "year: Год должен быть числом от 1990 до 2026."),
    (line(place=None), "place: Место победителя — 1, 2 или 3."),
    (line(place=4), "place: Место победителя — 1, 2 или 3."),
    (line(place="1"), "place: Место победителя — 1, 2 или 3."),
    (line(award=None), "place: Место указывается только для победителей."),
    (line(award="prize"), "place: Место указывается только для победителей."),
    (line(award="grand-prix"), "award: Выберите награду из списка."),
    (line(title=None), "title: Нужно название практики («title»)."),
    (line(title="   "), "title: Нужно название практики («title»)."),
    (line(title=42), "title: «title» должно быть строкой."),
    (line(title="т" * 301), "title: «title» длиннее 300 символов."),
    (line(summary="с" * 2001), "summary: «summary» длиннее 2000 символов."),
    (line(organization="о" * 501), "organization: «organization» длиннее 500 символов."),
    (line(season="с" * 301), "season: «season» длиннее 300 символов."),
    (line(external_id=None), "external_id: Нужен «external_id»: строка до 100 символов."),
    (line(external_id=153), "external_id: Нужен «external_id»: строка до 100 символов."),
    (line(external_id="  "), "external_id: Нужен «external_id»: строка до 100 символов."),
    (line(external_id="x" * 101), "external_id: Нужен «external_id»: строка до 100 символов."),
    (line(keywords="металлургия"), "keywords: «keywords» — список строк."),
    (line(keywords=["металлургия", 7]), "keywords: «keywords» — список строк."),
    (line(keywords=[f"k{n}" for n in range(21)]), "keywords: Не больше 20 ключевых слов."),
    (line(title="Школа\u0000наставников"), "Строка содержит нулевой символ (\\u0000)."),
    (line(keywords=["сталь\u0000"]), "Строка содержит нулевой символ (\\u0000)."),
    ("{oops", "Не JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)."),
    ('{"external_id": "a"} trailing', "Не JSON: Extra data: line 1 column 22 (char 21)."),
    ("[1, 2]", "Строка должна быть объектом JSON."),
    ('"2024-0153"', "Строка должна быть объектом JSON."),
    ("null", "Строка должна быть объектом JSON."),
])
def test_a_bad_line_is_reported_with_its_number_and_the_others_are_imported(app, raw, message):
    reports = run([line(external_id="ok-1"), raw, line(external_id="ok-2")])
    assert [(r.line, r.status) for r in reports] == [(1, "created"), (2, "error"), (3, "created")]
    assert reports[1].message == message
    assert [i.external_id for i in items()] == ["ok-1", "ok-2"]


def test_every_error_of_a_line_is_named(app):
    [report] = run([line(nomination="mining", region_code="00", year=1900, award="winner", place=None)])
    assert report == LineReport(1, "error", "2024-0153",
                                "year: Год должен быть числом от 1990 до 2026.; nomination: Неизвестная номинация "
                                "«mining».; region_code: Неизвестный регион «00».; place: Место победителя — 1, 2 или 3.")


def test_blank_lines_are_skipped_but_counted(app):
    reports = run(["\n", line(external_id="a") + "\n", "   \n", "", line(external_id="b", year=1800) + "\n"])
    assert [(r.line, r.status, r.external_id) for r in reports] == [(2, "created", "a"), (5, "error", "b")]


def test_a_line_over_the_limit_is_refused_unread(app, monkeypatch):
    monkeypatch.setattr(library_import, "MAX_LINE_CHARS", 100)
    [report] = run([line()])
    assert report == LineReport(1, "error", "", "Строка длиннее 100 символов.")
    assert items() == []


def test_a_repeated_external_id_is_skipped_naming_the_first_line(app):
    reports = run([line(), line(external_id="other"), line(title="Другая версия")])
    assert reports[2] == LineReport(3, "skipped", "2024-0153", "Повтор «external_id» из строки 1: строка пропущена.")
    assert [(i.external_id, i.title) for i in items()] == [("2024-0153", "Заводская школа наставников"),
                                                          ("other", "Заводская школа наставников")]


def test_running_the_same_file_again_changes_nothing(app):
    lines = [line(), line(external_id="2024-0154", award="laureate", place=None)]
    assert [r.status for r in run(lines)] == ["created", "created"]
    db.session.commit()
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    assert run(lines) == [LineReport(1, "unchanged", "2024-0153"), LineReport(2, "unchanged", "2024-0154")]
    db.session.commit()
    assert len(items()) == 2
    assert db.session.scalar(select(func.count(Season.id))) == 1
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events


def test_a_changed_line_updates_its_item(app):
    run([line(), line(external_id="2024-0154")])
    db.session.commit()
    later = datetime(2026, 3, 5, tzinfo=timezone.utc)
    reports = import_lines(db.session, [line(title="Новое название", keywords=["сталь"]), line(external_id="2024-0154")],
                           user=None, now=later)
    assert [r.status for r in reports] == ["updated", "unchanged"]
    first, second = items()
    assert (first.title, first.keywords, first.updated_at, first.created_at) == ("Новое название", ["сталь"], later, NOW)
    assert second.updated_at == NOW
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.after == {"external_id": "2024-0153", "line": 1, "fields": ["keywords", "title"]}


def test_a_reimport_does_not_publish_an_item_the_organizers_took_down(app):
    run([line()])
    [item] = items()
    library.unpublish_item(db.session, item=item, user=None, now=NOW, reason="Жалоба правообладателя")
    assert run([line(title="Новое название")])[0].status == "updated"
    assert (item.status, item.title) == ("unpublished", "Новое название")


def test_an_archive_season_is_created_once_per_year_and_title(app):
    run([line(external_id="a"), line(external_id="b"), line(external_id="c", year=2023, season="Наставничество 2023"),
         line(external_id="d", year=2023, season=None)])
    seasons = db.session.scalars(select(Season).order_by(Season.year)).all()
    assert [(s.slug, s.title_ru, s.year, s.is_archived) for s in seasons] == [
        ("archive-2023", "Наставничество 2023", 2023, True), ("archive-2024", "Наставничество 2024", 2024, True)]
    assert {i.external_id: i.season.slug for i in items()} == {"a": "archive-2024", "b": "archive-2024",
                                                                "c": "archive-2023", "d": "archive-2023"}
    run([line(external_id="e")])  # a second run finds the season by its title
    assert db.session.scalar(select(func.count(Season.id))) == 2


def test_an_existing_season_of_the_year_is_reused(app):
    season = make_season(slug="nastavnichestvo-2024", now=datetime(2024, 3, 1, tzinfo=timezone.utc))
    run([line(external_id="a"), line(external_id="b", season=None)])
    assert {i.season_id for i in items()} == {season.id}
    assert db.session.scalar(select(func.count(Season.id))) == 1


def test_an_archive_slug_already_taken_gets_a_number(app):
    make_season(slug="archive-2024", now=datetime(2025, 3, 1, tzinfo=timezone.utc))
    run([line()])
    assert items()[0].season.slug == "archive-2024-2"


def test_imported_items_are_searchable_after_the_commit(app):
    search_sync.rebuild_index(app, db.session)
    run([line(), line(external_id="bad", nomination="mining")])
    assert found_ids(app, "сталевар") == set()
    db.session.commit()
    [item] = items()
    assert found_ids(app, "сталевары") == {item.id}
    assert found_ids(app, "металлург", region="42", year="2024") == {item.id}


def test_json_nested_too_deep_is_a_line_error(app):
    nested = '{"external_id": "deep", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    reports = run([nested, line()])
    assert reports == [LineReport(1, "error", "", "Не JSON: слишком глубокая вложенность."),
                       LineReport(2, "created", "2024-0153")]

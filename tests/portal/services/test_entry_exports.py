"""A season's entries and files as tables, and the writer: exact CSV bytes (BOM, `;`, decimal comma, Moscow time,
formula-like text escaped) and an XLSX workbook read back with openpyxl."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook

from portal.models import EntryStatus
from portal.services.awards import award_entry
from portal.services.entry_exports import Sheet, csv_cell, entries_sheet, entry_counts, files_sheet, to_csv, to_xlsx
from portal.services.entry_states import transition
from tests.factories import make_entry, make_organisation, make_season, make_user

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)  # 12:30 in Moscow


@pytest.mark.parametrize("value, text", [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"), ("+7 900", "'+7 900"), ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tcmd", "'\tcmd"), ("обычный текст", "обычный текст"), ("a=b", "a=b"),
    (None, ""), (-3, "-3"), (71.25, "71,25"), (datetime(2026, 3, 10, 12, 30), "10.03.2026 12:30"),
])
def test_csv_cell(value, text):
    assert csv_cell(value) == text


def test_csv_has_a_bom_semicolons_and_escaped_formulas():
    sheet = Sheet("Лист", ["№", "Название", "Балл"], [[1, "=1+2", 7.5], [2, "Школа; «наставник»", None]])
    assert to_csv(sheet) == ("\ufeff№;Название;Балл\r\n1;'=1+2;7,5\r\n2;\"Школа; «наставник»\";\r\n").encode()


def test_xlsx_keeps_text_as_text_and_drops_illegal_characters():
    sheet = Sheet("Заявки", ["№", "Название", "Когда"],
                  [[1, "=HYPERLINK(\"http://evil\")", datetime(2026, 3, 10, 12, 30)], [2, "#N/A", None],
                   [3, "табуляция\x0bвнутри", None], [4, "a < b && c > d", -2.5], [5, "я" * 40_000, 0]],
                  widths=(8, 40, 18))
    book = load_workbook(io.BytesIO(to_xlsx(sheet, Sheet("Второй", ["a"], [["b"]]))))
    assert book.sheetnames == ["Заявки", "Второй"]
    rows = list(book["Заявки"].iter_rows(values_only=True))
    assert rows == [("№", "Название", "Когда"), (1, "=HYPERLINK(\"http://evil\")", datetime(2026, 3, 10, 12, 30)),
                    (2, "#N/A", None), (3, "табуляциявнутри", None), (4, "a < b && c > d", -2.5),
                    (5, "я" * 32_767, 0)]
    assert book["Заявки"]["B2"].data_type == "s" and book["Заявки"]["B3"].data_type == "s"
    assert book["Заявки"]["A1"].font.b is True
    assert book["Заявки"].freeze_panes == "A2"


@pytest.fixture
def season_entries(db):
    season = make_season(now=NOW)
    owner = make_user(email="owner@example.ru", full_name="Ольга Владелец")
    organisation = make_organisation(owner)
    by_organisation = make_entry(owner, season, organisation=organisation, submitted=True, now=NOW)
    person = make_user(email="mentor@example.ru", full_name="=Пётр Наставник")
    individual = make_entry(person, season, code="education", now=NOW)
    for target in (EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW, EntryStatus.AWARDED):
        transition(db.session, entry=by_organisation, target=target, actor=None, now=NOW)
    award_entry(db.session, entry=by_organisation, tier="winner", place=2, user=None, now=NOW)
    other = make_season(slug="other", now=NOW)
    make_entry(make_user(), other, submitted=True, now=NOW)
    db.session.flush()
    return season, by_organisation, individual


def test_entries_sheet_has_one_row_per_entry_of_the_season(db, season_entries):
    season, by_organisation, individual = season_entries
    sheet = entries_sheet(db.session, season=season)
    assert sheet.title == "Заявки"
    assert list(sheet.header) == ["№ заявки", "Статус", "Номинация", "Название", "Заявитель", "ИНН", "Регион",
                                  "Создана (МСК)", "Подана (МСК)", "Файлов", "Награда"]
    assert sheet.rows == [
        [by_organisation.id, "Награждена", "Номинация production", "Школа молодого наставника",
         "МБОУ «Средняя школа № 7»", "7707083893", "Тверская область", datetime(2026, 3, 10, 12, 30),
         datetime(2026, 3, 10, 12, 30), 1, "Победитель, 2 место"],
        [individual.id, "Черновик", "Номинация education", "", "=Пётр Наставник", "", "Москва",
         datetime(2026, 3, 10, 12, 30), None, 0, ""],
    ]
    lines = to_csv(sheet).decode("utf-8").split("\r\n")
    assert lines[0] == "\ufeff№ заявки;Статус;Номинация;Название;Заявитель;ИНН;Регион;Создана (МСК);Подана (МСК);" \
                       "Файлов;Награда"
    assert lines[2] == f"{individual.id};Черновик;Номинация education;;'=Пётр Наставник;;Москва;10.03.2026 12:30;;0;"


def test_files_sheet_lists_the_files_of_the_season(db, season_entries):
    season, by_organisation, _individual = season_entries
    sheet = files_sheet(db.session, season=season)
    file = by_organisation.files[0]
    assert sheet.rows == [[by_organisation.id, "Презентация.pdf", "Презентация", "application/pdf", file.size,
                           file.sha256, datetime(2026, 3, 10, 12, 30)]]
    assert len(file.sha256) == 64
    assert entry_counts(db.session, season=season) == (2, 1)
    book = load_workbook(io.BytesIO(to_xlsx(sheet)))
    assert list(book["Файлы"].iter_rows(values_only=True))[1] == (
        by_organisation.id, "Презентация.pdf", "Презентация", "application/pdf", file.size, file.sha256,
        datetime(2026, 3, 10, 12, 30))

"""A season's judging as tables (reviews, scores, jurors) and its five exports as files."""
from __future__ import annotations

import io
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.services.entry_exports import moscow, to_csv
from reviewers.models import JurorProfile, Review
from reviewers.services.reviewing import recuse
from reviewers.services.season_exports import (DATASETS, export_file, jurors_sheet, reviews_sheet, row_counts,
                                               scores_sheet)
from tests.factories import make_season, make_user
from tests.reviewers.judging.world import assign, make_world, review

PRIVATE = "=Проверить заимствования"


@pytest.fixture
def judged(db):
    """Two production entries; juror 1 submitted on the first (with a formula-like private note), juror 2 has a
    draft on the first and recused from the second; juror 3 is in the pool with no assignment."""
    world = make_world(entries={"production": 2}, jurors=3, k=2)
    first, second = world.entries["production"]
    one, two, _three = world.jurors
    db.session.add(JurorProfile(user_id=one.id, position="эксперт", workplace="ТвГУ"))
    submitted = assign(world, first, one)
    review(world, submitted, (9, 8, 7, 8, 6), comment="Сильная практика.", private=PRIVATE)
    draft = assign(world, first, two)
    review(world, draft, 5, submit=False)
    recused = assign(world, second, two)
    recuse(db.session, assignment=recused, user=two, reason="Работал в этой организации", now=world.now)
    db.session.flush()
    world.submitted = submitted
    return world


def test_reviews_sheet_has_a_row_per_assignment(db, judged):
    world = judged
    first, second = world.entries["production"]
    score = db.session.scalar(select(Review.weighted_score).where(Review.assignment_id == world.submitted.id))
    sheet = reviews_sheet(db.session, season=world.season)
    assert list(sheet.header) == ["Раунд", "№ заявки", "Номинация", "Эксперт", "Статус", "Отправлена (МСК)",
                                  "Итоговый балл (0–100)", "Комментарий для заявителя", "Комментарий для оргкомитета",
                                  "Причина самоотвода"]
    assert sheet.rows == [
        [1, first.id, "Номинация production", "Эксперт 1", "оценка отправлена", moscow(world.now), round(score, 2),
         "Сильная практика.", PRIVATE, ""],
        [1, first.id, "Номинация production", "Эксперт 2", "в работе", None, None, "Практика описана ясно.", "", ""],
        [1, second.id, "Номинация production", "Эксперт 2", "самоотвод", None, None, "", "",
         "Работал в этой организации"],
    ]


def test_scores_sheet_has_a_row_per_review_and_criterion_with_its_weight(db, judged):
    world = judged
    first = world.entries["production"][0]
    rows = scores_sheet(db.session, season=world.season).rows
    assert len(rows) == 10
    assert rows[:5] == [
        [1, first.id, "Эксперт 1", "оценка отправлена", "Результативность", 1.5, 9, 1, 10],
        [1, first.id, "Эксперт 1", "оценка отправлена", "Эффективность", 1, 8, 1, 10],
        [1, first.id, "Эксперт 1", "оценка отправлена", "Уникальность и новизна", 1, 7, 1, 10],
        [1, first.id, "Эксперт 1", "оценка отправлена", "Тиражируемость", 1.25, 8, 1, 10],
        [1, first.id, "Эксперт 1", "оценка отправлена", "Масштабируемость", 0.75, 6, 1, 10],
    ]
    assert all(type(value) is int for value in rows[0][6:]) and type(rows[0][5]) is float
    lines = to_csv(scores_sheet(db.session, season=world.season)).decode("utf-8").split("\r\n")
    assert lines[1] == f"1;{first.id};Эксперт 1;оценка отправлена;Результативность;1,5;9;1;10"
    assert {r[3] for r in rows[5:]} == {"в работе"} and {r[6] for r in rows[5:]} == {5.0}


def test_jurors_sheet_counts_assignments_and_lists_pools(db, judged):
    sheet = jurors_sheet(db.session, season=judged.season)
    assert list(sheet.header) == ["Эксперт", "E-mail", "Место работы", "Пулы (раунд: номинации)", "Назначено",
                                  "Отправлено оценок", "Самоотводов"]
    assert sheet.rows == [
        ["Эксперт 1", "juror1@example.ru", "ТвГУ", "Раунд 1: Номинация production", 1, 1, 0],
        ["Эксперт 2", "juror2@example.ru", "", "Раунд 1: Номинация production", 2, 0, 1],
        ["Эксперт 3", "juror3@example.ru", "", "Раунд 1: Номинация production", 0, 0, 0],
    ]


def test_another_season_is_not_exported(db, judged):
    other = make_season(slug="other-season")
    make_user(role="juror")
    assert row_counts(db.session, season=other) == {"entries": 0, "files": 0, "reviews": 0, "scores": 0, "jurors": 0}
    assert row_counts(db.session, season=judged.season) == {"entries": 2, "files": 2, "reviews": 3, "scores": 10,
                                                            "jurors": 3}
    for key in DATASETS:
        assert export_file(db.session, season=other, dataset=key, fmt="csv").body.count(b"\r\n") == 1


def test_export_file_names_and_writes_each_format(db, judged):
    csv_file = export_file(db.session, season=judged.season, dataset="reviews", fmt="csv")
    assert csv_file.filename == "Оценки — season-2026.csv"
    assert csv_file.mimetype == "text/csv; charset=utf-8"
    text = csv_file.body.decode("utf-8")
    assert text.startswith("\ufeffРаунд;№ заявки;Номинация;Эксперт;")
    assert f";'{PRIVATE};" in text
    xlsx = export_file(db.session, season=judged.season, dataset="reviews", fmt="xlsx")
    assert xlsx.filename == "Оценки — season-2026.xlsx"
    sheet = load_workbook(io.BytesIO(xlsx.body))["Оценки"]
    assert sheet["I2"].value == PRIVATE and sheet["I2"].data_type == "s"
    assert sheet["F2"].value == moscow(judged.now)

"""Rankings of a round (reviewers/services/results.py) and their exports (exports.py), on a hand-made round whose
numbers are known: two jurors score every entry, one entry splits them, two entries tie on the score.

Weights of the standard rubric: 1.5, 1.0, 1.0, 1.25, 0.75 (Σ 5.5), every scale 1–10, so a review with every
criterion at s scores 100·(s − 1)/9, and the sheets (9, 5, 5, 5, 5) and (7, 7, 6, 5, 5) both weigh 28 points:
100·28/9/5.5 = 56.5656… with different "Результативность" (9 against 7).
"""
from __future__ import annotations

import csv
import io
import math

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.models import AuditEvent, Entry
from portal.services.errors import ValidationFailed
from reviewers.models import Assignment
from reviewers.services.assignment import apply_assignment
from reviewers.services.exports import HEADER, rankings_csv, rankings_xlsx
from reviewers.services.results import advance_shortlist, compute_results, proposed_shortlist, record_decision
from tests.reviewers.judging.world import make_world, review

TIED = 100 * 28 / 9 / 5.5
SHEETS = {  # entry index → (juror 1's sheet, juror 2's sheet)
    ("production", 0): (10, 10),
    ("production", 1): (1, 4),
    ("production", 2): ((9, 5, 5, 5, 5), (9, 5, 5, 5, 5)),
    ("production", 3): ((7, 7, 6, 5, 5), (7, 7, 6, 5, 5)),
    ("education", 0): (8, 8),
    ("education", 1): (6, 6),
}


@pytest.fixture
def world(db):
    world = make_world(entries={"production": 4, "education": 2}, jurors=2, k=2, pool=("production", "education"),
                       advance_value=2)
    plan = apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    assert plan.problems == [] and len(plan.new) == 12
    first, second = world.jurors
    for (code, index), (one, two) in SHEETS.items():
        entry = world.entries[code][index]
        for juror, values in ((first, one), (second, two)):
            assignment = db.session.scalar(select(Assignment).where(Assignment.entry_id == entry.id,
                                                                    Assignment.juror_id == juror.id))
            review(world, assignment, values, private=f"Для оргкомитета: {juror.full_name}")
    db.session.commit()
    return world


def ids(world, code):
    return [e.id for e in world.entries[code]]


def test_raw_means_spreads_flags_and_ranks(db, world):
    results = compute_results(db.session, round=world.round)
    production, education = results.nominations
    assert (production.nomination.code, education.nomination.code) == ("production", "education")
    e1, e2, e3, e4 = ids(world, "production")
    assert [(r.entry.id, r.rank) for r in production.rows] == [(e1, 1), (e3, 2), (e4, 3), (e2, 4)]
    rows = {r.entry.id: r for r in production.rows}
    assert rows[e1].raw_mean == pytest.approx(100.0, abs=1e-9)
    assert rows[e2].raw_mean == pytest.approx(50 / 3, abs=1e-9)
    assert rows[e3].raw_mean == pytest.approx(TIED, abs=1e-9)
    assert rows[e4].raw_mean == pytest.approx(TIED, abs=1e-9)
    # The only disagreement: 0 against 33.33, a population sd of 16.67 over the round's threshold of 15.
    assert rows[e2].spread == pytest.approx(50 / 3, abs=1e-9)
    assert [(r.entry.id, r.flagged) for r in production.rows] == [(e1, False), (e3, False), (e4, False), (e2, True)]
    assert {r.entry.id: (len(r.reviews), r.assigned) for r in production.rows} == {e: (2, 2) for e in (e1, e2, e3, e4)}
    assert [(r.entry.id, r.rank) for r in education.rows] == [(ids(world, "education")[0], 1),
                                                              (ids(world, "education")[1], 2)]
    assert rows[e1].tie_explanation is None and rows[e2].tie_explanation is None


def test_a_tie_is_broken_by_the_first_declared_criterion_and_explained(db, world):
    results = compute_results(db.session, round=world.round)
    _e1, _e2, e3, e4 = ids(world, "production")
    first, second = results.row(e3), results.row(e4)
    assert first.normalised_mean == second.normalised_mean
    score = f"{first.normalised_mean:.2f}".replace(".", ",")
    assert first.criterion_means[world.criteria[0].id] == 9.0
    assert first.tie_explanation == (f"Равный балл {score} с заявкой № {e4}: выше по критерию «Результативность» "
                                     f"(9,00 против 7,00)")
    assert second.tie_explanation == (f"Равный балл {score} с заявкой № {e3}: ниже по критерию «Результативность» "
                                      f"(7,00 против 9,00)")


def test_severity_and_agreement(db, world):
    results = compute_results(db.session, round=world.round)
    first, second = world.jurors
    # Juror 1 is 33.33 below juror 2 on one of six shared entries and level on the rest.
    assert results.severity[first.id][0] == pytest.approx(-100 / 18, abs=1e-9)
    assert results.severity[second.id][0] == pytest.approx(100 / 18, abs=1e-9)
    assert results.severity[first.id][1] == results.severity[second.id][1] == 6
    assert results.juror_names == {first.id: "Эксперт 1", second.id: "Эксперт 2"}
    units = [[100.0, 100.0], [0.0, 100 / 3], [TIED, TIED], [TIED, TIED]]
    values = [v for unit in units for v in unit]
    n = len(values)
    within = sum((a - b) ** 2 for unit in units for a in unit for b in unit) / n
    expected = sum((a - b) ** 2 for a in values for b in values) / (n * (n - 1))
    assert results.nominations[0].alpha == pytest.approx(1 - within / expected, abs=1e-9)
    assert 0 < results.nominations[0].alpha < 1


def test_the_normalised_scores_keep_each_jurors_order(db, world):
    results = compute_results(db.session, round=world.round)
    e1, e2, e3, _e4 = ids(world, "production")
    for juror in world.jurors:
        lines = {e: next(line for line in results.row(e).reviews if line.juror_id == juror.id) for e in (e1, e2, e3)}
        assert lines[e1].normalised > lines[e3].normalised > lines[e2].normalised
        assert 0 <= lines[e2].normalised <= 100


def test_proposed_shortlist_top_n_and_top_percent(db, world):
    e1, e2, e3, e4 = ids(world, "production")
    x1, x2 = ids(world, "education")
    assert proposed_shortlist(compute_results(db.session, round=world.round)) == {e1, e3, x1, x2}
    world.round.advance_value = 1
    assert proposed_shortlist(compute_results(db.session, round=world.round)) == {e1, x1}
    world.round.advance_rule, world.round.advance_value = "top_percent", 60  # 4 → ⌈2.4⌉ = 3, 2 → ⌈1.2⌉ = 2
    assert proposed_shortlist(compute_results(db.session, round=world.round)) == {e1, e3, e4, x1, x2}
    world.round.advance_value = 25  # 4 → 1, 2 → ⌈0.5⌉ = 1
    assert proposed_shortlist(compute_results(db.session, round=world.round)) == {e1, x1}
    assert e2 not in proposed_shortlist(compute_results(db.session, round=world.round))


def test_recorded_decisions_override_the_rule(db, world):
    e1, e2, e3, _e4 = ids(world, "production")
    x1, x2 = ids(world, "education")
    entries = {e.id: e for e in world.entries["production"]}
    record_decision(db.session, round=world.round, entry=entries[e3], kind="hold", actor=world.organizer,
                    reason="Практика не реализуется с 2023 года", now=world.now)
    record_decision(db.session, round=world.round, entry=entries[e2], kind="advance", actor=world.organizer,
                    reason="Расхождение разобрано на заседании", now=world.now)
    results = compute_results(db.session, round=world.round)
    assert proposed_shortlist(results) == {e1, e2, x1, x2}
    assert results.row(e3).decision == "hold" and results.row(e2).decision == "advance"
    with pytest.raises(ValidationFailed) as caught:
        record_decision(db.session, round=world.round, entry=entries[e1], kind="hold", reason=" ", actor=world.organizer,
                        now=world.now)
    assert caught.value.fields == {"reason": "Причина обязательна."}


def test_the_chairs_position_orders_a_tie_the_criteria_cannot_break(db):
    world = make_world(entries={"production": 2}, jurors=2, k=2)
    apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    for assignment in db.session.scalars(select(Assignment).order_by(Assignment.id)):
        review(world, assignment, 7)
    first, second = world.entries["production"]
    record_decision(db.session, round=world.round, entry=second, kind="chair_position", position=1,
                    reason="Решение председателя на заседании 12 марта", actor=world.organizer, now=world.now)
    record_decision(db.session, round=world.round, entry=first, kind="chair_position", position=2,
                    reason="Решение председателя на заседании 12 марта", actor=world.organizer, now=world.now)
    results = compute_results(db.session, round=world.round)
    assert [(r.entry.id, r.rank) for r in results.nominations[0].rows] == [(second.id, 1), (first.id, 2)]
    assert "по решению председателя" in results.row(second.id).tie_explanation


def test_advance_shortlist_moves_exactly_the_shortlist(db, world):
    e1, e2, e3, e4 = ids(world, "production")
    x1, x2 = ids(world, "education")
    moved = advance_shortlist(db.session, round=world.round, actor=world.organizer, now=world.now)
    db.session.commit()
    assert moved == sorted([e1, e3, x1, x2])
    db.session.expire_all()
    status = {e.id: e.status for e in db.session.scalars(select(Entry))}
    assert status == {e1: "shortlisted", e3: "shortlisted", x1: "shortlisted", x2: "shortlisted",
                      e2: "in_review", e4: "in_review"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.advance"))
    assert event.after == {"entries": sorted([e1, e3, x1, x2])}


def test_the_rankings_keep_the_entries_that_moved_on(db, world):
    """After the shortlist advances (and later, when entries are awarded), round 1 still ranks every entry it judged,
    with the same ranks and scores."""
    before = {r.entry.id: (r.rank, r.normalised_mean) for n in compute_results(db.session, round=world.round).nominations
              for r in n.rows}
    advance_shortlist(db.session, round=world.round, actor=world.organizer, now=world.now)
    db.session.commit()
    after = {r.entry.id: (r.rank, r.normalised_mean) for n in compute_results(db.session, round=world.round).nominations
             for r in n.rows}
    assert after == before and len(after) == 6


def test_csv_has_the_bom_the_russian_header_and_the_rows(db, world):
    data = rankings_csv(compute_results(db.session, round=world.round))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Номинация", "Место", "№ заявки", "Название", "Заявитель", "Регион", "Оценок", "Назначено",
                       "Средний балл (исходный)", "Средний балл (нормированный)", "Разброс (σ)", "Расхождение",
                       "Решение", "Разрешение равенства"] == HEADER
    e1, e2, e3, e4 = ids(world, "production")
    assert len(rows) == 7
    assert rows[1][:10] == ["Номинация production", "1", str(e1), "Школа молодого наставника", "Заявитель 1",
                            "Тверская область", "2", "2", "100,0", rows[1][9]]
    assert rows[4][:9] == ["Номинация production", "4", str(e2), "Школа молодого наставника", "Заявитель 2",
                           "Тверская область", "2", "2", "16,67"]
    assert rows[4][10:12] == ["16,67", "да"]
    assert [r[2] for r in rows[1:]] == [str(i) for i in (e1, e3, e4, e2, *ids(world, "education"))]
    assert rows[2][13].startswith("Равный балл") and "«Результативность»" in rows[2][13]


def test_xlsx_opens_with_the_right_rows(db, world):
    results = compute_results(db.session, round=world.round)
    book = load_workbook(io.BytesIO(rankings_xlsx(results)))
    assert book.sheetnames == ["Рейтинг", "Эксперты"]
    sheet = book["Рейтинг"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    e1, e2, e3, e4 = ids(world, "production")
    assert [(r[0], r[1], r[2]) for r in rows[1:5]] == [("Номинация production", 1, e1), ("Номинация production", 2, e3),
                                                       ("Номинация production", 3, e4), ("Номинация production", 4, e2)]
    assert rows[4][8] == 16.67 and rows[4][10] == 16.67 and rows[4][11] == "да"
    assert rows[1][8] == 100.0 and rows[2][8] == round(TIED, 2)
    jurors = list(book["Эксперты"].iter_rows(values_only=True))
    assert jurors == [("Эксперт", "Оценок", "Смещение относительно коллег (баллы из 100)"),
                      ("Эксперт 1", 6, round(-100 / 18, 2)), ("Эксперт 2", 6, round(100 / 18, 2))]
    assert math.isclose(rows[1][9], round(results.row(e1).normalised_mean, 2))

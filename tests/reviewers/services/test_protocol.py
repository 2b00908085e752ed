"""The results protocol: exact numbers for a hand-computed nomination, tie-break text, awards with reasons,
reproducible hash and XLSX, Cyrillic in the PDF."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from portal.extensions import db
from portal.models import EntryStatus, utcnow
from portal.services.entry_states import transition
from reviewers.services.awarding import decide_award
from reviewers.services.protocol import (CriterionLine, Protocol, ProtocolRow, ScoreLine, build_protocol,
                                         protocol_xlsx)
from reviewers.services.protocol_pdf import render_protocol
from reviewers.services.setup import create_round, create_rubric
from tests.factories import make_entry, make_organisation, make_season, make_user, nomination
from tests.reviewers.judging.world import World, assign, review

# Criterion «Результаты» weighs 2, «Устойчивость» 1, both 0–10: a review's total is 100 × (2a + b) / 30.
SHEETS = {  # entry → one (a, b) per juror
    0: ((8, 5), (6, 9), (10, 1)),  # 70, 70, 70; mean of «Результаты» 8
    1: ((7, 7), (9, 3), (6, 9)),  # 70, 70, 70; mean of «Результаты» 7.33 — loses the tie on it
    2: ((5, 5), (5, 5), (2, 2)),  # 50, 50, 20: mean 40, spread √200 = 14.1421
}


def protocol_world() -> World:
    """Three production entries, three jurors, a two-criterion weighted rubric, every review submitted."""
    now = utcnow()
    season = make_season(now=now, nominations=("production", "education"))
    organizer = make_user(role="organizer", full_name="Ольга Организатор", email="organizer@example.ru")
    rubric = create_rubric(db.session, season=season, title="Рубрика финала", actor=organizer, now=now, criteria=[
        {"code": "results", "title_ru": "Результаты", "weight": 2, "scale_min": 0, "scale_max": 10, "scale_step": 1},
        {"code": "stability", "title_ru": "Устойчивость", "weight": 1, "scale_min": 0, "scale_max": 10,
         "scale_step": 1}])
    round = create_round(db.session, season=season, number=1, title="Экспертный раунд", rubric=rubric,
                         opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=10), reviewers_per_entry=3,
                         actor=organizer, now=now)
    world = World(now=now, season=season, organizer=organizer, round=round, criteria=list(rubric.active_criteria))
    world.entries["production"] = []
    for n in range(3):
        applicant = make_user(email=f"applicant{n}@example.ru", full_name=f"Заявитель {n + 1}", region_code="69")
        entry = make_entry(applicant, season, code="production", submitted=True, now=now)
        transition(db.session, entry=entry, target=EntryStatus.ELIGIBLE, actor=organizer, now=now)
        world.entries["production"].append(entry)
    world.jurors = [make_user(role="juror", email=f"juror{i}@example.ru", full_name=f"Эксперт {i}") for i in (1, 2, 3)]
    for n, sheets in SHEETS.items():
        for juror, values in zip(world.jurors, sheets):
            review(world, assign(world, world.entries["production"][n], juror), values)
    db.session.flush()
    return world


@pytest.fixture
def world(db):
    world = protocol_world()
    first = world.entries["production"][0]
    decide_award(db.session, season=world.season, entry=first, choice="winner-1", reason="Лучшая практика сезона",
                 user=world.organizer, now=world.now)
    decide_award(db.session, season=world.season, entry=world.entries["production"][2], choice="none",
                 reason="Недостаточно результатов", user=world.organizer, now=world.now)
    db.session.commit()
    return world


def make(world):
    return build_protocol(db.session, round=world.round, nomination=nomination(world.season), now=world.now)


def test_numbers_are_exact(world):
    protocol = make(world)
    first, second, third = world.entries["production"]
    assert [(r.entry_id, r.rank, r.raw_mean, r.spread, r.flagged, len(r.reviews), r.assigned) for r in protocol.rows] \
        == [(first.id, 1, 70.0, 0.0, False, 3, 3), (second.id, 2, 70.0, 0.0, False, 3, 3),
            (third.id, 3, 40.0, 14.1421, False, 3, 3)]
    assert [(line.juror_name, line.scores, line.weighted) for line in protocol.rows[2].reviews] == [
        ("Эксперт 1", {c.id: 5.0 for c in world.criteria}, 50.0),
        ("Эксперт 2", {c.id: 5.0 for c in world.criteria}, 50.0),
        ("Эксперт 3", {c.id: 2.0 for c in world.criteria}, 20.0)]
    assert protocol.rows[0].normalised_mean == protocol.rows[1].normalised_mean > protocol.rows[2].normalised_mean
    assert [(c.title, c.weight, c.scale_min, c.scale_max) for c in protocol.criteria] == [
        ("Результаты", 2.0, 0.0, 10.0), ("Устойчивость", 1.0, 0.0, 10.0)]
    assert protocol.counts == {"entries": 3, "ranked": 3, "reviews": 9, "assigned": 9, "jurors": 3, "flagged": 0,
                               "awards": 1}
    assert protocol.tie_break == ["Результаты", "Устойчивость"]
    assert [r.applicant for r in protocol.rows] == [e.created_by.full_name for e in (first, second, third)]
    assert [(r.award, r.award_reason) for r in protocol.rows] == [
        ("Победитель, 1 место", "Лучшая практика сезона"), ("", ""), ("без награды", "Недостаточно результатов")]


def test_tie_break_is_explained(world):
    protocol = make(world)
    first, second, _third = world.entries["production"]
    assert protocol.rows[0].tie_explanation == (
        f"Равный балл 70,68 с заявкой № {second.id}: выше по критерию «Результаты» (8,00 против 7,33)")
    assert protocol.rows[1].tie_explanation == (
        f"Равный балл 70,68 с заявкой № {first.id}: ниже по критерию «Результаты» (7,33 против 8,00)")
    assert protocol.rows[2].tie_explanation == ""


def test_two_generations_from_the_same_data_are_identical(world):
    first, second = make(world), make(world)
    assert first.data_hash == second.data_hash and len(first.data_hash) == 64
    books = [load_workbook(io.BytesIO(protocol_xlsx(db.session, round=world.round, protocol=p)), read_only=True)
             for p in (first, second)]
    assert books[0].sheetnames == books[1].sheetnames == ["Протокол", "Итоги", "Оценки", "Эксперты", "Журнал"]
    for name in books[0].sheetnames:
        assert [list(r) for r in books[0][name].values] == [list(r) for r in books[1][name].values]


def test_hash_changes_with_the_data(world):
    before = make(world).data_hash
    decide_award(db.session, season=world.season, entry=world.entries["production"][1], choice="prize",
                 reason="Сильная практика", user=world.organizer, now=world.now)
    assert make(world).data_hash != before


def test_xlsx_sheets_hold_every_score_and_the_log(world):
    protocol = make(world)
    book = load_workbook(io.BytesIO(protocol_xlsx(db.session, round=world.round, protocol=protocol)), read_only=True)
    first = world.entries["production"][0]
    summary = [list(r) for r in book["Итоги"].values]
    assert summary[0][:8] == ["Место", "№ заявки", "Название", "Заявитель", "Оценок", "Назначено",
                              "Средний балл (исходный)", "Средний балл (нормированный)"]
    assert summary[1][:7] == [1, first.id, first.title, "Заявитель 1", 3, 3, 70]
    assert summary[1][13:] == ["Победитель, 1 место", "Лучшая практика сезона"]
    scores = [list(r) for r in book["Оценки"].values]
    assert len(scores) == 1 + 3 * 3 * 2
    assert scores[1] == [first.id, first.title, "Эксперт 1", "Результаты", 2, "0–10", 8, 70, protocol.rows[0]
                         .reviews[0].normalised]
    assert [list(r) for r in book["Эксперты"].values][1][:2] == ["Эксперт 1", 3]
    journal = [list(r) for r in book["Журнал"].values]
    assert journal[0][0] == "Время (МСК)"
    assert {row[4] for row in journal[1:]} >= {"entry.award_decision"}
    head = dict(list(r) for r in book["Протокол"].values)
    assert head["SHA-256 данных"] == protocol.data_hash and head["Номинация"] == "Номинация production"


def test_pdf_has_cyrillic_text_and_page_numbers(world):
    pdf = render_protocol(make(world))
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Протокол результатов" in text and "Эксперт 2" in text and "Результаты" in text
    compact = text.replace("\n", "").replace(" ", "")  # wrapped cells lose their line breaks
    assert "Лучшаяпрактикасезона" in compact and "Победитель,1место" in compact and "безнаграды" in compact
    assert "1 Эксперт 3 10 1 70 " in text and "3 Эксперт 3 2 2 20 " in text  # every score, every juror named
    assert f"стр. 1 из {len(reader.pages)}" in text and f"стр. {len(reader.pages)} из {len(reader.pages)}" in text
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape


def test_long_tables_continue_over_pages_with_their_header(app):
    criteria = [CriterionLine(1, "Результаты", 2, 0, 10, 1, False)]
    rows = [ProtocolRow(n, f"Практика № {n}", f"Заявитель {n}", n, 1,
                        [ScoreLine(1, "Эксперт Иванова", {1: 7.0}, 70.0, 70.0)], 70.0, 70.0, 0.0, False, "", "", "",
                        "", "") for n in range(1, 301)]
    protocol = Protocol(season="Сезон", round_number=1, round_title="Раунд", nomination_id=1, nomination="Номинация",
                        rubric="Рубрика", criteria=criteria, tie_break=[], disagreement_threshold=15, alpha=None,
                        rows=rows, severity={1: ("Эксперт Иванова", 300, 0.0)}, generated_at=utcnow(),
                        counts={"entries": 300, "ranked": 300, "reviews": 300, "assigned": 300, "jurors": 1,
                                "flagged": 0, "awards": 0}, data_hash="0" * 64)
    reader = PdfReader(io.BytesIO(render_protocol(protocol)))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) > 3 and f"стр. {len(pages)} из {len(pages)}" in pages[-1]
    assert "Практика № 300" in "".join(pages) and "Эксперт Иванова" in pages[-1]
    summary_pages = [text for text in pages if "Практика №" in text]
    assert len(summary_pages) > 1 and all("Место" in text and "Основание" in text for text in summary_pages)
    score_pages = [text for text in pages if "Эксперт Иванова 7 70 70" in text]
    assert len(score_pages) > 1 and all("Итог эксперта" in text for text in score_pages)


def test_an_organisation_applies_under_its_short_name_or_its_full_name(world):
    first, second, _third = world.entries["production"]
    short = make_organisation(name="МБОУ «Лицей № 2»", inn="6901067107", ogrn="1026900510110")
    short.short_name = "Лицей № 2"
    unnamed = make_organisation(name="ГБОУ «Школа-интернат № 5»")
    unnamed.short_name = ""
    first.organisation_id, second.organisation_id = short.id, unnamed.id
    db.session.flush()
    protocol = make(world)
    assert [r.applicant for r in protocol.rows[:2]] == ["Лицей № 2", "ГБОУ «Школа-интернат № 5»"]

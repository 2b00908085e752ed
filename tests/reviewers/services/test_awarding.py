"""Awards from the final round's ranking (reviewers/services/awarding.py): suggestions with ties, decisions with
reasons, and the publication inputs handed to the core."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Award, Entry
from portal.services.errors import Conflict, ValidationFailed
from portal.storage import backend_named
from reviewers.models import Decision
from reviewers.services.awarding import (DEFAULT_COUNTS, TierCounts, applicant_comments, apply_suggestions,
                                         awards_board, decide_award, parse_counts, preview, publication_inputs,
                                         publish, suggest)
from tests.factories import nomination
from tests.reviewers.services.awarding_world import PRIVATE, comment, judged_world


@pytest.fixture
def world(db):
    return judged_world()


def ids(world, code):
    return [e.id for e in world.entries[code]]


def test_slots_by_default_one_winner_per_place_two_prizes_three_laureates():
    assert DEFAULT_COUNTS.slots() == [("winner", 1), ("winner", 2), ("winner", 3), ("prize", None),
                                      ("prize", None), ("laureate", None), ("laureate", None), ("laureate", None)]


def test_suggest_gives_tied_entries_the_same_award_and_skips_the_slots_they_used():
    counts = TierCounts(winners_per_place=1, prize=1, laureate=1)
    ranks = [(10, 1), (11, 2), (12, 2), (13, 4), (14, 5), (15, 6), (16, None)]
    assert suggest(ranks, counts) == {10: ("winner", 1), 11: ("winner", 2), 12: ("winner", 2), 13: ("prize", None),
                                      14: ("laureate", None)}
    assert suggest(ranks, TierCounts(winners_per_place=0, prize=0, laureate=2)) == {10: ("laureate", None),
                                                                                    11: ("laureate", None),
                                                                                    12: ("laureate", None)}


@pytest.mark.parametrize("args, expected", [
    ({}, TierCounts(1, 2, 3)),
    ({"winners_per_place": "2", "prize": "0", "laureate": "5"}, TierCounts(2, 0, 5)),
    ({"winners_per_place": "x", "prize": "-3", "laureate": "999"}, TierCounts(1, 0, 50)),
])
def test_parse_counts(args, expected):
    assert parse_counts(args) == expected


def test_the_board_follows_the_final_rounds_ranking_with_the_tie(db, world):
    p1, p2, p3, p4, p5 = ids(world, "production")
    board = awards_board(db.session, season=world.season, counts=TierCounts(1, 1, 1))
    assert board.round.id == world.round.id
    production, education = board.nominations
    assert [(line.result.entry.id, line.result.rank, line.suggestion, line.tied) for line in production.lines] == [
        (p1, 1, ("winner", 1), False), (p2, 2, ("winner", 2), True), (p3, 2, ("winner", 2), True),
        (p4, 4, ("prize", None), False), (p5, 5, ("laureate", None), False)]
    assert [(line.result.entry.id, line.suggestion) for line in education.lines] == [(ids(world, "education")[0],
                                                                                      ("winner", 1))]
    assert board.undecided == 6 and production.undecided == 5


def test_decisions_are_audited_with_reason_before_and_after(db, world):
    p1 = world.entries["production"][0]
    award = decide_award(db.session, season=world.season, entry=p1, choice="winner-2", reason="Предложение жюри",
                         user=world.organizer, now=world.now)
    assert (award.tier, award.place, award.decided_by_id) == ("winner", 2, world.organizer.id)
    decide_award(db.session, season=world.season, entry=p1, choice="winner-1", reason="Пересмотрено на заседании",
                 user=world.organizer, now=world.now)
    decide_award(db.session, season=world.season, entry=p1, choice="none", reason="Нарушение правил конкурса",
                 user=world.organizer, now=world.now)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "entry.award_decision")
                                .order_by(AuditEvent.id)).all()
    assert [(e.object_id, e.before, e.after, e.actor_id) for e in events] == [
        (str(p1.id), None, {"tier": "winner", "place": 2, "reason": "Предложение жюри"}, world.organizer.id),
        (str(p1.id), {"tier": "winner", "place": 2}, {"tier": "winner", "place": 1,
                                                      "reason": "Пересмотрено на заседании"}, world.organizer.id),
        (str(p1.id), {"tier": "winner", "place": 1}, {"tier": "none", "place": None,
                                                      "reason": "Нарушение правил конкурса"}, world.organizer.id)]
    assert db.session.scalar(select(Award).where(Award.entry_id == p1.id)) is None
    decline = db.session.scalar(select(Decision).where(Decision.entry_id == p1.id, Decision.kind == "no_award"))
    assert (decline.round_id, decline.reason) == (world.round.id, "Нарушение правил конкурса")
    # The applicant sees nothing before publication: the status has not moved.
    assert db.session.get(Entry, p1.id).status == "in_review"
    board = awards_board(db.session, season=world.season)
    line = board.nominations[0].lines[0]
    assert (line.choice, line.decided, board.reasons[p1.id]) == ("none", True, "Нарушение правил конкурса")
    # Giving an award again removes the "no award" decision.
    decide_award(db.session, season=world.season, entry=p1, choice="prize", reason="Решение оргкомитета",
                 user=world.organizer, now=world.now)
    assert db.session.scalar(select(Decision).where(Decision.entry_id == p1.id, Decision.kind == "no_award")) is None


@pytest.mark.parametrize("choice, reason, fields", [
    ("winner-4", "Причина", {"award": "Выберите награду из списка."}),
    ("gold", "Причина", {"award": "Выберите награду из списка."}),
    ("prize", "   ", {"reason": "Причина обязательна."}),
    ("prize", "я" * 2001, {"reason": "Не длиннее 2000 символов."}),
])
def test_bad_decisions_are_refused_with_the_field(db, world, choice, reason, fields):
    with pytest.raises(ValidationFailed) as caught:
        decide_award(db.session, season=world.season, entry=world.entries["production"][0], choice=choice,
                     reason=reason, user=world.organizer, now=world.now)
    assert caught.value.fields == fields
    assert db.session.scalar(select(Award)) is None


def test_only_entries_under_review_and_only_before_publication(db, world):
    entry = world.entries["production"][0]
    entry.status = "eligible"  # a test shortcut: an entry the jury never saw
    with pytest.raises(Conflict):
        decide_award(db.session, season=world.season, entry=entry, choice="prize", reason="Причина",
                     user=world.organizer, now=world.now)
    entry.status = "in_review"
    world.season.results_published_at = world.now
    with pytest.raises(Conflict) as caught:
        decide_award(db.session, season=world.season, entry=entry, choice="prize", reason="Причина",
                     user=world.organizer, now=world.now)
    assert caught.value.message == "Итоги сезона уже опубликованы: награды изменить нельзя."


def test_apply_suggestions_keeps_decisions_already_taken(db, world):
    p1, p2, p3, p4, p5 = world.entries["production"]
    decide_award(db.session, season=world.season, entry=p5, choice="special", reason="Особое мнение жюри",
                 user=world.organizer, now=world.now)
    taken = apply_suggestions(db.session, season=world.season, nomination=nomination(world.season, "production"),
                              counts=TierCounts(1, 1, 0), reason="По рейтингу", user=world.organizer, now=world.now)
    assert taken == 4
    awards = {a.entry_id: (a.tier, a.place) for a in db.session.scalars(select(Award))}
    assert awards == {p1.id: ("winner", 1), p2.id: ("winner", 2), p3.id: ("winner", 2), p4.id: ("prize", None),
                      p5.id: ("special", None)}
    finalists, declined = publication_inputs(db.session, world.season)
    assert finalists == {e.id for code in ("production", "education") for e in world.entries[code]}
    assert declined == set()
    assert preview(db.session, season=world.season).undecided_count == 1  # the education entry


def test_applicant_comments_never_carry_the_private_ones(db, world):
    comments = applicant_comments(db.session, world.season)
    p1 = world.entries["production"][0]
    assert comments[p1.id] == [comment("Эксперт 1", p1.id), comment("Эксперт 2", p1.id)]
    assert all(PRIVATE not in text for texts in comments.values() for text in texts)
    assert set(comments) == {e.id for code in ("production", "education") for e in world.entries[code]}


def test_publish_with_every_decision_taken(db, world, app):
    for group in ("production", "education"):
        apply_suggestions(db.session, season=world.season, nomination=nomination(world.season, group),
                          counts=TierCounts(1, 0, 0), reason="По рейтингу", user=world.organizer, now=world.now)
    summary = publish(db.session, season=world.season, user=world.organizer, now=world.now,
                      storage_for=backend_named)
    db.session.commit()
    assert (summary.awarded, summary.not_awarded, summary.mails) == (4, 2, 6)
    status = {e.id: e.status for e in db.session.scalars(select(Entry))}
    p1, p2, p3, p4, p5 = ids(world, "production")
    assert status == {p1: "awarded", p2: "awarded", p3: "awarded", p4: "not_awarded", p5: "not_awarded",
                      ids(world, "education")[0]: "awarded"}


def test_a_long_ranking_shows_its_top_and_every_decided_line(db, world):
    p5 = world.entries["production"][4]
    decide_award(db.session, season=world.season, entry=p5, choice="special", reason="Особое мнение жюри",
                 user=world.organizer, now=world.now)
    group = awards_board(db.session, season=world.season).nominations[0]
    assert [line.result.entry.id for line in group.shown(2)] == [e.id for e in world.entries["production"][:2]] + [p5.id]
    assert len(group.shown(10)) == 5

"""Copying a season's judging set-up (reviewers/services/setup.py `copy_judging_setup`, a `season_copiers` hook):
rubrics with retired flags and bands, rounds with shifted dates and remapped tie-breaks, no pools."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from portal.models import AuditEvent, Season
from portal.services.season_setup import year_shift
from reviewers.models import Criterion, PoolMember, Round, Rubric
from reviewers.services.rubric_editor import new_rubric
from reviewers.services.setup import copy_judging_setup, create_round
from tests.factories import make_season
from tests.reviewers.judging.world import make_world

SHIFT = timedelta(days=364)


def test_copy_judging_setup_copies_rubrics_and_rounds_with_remapped_tie_breaks(db):
    world = make_world(entries={"production": 1}, jurors=2)
    source, rubric = world.season, world.round.rubric
    results, efficiency, novelty, replicability, scalability = rubric.criteria
    novelty.retired = True
    results.bands = [{"min": 6, "max": 10, "text": "Сильно"}, {"min": 1, "max": 5, "text": "Слабо"}]
    world.round.tie_break_criteria = [replicability.id, results.id, novelty.id]
    empty = new_rubric(db.session, season=source, title="Черновик финала", actor=world.organizer, now=world.now)
    final = create_round(db.session, season=source, number=2, title="Финал", rubric=rubric, actor=world.organizer,
                         opens_at=world.round.closes_at, closes_at=world.round.closes_at + timedelta(days=5),
                         reviewers_per_entry=5, blind=False, reveal_reviews="always", advance_rule="top_percent",
                         advance_value=25, disagreement_threshold=12.5, tie_break_criteria=[scalability.id],
                         now=world.now)
    db.session.flush()
    target = make_season(slug="season-2027", now=world.now + SHIFT)

    counts = copy_judging_setup(db.session, source=source, target=target, nomination_ids={},
                                shift=lambda moment: moment + SHIFT, actor=world.organizer, now=world.now)

    assert counts == {"rubrics": 2, "rounds": 2}
    copies = db.session.scalars(select(Rubric).where(Rubric.season_id == target.id).order_by(Rubric.id)).all()
    assert [r.title for r in copies] == [rubric.title, empty.title]
    copy = copies[0]
    assert copies[1].criteria == []
    fields = ("position", "code", "title_ru", "title_en", "description_ru", "scale_min", "scale_max", "scale_step",
              "weight", "required", "bands", "retired")
    assert [tuple(getattr(c, f) for f in fields) for c in copy.criteria] == [
        tuple(getattr(c, f) for f in fields) for c in rubric.criteria]
    assert [c.retired for c in copy.criteria] == [False, False, True, False, False]
    assert copy.criteria[0].bands == [{"min": 6, "max": 10, "text": "Сильно"}, {"min": 1, "max": 5, "text": "Слабо"}]
    assert not {c.id for c in copy.criteria} & {c.id for c in rubric.criteria}
    by_code = {c.code: c.id for c in copy.criteria}

    first, second = db.session.scalars(select(Round).where(Round.season_id == target.id).order_by(Round.number)).all()
    assert (first.number, first.title, first.rubric_id) == (1, "Экспертный раунд", copy.id)
    assert (first.opens_at, first.closes_at) == (world.round.opens_at + SHIFT, world.round.closes_at + SHIFT)
    assert first.tie_break_criteria == [by_code["replicability"], by_code["results"], by_code["novelty"]]
    assert (second.number, second.title, second.rubric_id, second.reviewers_per_entry, second.blind,
            second.reveal_reviews, second.advance_rule, second.advance_value, second.disagreement_threshold) == (
        2, "Финал", copy.id, 5, False, "always", "top_percent", 25, 12.5)
    assert (second.opens_at, second.closes_at) == (final.opens_at + SHIFT, final.closes_at + SHIFT)
    assert second.tie_break_criteria == [by_code["scalability"]]
    assert db.session.scalars(select(PoolMember).where(PoolMember.round_id.in_([first.id, second.id]))).all() == []
    # The source is untouched.
    assert world.round.tie_break_criteria == [replicability.id, results.id, novelty.id]
    assert db.session.scalar(select(Criterion).where(Criterion.id == novelty.id)).rubric_id == rubric.id


def test_copy_of_a_season_without_judging_copies_nothing(db):
    source, target = make_season(slug="empty-2026"), make_season(slug="empty-2027")
    assert copy_judging_setup(db.session, source=source, target=target, nomination_ids={}, shift=lambda m: m,
                              actor=None, now=source.created_at) == {"rubrics": 0, "rounds": 0}


def test_copy_is_registered_as_a_season_copier(app):
    assert copy_judging_setup in current_app.extensions["season_copiers"]


def test_the_copy_season_page_copies_the_judging_set_up_too(client, db, csrf, login_as):
    """The organizer's copy action runs the jury's hook: next year's season gets the rubric and the round, a year
    later at the same Moscow time, and the `season.copy` audit row counts them."""
    world = make_world(entries={"production": 1}, jurors=1)
    source = world.season
    db.session.commit()
    login_as(world.organizer)
    response = client.post(f"/organizer/seasons/{source.slug}/copy", data={
        "csrf_token": csrf, "slug": "copy-next", "title_ru": "Следующий сезон", "title_en": "",
        "year": str(source.year + 1), "action": "create"})
    assert response.status_code == 302
    db.session.expire_all()
    target = db.session.scalar(select(Season).where(Season.slug == "copy-next"))
    rounds = db.session.scalars(select(Round).where(Round.season_id == target.id)).all()
    assert [(r.number, r.title, r.reviewers_per_entry) for r in rounds] == [(1, "Экспертный раунд", 2)]
    shift = year_shift(time_zone=source.time_zone, years=1)
    assert (rounds[0].opens_at, rounds[0].closes_at) == (shift(world.round.opens_at), shift(world.round.closes_at))
    copied = db.session.scalar(select(Rubric).where(Rubric.season_id == target.id))
    assert [c.code for c in copied.criteria] == ["results", "efficiency", "novelty", "replicability", "scalability"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "season.copy"))
    assert (event.after["rubrics"], event.after["rounds"]) == (1, 1)

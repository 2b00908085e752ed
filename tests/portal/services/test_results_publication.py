"""Publishing a season's results (portal/services/results_publication.py): the preview, the refusals, the moment,
the statuses, the library, the e-mails with the applicant-facing comments only, once only."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Award, ConsentKind, Entry, EntryStatus, LibraryItem, OutboxMessage, utcnow
from portal.services import entries as entry_service
from portal.services.entry_states import transition
from portal.services.errors import Conflict
from portal.services.results_publication import default_finalists, preview_publication, publish_results
from portal.storage import backend_named
from tests.factories import make_entry, make_organisation, make_season, make_user

NOW = utcnow().replace(microsecond=0)
PRIVATE = "Только для оргкомитета"


def judged(db, user, season, *, code="production", shortlisted=True, consent=True, organisation=None, title=None):
    """A submitted entry moved under review (and to the shortlist)."""
    entry = make_entry(user, season, code=code, submitted=True, organisation=organisation, now=NOW - timedelta(days=40))
    if title:
        entry.title = title
    if not consent:
        entry_service.record_consent(db.session, entry=entry, user=user, kind=ConsentKind.PUBLICATION, given=False,
                                     now=NOW)
    for target in (EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW) + ((EntryStatus.SHORTLISTED,) if shortlisted else ()):
        transition(db.session, entry=entry, target=target, actor=None, now=NOW)
    db.session.flush()
    return entry


def award(db, entry, tier, place=None):
    """A decided award, pending until publication (as reviewers/services/awarding.py writes it)."""
    db.session.add(Award(entry_id=entry.id, season_id=entry.season_id, tier=tier, place=place, decided_at=NOW))
    db.session.flush()


@pytest.fixture
def season_data(db):
    """Production: winner (consented, an organisation), prize (no consent), a finalist with no award, an entry
    left in round 1; education: a laureate by an applicant who also has the production finalist."""
    season = make_season(slug="nastavnik-2026", now=NOW - timedelta(days=60), opens_days_ago=0, closes_in_days=30,
                         max_per_applicant=2)
    organizer = make_user(role="organizer", email="org@example.ru", full_name="Ольга Организатор")
    users = [make_user(email=f"a{i}@example.ru", full_name=f"Заявитель {i}") for i in range(4)]
    organisation = make_organisation(users[0], name="АО «Северсталь»")
    winner = judged(db, users[0], season, organisation=organisation, title="Наставник на производстве")
    hidden = judged(db, users[1], season, consent=False, title="Тайная практика")
    finalist = judged(db, users[2], season, title="Финалист без награды")
    early = judged(db, users[3], season, shortlisted=False, title="Выбыла в первом раунде")
    laureate = judged(db, users[2], season, code="education", title="Лауреат в образовании")
    award(db, winner, "winner", 1)
    award(db, hidden, "prize")
    award(db, laureate, "laureate")
    db.session.commit()
    return dict(season=season, organizer=organizer, users=users, winner=winner, hidden=hidden, finalist=finalist,
                early=early, laureate=laureate)


def comments(d):
    return {d["winner"].id: ["Сильная практика", "  "], d["finalist"].id: ["Не хватило цифр"],
            d["early"].id: ["Опишите результаты подробнее"]}


def test_default_finalists_are_the_shortlist(db, season_data):
    d = season_data
    assert default_finalists(db.session, d["season"]) == {d["winner"].id, d["hidden"].id, d["finalist"].id,
                                                          d["laureate"].id}


def test_preview_shows_exactly_what_becomes_public(db, season_data):
    d = season_data
    preview = preview_publication(db.session, season=d["season"], declined_ids={d["finalist"].id})
    assert [(n.code, [(r.result.entry.id, r.result.award.tier, r.result.public, r.library, r.library_note)
                      for r in rows]) for n, rows in preview.nominations] == [
        ("production", [(d["winner"].id, "winner", True, "new", None),
                        (d["hidden"].id, "prize", False, "none", "Заявитель не дал согласия на публикацию практики.")]),
        ("education", [(d["laureate"].id, "laureate", True, "new", None)])]
    assert (preview.awards, preview.hidden, preview.library_new) == (3, 1, 2)
    assert (preview.undecided_count, preview.not_awarded, preview.applicants, preview.published) == (0, 2, 4, False)
    # Nothing changed: a preview is only a look.
    assert db.session.get(Entry, d["winner"].id).status == "shortlisted"


def test_publish_is_refused_while_a_finalist_has_no_decision(db, season_data):
    d = season_data
    preview = preview_publication(db.session, season=d["season"])
    assert preview.undecided_count == 1 and [e.id for e in preview.undecided] == [d["finalist"].id]
    with pytest.raises(Conflict) as caught:
        publish_results(db.session, season=d["season"], user=d["organizer"], now=NOW, storage_for=backend_named,
                        comments_by_entry={})
    assert caught.value.message == f"Не по всем финалистам принято решение (1): № {d['finalist'].id}."
    assert caught.value.extra == {"undecided": [d["finalist"].id]}
    db.session.rollback()
    assert db.session.get(type(d["season"]), d["season"].id).results_published_at is None


def test_publish_sets_the_moment_statuses_library_and_audit(db, season_data):
    d = season_data
    summary = publish_results(db.session, season=d["season"], user=d["organizer"], now=NOW, storage_for=backend_named,
                              comments_by_entry=comments(d), declined_ids={d["finalist"].id})
    db.session.commit()
    db.session.expire_all()
    assert d["season"].results_published_at == NOW
    assert (summary.awarded, summary.not_awarded, summary.mails) == (3, 2, 4)
    status = {e.id: e.status for e in db.session.scalars(select(Entry))}
    assert status == {d["winner"].id: "awarded", d["hidden"].id: "awarded", d["laureate"].id: "awarded",
                      d["finalist"].id: "not_awarded", d["early"].id: "not_awarded"}
    items = db.session.scalars(select(LibraryItem).order_by(LibraryItem.entry_id)).all()
    assert [(i.entry_id, i.award, i.place, i.published_at) for i in items] == [
        (d["winner"].id, "winner", 1, NOW), (d["laureate"].id, "laureate", None, NOW)]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "season.publish_results"))
    assert (event.actor_id, event.object_id, event.before) == (d["organizer"].id, str(d["season"].id),
                                                               {"results_published_at": None})
    assert event.after == {"results_published_at": NOW.isoformat(), "awarded": 3, "not_awarded": 2, "library": 2,
                           "mails": 4}
    moved = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "entry.not_awarded")).all()
    assert {e.object_id for e in moved} == {str(d["finalist"].id), str(d["early"].id)}
    assert moved[0].after == {"status": "not_awarded", "reason": "Итоги опубликованы"}


def test_one_mail_per_applicant_with_status_award_and_applicant_comments_only(db, season_data):
    d = season_data
    publish_results(db.session, season=d["season"], user=d["organizer"], now=NOW, storage_for=backend_named,
                    comments_by_entry=comments(d), declined_ids={d["finalist"].id})
    db.session.commit()
    mails = {m.to: m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.startswith("Итоги")))}
    title = d["season"].title_ru
    assert {to: m.subject for to, m in mails.items()} == {
        "a0@example.ru": f"Итоги конкурса «{title}»: поздравляем!",
        "a1@example.ru": f"Итоги конкурса «{title}»: поздравляем!",
        "a2@example.ru": f"Итоги конкурса «{title}»: поздравляем!",
        "a3@example.ru": f"Итоги конкурса «{title}»"}
    winner = mails["a0@example.ru"].body_text
    assert "Здравствуйте, Заявитель 0!" in winner
    assert f"Заявка № {d['winner'].id} «Наставник на производстве», номинация «Номинация production»." in winner
    assert "Статус: Награждена." in winner and "Награда: Победитель, 1 место." in winner
    assert "Комментарии экспертов:\n— Сильная практика\n" in winner
    assert "http://portal.test/results/nastavnik-2026" in winner
    both = mails["a2@example.ru"].body_text  # one e-mail for the applicant's two entries
    assert "Финалист без награды" in both and "Лауреат в образовании" in both
    assert "Статус: Без награды." in both and "— Не хватило цифр" in both and "Награда: Лауреат." in both
    early = mails["a3@example.ru"].body_text
    assert "Статус: Без награды." in early and "— Опишите результаты подробнее" in early and "Награда:" not in early
    assert all(PRIVATE not in m.body_text for m in mails.values())


def test_a_second_publication_is_refused(db, season_data):
    d = season_data
    publish_results(db.session, season=d["season"], user=d["organizer"], now=NOW, storage_for=backend_named,
                    comments_by_entry={}, declined_ids={d["finalist"].id})
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        publish_results(db.session, season=d["season"], user=d["organizer"], now=NOW + timedelta(hours=1),
                        storage_for=backend_named, comments_by_entry={}, declined_ids={d["finalist"].id})
    assert caught.value.message == "Итоги сезона уже опубликованы."
    db.session.rollback()
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.startswith("Итоги"))).all()) == 4
    assert preview_publication(db.session, season=d["season"]).published is True


def test_a_season_without_a_shortlist_takes_the_entries_under_review_as_finalists(db):
    season = make_season(slug="one-round", now=NOW - timedelta(days=60), opens_days_ago=0, closes_in_days=30)
    user = make_user()
    entry = judged(db, user, season, shortlisted=False)
    assert default_finalists(db.session, season) == {entry.id}
    award(db, entry, "special")
    summary = publish_results(db.session, season=season, user=None, now=NOW, storage_for=backend_named,
                              comments_by_entry={})
    assert (summary.awarded, summary.not_awarded, summary.mails) == (1, 0, 1)
    assert entry.status == "awarded"


def test_an_award_on_an_entry_the_jury_never_saw_is_refused(db, season_data):
    d = season_data
    stray = make_entry(d["users"][3], d["season"], code="education", submitted=True, now=NOW - timedelta(days=40))
    award(db, stray, "special")
    with pytest.raises(Conflict) as caught:
        publish_results(db.session, season=d["season"], user=d["organizer"], now=NOW, storage_for=backend_named,
                        comments_by_entry={}, declined_ids={d["finalist"].id})
    assert caught.value.message == f"Награды назначены заявкам, которые не проходили экспертизу: № {stray.id}."

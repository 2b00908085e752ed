"""The jury's part of `flask seed-demo`: a first round open now, a pool, assignments and some reviews, so a
newcomer sees judging in action. Idempotent: it does nothing when the demo round exists."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.demo import DEMO_PASSWORD
from portal.demo_texts import DEMO_DOMAIN
from portal.models import Entry, EntryStatus, OutboxMessage, Season, User
from portal.services import accounts
from portal.services.entry_states import transition
from reviewers.models import Affiliation, Assignment, Round
from reviewers.services.assignment import apply_assignment
from reviewers.services.pools import add_to_pool
from reviewers.services.reviewing import save_review, submit_review
from reviewers.services.setup import create_round, standard_rubric

SEASON_SLUG = "nastavnichestvo-2026"
# (e-mail, name, region) — juror@ exists already (the core demo creates every role's account).
MORE_JURORS = (
    (f"juror-ural@{DEMO_DOMAIN}", "Сергей Михайлович Белов", "66"),
    (f"juror-volga@{DEMO_DOMAIN}", "Ольга Андреевна Гришина", "52"),
    (f"juror-siberia@{DEMO_DOMAIN}", "Тимур Ринатович Хасанов", "54"),
    (f"juror-north@{DEMO_DOMAIN}", "Марина Олеговна Лебедева", "78"),
)
COMMENTS = (
    "Практика хорошо описана, результаты подтверждены данными мониторинга. Стоит подробнее раскрыть, как "
    "отбираются наставники и как оценивается их работа.",
    "Сильная сторона — тиражируемость: методические материалы готовы к передаче. Количественные результаты "
    "приведены без сравнения с исходным уровнем.",
    "Интересный формат, но описание этапов слишком общее: непонятно, сколько длится цикл наставничества и что "
    "делает наставник на каждом этапе.",
)


def seed_jury_demo(session: Session, *, config: dict, now: datetime) -> list[tuple[str, str]]:
    """Create the demo round; returns the extra juror accounts (role, e-mail) to print."""
    season = session.scalar(select(Season).where(Season.slug == SEASON_SLUG))
    accounts_list = [("juror", email) for email, _name, _region in MORE_JURORS]
    if season is None or session.scalar(select(Round.id).where(Round.season_id == season.id)) is not None:
        return accounts_list if season is not None else []
    last_mail = session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1)) or 0
    organizer = session.scalar(select(User).where(User.email == f"organizer@{DEMO_DOMAIN}"))
    jurors = [session.scalar(select(User).where(User.email == f"juror@{DEMO_DOMAIN}"))]
    for email, name, region in MORE_JURORS:
        juror = accounts.create_user(session, email=email, password=DEMO_PASSWORD, full_name=name, role="juror",
                                     config=config, confirmed_at=now - timedelta(days=30))
        juror.region_code = region
        jurors.append(juror)
    entries = list(session.scalars(select(Entry).where(Entry.season_id == season.id,
                                                       Entry.status == EntryStatus.SUBMITTED.value).order_by(Entry.id)))
    # A declared tie: the Ural juror advises the plant, so she must never judge its entry.
    plant = next((e for e in entries if e.organisation and e.organisation.region_code == "66"), None)
    if plant is not None:
        session.add(Affiliation(juror_id=jurors[1].id, kind="organisation", inn=plant.organisation.inn,
                                note="Член наблюдательного совета предприятия"))
    rubric = standard_rubric(session, season=season, actor=organizer, now=now)
    round = create_round(session, season=season, number=1, title="Заочная экспертиза", rubric=rubric,
                         opens_at=now - timedelta(days=2), closes_at=season.submissions_close_at + timedelta(days=30),
                         reviewers_per_entry=3, blind=True, reveal_reviews="after_submit", advance_value=3,
                         disagreement_threshold=12.0, actor=organizer, now=now)
    for entry in entries:  # screened a few hours after it came in (at most three days ago), before the assignment
        screened = min(max(now - timedelta(days=3), entry.submitted_at + timedelta(hours=2)), now - timedelta(hours=3))
        transition(session, entry=entry, target=EntryStatus.ELIGIBLE, actor=organizer, now=screened)
    for nomination in sorted({e.nomination for e in entries}, key=lambda n: n.id):
        for juror in jurors:
            add_to_pool(session, round=round, nomination=nomination, juror=juror, cap=6, actor=organizer, now=now)
    apply_assignment(session, round=round, actor=organizer, now=now - timedelta(hours=2))
    _review_some(session, round=round, demo_juror=jurors[0], now=now)
    for message in session.scalars(select(OutboxMessage).where(OutboxMessage.id > last_mail)):
        session.delete(message)  # nobody reads the fictional demo addresses
    session.flush()
    return accounts_list


def _review_some(session: Session, *, round: Round, demo_juror: User, now: datetime) -> None:
    """Every juror but the demo one submits their reviews (one leaves a draft), with varied, plausible scores."""
    rng = random.Random(2026)
    criteria = round.rubric.active_criteria
    assignments = session.scalars(select(Assignment).where(Assignment.round_id == round.id,
                                                           Assignment.juror_id != demo_juror.id)
                                  .order_by(Assignment.id)).all()
    for index, assignment in enumerate(assignments):
        juror = assignment.juror
        leniency = {0: 0, 1: -2, 2: 1, 3: 0}.get(index % 4, 0)
        scores = {str(c.id): max(1, min(10, rng.randint(5, 9) + leniency)) for c in criteria}
        save_review(session, assignment=assignment, user=juror, scores=scores,
                    comment_applicant=COMMENTS[index % len(COMMENTS)],
                    comment_private="Заявка соответствует номинации." if index % 3 else "", now=now - timedelta(hours=5))
        if index != len(assignments) - 1:
            submit_review(session, assignment=assignment, user=juror, now=now - timedelta(hours=4))

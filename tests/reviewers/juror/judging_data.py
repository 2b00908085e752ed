"""Builders for the juror's tests: an entry ready for review whose applicant is easy to recognise (so that a leak
shows), a round with the standard rubric, jurors and their assignments. Every builder flushes; the test commits when
a request must see the data."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app

from portal.extensions import db
from portal.models import Entry, EntryStatus, Season, User, utcnow
from portal.services import entries as entry_service
from portal.services import files as file_service
from portal.services.entry_states import transition
from portal.storage import get_storage
from reviewers.models import Assignment, AssignmentMethod, Round
from reviewers.services.setup import create_round, standard_rubric
from tests.factories import COMPLETE_FIELDS, PDF_BYTES, make_entry, make_organisation, make_season, make_user

# Who applied: none of this may reach a juror in a blind round.
ORG_NAME = "АНО «Центр наставничества Полярная звезда»"
ORG_INN = "7736207543"
CREATOR_NAME = "Борис Игнатьевич Колокольцев"
AUTHORS = [
    {"full_name": "Анна Петровна Смирнова", "position": "заместитель директора", "email": "smirnova@example.ru"},
    {"full_name": "Глеб Олегович Тихонравов", "position": "педагог-психолог", "email": "tikhonravov@example.ru"},
]
VIDEO_URL = "https://video.example.ru/polyarnaya-zvezda"
FILE_NAME = "Полярная звезда — отчёт Смирновой.pdf"
REGION_NAME = "Тверская область"  # the entry's region (69), hidden when the round says so
IDENTITY = [ORG_NAME, "Полярная звезда", ORG_INN, CREATOR_NAME, "Колокольцев", "Смирнова", "Смирновой",
            "smirnova@example.ru", "Тихонравов", "tikhonravov@example.ru", VIDEO_URL, "polyarnaya"]


@dataclass
class Judging:
    now: datetime
    season: Season
    round: Round
    organizer: User
    entry: Entry
    jurors: list[User] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)

    @property
    def criteria(self):
        return self.round.rubric.active_criteria


def make_organizer(email: str = "olga.organizer@example.ru") -> User:
    return make_user(email=email, role="organizer", full_name="Ольга Сергеевна Оргкомитетова")


def make_juror(name: str = "Пётр Ильич Экспертов", email: str | None = None) -> User:
    return make_user(email=email, role="juror", full_name=name)


def make_reviewable_entry(season: Season, organizer: User, *, now: datetime, org_name: str = ORG_NAME,
                          inn: str = ORG_INN, creator_name: str = CREATOR_NAME, email: str | None = None,
                          file_name: str = FILE_NAME, title: str | None = None) -> Entry:
    """A complete entry by an organisation, with a file, submitted and screened as eligible."""
    applicant = make_user(email=email, full_name=creator_name)
    organisation = make_organisation(applicant, name=org_name, inn=inn, region_code="69")
    entry = make_entry(applicant, season, organisation=organisation, complete=True, now=now)
    data = {"authors": AUTHORS, "video_url": VIDEO_URL}
    if title:
        data["title"] = title
    entry_service.update_entry(db.session, entry=entry, user=applicant, data=data, now=now)
    file_service.upload_file(db.session, entry=entry, user=applicant, stream=io.BytesIO(PDF_BYTES), filename=file_name,
                             kind="presentation", storage=get_storage(), config=current_app.config, now=now)
    db.session.refresh(entry)
    entry_service.submit_entry(db.session, entry=entry, user=applicant, now=now)
    transition(db.session, entry=entry, target=EntryStatus.ELIGIBLE, actor=organizer, now=now)
    db.session.flush()
    return entry


def assign(round: Round, entry: Entry, juror: User, *, now: datetime) -> Assignment:
    """An assignment row as the assignment service writes it (the engine is tested on its own)."""
    assignment = Assignment(round_id=round.id, entry_id=entry.id, juror_id=juror.id, status="assigned",
                            method=AssignmentMethod.MANUAL.value, due_at=round.closes_at, created_at=now,
                            updated_at=now)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def make_judging(*, now: datetime | None = None, blind: bool = True, hide_region: bool = False,
                 reveal_reviews: str = "never", jurors: int = 2, opens: timedelta = timedelta(days=-1),
                 closes: timedelta = timedelta(days=10)) -> Judging:
    """A season with one eligible entry, a round of the standard rubric (window `now + opens` … `now + closes`) and
    `jurors` jurors assigned to the entry."""
    now = now or utcnow()
    season = make_season(now=now)
    organizer = make_organizer()
    entry = make_reviewable_entry(season, organizer, now=now)
    rubric = standard_rubric(db.session, season=season, actor=organizer, now=now)
    round = create_round(db.session, season=season, number=1, title="Заочный этап", rubric=rubric, opens_at=now + opens,
                         closes_at=now + closes, blind=blind, hide_region=hide_region, reveal_reviews=reveal_reviews,
                         actor=organizer, now=now)
    judging = Judging(now=now, season=season, round=round, organizer=organizer, entry=entry)
    names = ["Пётр Ильич Экспертов", "Мария Андреевна Оценщикова", "Семён Львович Рецензентов"]
    for number in range(jurors):
        juror = make_juror(names[number], email=f"juror{number + 1}@example.ru")
        judging.jurors.append(juror)
        judging.assignments.append(assign(round, entry, juror, now=now))
    return judging


def full_scores(judging: Judging, values=(10, 1, 1, 10, 1)) -> dict[str, float]:
    """Scores for every criterion of the standard rubric, in its order."""
    return {str(c.id): v for c, v in zip(judging.criteria, values)}


__all__ = ["AUTHORS", "COMPLETE_FIELDS", "CREATOR_NAME", "FILE_NAME", "IDENTITY", "ORG_INN", "ORG_NAME",
           "REGION_NAME", "VIDEO_URL", "Judging", "assign", "full_scores", "make_judging", "make_juror",
           "make_organizer", "make_reviewable_entry"]

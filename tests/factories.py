"""Builders for test data. Every builder flushes (the test commits when a request must see the data)."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

from flask import current_app

from portal.extensions import db
from portal.models import (ConsentKind, EntryStatus, LibraryItem, LibrarySource, LibraryStatus, Membership, Nomination,
                           Organisation, Season, Track, User, utcnow)
from portal.services import entries as entry_service
from portal.services import files as file_service
from portal.services import search_sync
from portal.services.accounts import hash_password
from portal.services.awards import award_entry
from portal.services.entry_states import transition
from portal.vocabularies import LIBRARY_NOMINATIONS
from portal.storage import get_storage

PASSWORD = "correct-horse-42"
# Real, checksum-valid identifiers of well-known organisations (see tests/portal/test_validators.py).
VALID_INN, VALID_OGRN = "7707083893", "1027700132195"

_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


def make_user(*, email: str | None = None, role: str = "applicant", full_name: str = "Иван Петрович Сидоров",
              confirmed: bool = True, region_code: str | None = "77", password: str = PASSWORD) -> User:
    user = User(email=email or f"user{_next()}@example.ru", role=role, full_name=full_name,
                password_hash=hash_password(password, current_app.config), region_code=region_code,
                email_confirmed_at=utcnow() if confirmed else None)
    db.session.add(user)
    db.session.flush()
    return user


def make_organisation(owner: User | None = None, *, name: str = "МБОУ «Средняя школа № 7»", inn: str = VALID_INN,
                      ogrn: str = VALID_OGRN, region_code: str = "69", kind: str = "educational") -> Organisation:
    organisation = Organisation(name=name, short_name=name[:40], kind=kind, region_code=region_code, inn=inn, ogrn=ogrn)
    db.session.add(organisation)
    db.session.flush()
    if owner is not None:
        db.session.add(Membership(user_id=owner.id, organisation_id=organisation.id, role="owner"))
        db.session.flush()
        db.session.refresh(owner, ["memberships"])
    return organisation


def make_season(*, slug: str = "season-2026", now: datetime | None = None, opens_days_ago: int = 10,
                closes_in_days: int = 20, nominations: tuple[str, ...] = ("production", "education"),
                tracks: int = 1, max_per_applicant: int = 1) -> Season:
    """A season open for submissions around `now`, with one or more tracks of nominations."""
    now = now or utcnow()
    season = Season(slug=slug, title_ru=f"Конкурс {slug}", title_en=f"Contest {slug}", year=now.year,
                    submissions_open_at=now - timedelta(days=opens_days_ago),
                    submissions_close_at=now + timedelta(days=closes_in_days))
    db.session.add(season)
    db.session.flush()
    for t in range(tracks):
        track = Track(season_id=season.id, code=f"track{t + 1}", title_ru=f"Направление {t + 1}", position=t)
        db.session.add(track)
        db.session.flush()
        for position, code in enumerate(nominations):
            db.session.add(Nomination(season_id=season.id, track_id=track.id, code=code if t == 0 else f"{code}_{t + 1}",
                                      title_ru=f"Номинация {code}", title_en=f"Nomination {code}", position=position,
                                      max_entries_per_applicant=max_per_applicant))
    db.session.flush()
    db.session.refresh(season)
    return season


def nomination(season: Season, code: str = "production") -> Nomination:
    return next(n for n in season.nominations if n.code == code)


COMPLETE_FIELDS = {
    "title": "Школа молодого наставника",
    "summary": "Система сопровождения молодых педагогов в первые три года работы.",
    "problem": "Каждый третий молодой педагог уходит из профессии в первые три года.",
    "goals": "Снизить отток молодых педагогов вдвое.",
    "mentoring_form": "teacher-teacher",
    "target_audience": "Педагоги со стажем до трёх лет.",
    "mentors_count": 12,
    "mentees_count": 30,
    "start_year": 2021,
    "region": "69",
    "description": "Наставники проводят еженедельные встречи и открытые уроки.",
    "results": "Отток молодых педагогов снизился с 32 % до 9 %.",
    "replicability": "Практика повторена в четырёх школах района.",
    "keywords": ["молодой педагог", "адаптация"],
    "authors": [{"full_name": "Анна Петровна Смирнова", "position": "заместитель директора",
                 "email": "smirnova@example.ru"}],
    "consent_processing": True,
    "consent_publication": True,
}

PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
             b"trailer<</Root 1 0 R>>\n%%EOF\n")


def make_entry(user: User, season: Season, *, code: str = "production", organisation: Organisation | None = None,
               complete: bool = False, with_file: bool = False, submitted: bool = False,
               now: datetime | None = None):
    """An entry started through the service; `complete` fills every field, `submitted` also attaches a file and
    submits it."""
    now = now or utcnow()
    entry = entry_service.start_entry(db.session, user=user, season=season, nomination=nomination(season, code),
                                      organisation=organisation, now=now)
    if complete or submitted:
        entry_service.update_entry(db.session, entry=entry, user=user, data=dict(COMPLETE_FIELDS), now=now)
    if with_file or submitted:
        file_service.upload_file(db.session, entry=entry, user=user, stream=io.BytesIO(PDF_BYTES),
                                 filename="Презентация.pdf", kind="presentation", storage=get_storage(),
                                 config=current_app.config, now=now)
    if submitted:
        db.session.refresh(entry)
        entry_service.submit_entry(db.session, entry=entry, user=user, now=now)
    db.session.flush()
    return entry


def make_awarded_entry(user: User, season: Season, *, code: str = "production", organisation: Organisation | None = None,
                       tier: str = "winner", place: int | None = 1, consent: bool = True, now: datetime | None = None):
    """A submitted entry moved through screening and review to `awarded`, with its award; `consent=False` records
    the applicant's refusal to publish."""
    now = now or utcnow()
    entry = make_entry(user, season, code=code, organisation=organisation, submitted=True, now=now)
    if not consent:
        entry_service.record_consent(db.session, entry=entry, user=user, kind=ConsentKind.PUBLICATION, given=False,
                                     now=now)
    for target in (EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW, EntryStatus.AWARDED):
        transition(db.session, entry=entry, target=target, actor=None, now=now)
    award_entry(db.session, entry=entry, tier=tier, place=place, user=None, now=now)
    db.session.flush()
    return entry


def make_library_item(*, title: str = "Наставничество молодых специалистов на заводе", year: int = 2024,
                      nomination: str = "production", region: str | None = "66", form: str | None = "workplace",
                      award: str | None = "winner", place: int | None = 1, audience: str | None = "workers",
                      summary: str = "Опытные рабочие сопровождают новичков в первый год работы.",
                      description: str = "Каждому молодому рабочему назначается наставник из числа мастеров.",
                      results: str = "Текучесть кадров среди молодых рабочих снизилась вдвое.",
                      keywords: tuple[str, ...] = ("адаптация", "производство"), organisation: str = "АО «Уралмаш»",
                      published: bool = True, now: datetime | None = None) -> LibraryItem:
    """An archive library item (as `library import` makes it), staged for the search index like the services do."""
    now = now or utcnow()
    n = _next()
    item = LibraryItem(source=LibrarySource.ARCHIVE.value, external_id=f"test-{n}", year=year,
                       nomination_code=nomination, nomination_title=LIBRARY_NOMINATIONS.get(nomination, ("",))[0],
                       title=title, summary=summary, description=description, results=results, replicability="",
                       keywords=list(keywords), mentoring_form=form, audience=audience, region_code=region,
                       organisation_name=organisation, award=award, place=place if award == "winner" else None,
                       status=(LibraryStatus.PUBLISHED if published else LibraryStatus.UNPUBLISHED).value,
                       created_at=now, updated_at=now, published_at=now)
    db.session.add(item)
    db.session.flush()
    search_sync.stage(db.session, item)
    return item
